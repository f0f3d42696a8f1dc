//! Runs one cell: a fresh database, the scenario's steps, the upgrade to the target, the
//! expectations that can be checked on the cell alone, and the schema rendered for the snapshot and
//! convergence phase.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engines::Generation;
use super::plan::{Planned, PlannedAction, plan};
use super::prepare::{Context, info};
use super::step::{
    CellError, CellRun, StepRun, execute_with_output, fail, failed_step_detail, nothing_done_help,
};
use crate::adapters::traceback::error_line;
use crate::adapters::{Action, ToolOutcome, ToolRun};
use crate::config::{Expect, Kind, Outcome, RevRef};
use crate::database::{CellDatabase, Engine};
use crate::introspect::{self, Schema};
use crate::matrix::Cell;
use crate::outcome::{Cause, CellResult, StepRecord, Verdict};
use crate::runtime::{PreparedRuntime, Session};
use crate::snapshot::{self, RenderOptions};

pub(super) async fn run_cell(ctx: &Context, cell: &Cell) -> CellRun {
    let started = Instant::now();
    let scenario = &ctx.config.scenarios[cell.scenario];
    let expect = scenario.expect.for_cell(&cell.database, &cell.runtime);
    let mut run = CellRun {
        result: CellResult {
            id: cell.id.clone(),
            member: ctx.config.label.clone(),
            position: cell.position,
            scenario: scenario.name.clone(),
            database: cell.database.id(),
            runtime: cell.runtime.id(),
            verdict: Verdict::Passed,
            cause: None,
            expected_failure: false,
            detail: None,
            signature: None,
            steps: Vec::new(),
            snapshot: None,
            snapshot_note: None,
            diff: None,
            runtime_info: None,
            duration: Duration::ZERO,
            tool_time: Duration::ZERO,
            trace: Vec::new(),
        },
        rendered: None,
        schema: None,
        expect,
        hidden: cell.hidden,
        engine_stopped: None,
        since_ref: scenario
            .from_ref
            .as_ref()
            .and_then(|from| ctx.refs.get(&from.reference))
            .and_then(|tree| tree.changes.clone()),
    };
    let forked = ctx
        .forked
        .iter()
        .find(|(scenario, _)| *scenario == cell.scenario);
    if let Some((_, why)) = forked {
        fail(&mut run.result, Verdict::Failed, Cause::Check, why.clone());
        run.result.duration = started.elapsed();
        return run;
    }
    match setup(ctx, cell) {
        Err(err) => {
            fail(
                &mut run.result,
                Verdict::Error,
                Cause::Infrastructure,
                err.to_string(),
            );
            if let CellError::RuntimeUnavailable { signature, .. } = err {
                run.result.signature = signature;
            }
        }
        Ok((runtime, generation, engine)) => {
            run.result.runtime_info = Some(info(runtime));
            match engine.create().await {
                Err(err) => {
                    let mut why = CellError::CreateDatabase(err).to_string();
                    if let Err(stopped) = engine.responds().await {
                        why = format!("engine {} stopped: {stopped}", cell.database);
                        run.engine_stopped = Some((generation, stopped.to_string()));
                    }
                    fail(&mut run.result, Verdict::Error, Cause::Infrastructure, why)
                }
                Ok(database) => {
                    let database = database.with_services(&ctx.services);
                    let session = Session::new(runtime, Some(&database), cell.id.clone());
                    // The release's own environment, when its requirements differ from today's.
                    let at_ref = scenario
                        .from_ref
                        .as_ref()
                        .and_then(|from| ctx.refs.get(&from.reference))
                        .and_then(|tree| tree.runtimes.get(&cell.runtime.key()));
                    let ref_session = match at_ref {
                        Some(Ok(prepared)) => Some(Session::new(
                            prepared,
                            Some(&database),
                            format!("{}-at-ref", cell.id),
                        )),
                        _ => None,
                    };
                    if let Some(Err(why)) = at_ref {
                        fail(
                            &mut run.result,
                            Verdict::Error,
                            Cause::Infrastructure,
                            format!(
                                "the environment of the release's own requirements could not be prepared: {}",
                                why.message.trim_end()
                            ),
                        );
                        run.result.signature = why
                            .signature
                            .as_ref()
                            .map(|s| format!("at the release: {s}"));
                    } else {
                        replay(
                            ctx,
                            cell,
                            &session,
                            ref_session.as_ref(),
                            engine.as_ref(),
                            &database,
                            &mut run,
                        )
                        .await;
                    }
                    if let Some(stopped) = run.engine_stopped.as_mut() {
                        stopped.0 = generation;
                    }
                    session.close().await;
                    if let Some(ref_session) = ref_session {
                        ref_session.close().await;
                    }
                }
            }
        }
    }
    run.result.duration = started.elapsed();
    run
}

