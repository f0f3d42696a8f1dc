//! The HTML report (`--report html=PATH`): one self-contained page to open in a browser — the grid
//! of scenarios x (database, runtime) with coloured verdicts, then every schema diff, every failure
//! and the revision graph (inline SVG). Inline CSS only: no script and no external URL. Every
//! text from the run is escaped.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use super::runtime_line;

mod graph;
mod timeline;
use crate::outcome::{CellKey, CellResult, RunReport, Verdict};

/// The page. No timestamps: the same results give the same bytes, durations aside.
pub fn render(report: &RunReport) -> String {
    let title = headline(report);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>harness: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(out, "<h1>harness: {title}</h1>");
    summary(&mut out, report);
    grid(&mut out, report);
    diffs(&mut out, report);
    failures(&mut out, report);
    timeline::timelines(&mut out, report);
    graph::graphs(&mut out, report);
    if !report.warnings.is_empty() {
        out.push_str("<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul>\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "<li class=\"text\">{}</li>", prose(warning));
        }
        out.push_str("</ul>\n</section>\n");
    }
    if !report.runtimes.is_empty() {
        out.push_str("<section id=\"runtimes\">\n<h2>Runtimes</h2>\n<ul>\n");
        for runtime in &report.runtimes {
            let _ = writeln!(out, "<li>{}</li>", escape(&runtime_line(runtime)));
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// `&`, `<`, `>` and both quotes as entities: safe in text and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A message as escaped HTML, its `quoted` parts (paired backticks) as code.
fn prose(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escape(text);
    }
    let mut out = String::with_capacity(text.len());
    for (index, part) in parts.iter().enumerate() {
        if index % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn headline(report: &RunReport) -> &'static str {
    if report.count(Verdict::Error) > 0 {
        "could not run every cell"
    } else if report.count(Verdict::Failed) + report.count(Verdict::SnapshotChanged) > 0 {
        "failed"
    } else {
        "passed"
    }
}

fn summary(out: &mut String, report: &RunReport) {
    let shard = report
        .partition
        .map(|p| format!(" (shard {p})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<p class=\"summary\">{} cells{shard}: {} passed, {} failed, {} snapshot changed, {} errors; \
         {}.</p>",
        report.cells.len(),
        report.count(Verdict::Passed),
        report.count(Verdict::Failed),
        report.count(Verdict::SnapshotChanged),
        report.count(Verdict::Error),
        seconds(report.duration),
    );
}

/// Rows are scenarios (a workspace member's named with it), columns are (database, runtime)
/// pairs grouped by database, both in the order the cells come. One `td` with `data-cell` per cell.
fn grid(out: &mut String, report: &RunReport) {
    let index: HashMap<CellKey, usize> = report
        .cells
        .iter()
        .enumerate()
        .map(|(at, cell)| (cell.key(), at))
        .collect();
    let mut rows: Vec<(Option<&str>, &str)> = Vec::new();
    let mut databases: Vec<(&str, Vec<&str>)> = Vec::new();
    for cell in &report.cells {
        let row = (cell.member.as_deref(), cell.scenario.as_str());
        if !rows.contains(&row) {
            rows.push(row);
        }
        let runtime = cell.runtime.as_str();
        match databases.iter_mut().find(|(d, _)| *d == cell.database) {
            Some((_, runtimes)) if runtimes.contains(&runtime) => {}
            Some((_, runtimes)) => runtimes.push(runtime),
            None => databases.push((&cell.database, vec![runtime])),
        }
    }
    out.push_str("<section id=\"matrix\">\n<h2>Matrix</h2>\n");
    out.push_str("<table class=\"grid\">\n<thead>\n<tr><th rowspan=\"2\">scenario</th>");
    for (database, runtimes) in &databases {
        let _ = write!(
            out,
            "<th colspan=\"{}\" class=\"database\">{}</th>",
            runtimes.len(),
            escape(database)
        );
    }
    out.push_str("</tr>\n<tr>");
    for (_, runtimes) in &databases {
        for runtime in runtimes {
            let _ = write!(out, "<th class=\"runtime\">{}</th>", escape(runtime));
        }
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for (member, scenario) in rows {
        out.push_str("<tr><th class=\"scenario\">");
        if let Some(member) = member {
            let _ = write!(out, "<span class=\"member\">{}:</span> ", escape(member));
        }
        out.push_str(&escape(scenario));
        out.push_str("</th>");
        for (database, runtimes) in &databases {
            for runtime in runtimes {
                let wanted = CellKey {
                    member,
                    scenario,
                    database,
                    runtime,
                };
                match index.get(&wanted) {
                    Some(&index) => grid_cell(out, index, &report.cells[index]),
                    None => out.push_str("<td class=\"absent\">·</td>"),
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(
        "<p class=\"legend\"><span class=\"verdict passed\">passed</span> \
         <span class=\"verdict expected\">failed as expected</span> \
         <span class=\"verdict failed\">failed</span> \
         <span class=\"verdict snapshot-changed\">snapshot changed</span> \
         <span class=\"verdict error\">error</span></p>\n</section>\n",
    );
}

fn grid_cell(out: &mut String, index: usize, cell: &CellResult) {
    let title = cell
        .detail
        .as_deref()
        .and_then(|d| d.lines().next())
        .map(|line| format!("{}: {line}", cell.id))
        .unwrap_or_else(|| cell.id.clone());
    let _ = write!(
        out,
        "<td class=\"verdict {}\" data-cell=\"{}\" title=\"{}\">",
        class(cell),
        escape(&cell.id),
        escape(&title)
    );
    let anchor = if is_failure(cell) {
        Some(format!("failure-{index}"))
    } else {
        cell.diff.as_ref().map(|_| format!("diff-{index}"))
    };
    match anchor {
        Some(anchor) => {
            let _ = write!(out, "<a href=\"#{anchor}\">{}</a>", label(cell));
        }
        None => out.push_str(label(cell)),
    }
    out.push_str("</td>");
}

fn diffs(out: &mut String, report: &RunReport) {
    let cells: Vec<(usize, &CellResult)> = report
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.diff.is_some())
        .collect();
    if cells.is_empty() {
        return;
    }
    out.push_str("<section id=\"diffs\">\n<h2>Schema diffs</h2>\n");
    for (index, cell) in cells {
        heading(out, &format!("diff-{index}"), cell);
        detail(out, cell);
        if let (Some(path), Some(note)) = (&cell.snapshot, &cell.snapshot_note) {
            let _ = writeln!(
                out,
                "<p>Snapshot <code>{}</code>: {}.</p>",
                escape(&path.display().to_string()),
                escape(&note.to_string())
            );
        }
        out.push_str("<pre class=\"diff\">");
        for line in cell.diff.as_deref().unwrap_or_default().lines() {
            let kind = if line.starts_with("+++") || line.starts_with("---") {
                "file"
            } else if line.starts_with("@@") {
                "hunk"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else {
                "same"
            };
            let _ = write!(out, "<span class=\"{kind}\">{}\n</span>", escape(line));
        }
        out.push_str("</pre>\n</article>\n");
    }
    if report.count(Verdict::SnapshotChanged) > 0 {
        out.push_str(
            "<p>A changed snapshot's new text is written beside it as <code>.snap.new</code>: \
             run <code>harness review</code> to read it and <code>harness accept</code> to take it.</p>\n",
        );
    }
    out.push_str("</section>\n");
}

fn failures(out: &mut String, report: &RunReport) {
    let cells: Vec<(usize, &CellResult)> = report
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| is_failure(c))
        .collect();
    if cells.is_empty() {
        return;
    }
    out.push_str("<section id=\"failures\">\n<h2>Failures</h2>\n");
    for (index, cell) in cells {
        heading(out, &format!("failure-{index}"), cell);
        detail(out, cell);
        if let Some(info) = &cell.runtime_info {
            let _ = writeln!(
                out,
                "<p>Runtime {}: {}.</p>",
                escape(&info.key),
                escape(&info.describe())
            );
        }
        if !cell.steps.is_empty() {
            out.push_str("<ol class=\"steps\">\n");
            for step in &cell.steps {
                let place = step
                    .at
                    .as_ref()
                    .map(|at| format!(" <span class=\"at\">{}</span>", escape(&at.to_string())))
                    .unwrap_or_default();
                let status = step
                    .status
                    .as_deref()
                    .map(|s| format!(": {}", escape(s)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "<li value=\"{}\" class=\"{}\"><code>{}</code>{place} {}{status}</li>",
                    step.number,
                    if step.ok { "ok" } else { "bad" },
                    escape(&step.label),
                    seconds(step.duration),
                );
            }
            out.push_str("</ol>\n");
        }
        if let Some(tail) = cell.failed_step().and_then(|s| s.output_tail.as_deref()) {
            let _ = writeln!(
                out,
                "<pre class=\"output\">{}</pre>",
                escape(tail.trim_end())
            );
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

fn heading(out: &mut String, anchor: &str, cell: &CellResult) {
    let _ = writeln!(
        out,
        "<article id=\"{anchor}\">\n<h3><code>{}</code> <span class=\"verdict {}\">{}</span></h3>",
        escape(&cell.id),
        class(cell),
        label(cell)
    );
}

fn detail(out: &mut String, cell: &CellResult) {
    if let Some(detail) = &cell.detail {
        let _ = writeln!(out, "<p class=\"text\">{}</p>", prose(detail.trim_end()));
    }
}

fn is_failure(cell: &CellResult) -> bool {
    matches!(cell.verdict, Verdict::Failed | Verdict::Error)
}

fn class(cell: &CellResult) -> &'static str {
    match cell.verdict {
        Verdict::Passed if cell.expected_failure => "expected",
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::SnapshotChanged => "snapshot-changed",
        Verdict::Error => "error",
    }
}

fn label(cell: &CellResult) -> &'static str {
    if cell.expected_failure && cell.verdict == Verdict::Passed {
        "failed as expected"
    } else {
        cell.verdict.label()
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

const STYLE: &str = "
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 1.5rem 2rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; overflow-x: auto; margin: .4rem 0; }
.summary { color: #59636e; margin-top: 0; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
table.grid { border-collapse: collapse; margin: .5rem 0; }
.grid th, .grid td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: center; white-space: nowrap; }
.grid thead th { background: #f6f8fa; }
.grid th.scenario { text-align: left; font-weight: 600; }
.member { color: #59636e; font-weight: 400; }
.grid td.absent { color: #8c959f; }
.grid td a { color: inherit; }
.verdict { font-weight: 600; }
span.verdict { padding: .05rem .45rem; border-radius: 1rem; font-size: 12px; }
.passed { background: #dafbe1; color: #116329; }
.expected { background: #d3f5ee; color: #0b5e4f; }
.failed { background: #ffebe9; color: #a40e26; }
.snapshot-changed { background: #fff1c2; color: #7d4e00; }
.error { background: #eee6ff; color: #5a32a3; }
.legend span { margin-right: .3rem; }
article { margin-bottom: 1.5rem; }
pre.diff span { display: block; }
.diff .add { background: #e6ffec; color: #116329; }
.diff .del { background: #ffebe9; color: #a40e26; }
.diff .hunk { color: #0550ae; font-weight: 600; }
.diff .file { color: #59636e; font-weight: 600; }
.steps { padding-left: 1.6rem; }
.steps .bad { color: #a40e26; font-weight: 600; }
.steps .at { color: #59636e; }
svg.graph { display: block; margin: .4rem 0; }
.graph path { fill: none; stroke: #8c959f; stroke-width: 2; }
.graph circle { fill: #fff; stroke: #0969da; stroke-width: 2; }
.graph .head circle { fill: #0969da; }
.graph text { font: 12.5px ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; fill: #1f2328; }
.graph .head text { font-weight: 600; }
.graph .note { fill: #59636e; font-weight: 400; }
svg.timeline { display: block; margin: .2rem 0 .6rem; }
.timeline text { font: 12px ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; fill: #1f2328; }
.timeline .revision { font-weight: 600; }
.timeline .ms { fill: #59636e; }
.access-exclusive rect, .swatch.access-exclusive { fill: #cf222e; background: #cf222e; }
.write-blocking rect, .swatch.write-blocking { fill: #d4a72c; background: #d4a72c; }
.weak rect, .swatch.weak { fill: #8c959f; background: #8c959f; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: middle; margin: 0 .25rem 0 .6rem; }
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Cause;

    fn cell(scenario: &str, runtime: &str, verdict: Verdict) -> CellResult {
        CellResult {
            id: format!("{scenario}/sqlite/{runtime}"),
            member: None,
            position: 0,
            scenario: scenario.into(),
            database: "sqlite".into(),
            runtime: runtime.into(),
            verdict,
            expected_failure: false,
            cause: None,
            detail: None,
            signature: None,
            steps: Vec::new(),
            snapshot: None,
            snapshot_note: None,
            diff: None,
            runtime_info: None,
            duration: Duration::from_millis(1200),
            tool_time: Duration::ZERO,
            trace: Vec::new(),
        }
    }

    #[test]
    fn text_from_the_run_is_escaped() {
        let mut failed = cell("partial", "python-3.12", Verdict::Failed);
        failed.cause = Some(Cause::StepFailed);
        failed.detail = Some("step 2 failed: <script>alert('x')</script> & \"more\"".into());
        failed.diff = Some("--- a\n+++ b\n@@ table <t> @@\n+  column a&b\n".into());
        let page = render(&RunReport {
            cells: vec![failed],
            ..RunReport::default()
        });
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"),
            "{page}"
        );
        assert!(page.contains("<span class=\"hunk\">@@ table &lt;t&gt; @@\n</span>"));
        assert!(page.contains("<span class=\"add\">+  column a&amp;b\n</span>"));
    }

    #[test]
    fn backticks_in_a_message_are_code() {
        assert_eq!(
            prose("run `harness <x>` then `y`"),
            "run <code>harness &lt;x&gt;</code> then <code>y</code>"
        );
        assert_eq!(prose("one ` alone"), "one ` alone");
    }

    #[test]
    fn the_grid_has_one_cell_per_cell_and_marks_holes() {
        let mut member = cell("fresh", "python-3.12", Verdict::SnapshotChanged);
        member.member = Some("billing".into());
        member.id = "billing:fresh/sqlite/python-3.12".into();
        let report = RunReport {
            cells: vec![
                cell("fresh", "python-3.10", Verdict::Passed),
                cell("fresh", "python-3.12", Verdict::Error),
                member,
            ],
            ..RunReport::default()
        };
        let page = render(&report);
        assert_eq!(page.matches("data-cell=").count(), 3, "{page}");
        assert_eq!(page.matches("class=\"absent\"").count(), 1, "{page}");
        assert!(page.contains("<span class=\"member\">billing:</span> fresh"));
        assert!(
            page.contains("<td class=\"verdict error\" data-cell=\"fresh/sqlite/python-3.12\"")
        );
        assert!(page.contains("<a href=\"#failure-1\">error</a>"));
    }

    #[test]
    fn the_page_names_nothing_outside_itself() {
        let page = render(&RunReport {
            cells: vec![cell("fresh", "python-3.12", Verdict::Passed)],
            ..RunReport::default()
        });
        for outside in [
            "http:", "https:", "src=", "url(", "@import", "<script", "<link",
        ] {
            assert!(!page.contains(outside), "{outside} in {page}");
        }
    }
}
