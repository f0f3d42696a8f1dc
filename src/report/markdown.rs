//! The Markdown summary (`$GITHUB_STEP_SUMMARY`, `--report markdown=PATH`): a headline, a grid of
//! scenarios x (database, runtime) with each cell's verdict, then the schema diffs, then the failures
//! with the failed step and the tool's last lines.

use std::fmt::Write;

use crate::outcome::{CellKey, CellResult, RunReport, Verdict};

/// The summary as GitHub-flavoured Markdown.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    headline(&mut out, report);
    grid(&mut out, report);

    let diffs: Vec<&CellResult> = report.cells.iter().filter(|c| c.diff.is_some()).collect();
    if !diffs.is_empty() {
        out.push_str("\n### Schema diffs\n");
        for cell in diffs {
            let _ = writeln!(out, "\n#### `{}`: {}\n", cell.id, mark(cell));
            if let Some(detail) = &cell.detail {
                detail_block(&mut out, detail);
            }
            if let (Some(path), Some(note)) = (&cell.snapshot, &cell.snapshot_note) {
                let _ = writeln!(out, "Snapshot `{}`: {note}.\n", path.display());
            }
            fenced(&mut out, "diff", cell.diff.as_deref().unwrap_or_default());
        }
        if report.count(Verdict::SnapshotChanged) > 0 {
            out.push_str(
                "\nA changed snapshot's new text is written beside it as `.snap.new`: copy those files \
                 into the repository and run `harness accept` to take them.\n",
            );
        }
    }

    let failures: Vec<&CellResult> = report
        .cells
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Failed | Verdict::Error))
        .collect();
    if !failures.is_empty() {
        out.push_str("\n### Failures\n");
        for cell in failures {
            let _ = writeln!(out, "\n#### `{}`: {}\n", cell.id, mark(cell));
            if let Some(detail) = &cell.detail {
                detail_block(&mut out, detail);
            }
            if let Some(info) = &cell.runtime_info {
                let _ = writeln!(out, "Runtime: {} {}.\n", info.key, info.version);
            }
            if let Some(step) = cell.failed_step() {
                let place = step
                    .at
                    .as_ref()
                    .map(|at| format!(" (`{at}`)"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "Failed step {}: `{}`{place}.\n",
                    step.number, step.label
                );
                if let Some(tail) = &step.output_tail {
                    fenced(&mut out, "text", tail);
                }
            }
        }
    }
    locks(&mut out, report);
    runtimes(&mut out, report);
    if !report.warnings.is_empty() {
        out.push_str("\n### Warnings\n\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "- {}", one_line(warning));
        }
    }
    out
}

/// The `locks` cells' statements that blocked writes on an existing table or rewrote one, one
/// table per cell: what a pull request's reviewer reads before merging.
fn locks(out: &mut String, report: &RunReport) {
    let traced = report.traced_cells();
    if traced.is_empty() {
        return;
    }
    out.push_str("\n### Locks and rewrites\n");
    for cell in traced {
        let _ = writeln!(out, "\n#### `{}`: {}\n", cell.id, mark(cell));
        let rows: Vec<String> = cell
            .trace
            .iter()
            .filter_map(|statement| {
                let locks: Vec<String> = statement
                    .locks
                    .iter()
                    .filter(|l| crate::outcome::WRITE_BLOCKING_LOCKS.contains(&l.mode.as_str()))
                    .map(|l| {
                        format!(
                            "{} on {} {:.0} ms{}",
                            crate::outcome::lock_mode_name(&l.mode),
                            l.relation,
                            l.held_ms,
                            statement.at_rows(&l.relation)
                        )
                    })
                    .collect();
                let rewrites: Vec<String> = statement
                    .rewrites
                    .iter()
                    .map(|r| format!("{r}{}", statement.at_rows(r)))
                    .collect();
                if locks.is_empty() && statement.rewrites.is_empty() {
                    return None;
                }
                let place = match (&statement.file, statement.line) {
                    (Some(file), Some(line)) => {
                        let name = std::path::Path::new(file)
                            .file_name()
                            .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
                        format!("{name}:{line}")
                    }
                    _ => String::new(),
                };
                let mut sql: String = statement.sql.chars().take(60).collect();
                if statement.sql.chars().count() > 60 {
                    sql.push_str("...");
                }
                Some(format!(
                    "| {} | {place} | `{}` | {} | {} |",
                    statement.revision.as_deref().unwrap_or(""),
                    sql.replace('|', "\\|").replace('`', "'"),
                    locks.join(", "),
                    rewrites.join(", ")
                ))
            })
            .collect();
        if rows.is_empty() {
            out.push_str(
                "No revision took a lock that blocks writes on an existing table, or rewrote one.\n",
            );
            continue;
        }
        out.push_str("| revision | line | statement | locks that block writes | rewrites |\n");
        out.push_str("|---|---|---|---|---|\n");
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
    }
}