fn setup<'a>(
    ctx: &'a Context,
    cell: &Cell,
) -> Result<(&'a PreparedRuntime, Generation, Arc<dyn Engine>), CellError> {
    let runtime = match ctx.runtimes.get(&cell.runtime.key()) {
        Some(Ok(runtime)) => runtime,
        Some(Err(why)) => {
            return Err(CellError::RuntimeUnavailable {
                runtime: cell.runtime.key(),
                why: why.message.trim_end().to_string(),
                signature: why.signature.clone(),
            });
        }
        None => return Err(CellError::RuntimeNotPrepared(cell.runtime.key())),
    };
    let (generation, engine) = match ctx.engines.get(&cell.database.id()) {
        Some((generation, Ok(engine))) => (generation, engine),
        Some((_, Err(why))) => {
            return Err(CellError::DatabaseUnavailable {
                database: cell.database.to_string(),
                why: why.to_string(),
            });
        }
        None => return Err(CellError::DatabaseNotStarted(cell.database.to_string())),
    };
    Ok((runtime, generation, engine))
}

/// Runs the planned steps and the target upgrade, then checks and renders.
async fn replay(
    ctx: &Context,
    cell: &Cell,
    session: &Session<'_>,
    ref_session: Option<&Session<'_>>,
    engine: &dyn Engine,
    database: &CellDatabase,
    run: &mut CellRun,
) {
    let scenario = &ctx.config.scenarios[cell.scenario];
    if matches!(scenario.kind, Kind::Stairway | Kind::ForkOrder) {
        let outcome = super::checks::run(ctx, cell, session, engine, database, run).await;
        settle_check(run, outcome);
        return;
    }
    let Some(planned) = planned_steps(ctx, scenario, run) else {
        return;
    };
    let sessions = (session, ref_session);
    let Some(ran) = run_steps(ctx, cell, sessions, (engine, database), run, planned).await else {
        return;
    };
    if after_steps(ctx, cell, sessions, (engine, database), run, &ran)
        .await
        .is_none()
    {
        return;
    }
    inspect(ctx, cell, (engine, database), run, &ran).await;
}

/// What the steps of a cell came to.
struct Ran {
    /// The cell has an upgrade to a target (the last step).
    has_target: bool,
    /// The revision of that upgrade.
    target_revision: Option<String>,
    /// The steps brought the database to its target (with no target: none failed as expected).
    upgraded: bool,
    /// A step failed, as the scenario expects.
    failed_as_expected: bool,
    /// A `locks` cell's traced statements, in order, and why tracing stopped, if it did.
    traced: (Vec<crate::adapters::TracedStatement>, Option<String>),
    /// The rows each table held when the revision of the statement at the same index began.
    traced_rows: Vec<super::locks::TableRows>,
    /// A `locks` cell's seeding: the tables left empty, each with why.
    left_empty: Vec<String>,
    /// A `rolling` cell's probes before the upgrade.
    probes: super::rolling::Before,
    /// The app migrated its own database as it loaded, with why it was not skipped.
    app_migrated_itself: Option<String>,
}

/// The scenario's steps and target for this cell; `None` when they cannot be planned (the cell is
/// settled as an error).
fn planned_steps(
    ctx: &Context,
    scenario: &crate::config::Scenario,
    run: &mut CellRun,
) -> Option<Planned> {
    let chains: Vec<String> = ctx.chains.iter().map(|c| c.name.clone()).collect();
    match plan(
        scenario,
        ctx.graph.as_ref(),
        ctx.config.project.bootstrap.as_ref(),
        &chains,
    ) {
        Ok(planned) => Some(planned),
        Err(err) => {
            fail(
                &mut run.result,
                Verdict::Error,
                Cause::Infrastructure,
                CellError::Plan(err.0).to_string(),
            );
            None
        }
    }
}

