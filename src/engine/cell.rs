//! Runs one cell: a fresh database, the scenario's steps, the upgrade to the target, the
//! expectations, and the schema rendered for the snapshot phase.

use std::time::{Duration, Instant};

use super::prepare::{Context, info};
use super::{CellResult, StepRecord, Verdict};
use crate::adapters::Action;
use crate::config::{Outcome, RevRef, Scenario, StepKind};
use crate::database::{CellDatabase, Engine};
use crate::introspect::{self, Schema};
use crate::matrix::Cell;
use crate::runtime::PreparedRuntime;
use crate::snapshot::{self, RenderOptions};

/// How many lines of a failing tool's output a report keeps.
pub const TAIL_LINES: usize = 15;

/// A cell's result and, when it got that far, its rendered schema.
pub(super) struct CellRun {
    pub result: CellResult,
    pub rendered: Option<String>,
}

pub(super) async fn run_cell(ctx: &Context, cell: &Cell) -> CellRun {
    let started = Instant::now();
    let scenario = &ctx.config.scenarios[cell.scenario];
    let mut result = CellResult {
        id: cell.id.clone(),
        position: cell.position,
        scenario: scenario.name.clone(),
        database: cell.database.id(),
        runtime: cell.runtime.id(),
        verdict: Verdict::Passed,
        expected_failure: false,
        detail: None,
        steps: Vec::new(),
        snapshot: None,
        snapshot_note: None,
        diff: None,
        runtime_info: None,
        duration: Duration::ZERO,
        tool_time: Duration::ZERO,
    };
    let rendered = match setup(ctx, cell) {
        Err(why) => {
            result.verdict = Verdict::Error;
            result.detail = Some(why);
            None
        }
        Ok((runtime, engine)) => {
            result.runtime_info = Some(info(runtime));
            match engine.create().await {
                Err(err) => {
                    result.verdict = Verdict::Error;
                    result.detail = Some(format!("cannot create the cell's database: {err}"));
                    None
                }
                Ok(database) => {
                    replay(ctx, scenario, runtime, engine, &database, &mut result).await
                }
            }
        }
    };
    result.duration = started.elapsed();
    CellRun { result, rendered }
}

fn setup<'a>(
    ctx: &'a Context,
    cell: &Cell,
) -> Result<(&'a PreparedRuntime, &'a dyn Engine), String> {
    let runtime = match ctx.runtimes.get(&cell.runtime.key()) {
        Some(Ok(runtime)) => runtime,
        Some(Err(why)) => {
            return Err(format!(
                "runtime {} is not available: {}",
                cell.runtime.key(),
                first_line(why)
            ));
        }
        None => return Err(format!("runtime {} was not prepared", cell.runtime.key())),
    };
    let engine = match ctx.engines.get(&cell.database.id()) {
        Some(Ok(engine)) => engine.as_ref(),
        Some(Err(why)) => {
            return Err(format!(
                "database {} is not available: {why}",
                cell.database
            ));
        }
        None => return Err(format!("database {} was not started", cell.database)),
    };
    Ok((runtime, engine))
}

