//! The plain-text report: one line per cell in matrix order, then the details of every cell that
//! did not pass (which step, where, the tool's last lines, the schema diff), then a summary line.

use std::fmt::Write;
use std::time::Duration;

use crate::outcome::{CellResult, RunReport, RuntimeSummary, Verdict};
use crate::report::colour::Palette;
use crate::report::words;

/// The whole report, without colour.
pub fn render(report: &RunReport) -> String {
    render_with(report, Palette::new(false))
}

/// The whole report, verdicts and diffs painted with `palette`.
pub fn render_with(report: &RunReport, palette: Palette) -> String {
    let mut out = String::new();
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {}", indent_rest(warning));
    }
    let width = report.cells.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for cell in &report.cells {
        out.push_str(&painted_line(cell, width, palette));
        out.push('\n');
    }
    // Cells that failed the same way (same verdict, step, error lines and diff once paths and
    // names that differ per runtime are set aside) are described once, with the list of cells.
    let mut groups: Vec<(String, Vec<&CellResult>)> = Vec::new();
    for cell in report
        .cells
        .iter()
        .filter(|c| c.verdict != Verdict::Passed || c.diff.is_some())
    {
        let key = cause_key(cell);
        match groups.iter_mut().find(|(seen, _)| *seen == key) {
            Some((_, cells)) => cells.push(cell),
            None => groups.push((key, vec![cell])),
        }
    }
    // A diff already shown for another group (fresh, partial and roundtrip often end the same) is
    // named, not repeated.
    let mut shown: Vec<(String, &str)> = Vec::new();
    for (_, cells) in groups {
        out.push('\n');
        let body = cells[0].diff.as_deref().map(diff_body);
        let earlier = body
            .as_ref()
            .and_then(|body| shown.iter().find(|(seen, _)| seen == body))
            .map(|(_, id)| *id);
        out.push_str(&details_with(cells[0], palette, earlier));
        if let Some(body) = body
            && earlier.is_none()
        {
            shown.push((body, cells[0].id.as_str()));
        }
        if cells.len() > 1 {
            let others: Vec<&str> = cells[1..].iter().map(|c| c.id.as_str()).collect();
            let _ = writeln!(
                out,
                "  the same on {}: {}",
                words::plural(others.len(), "more cell"),
                words::list_cut(&others, 8)
            );
        }
    }
    let divergent = divergence(report);
    if !divergent.is_empty() {
        out.push('\n');
        out.push_str(&divergent);
    }
    out.push('\n');
    out.push_str(&summary(report));
    out
}

/// How a cell's upgrade ended, for comparing runtimes: `passed`, `failed as expected`, `failed`...
fn outcome(cell: &CellResult) -> &'static str {
    if cell.expected_failure {
        "failed (expected)"
    } else {
        cell.verdict.label()
    }
}