/// Runs the planned steps, the target upgrade last; `None` when a failed step settled the cell.
async fn run_steps(
    ctx: &Context,
    cell: &Cell,
    (session, ref_session): (&Session<'_>, Option<&Session<'_>>),
    (engine, database): (&dyn Engine, &CellDatabase),
    run: &mut CellRun,
    Planned { steps, target }: Planned,
) -> Option<Ran> {
    let has_target = target.is_some();
    let target_revision = target.as_ref().and_then(|step| match &step.action {
        PlannedAction::Tool(Action::Upgrade(revision) | Action::TracedUpgrade(revision)) => {
            Some(revision.clone())
        }
        _ => None,
    });
    let count = steps.len() + usize::from(has_target);
    // With an expected failure, the first step that fails (usually the upgrade to the target, or a
    // command step such as the app's own query) is the failure the scenario reproduces.
    let mut failed_as_expected = false;
    let mut upgraded = false;
    let mut traced: (Vec<crate::adapters::TracedStatement>, Option<String>) = Default::default();
    let mut left_empty: Vec<String> = Vec::new();
    let mut traced_rows = Vec::new();
    let mut app_migrated_itself = None;
    let mut table_rows = super::locks::TableRows::default();
    let mut probes = super::rolling::Before::default();
    // A locks cell fills tables on PostgreSQL: each with its size from `rows_from`, else `rows`.
    let scenario = &ctx.config.scenarios[cell.scenario];
    let seeds = (scenario.rows.is_some() || !scenario.table_rows.is_empty())
        && cell.database.engine == crate::config::EngineKind::Postgres;
    let size = |table: &str| {
        scenario
            .table_rows
            .get(table)
            .copied()
            .or(scenario.rows)
            .unwrap_or_default()
    };
    for (index, step) in steps.into_iter().chain(target).enumerate() {
        // A locks cell fills every empty table before each revision.
        if seeds && matches!(step.action, PlannedAction::Tool(Action::TracedUpgrade(_))) {
            let version_table = ctx.config.project.version_table.as_deref();
            match super::seed::seed(engine, database, version_table, &size).await {
                Ok(seeded) => {
                    for table in seeded.left_empty {
                        if !left_empty.contains(&table) {
                            left_empty.push(table);
                        }
                    }
                    table_rows = std::sync::Arc::new(seeded.rows);
                }
                Err(why) => {
                    fail(
                        &mut run.result,
                        Verdict::Error,
                        Cause::Infrastructure,
                        format!("cannot fill the tables before {}: {why}", step.record.label),
                    );
                    return None;
                }
            }
        }
        let is_target = has_target && index + 1 == count;
        let step_session = match ref_session {
            Some(at_ref) if step.at_ref => at_ref,
            _ => session,
        };
        let StepRun {
            record,
            output,
            worker_lost,
        } = execute_with_output(
            (ctx, cell, step_session),
            (engine, database),
            &step.action,
            (step.record, step.at_ref),
            &mut run.result,
        )
        .await;
        if let Some(tables) = output.as_ref().and_then(|output| output.probed()) {
            let tables = Some(tables.to_vec());
            if step.at_ref {
                probes.release = tables;
            } else {
                probes.today = tables;
            }
        }
        if let Some(output) = &output {
            if app_migrated_itself.is_none() {
                app_migrated_itself = output.app_migrated_itself();
            }
            let (statements, stopped) = output.statements();
            traced_rows.extend(std::iter::repeat_n(table_rows.clone(), statements.len()));
            traced.0.extend(statements.into_iter().cloned());
            if traced.1.is_none() {
                traced.1 = stopped.map(str::to_string);
            }
        }
        if record.ok {
            run.result.steps.push(record);
            upgraded |= is_target;
            continue;
        }
        match failed_step(
            ctx,
            cell,
            session,
            engine,
            run,
            FailedStep {
                record,
                output,
                worker_lost,
                is_target,
                revision: step.revision,
            },
        )
        .await
        {
            StepFailure::AsExpected => {
                failed_as_expected = true;
                break;
            }
            StepFailure::Settled => return None,
        }
    }
    if !has_target {
        upgraded = !failed_as_expected;
    }
    Some(Ran {
        has_target,
        target_revision,
        upgraded,
        failed_as_expected,
        traced,
        traced_rows,
        left_empty,
        probes,
        app_migrated_itself,
    })
}

/// A failure the scenario expects and did not see, and the models check of a `models` scenario;
/// `None` when one of them settled the cell.
async fn after_steps(
    ctx: &Context,
    cell: &Cell,
    sessions: (&Session<'_>, Option<&Session<'_>>),
    (engine, database): (&dyn Engine, &CellDatabase),
    run: &mut CellRun,
    ran: &Ran,
) -> Option<()> {
    let session = sessions.0;
    let kind = ctx.config.scenarios[cell.scenario].kind;
    // A models scenario's expected failure is the check's, which comes next.
    if run.expect.outcome == Outcome::Failure && !ran.failed_as_expected && kind != Kind::Models {
        fail(
            &mut run.result,
            Verdict::Failed,
            Cause::ExpectedFailureMissing,
            "the scenario expects a failure, but every step and the upgrade succeeded".into(),
        );
        return None;
    }
    if kind == Kind::Rolling && ran.upgraded {
        let outcome = super::rolling::after_upgrade(
            ctx,
            cell,
            sessions,
            (engine, database),
            run,
            (&ran.probes, &ran.traced.0),
        )
        .await;
        if settle_check(run, outcome) {
            return None;
        }
    }
    if kind == Kind::Locks && ran.upgraded {
        return locks_verdict(cell, run, ran);
    }
    if kind == Kind::Models && ran.upgraded {
        let outcome = super::checks::models(ctx, cell, session, run).await;
        if matches!(outcome, super::checks::Outcome::Passed(_))
            && run.expect.outcome == Outcome::Failure
        {
            fail(
                &mut run.result,
                Verdict::Failed,
                Cause::ExpectedFailureMissing,
                "the scenario expects a failure, but the models match the schema the migrations build"
                    .into(),
            );
            return None;
        }
        if settle_check(run, outcome) {
            return None;
        }
    }
    Some(())
}

