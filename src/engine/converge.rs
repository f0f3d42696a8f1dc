//! Convergence, after every cell ran: a scenario that expects success must end with the same schema
//! as its reference scenario (`fresh` by default) on the same database and runtime; a reproduced
//! divergence (`diverges_from`) must differ. This is what catches "15 tables instead of 28".

use super::seen::Seen;
use super::step::CellRun;
use crate::config::Outcome;
use crate::outcome::{Cause, Verdict};
use crate::snapshot;

/// `partial`: the run stopped early (`--fail-fast`), so a reference that did not run is no error.
pub(super) fn converge(runs: &mut [CellRun], partial: bool) {
    for index in 0..runs.len() {
        let run = &runs[index];
        let (reference, must_differ) = match (&run.expect.converges_with, &run.expect.diverges_from)
        {
            (_, Some(name)) => (name.clone(), true),
            (Some(_), None) if run.expect.outcome == Outcome::Failure => continue,
            (Some(name), None) => (name.clone(), false),
            (None, None) => continue,
        };
        if run.result.verdict != Verdict::Passed
            || run.schema.is_none()
            || run.result.scenario == reference
        {
            continue;
        }
        let other = runs.iter().position(|other| {
            other.result.scenario == reference
                && other.result.database == run.result.database
                && other.result.runtime == run.result.runtime
        });
        let outcome = match other {
            None if partial => continue,
            None => Err((
                Verdict::Error,
                format!("`{reference}` did not run on this database and runtime"),
                None,
            )),
            Some(other) => match (&runs[other].schema, &runs[index].schema) {
                (Some(expected), Some(actual)) => {
                    let same = expected == actual;
                    let tables = table_summary(expected, actual, &reference);
                    let diff = (!same).then(|| {
                        snapshot::diff(
                            &expected.text,
                            &actual.text,
                            &format!("{reference} (fresh schema)"),
                            &run.result.scenario,
                        )
                    });
                    match (must_differ, same) {
                        (false, true) => Ok(None),
                        (false, false) => Err((
                            Verdict::Failed,
                            format!(
                                "the schema differs from `{reference}` on the same database and runtime{tables}"
                            ),
                            diff,
                        )),
                        (true, true) => Err((
                            Verdict::Failed,
                            format!(
                                "expected the schema to differ from `{reference}`, but it is the same"
                            ),
                            None,
                        )),
                        (true, false) => Ok(diff.map(|d| {
                            (format!("differs from `{reference}` as expected{tables}"), d)
                        })),
                    }
                }
                _ => Err((
                    Verdict::Failed,
                    format!(
                        "cannot compare with `{reference}`: it did not pass on this database and runtime"
                    ),
                    None,
                )),
            },
        };
        let run = &mut runs[index];
        match outcome {
            Ok(None) => {}
            Ok(Some((note, diff))) => {
                run.result.detail = Some(match run.result.detail.take() {
                    Some(previous) => format!("{note}; {previous}"),
                    None => note,
                });
                run.result.diff = Some(diff);
            }
            Err((verdict, detail, diff)) => {
                run.result.verdict = verdict;
                run.result.cause = Some(if verdict == Verdict::Error {
                    Cause::Infrastructure
                } else {
                    Cause::Convergence
                });
                run.result.detail = Some(match &run.since_ref {
                    Some(changes) if verdict == Verdict::Failed => format!("{detail}; {changes}"),
                    _ => detail,
                });
                run.result.diff = diff;
                run.rendered = None;
            }
        }
    }
}

/// `: tables only in `fresh`: a, b; tables only here: c`, or nothing when both have the same tables.
fn table_summary(expected: &Seen, actual: &Seen, reference: &str) -> String {
    let tables =
        |seen: &Seen| -> Vec<String> { seen.model.tables.iter().map(|t| t.name.clone()).collect() };
    super::seen::only_each(
        &tables(expected),
        &tables(actual),
        &format!("tables only in `{reference}`"),
        "tables only here",
    )
}