/// Runs the steps and the target upgrade; returns the rendered schema when the cell passed so far.
async fn replay(
    ctx: &Context,
    scenario: &Scenario,
    runtime: &PreparedRuntime,
    engine: &dyn Engine,
    database: &CellDatabase,
    result: &mut CellResult,
) -> Option<String> {
    for (index, step) in scenario.steps.iter().enumerate() {
        let action = match &step.kind {
            StepKind::Upgrade(rev) => Action::Upgrade(rev.value.clone()),
            StepKind::Downgrade(rev) => Action::Downgrade(rev.value.clone()),
            StepKind::Stamp(revs) => Action::Stamp(revs.iter().map(|r| r.value.clone()).collect()),
            StepKind::Sql { sql, .. } => {
                let started = Instant::now();
                let outcome = engine.execute(database, sql).await;
                let mut record = record(
                    index + 1,
                    step.kind.label(),
                    Some(step.at.clone()),
                    started.elapsed(),
                );
                if let Err(err) = outcome {
                    record.ok = false;
                    record.status = Some("SQL error".into());
                    record.output_tail = Some(err.to_string());
                    fail_at(result, record, Verdict::Failed);
                    return None;
                }
                result.steps.push(record);
                continue;
            }
        };
        let record = tool_step(
            ctx,
            runtime,
            database,
            &action,
            index + 1,
            step.kind.label(),
            Some(step.at.clone()),
            result,
        )
        .await;
        if !record.ok {
            fail_at(result, record, Verdict::Failed);
            return None;
        }
        result.steps.push(record);
    }

    let target = Action::Upgrade(scenario.target.value.clone());
    let label = format!("upgrade {} (target)", scenario.target.value);
    let number = scenario.steps.len() + 1;
    let target_at = (scenario.target.value != "head" || scenario.target.at.line != 1)
        .then(|| scenario.target.at.clone());
    let record = tool_step(
        ctx, runtime, database, &target, number, label, target_at, result,
    )
    .await;
    let upgraded = record.ok;
    match (scenario.expect.outcome, upgraded) {
        (Outcome::Success, false) => {
            fail_at(result, record, Verdict::Failed);
            return None;
        }
        (Outcome::Failure, true) => {
            result.steps.push(record);
            result.verdict = Verdict::Failed;
            result.detail =
                Some("the scenario expects the upgrade to fail, but it succeeded".into());
            return None;
        }
        (Outcome::Failure, false) => {
            let error = record
                .output_tail
                .as_deref()
                .map(error_line)
                .unwrap_or_default();
            result.detail = Some(format!("failed as expected: {error}"));
            result.expected_failure = true;
            result.steps.push(record);
        }
        (Outcome::Success, true) => result.steps.push(record),
    }

    let schema = match introspect::inspect(database, &ctx.config.project.version_table).await {
        Ok(schema) => schema,
        Err(err) => {
            result.verdict = Verdict::Error;
            result.detail = Some(err.to_string());
            return None;
        }
    };
    if upgraded
        && let Some(expected) = &scenario.expect.version
        && let Err(why) = check_version(ctx, &schema, expected)
    {
        result.verdict = Verdict::Failed;
        result.detail = Some(why);
        return None;
    }
    scenario.snapshot.enabled.then(|| {
        snapshot::render(
            &schema,
            RenderOptions {
                version_table: scenario.snapshot.version_table,
            },
        )
    })
}

#[allow(clippy::too_many_arguments)]
async fn tool_step(
    ctx: &Context,
    runtime: &PreparedRuntime,
    database: &CellDatabase,
    action: &Action,
    number: usize,
    label: String,
    at: Option<crate::config::Location>,
    result: &mut CellResult,
) -> StepRecord {
    let started = Instant::now();
    let outcome = ctx.adapter.run(runtime, &database.url, action).await;
    let mut step = record(number, label, at, started.elapsed());
    match outcome {
        Ok(output) => {
            result.tool_time += output.duration;
            if !output.success() {
                step.ok = false;
                step.status = Some(output.status_text());
                step.output_tail = Some(output.excerpt(&ctx.config.project.dir, TAIL_LINES));
            }
        }
        Err(err) => {
            step.ok = false;
            step.status = Some("could not run".into());
            step.output_tail = Some(err.to_string());
        }
    }
    step
}

fn record(
    number: usize,
    label: String,
    at: Option<crate::config::Location>,
    duration: Duration,
) -> StepRecord {
    StepRecord {
        number,
        label,
        at,
        ok: true,
        duration,
        status: None,
        output_tail: None,
    }
}

fn fail_at(result: &mut CellResult, step: StepRecord, verdict: Verdict) {
    let mut detail = format!("step {} `{}` failed", step.number, step.label);
    if let Some(status) = &step.status {
        detail.push_str(&format!(" ({status})"));
    }
    result.detail = Some(detail);
    result.verdict = verdict;
    result.steps.push(step);
}

fn check_version(ctx: &Context, schema: &Schema, expected: &[RevRef]) -> Result<(), String> {
    let mut want: Vec<String> = Vec::new();
    for rev in expected {
        if rev.value == "head" || rev.value == "heads" {
            let graph = ctx.graph.as_ref().ok_or(
                "`head` in expect.version needs the revision graph, which Alembic could not load",
            )?;
            want.extend(graph.heads.iter().cloned());
        } else {
            want.push(rev.value.clone());
        }
    }
    want.sort();
    want.dedup();
    let mut have: Vec<String> = schema
        .version_table
        .as_ref()
        .map(|v| v.rows.clone())
        .unwrap_or_default();
    have.sort();
    if have == want {
        Ok(())
    } else {
        Err(format!(
            "version table holds [{}], expected [{}]",
            have.join(", "),
            want.join(", ")
        ))
    }
}

/// The line of a tool's output that names the error: the last `dotted.Name: message` line (how
/// Python prints an exception), else the last non-empty line.
fn error_line(output: &str) -> String {
    let is_exception = |line: &&str| {
        line.split_once(": ").is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
    };
    output
        .lines()
        .rev()
        .find(is_exception)
        .or_else(|| output.lines().rev().find(|line| !line.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