/// The (scenario, database) groups whose runtimes did not end the same way, each with the runtimes
/// side by side and the last lines of every runtime that failed.
pub fn divergence(report: &RunReport) -> String {
    // Groups never mix workspace members whose scenarios share a name.
    let mut groups: Vec<(String, &str, Vec<&CellResult>)> = Vec::new();
    // A cell whose runtime never ran (an interpreter that is missing, an environment that did not
    // install) says nothing of how that runtime ends the scenario: its error is reported on its own.
    let ran = |cell: &&CellResult| !(cell.verdict == Verdict::Error && cell.runtime_info.is_none());
    for cell in report.cells.iter().filter(ran) {
        let scenario = match &cell.member {
            Some(member) => format!("{member}:{}", cell.scenario),
            None => cell.scenario.clone(),
        };
        match groups
            .iter_mut()
            .find(|(s, d, _)| *s == scenario && *d == cell.database)
        {
            Some((_, _, cells)) => cells.push(cell),
            None => groups.push((scenario, &cell.database, vec![cell])),
        }
    }
    let mut out = String::new();
    for (scenario, database, cells) in groups {
        if cells.iter().all(|c| outcome(c) == outcome(cells[0])) {
            continue;
        }
        if out.is_empty() {
            out.push_str("runtimes disagree (same scenario, same database):\n");
        }
        let side_by_side = cells
            .iter()
            .map(|c| format!("{} {}", c.runtime, outcome(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "  {scenario} on {database}: {side_by_side}");
        // What the runtimes' environments hold differently may be why.
        let infos: Vec<&crate::outcome::RuntimeInfo> = cells
            .iter()
            .filter_map(|c| c.runtime_info.as_ref())
            .filter_map(|info| {
                report
                    .runtimes
                    .iter()
                    .find(|r| r.key == info.key)
                    .and_then(|r| r.outcome.as_ref().ok().map(|ready| &ready.info))
            })
            .collect();
        if infos.len() > 1 {
            let differing = crate::outcome::RuntimeInfo::differing_packages(&infos);
            if !differing.is_empty() {
                let keys: Vec<&str> = infos.iter().map(|i| i.key.as_str()).collect();
                let listed: Vec<String> = differing
                    .iter()
                    .map(|(name, versions)| format!("{name} {}", versions.join(" / ")))
                    .collect();
                let _ = writeln!(
                    out,
                    "    packages that differ ({}): {}",
                    keys.join(" / "),
                    words::list_cut(&listed, 12)
                );
            }
        }
        for cell in cells.iter().filter(|c| outcome(c) != "passed") {
            let step = cell
                .steps
                .iter()
                .rev()
                .find(|step| step.output_tail.is_some());
            if let Some(tail) = step.and_then(|step| step.output_tail.as_deref()) {
                let _ = writeln!(out, "    {}:", cell.runtime);
                for line in crate::process::tail(tail, 4).lines() {
                    let _ = writeln!(out, "      | {line}");
                }
            }
        }
    }
    out
}

/// `partial/sqlite/python-3.12  passed  snapshots/partial/sqlite.snap (matches)  1.20s`
fn painted_line(cell: &CellResult, width: usize, palette: Palette) -> String {
    let verdict = palette.verdict(&format!("{:<16}", cell.verdict.label()));
    let mut line = format!("{:<width$}  {verdict}", cell.id);
    match (&cell.snapshot, &cell.snapshot_note) {
        (Some(path), Some(note)) => {
            let _ = write!(line, "  {} ({note})", path.display());
        }
        (Some(path), None) => {
            let _ = write!(line, "  {}", path.display());
        }
        _ => {}
    }
    if cell.verdict == Verdict::Passed
        && let Some(detail) = &cell.detail
    {
        let _ = write!(line, "  {detail}");
    }
    let _ = write!(line, "  {}", seconds(cell.duration));
    line
}

/// A diff without its `---`/`+++` lines, which name the two sides (a scenario, a snapshot file).
fn diff_body(diff: &str) -> String {
    diff.lines()
        .filter(|line| !line.starts_with("--- ") && !line.starts_with("+++ "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// With `same_diff_as`, a cell above that showed the same diff, the diff is named, not repeated.
fn details_with(cell: &CellResult, palette: Palette, same_diff_as: Option<&str>) -> String {
    let mut out = format!(
        "--- {}: {}\n",
        cell.id,
        palette.verdict(cell.verdict.label())
    );
    if let Some(detail) = &cell.detail {
        let _ = writeln!(out, "  {}", indent_rest(detail));
    }
    if let Some(info) = &cell.runtime_info {
        let _ = writeln!(out, "  runtime: {} {}", info.key, info.describe());
    }
    if let Some(step) = cell.failed_step() {
        let place = step
            .at
            .as_ref()
            .map(|at| format!(" at {at}"))
            .unwrap_or_default();
        // The detail usually says which step failed already: then only where it is written.
        let named = cell
            .detail
            .as_deref()
            .is_some_and(|d| d.contains(&format!("step {} `{}`", step.number, step.label)));
        if !named {
            let _ = writeln!(out, "  failed step {}: {}{place}", step.number, step.label);
        } else if !place.is_empty() {
            let _ = writeln!(out, "  step {}{place}", step.number);
        }
        if let Some(tail) = &step.output_tail {
            let _ = writeln!(out, "  output (last lines):");
            for line in tail.lines() {
                let _ = writeln!(out, "    | {line}");
            }
        }
    }
    if let (Some(_), Some(other)) = (&cell.diff, same_diff_as) {
        let _ = writeln!(out, "  diff: the same as {other}'s above");
    } else if let Some(diff) = &cell.diff {
        let _ = writeln!(out, "  diff:");
        for line in diff.lines() {
            let _ = writeln!(out, "    {}", palette.diff_line(line));
        }
    }
    out
}

/// What makes two cells' failures the same: the verdict, the detail, the failed step and its
/// output, the diff; without what differs from one runtime or cell to the next (interpreter and
/// environment paths, library frames, scratch database and folder names, runtime names).
fn cause_key(cell: &CellResult) -> String {
    // The typed cause, when the harness has one, says it without the text around it.
    // (An exception may still name the cell's scratch database.)
    if let Some(signature) = &cell.signature {
        let key = format!(
            "{}\n{signature}\n{}",
            cell.verdict.label(),
            cell.diff.as_deref().unwrap_or("")
        );
        return varying_parts().replace_all(&key, "*").into_owned();
    }
    let mut text = format!(
        "{}\n{}\n",
        cell.verdict.label(),
        cell.detail.as_deref().unwrap_or("")
    );
    if let Some(step) = cell.failed_step() {
        let _ = writeln!(text, "{}", step.label);
        text.push_str(&traceback_key(step.output_tail.as_deref().unwrap_or("")));
    }
    text.push_str(cell.diff.as_deref().unwrap_or(""));
    varying_parts()
        .replace_all(&text, "*")
        .replace(&cell.runtime, "*")
}

/// A tool's output without what differs between interpreters: library frames (with the code line
/// under them), the lines before the first frame (where the tail was cut) and Python 3.11+'s `^^^`
/// markers. Output with no traceback is kept whole.
fn traceback_key(tail: &str) -> String {
    if !tail
        .lines()
        .any(|line| line.trim_start().starts_with("File \""))
    {
        return tail.to_string();
    }
    let mut key = String::new();
    let mut seen_frame = false;
    let mut skip_code = false;
    for line in tail.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("File \"") {
            seen_frame = true;
            skip_code = trimmed.contains("site-packages")
                || trimmed.contains("<frozen ")
                || trimmed.contains("<string>");
            if skip_code {
                continue;
            }
        } else if !seen_frame {
            continue;
        } else if skip_code {
            skip_code = false;
            continue;
        }
        if trimmed.chars().all(|c| c == '^' || c == '~') {
            continue;
        }
        key.push_str(line);
        key.push('\n');
    }
    key
}

fn varying_parts() -> &'static regex::Regex {
    static VARYING: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    VARYING.get_or_init(|| {
        regex::Regex::new(
            r"python-?\d+\.\d+(\.\d+)?(-[0-9a-f]{16})?|python\d\.\d+|harness_\d+_\d+_\d+|harness-(sqlite|worker)-\d+-\w+|step \d+ ",
        )
        .expect("a valid pattern")
    })
}

fn summary(report: &RunReport) -> String {
    let counts = [
        (Verdict::Passed, "passed"),
        (Verdict::Failed, "failed"),
        (Verdict::SnapshotChanged, "snapshot changed"),
        (Verdict::Error, "errors"),
    ]
    .iter()
    .map(|(verdict, noun)| match (*verdict, report.count(*verdict)) {
        (Verdict::Error, 1) => "1 error".to_string(),
        (_, count) => format!("{count} {noun}"),
    })
    .collect::<Vec<_>>()
    .join(", ");
    let not_run = if report.not_run.is_empty() {
        String::new()
    } else {
        format!("; {} not run", report.not_run.len())
    };
    format!(
        "{}: {counts}{not_run}  {}\n",
        words::plural(report.cells.len(), "cell"),
        seconds(report.duration)
    )
}

/// `python:3.12  3.12.1  /root/.pyenv/versions/3.12.1/bin/python3.12 (pyenv)  environment cached`
pub fn runtime_line(summary: &RuntimeSummary) -> String {
    let mut line = runtime_head(summary);
    if let Ok(crate::outcome::RuntimeReady { info, .. }) = &summary.outcome {
        let packages = info.key_packages();
        if !packages.is_empty() {
            let listed: Vec<String> = packages
                .iter()
                .map(|(name, version)| format!("{name} {version}"))
                .collect();
            let _ = write!(line, "; {}", listed.join(", "));
        }
    }
    line
}

fn runtime_head(summary: &RuntimeSummary) -> String {
    match &summary.outcome {
        Ok(crate::outcome::RuntimeReady {
            info,
            reused,
            setup_time: took,
        }) => match &info.image {
            None => format!(
                "runtime {}: Python {} at {} (found via {}), environment {} {}",
                summary.key,
                info.version,
                info.interpreter.display(),
                info.source,
                if *reused {
                    "reused from cache"
                } else {
                    "created"
                },
                seconds(*took)
            ),
            Some(image) => format!(
                "runtime {}: container, image {image}, Python {} at {}, prepared image {} {}",
                summary.key,
                info.version,
                info.interpreter.display(),
                if *reused {
                    "reused from cache"
                } else {
                    "built"
                },
                seconds(*took)
            ),
        },
        Err(why) => format!(
            "runtime {}: not available: {}",
            summary.key,
            indent_rest(&why.message)
        ),
    }
}

/// `engine postgres:17: container, image postgres:17 (official flavour, from default), PostgreSQL 17.2, ready in 2.10s`
pub fn engine_line(
    database: &str,
    outcome: &Result<crate::database::EngineInfo, impl std::fmt::Display>,
) -> String {
    match outcome {
        Ok(info) => {
            let mut line = format!("engine {database}: {}", info.backend);
            if info.backend != "sqlite" {
                let _ = write!(line, ", {}", info.source);
            }
            if let Some(version) = &info.version {
                let _ = write!(line, ", server {version}");
            }
            let _ = write!(line, ", ready in {}", seconds(info.ready_after));
            line
        }
        Err(why) => format!(
            "engine {database}: not available: {}",
            indent_rest(&why.to_string())
        ),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

fn indent_rest(text: &str) -> String {
    text.replace('\n', "\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn failed(runtime: &str, detail: &str, signature: Option<&str>) -> CellResult {
        CellResult {
            id: format!("fresh/postgres-17/{runtime}"),
            member: None,
            position: 0,
            scenario: "fresh".into(),
            database: "postgres-17".into(),
            runtime: runtime.into(),
            verdict: Verdict::Failed,
            expected_failure: false,
            cause: None,
            detail: Some(detail.into()),
            signature: signature.map(str::to_string),
            steps: Vec::new(),
            snapshot: None,
            snapshot_note: None,
            diff: None,
            runtime_info: None,
            duration: std::time::Duration::ZERO,
            tool_time: std::time::Duration::ZERO,
            trace: Vec::new(),
        }
    }

    #[test]
    fn failures_with_one_typed_cause_are_one_group_whatever_their_text() {
        let a = failed(
            "python-3.10",
            "setting up /venvs/.building-1a2b-x/venv failed",
            Some("upgrade head\nMigratesElsewhere: not the cell's database harness_10_1_1\n"),
        );
        let b = failed(
            "python-3.12",
            "setting up /venvs/.building-9f8e-y/venv failed",
            Some("upgrade head\nMigratesElsewhere: not the cell's database harness_10_2_7\n"),
        );
        assert_eq!(cause_key(&a), cause_key(&b));
        let other = failed(
            "python-3.12",
            "setting up /venvs/.building-9f8e-y/venv failed",
            Some("upgrade head\nKeyError: 'APP_DB'\n"),
        );
        assert_ne!(cause_key(&a), cause_key(&other));
    }

    #[test]
    fn a_diff_shown_for_one_scenario_is_named_for_the_next() {
        let diff = "  table teams\n-   column city VARCHAR(100)\n";
        let mut cells = Vec::new();
        for scenario in ["fresh", "partial", "roundtrip"] {
            let mut cell = failed("python-3.12", "the snapshot changed", None);
            cell.id = format!("{scenario}/sqlite/python-3.12");
            cell.scenario = scenario.into();
            cell.verdict = Verdict::SnapshotChanged;
            cell.detail = Some(format!("snapshots/{scenario}/sqlite.snap changed"));
            cell.diff = Some(format!(
                "--- snapshots/{scenario}/sqlite.snap\n+++ {scenario}\n{diff}"
            ));
            cells.push(cell);
        }
        cells[2].diff = Some("  table teams\n+   column founded INTEGER\n".into());
        let report = RunReport {
            cells,
            ..RunReport::default()
        };
        let text = render_with(&report, Palette::new(false));
        assert_eq!(
            text.matches("column city VARCHAR(100)").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("--- partial/sqlite/python-3.12: snapshot changed")
                && text.contains("  diff: the same as fresh/sqlite/python-3.12's above"),
            "{text}"
        );
        assert!(text.contains("+   column founded INTEGER"), "{text}");
    }
}