/// A `locks` cell: its traced statements against the scenario's limits; a finding fails the
/// cell, else the cell's detail says what each revision did. `None` when settled as failed.
fn locks_verdict(cell: &Cell, run: &mut CellRun, ran: &Ran) -> Option<()> {
    let (statements, stopped) = &ran.traced;
    let engine = cell.database.engine;
    // Other engines record their statements and rewrites, but no lock.
    let only_rewrites = (engine != crate::config::EngineKind::Postgres).then(|| {
        format!(
            "locks are read on PostgreSQL only: on {}, table rewrites alone",
            cell.database
        )
    });
    if let (true, Some(why)) = (statements.is_empty(), stopped) {
        run.result.detail = Some(format!(
            "the trace stopped: {why}; the revisions ran untraced"
        ));
        return Some(());
    }
    // No revision's upgrade ran in this cell: there is nothing to judge, which must not pass.
    if stopped.is_none() && statements.iter().all(|s| s.revision.is_none()) {
        let why = ran.app_migrated_itself.clone().unwrap_or_else(|| {
            "an app that creates its schema itself when env.py loads it does so before the step"
                .into()
        });
        fail(
            &mut run.result,
            Verdict::Error,
            Cause::Infrastructure,
            format!(
                "nothing was measured: no revision's upgrade ran in this cell, each step found \
                 the database already at its revision: {why}\n  help: set what stops the app \
                 from setting up its database under [project.env], so that the steps run the \
                 revisions one at a time"
            ),
        );
        return None;
    }
    let rows = &ran.traced_rows;
    run.result.trace = statements
        .iter()
        .zip(rows)
        .map(|(statement, rows)| super::locks::kept(statement, rows))
        .collect();
    let found = super::locks::findings(statements, rows, &run.expect.locks, engine);
    if !found.is_empty() {
        fail(
            &mut run.result,
            Verdict::Failed,
            Cause::Expectation,
            format!(
                "{}:\n  {}",
                crate::words::plural(found.len(), "lock finding"),
                found.join("\n  ")
            ),
        );
        return None;
    }
    let mut lines = super::locks::summary(statements, rows);
    if let Some(note) = only_rewrites {
        lines.insert(0, note);
    }
    if let Some(why) = stopped {
        lines.push(format!("the trace stopped: {why}"));
    }
    if !ran.left_empty.is_empty() {
        lines.push(format!("left empty: {}", ran.left_empty.join(", ")));
    }
    run.result.detail = Some(lines.join("; "));
    Some(())
}

/// Reads the cell's schema, checks it (a database left, the version table at the target, the
/// scenario's expectations) and renders its snapshot.
async fn inspect(
    ctx: &Context,
    cell: &Cell,
    (engine, database): (&dyn Engine, &CellDatabase),
    run: &mut CellRun,
    ran: &Ran,
) {
    let scenario = &ctx.config.scenarios[cell.scenario];
    let version_table = ctx.config.project.version_table.as_deref();
    if ran.upgraded
        && ran.has_target
        && let crate::database::Location::SqliteFile(path) = &database.location
        && !path.exists()
    {
        return fail(
            &mut run.result,
            Verdict::Failed,
            Cause::StepFailed,
            format!(
                "the upgrade reported success, but it left no database: nothing created the cell's SQLite file ({}); {}",
                cell.database,
                nothing_done_help(ctx)
            ),
        );
    }
    let schema = match introspect::inspect(database, version_table).await {
        Ok(schema) => schema,
        Err(err) => {
            return fail(
                &mut run.result,
                Verdict::Error,
                Cause::Infrastructure,
                CellError::Introspect(err).to_string(),
            );
        }
    };
    if ran.upgraded
        && ran.has_target
        && let Some(why) = not_at_target(ctx, &schema, ran.target_revision.as_deref())
    {
        return fail(&mut run.result, Verdict::Failed, Cause::StepFailed, why);
    }
    if let Err(why) = check(ctx, engine, database, &schema, &run.expect, ran.upgraded).await {
        return fail(&mut run.result, Verdict::Failed, Cause::Expectation, why);
    }
    if run.expect.drift == Some(true)
        && let Ok((db, heads)) = drift(ctx, &schema)
    {
        let line = format!("drift: db={} expected={}", db.join(","), heads.join(","));
        run.result.detail = Some(match run.result.detail.take() {
            Some(previous) => format!("{line}; {previous}"),
            None => line,
        });
    }
    run.schema = Some(super::seen::Seen::new(schema.clone()));
    if scenario.snapshot.enabled {
        let version_table = scenario.snapshot.version_table && version_table.is_some();
        run.rendered = Some(snapshot::render(&schema, RenderOptions { version_table }));
    }
}

