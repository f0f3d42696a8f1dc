//! The JUnit XML report (`--report junit=PATH`), for CI systems that show test results: one test
//! suite per scenario (per member and scenario in a workspace), one test case per cell. `failed` and `snapshot changed` are failures, `error`
//! is an error; the failure text holds the failed step, the tool's last lines and the schema diff.

use std::fmt::Write;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::outcome::{CellResult, RunReport, Verdict};

/// The report as JUnit XML. No timestamps: the same results always give the same bytes.
pub fn render(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut junit = Report::new("harness");
    junit.set_time(report.duration);
    let mut suites: Vec<TestSuite> = Vec::new();
    for cell in &report.cells {
        let name = suite_name(cell);
        let index = match suites.iter().position(|s| s.name.as_str() == name) {
            Some(index) => index,
            None => {
                suites.push(TestSuite::new(name));
                suites.len() - 1
            }
        };
        let suite = &mut suites[index];
        suite.add_test_case(test_case(cell));
        let time = suite.time.unwrap_or_default() + cell.duration;
        suite.set_time(time);
    }
    junit.add_test_suites(suites);
    junit.to_string()
}

/// One suite per scenario, a workspace member's named with it (`billing:fresh`): members whose
/// scenarios share a name stay apart.
fn suite_name(cell: &CellResult) -> String {
    match &cell.member {
        Some(member) => format!("{member}:{}", cell.scenario),
        None => cell.scenario.clone(),
    }
}

fn test_case(cell: &CellResult) -> TestCase {
    let status = match cell.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Failed | Verdict::SnapshotChanged | Verdict::Error => {
            let kind = if cell.verdict == Verdict::Error {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            };
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_type(cell.verdict.label())
                .set_message(
                    cell.detail
                        .clone()
                        .unwrap_or_else(|| cell.verdict.label().into()),
                )
                .set_description(description(cell));
            status
        }
    };
    let mut case = TestCase::new(cell.id.as_str(), status);
    case.set_classname(format!("{}.{}", suite_name(cell), cell.database))
        .set_time(cell.duration);
    let mut out = String::new();
    if cell.expected_failure
        && let Some(detail) = &cell.detail
    {
        let _ = writeln!(out, "{detail}");
    }
    if let (Some(path), Some(note)) = (&cell.snapshot, &cell.snapshot_note) {
        let _ = writeln!(out, "snapshot {} ({note})", path.display());
    }
    if !out.is_empty() {
        case.set_system_out(out);
    }
    case
}

fn description(cell: &CellResult) -> String {
    let mut text = String::new();
    if let Some(detail) = &cell.detail {
        let _ = writeln!(text, "{detail}");
    }
    if let Some(info) = &cell.runtime_info {
        let _ = writeln!(
            text,
            "runtime: {} {} ({})",
            info.key,
            info.version,
            info.interpreter.display()
        );
    }
    if let Some(step) = cell.failed_step() {
        let place = step
            .at
            .as_ref()
            .map(|at| format!(" at {at}"))
            .unwrap_or_default();
        let _ = writeln!(text, "failed step {}: {}{place}", step.number, step.label);
        if let Some(tail) = &step.output_tail {
            let _ = writeln!(text, "output (last lines):\n{}", tail.trim_end());
        }
    }
    if let Some(diff) = &cell.diff {
        let _ = writeln!(text, "schema diff:\n{}", diff.trim_end());
    }
    text
}
