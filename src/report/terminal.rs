//! The plain-text report: one line per cell in matrix order, then the details of every cell that
//! did not pass (which step, where, the tool's last lines, the schema diff), then a summary line.

use std::fmt::Write;
use std::time::Duration;

use crate::engine::EngineSummary;
use crate::outcome::{CellResult, RunReport, RuntimeSummary, Verdict};

/// The whole report.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {}", indent_rest(warning));
    }
    let width = report.cells.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for cell in &report.cells {
        out.push_str(&cell_line(cell, width));
        out.push('\n');
    }
    for cell in report
        .cells
        .iter()
        .filter(|c| c.verdict != Verdict::Passed || c.diff.is_some())
    {
        out.push('\n');
        out.push_str(&details(cell));
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
    for cell in &report.cells {
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
pub fn cell_line(cell: &CellResult, width: usize) -> String {
    let mut line = format!("{:<width$}  {:<16}", cell.id, cell.verdict.label());
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

fn details(cell: &CellResult) -> String {
    let mut out = format!("--- {}: {}\n", cell.id, cell.verdict.label());
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
        let _ = writeln!(out, "  failed step {}: {}{place}", step.number, step.label);
        if let Some(tail) = &step.output_tail {
            let _ = writeln!(out, "  output (last lines):");
            for line in tail.lines() {
                let _ = writeln!(out, "    | {line}");
            }
        }
    }
    if let Some(diff) = &cell.diff {
        let _ = writeln!(out, "  diff:");
        for line in diff.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

fn summary(report: &RunReport) -> String {
    let counts = [
        (Verdict::Passed, "passed"),
        (Verdict::Failed, "failed"),
        (Verdict::SnapshotChanged, "snapshot changed"),
        (Verdict::Error, "errors"),
    ]
    .iter()
    .map(|(verdict, words)| format!("{} {words}", report.count(*verdict)))
    .collect::<Vec<_>>()
    .join(", ");
    format!(
        "{} cells: {counts}  {}\n",
        report.cells.len(),
        seconds(report.duration)
    )
}

/// `python:3.12  3.12.1  /root/.pyenv/versions/3.12.1/bin/python3.12 (pyenv)  environment cached`
pub fn runtime_line(summary: &RuntimeSummary) -> String {
    match &summary.outcome {
        Ok((info, reused, took)) => match &info.image {
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
            indent_rest(why)
        ),
    }
}

/// `engine postgres:17: container, image postgres:17 (official flavour, from default), PostgreSQL 17.2, ready in 2.10s`
pub fn engine_line(summary: &EngineSummary) -> String {
    match &summary.outcome {
        Ok(info) => {
            let mut line = format!("engine {}: {}", summary.database, info.backend);
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
            "engine {}: not available: {}",
            summary.database,
            indent_rest(why)
        ),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

fn indent_rest(text: &str) -> String {
    text.replace('\n', "\n  ")
}