/// A step that failed, as the step loop hands it over.
struct FailedStep {
    record: StepRecord,
    output: Option<ToolRun>,
    worker_lost: bool,
    is_target: bool,
    /// The revision a stepwise step upgrades to.
    revision: Option<String>,
}

/// What a failed step makes of the cell.
enum StepFailure {
    /// The failure the scenario expects: the steps stop, the cell goes on to its checks.
    AsExpected,
    /// The cell's verdict is set.
    Settled,
}

/// Settles a failed step: the infrastructure's (a worker, engine or runtime that stopped), the
/// failure the scenario expects, or the cell's failure with what to change.
async fn failed_step(
    ctx: &Context,
    cell: &Cell,
    session: &Session<'_>,
    engine: &dyn Engine,
    run: &mut CellRun,
    failed: FailedStep,
) -> StepFailure {
    let FailedStep {
        record,
        output,
        worker_lost,
        is_target,
        revision,
    } = failed;
    let scenario = &ctx.config.scenarios[cell.scenario];
    if worker_lost {
        let lost = CellError::WorkerLost {
            step: record.number,
            label: record.label.clone(),
        };
        run.result.steps.push(record);
        fail(
            &mut run.result,
            Verdict::Error,
            Cause::Infrastructure,
            lost.to_string(),
        );
        return StepFailure::Settled;
    }
    // A step that failed because the database engine died is the infrastructure's failure,
    // not the migration's (nor the failure a scenario expects).
    if let Err(why) = engine.responds().await {
        let step_number = record.number;
        run.result.steps.push(record);
        run.engine_stopped = Some((0, why.to_string()));
        fail(
            &mut run.result,
            Verdict::Error,
            Cause::Infrastructure,
            CellError::EngineStopped {
                database: cell.database.to_string(),
                step: step_number,
                why,
            }
            .to_string(),
        );
        return StepFailure::Settled;
    }
    // Likewise for the runtime container the cell's processes run in.
    let killed = output
        .as_ref()
        .is_some_and(|o| o.output.code.is_none_or(|code| code >= 128));
    if let Err(why) = session.responds(killed).await {
        let step_number = record.number;
        run.result.steps.push(record);
        fail(
            &mut run.result,
            Verdict::Error,
            Cause::Infrastructure,
            CellError::RuntimeStopped {
                runtime: cell.runtime.key(),
                step: step_number,
                why,
            }
            .to_string(),
        );
        return StepFailure::Settled;
    }
    if run.expect.outcome == Outcome::Failure {
        let everything = output
            .as_ref()
            .map(|o| o.text())
            .or_else(|| record.output_tail.clone())
            .unwrap_or_default();
        let shown = record.output_tail.clone().unwrap_or_default();
        if let Some(pattern) = &run.expect.fails_with
            && !pattern.regex.is_match(&everything)
        {
            let detail = format!(
                "{}, as expected, but its output does not match `fails_with` /{}/",
                failed_step_detail(&record),
                pattern.text
            );
            run.result.steps.push(record);
            fail(
                &mut run.result,
                Verdict::Failed,
                Cause::ExpectedFailureMissing,
                detail,
            );
            return StepFailure::Settled;
        }
        // The failure is the expected result: the step is not reported as a failed one.
        let mut record = record;
        record.ok = true;
        record.status = Some(format!(
            "failed as expected ({})",
            record.status.clone().unwrap_or_default()
        ));
        run.result.steps.push(record);
        run.result.detail = Some(format!("failed as expected: {}", error_line(&shown)));
        run.result.cause = Some(Cause::FailedAsExpected);
        run.result.expected_failure = true;
        return StepFailure::AsExpected;
    }
    let mut detail = failed_step_detail(&record);
    if let Some(hint) = output.as_ref().and_then(environment_hint) {
        detail.push_str(&format!("; {hint}"));
    }
    if cell.database.engine == crate::config::EngineKind::Sqlite
        && output.as_ref().is_some_and(|o| o.dialect_refused())
        && !ctx
            .config
            .matrix
            .databases
            .iter()
            .any(|d| d.engine != crate::config::EngineKind::Sqlite)
    {
        detail.push_str("; SQLite's dialect refused the migration: a project written for a server engine needs it in matrix.databases (e.g. \"postgres:17\"; `harness init` chooses them from the project's drivers, settings and compose files)");
    }
    if ctx.config.project.bootstrap.is_none()
        && ctx.config.project.upgrade_first.is_empty()
        && let Some(hint) = output
            .as_ref()
            .and_then(|o| bootstrap_hint(o, ctx.graph.as_ref()))
    {
        detail.push_str(&format!("; {hint}"));
    }
    if let Some(interrupt) = &scenario.interrupt
        && is_target
    {
        detail.push_str(&format!(
            "; this is the retry after the upgrade stopped after statement {} of {} (`interrupt`)",
            interrupt.after_statements, interrupt.revision.value
        ));
    }
    if let Some(revision) = revision {
        detail = format!("first failing revision: {revision}; {detail}");
    } else if let Some(revision) = output.as_ref().and_then(last_running_revision) {
        detail.push_str(&format!("; it stopped in {revision}"));
    }
    // The same failure wherever the step, the exception and the revision it stopped in are.
    let signature = output.as_ref().and_then(|run| {
        let line = run.exception_line()?;
        let stopped = last_running_revision(run).unwrap_or_default();
        Some(format!("{}\n{line}\n{stopped}", record.label))
    });
    run.result.steps.push(record);
    fail(&mut run.result, Verdict::Failed, Cause::StepFailed, detail);
    run.result.signature = signature;
    StepFailure::Settled
}