fn headline(out: &mut String, report: &RunReport) {
    let verdict = if report.count(Verdict::Error) > 0 {
        "could not run every cell"
    } else if report.count(Verdict::Failed) + report.count(Verdict::SnapshotChanged) > 0 {
        "failed"
    } else {
        "passed"
    };
    let _ = writeln!(out, "## harness: {verdict}\n");
    let not_run = if report.not_run.is_empty() {
        String::new()
    } else {
        format!("; {} not run", report.not_run.len())
    };
    let _ = writeln!(
        out,
        "{} cells: {} passed, {} failed, {} snapshot changed, {} errors{not_run}.\n",
        report.cells.len(),
        report.count(Verdict::Passed),
        report.count(Verdict::Failed),
        report.count(Verdict::SnapshotChanged),
        report.count(Verdict::Error),
    );
}

/// Rows are scenarios (a workspace member's named with it: `billing: fresh`), columns are
/// (database, runtime) pairs, both in the order the cells come.
fn grid(out: &mut String, report: &RunReport) {
    let mut scenarios: Vec<(Option<&str>, &str)> = Vec::new();
    let mut columns: Vec<(&str, &str)> = Vec::new();
    for cell in &report.cells {
        let row = (cell.member.as_deref(), cell.scenario.as_str());
        if !scenarios.contains(&row) {
            scenarios.push(row);
        }
        let column = (cell.database.as_str(), cell.runtime.as_str());
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    out.push_str("| scenario |");
    for (database, runtime) in &columns {
        let _ = write!(out, " {database} · {runtime} |");
    }
    out.push_str("\n|---|");
    for _ in &columns {
        out.push_str("---|");
    }
    out.push('\n');
    for (member, scenario) in scenarios {
        let key = |database, runtime| CellKey {
            member,
            scenario,
            database,
            runtime,
        };
        let _ = write!(out, "| {} |", key("", "").scenario_label());
        for (database, runtime) in &columns {
            let wanted = key(database, runtime);
            let found = report.cells.iter().find(|c| c.key() == wanted);
            let _ = write!(out, " {} |", found.map_or_else(|| "·".to_string(), mark));
        }
        out.push('\n');
    }
}

fn mark(cell: &CellResult) -> String {
    match cell.verdict {
        Verdict::Passed if cell.expected_failure => "✅ failed as expected".into(),
        Verdict::Passed => "✅ passed".into(),
        Verdict::Failed => "❌ failed".into(),
        Verdict::SnapshotChanged => "📸 snapshot changed".into(),
        Verdict::Error => "⚠️ error".into(),
    }
}

/// A code block whose fence is longer than any run of backticks inside.
fn fenced(out: &mut String, language: &str, text: &str) {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{language}\n{}\n{fence}", text.trim_end());
}

/// A detail's first line as text; the lines under it (an interpreter search list, an installer's
/// error lines) in a block, whole.
fn detail_block(out: &mut String, detail: &str) {
    let mut lines = detail.trim_end().lines();
    let first = lines.next().unwrap_or_default();
    let _ = writeln!(out, "{}\n", first.trim());
    let rest: Vec<&str> = lines.collect();
    if !rest.is_empty() {
        fenced(out, "text", &rest.join("\n"));
    }
}

/// Each runtime's interpreter and the versions of the packages that decide how migrations behave.
fn runtimes(out: &mut String, report: &RunReport) {
    let ready: Vec<&crate::outcome::RuntimeInfo> = report
        .runtimes
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok().map(|ready| &ready.info))
        .collect();
    if ready.is_empty() {
        return;
    }
    out.push_str("\n### Runtimes\n\n| runtime | Python | packages |\n|---|---|---|\n");
    for info in ready {
        let packages: Vec<String> = info
            .key_packages()
            .iter()
            .map(|(name, version)| format!("{name} {version}"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            info.key,
            info.version,
            if packages.is_empty() {
                "unknown".to_string()
            } else {
                packages.join(", ")
            }
        );
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