/// Applies what a check found to the cell; returns whether the cell failed.
fn settle_check(run: &mut CellRun, outcome: super::checks::Outcome) -> bool {
    use super::checks::Outcome as Found;
    match outcome {
        Found::Passed(note) => {
            if let Some(note) = note {
                run.result.detail = Some(note);
            }
            false
        }
        Found::Failed { detail, diff } => {
            expected_or(run, Verdict::Failed, Cause::Check, detail, diff);
            true
        }
        Found::Error(detail) => {
            fail(
                &mut run.result,
                Verdict::Error,
                Cause::Infrastructure,
                detail,
            );
            true
        }
        Found::EngineStopped(why, step) => {
            run.engine_stopped = Some((0, why.clone()));
            fail(
                &mut run.result,
                Verdict::Error,
                Cause::Infrastructure,
                why_stopped(step, why),
            );
            true
        }
    }
}

/// A check's failure, or the failure the scenario expects (`fails_with` on a check kind).
fn expected_or(
    run: &mut CellRun,
    verdict: Verdict,
    cause: Cause,
    detail: String,
    diff: Option<String>,
) {
    run.result.diff = diff;
    if run.expect.outcome == Outcome::Failure {
        if let Some(pattern) = &run.expect.fails_with
            && !pattern.regex.is_match(&detail)
        {
            return fail(
                &mut run.result,
                Verdict::Failed,
                Cause::ExpectedFailureMissing,
                format!(
                    "{detail}\n(the check failed, as expected, but not as `fails_with` /{}/ says)",
                    pattern.text
                ),
            );
        }
        run.result.verdict = Verdict::Passed;
        run.result.cause = Some(Cause::FailedAsExpected);
        run.result.expected_failure = true;
        run.result.detail = Some(format!("failed as expected: {detail}"));
        return;
    }
    fail(&mut run.result, verdict, cause, detail);
}

fn why_stopped(step: usize, why: String) -> String {
    format!(
        "the engine stopped during the check (step {step} failed, and the server no longer answers: {why}); the cell's result is unknown"
    )
}

/// Why the upgrade to the target, which reported success, did not leave the database there: no
/// version table although one is configured, a version table that does not hold the target
/// (Alembic, whose heads are known), or, with no version table configured, no table at all.
fn not_at_target(ctx: &Context, schema: &Schema, target: Option<&str>) -> Option<String> {
    let Some(table) = ctx.config.project.version_table.as_deref() else {
        return (schema.tables.is_empty() && schema.views.is_empty()).then(|| {
            format!(
                "the upgrade reported success, but the database holds no table afterwards; {}",
                nothing_done_help(ctx)
            )
        });
    };
    let Some(versions) = &schema.version_table else {
        // A bare name that several schemas hold (an env.py that keeps one per schema) is none
        // of them: the configuration must say which.
        let holders: Vec<&str> = schema
            .tables
            .iter()
            .filter_map(|t| t.name.strip_suffix(&format!(".{table}")))
            .collect();
        if !table.contains('.') && holders.len() > 1 {
            return Some(format!(
                "the database has a `{table}` table in each of the schemas {}, so the configured version table `{table}` names none of them: set version_table = \"{}.{table}\" (the schema this project's env.py records its revisions in) in harness.toml",
                holders.join(", "),
                holders[0]
            ));
        }
        return Some(format!(
            "the upgrade reported success, but the database has no `{table}` table (the configured version table) afterwards; {}",
            nothing_done_help(ctx)
        ));
    };
    let graph = ctx.graph.as_ref()?;
    if !matches!(ctx.tool, crate::adapters::Tool::Alembic(_)) {
        return None;
    }
    let mut held: Vec<String> = versions.rows.clone();
    held.sort();
    let mut wanted: Vec<String> = match target? {
        "base" => return None,
        "head" | "heads" => graph.heads.clone(),
        revision if graph.revisions.iter().any(|r| r.revision == revision) => {
            vec![revision.to_string()]
        }
        _ => return None,
    };
    wanted.sort();
    if target == Some("head") || target == Some("heads") {
        (held != wanted).then(|| {
            format!(
                "the upgrade to {} reported success, but `{table}` holds [{}], not the heads [{}]",
                target.unwrap_or_default(),
                held.join(", "),
                wanted.join(", ")
            )
        })
    } else {
        (!held.iter().any(|h| wanted.contains(h))).then(|| {
            format!(
                "the upgrade to {} reported success, but `{table}` holds [{}]",
                wanted.join(", "),
                held.join(", ")
            )
        })
    }
}

/// The expectations that need only this cell's database.
async fn check(
    ctx: &Context,
    engine: &dyn Engine,
    database: &CellDatabase,
    schema: &Schema,
    expect: &Expect,
    upgraded: bool,
) -> Result<(), String> {
    if upgraded && let Some(expected) = &expect.version {
        check_version(ctx, schema, expected)?;
    }
    if let Some(want_drift) = expect.drift {
        let (db, heads) = drift(ctx, schema)?;
        let line = format!("drift: db={} expected={}", db.join(","), heads.join(","));
        match (want_drift, db == heads) {
            (true, true) => {
                return Err(format!(
                    "expected the database to lag behind the code, but it is current ({line})"
                ));
            }
            (false, false) => return Err(line),
            _ => {}
        }
    }
    let has = |name: &str| {
        schema.table(name).is_some()
            || schema.views.iter().any(|v| v.name == name)
            || schema
                .version_table
                .as_ref()
                .is_some_and(|v| v.name == name)
    };
    let missing: Vec<&str> = expect
        .tables_include
        .iter()
        .map(String::as_str)
        .filter(|t| !has(t))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "expected tables are missing: {}",
            missing.join(", ")
        ));
    }
    let present: Vec<&str> = expect
        .tables_exclude
        .iter()
        .map(String::as_str)
        .filter(|t| has(t))
        .collect();
    if !present.is_empty() {
        return Err(format!(
            "tables that must not exist are present: {}",
            present.join(", ")
        ));
    }
    for (table, want) in &expect.rows {
        if !has(table) {
            let tables = schema.tables.iter().map(|t| t.name.as_str());
            let meant = crate::words::closest(table, tables)
                .map(|m| format!(" (did you mean `{m}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "expected {want} rows in `{table}`, but the table does not exist{meant}"
            ));
        }
        let sql = format!("SELECT COUNT(*) FROM {}", engine.quote_identifier(table));
        let rows = engine
            .query(database, &sql)
            .await
            .map_err(|err| err.to_string())?;
        let have = rows
            .first()
            .and_then(|row| row.first())
            .cloned()
            .unwrap_or_default();
        if have != want.to_string() {
            return Err(format!(
                "expected {want} rows in `{table}`, found {have}: the upgrade lost or added data"
            ));
        }
    }
    for query in &expect.queries {
        let rows = engine
            .query(database, &query.sql)
            .await
            .map_err(|err| format!("the query at {} failed: {err}", query.at))?;
        if rows != query.returns {
            return Err(format!(
                "the query at {} returned {:?}, expected {:?}",
                query.at, rows, query.returns
            ));
        }
    }
    Ok(())
}

fn check_version(ctx: &Context, schema: &Schema, expected: &[RevRef]) -> Result<(), String> {
    let mut want: Vec<String> = Vec::new();
    for rev in expected {
        if rev.value == "head" || rev.value == "heads" {
            let graph = ctx.graph.as_ref().ok_or(
                "`head` in expect.version needs the revision graph, which the tool could not load",
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

/// The version table's revisions and the graph's heads, both sorted.
fn drift(ctx: &Context, schema: &Schema) -> Result<(Vec<String>, Vec<String>), String> {
    let graph = ctx
        .graph
        .as_ref()
        .ok_or("`drift` needs the revision graph, which the tool could not load")?;
    let mut db: Vec<String> = schema
        .version_table
        .as_ref()
        .map(|v| v.rows.clone())
        .unwrap_or_default();
    db.sort();
    let mut heads = graph.heads.clone();
    heads.sort();
    Ok((db, heads))
}

/// What to change when a tool failed for want of something in its environment: a module env.py
/// imports, or a database driver.
fn environment_hint(run: &ToolRun) -> Option<String> {
    match &run.outcome {
        ToolOutcome::NoDriver { backend, packages } => Some(format!(
            "the environment has no {backend} driver: add {} to `packages` (or the requirements) in harness.toml",
            packages.join(" or ")
        )),
        ToolOutcome::MissingModule { module } => {
            let module = module.split('.').next().unwrap_or(module);
            Some(format!(
                "Python cannot import `{module}`: add the package that provides it to `packages` (or the requirements) in harness.toml, or, when it is the project's own code, its folder to `pythonpath`"
            ))
        }
        _ => None,
    }
}

/// Said when an upgrade from an empty database stops in one of the first revisions on a table that
/// does not exist: the project creates its schema from its models, and its migrations start from
/// that schema; or another project's migrations create that table first.
fn bootstrap_hint(run: &ToolRun, graph: Option<&crate::adapters::Graph>) -> Option<String> {
    let stop = super::trial::missing_table_at_base(run, graph?)?;
    Some(format!(
        "{} {}: this project creates its schema from its models and stamps it, so its migrations never start from an empty database; set `bootstrap = \"models\"` under [project] (or `bootstrap = {{ command = [...] }}` with the project's own setup command) to start its cells from a fresh install made that way; when another Alembic project on the same database creates that table (a plugin's migrations need the core's), name its folder in `upgrade_first = [\"...\"]` instead",
        stop.which,
        stop.needs()
    ))
}

/// The revision the tool was running when it stopped, as its records say.
fn last_running_revision(run: &ToolRun) -> Option<String> {
    let stopped = run.stopped_in()?;
    let parents = stopped.down_revision.join(", ");
    Some(if stopped.direction == "downgrade" {
        format!("downgrade {} -> {parents}", stopped.revision)
    } else {
        format!("upgrade {parents} -> {}", stopped.revision)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_line_is_the_exception() {
        let out = "Traceback (most recent call last):\n  File \"x.py\", line 1\nsqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table teams already exists\n[SQL: \nCREATE TABLE teams (\n)\n\n]\n(Background on this error at: https://example.invalid)";
        assert_eq!(
            error_line(out),
            "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table teams already exists"
        );
        assert_eq!(error_line("just text\n"), "just text");
        let pg = "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedFunction) operator does not exist: json ? unknown\nLINE 1: UPDATE\nHINT:  No operator matches";
        assert!(
            error_line(pg).starts_with("sqlalchemy.exc.ProgrammingError: "),
            "{}",
            error_line(pg)
        );
    }

    fn failed(records: Vec<crate::adapters::protocol::Record>) -> ToolRun {
        let output = crate::process::Output {
            code: Some(1),
            stdout: String::new(),
            stderr: String::new(),
            duration: std::time::Duration::ZERO,
        };
        ToolRun::new(output, records)
    }

    #[test]
    fn a_missing_module_or_driver_says_what_to_add() {
        use crate::adapters::protocol::Record;
        let missing = failed(vec![Record::Exception {
            type_name: "ModuleNotFoundError".into(),
            line: "ModuleNotFoundError: No module named 'myapp.models'".into(),
            module: Some("myapp.models".into()),
            variable: None,
        }]);
        let hint = environment_hint(&missing).unwrap();
        assert!(hint.starts_with("Python cannot import `myapp`"), "{hint}");
        let driver = failed(vec![Record::NoDriver {
            backend: "postgresql".into(),
            packages: vec!["psycopg2-binary".into(), "psycopg[binary]".into()],
        }]);
        assert!(
            environment_hint(&driver)
                .unwrap()
                .contains("add psycopg2-binary or psycopg[binary] to `packages`")
        );
        let other = failed(vec![Record::Exception {
            type_name: "sqlite3.OperationalError".into(),
            line: "sqlite3.OperationalError: no such table: x".into(),
            module: None,
            variable: None,
        }]);
        assert_eq!(environment_hint(&other), None);
    }

    #[test]
    fn the_running_revision_is_the_one_the_records_name() {
        use crate::adapters::{StoppedIn, protocol::Record};
        let stopped = failed(vec![Record::StoppedIn(StoppedIn {
            revision: "0003".into(),
            down_revision: vec!["0004".into()],
            direction: "downgrade".into(),
        })]);
        assert_eq!(
            last_running_revision(&stopped).as_deref(),
            Some("downgrade 0003 -> 0004")
        );
        assert_eq!(last_running_revision(&failed(Vec::new())), None);
    }
}
