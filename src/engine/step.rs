//! One step of a cell and what every phase of a cell shares: the step run with the project's
//! tool (or its SQL, command or dump), the cell's run record, and why a cell could not run.

use std::time::Instant;

use super::engines::Generation;
use super::plan::PlannedAction;
use super::prepare::Context;
use crate::adapters::{Action, ToolOutcome, ToolRun};
use crate::config::Expect;
use crate::database::{CellDatabase, Engine};
use crate::matrix::Cell;
use crate::outcome::{Cause, CellResult, StepRecord, Verdict};
use crate::runtime::Session;

/// How many lines of a failing tool's output a report keeps.
pub const TAIL_LINES: usize = 15;

/// A cell's result and, when it got that far, its rendered schema.
pub(super) struct CellRun {
    pub result: CellResult,
    /// The snapshot text (schema and, if asked, the version table).
    pub rendered: Option<String>,
    /// The schema alone, for convergence checks.
    pub schema: Option<super::seen::Seen>,
    /// The expectations that held for this cell.
    pub expect: Expect,
    /// Run for another cell's convergence check only ([`Cell::hidden`]).
    pub hidden: bool,
    /// The cell's engine stopped answering during it: which start of the engine it was, and why.
    pub engine_stopped: Option<(Generation, String)>,
    /// Said after a convergence failure: what changed in the migrations since the scenario's
    /// `from_ref`.
    pub since_ref: Option<String>,
}

/// Why a cell could not run at all: its verdict is `error`, never `failed`.
#[derive(Debug, thiserror::Error)]
pub(super) enum CellError {
    #[error("runtime {runtime} is not available: {why}")]
    RuntimeUnavailable {
        runtime: String,
        why: String,
        /// The same failure on every runtime (see [`NotPrepared`](super::NotPrepared)).
        signature: Option<String>,
    },
    #[error("runtime {0} was not prepared")]
    RuntimeNotPrepared(String),
    #[error("database {database} is not available: {why}")]
    DatabaseUnavailable { database: String, why: String },
    #[error("database {0} was not started")]
    DatabaseNotStarted(String),
    #[error("cannot create the cell's database: {0}")]
    CreateDatabase(crate::database::DatabaseError),
    #[error("{0}")]
    Plan(&'static str),
    #[error("{0}")]
    Introspect(crate::introspect::IntrospectError),
    #[error(
        "engine {database} stopped during the cell (step {step} failed, and the server no longer answers: {why}); the cell's result is unknown"
    )]
    EngineStopped {
        database: String,
        step: usize,
        why: crate::database::SqlError,
    },
    #[error(
        "runtime {runtime} stopped working during the cell (step {step} failed, and {why}); the cell's result is unknown"
    )]
    RuntimeStopped {
        runtime: String,
        step: usize,
        why: crate::runtime::container::ContainerGone,
    },
    #[error(
        "the warm tool worker stopped during step {step}, `{label}`; the database state is unknown, so the step is not run again (its output so far is below)"
    )]
    WorkerLost { step: usize, label: String },
}

/// A step's run: its record, the process's output when one ran to its end, and whether the
/// warm worker it ran in stopped during it (the step must then not run again: its cell is an
/// infrastructure error).
pub(super) struct StepRun {
    pub record: StepRecord,
    pub output: Option<ToolRun>,
    pub worker_lost: bool,
}

/// Runs one step; returns its record and, for processes, their whole output. `at_ref`: the step
/// runs with the project at the scenario's `from_ref`.
pub(super) async fn execute_with_output(
    (ctx, cell, session): (&Context, &Cell, &Session<'_>),
    (engine, database): (&dyn Engine, &CellDatabase),
    action: &PlannedAction,
    (mut record, at_ref): (StepRecord, bool),
    result: &mut CellResult,
) -> StepRun {
    let started = Instant::now();
    let scenario = &ctx.config.scenarios[cell.scenario];
    let release = scenario
        .from_ref
        .as_ref()
        .filter(|_| at_ref)
        .and_then(|from| ctx.refs.get(&from.reference));
    if let Some(why) = not_at_release(scenario, release, at_ref) {
        record.ok = false;
        record.status = Some("could not run".into());
        record.output_tail = Some(why);
        return StepRun {
            record,
            output: None,
            worker_lost: false,
        };
    }
    let (project, tool) = match (release, action) {
        (Some(tree), PlannedAction::Chain { index, .. }) => {
            let (project, tool) = &tree.chains[*index];
            (project, tool)
        }
        (None, PlannedAction::Chain { index, .. }) => {
            let chain = &ctx.chains[*index];
            (&chain.project, &chain.tool)
        }
        (Some(tree), _) => (&tree.project, &tree.tool),
        (None, _) => (&ctx.config.project, &ctx.tool),
    };
    let outcome = match action {
        PlannedAction::Sql(sql) => {
            let outcome = match sql.for_engine(cell.database.engine) {
                Some(text) => engine
                    .execute(database, text)
                    .await
                    .map_err(|err| err.to_string()),
                None => Err(format!(
                    "the step has no SQL for {} (and no `default`)",
                    cell.database.engine.name()
                )),
            };
            record.duration = started.elapsed();
            if let Err(why) = outcome {
                record.ok = false;
                record.status = Some("SQL error".into());
                record.output_tail = Some(why);
            }
            return StepRun {
                record,
                output: None,
                worker_lost: false,
            };
        }
        PlannedAction::Tool(action) => {
            let upgrade = scenario.upgrade_command.as_deref();
            tool.run(project, session, action, upgrade).await
        }
        PlannedAction::Chain { action, .. } => tool.run(project, session, action, None).await,
        PlannedAction::Dump(path) => engine
            .load_dump(database, path)
            .await
            .map(ToolRun::plain)
            .map_err(|err| crate::adapters::AdapterError::Unreadable {
                command: format!("loading {}", path.display()),
                detail: err.to_string(),
            }),
        PlannedAction::Command(argv) => {
            crate::adapters::run_program(argv, &project.dir, session, &project.process_env(), &[])
                .await
                .map(ToolRun::plain)
        }
    };
    record.duration = started.elapsed();
    match outcome {
        Ok(mut output) => {
            output.redact(|text| ctx.secrets.redact(text));
            result.tool_time += output.output.duration;
            if let PlannedAction::Tool(Action::Interrupt { revision, after }) = action {
                interrupted(&mut record, &output, revision, *after, &project.dir);
            } else if !output.success() {
                record.ok = false;
                record.status = Some(output.output.status_text());
                record.output_tail = Some(crate::adapters::traceback::tool_excerpt(
                    &output,
                    &project.dir,
                    TAIL_LINES,
                ));
            } else if let PlannedAction::Tool(action) = action
                && let Some(why) = migrated_elsewhere(ctx, cell, engine, database, action).await
            {
                record.ok = false;
                record.status = Some("left no version table".into());
                record.output_tail = Some(why);
            }
            StepRun {
                record,
                output: Some(output),
                worker_lost: false,
            }
        }
        Err(err) => could_not_run(record, &err, ctx),
    }
}

/// Why a step that runs with the project at the scenario's `from_ref` cannot: the release was not
/// prepared, or the project did not exist yet there.
fn not_at_release(
    scenario: &crate::config::Scenario,
    release: Option<&super::refs::RefTree>,
    at_ref: bool,
) -> Option<String> {
    if at_ref && release.is_none() {
        return Some("the project at the scenario's `from_ref` was not prepared".into());
    }
    let tree = release.filter(|tree| !tree.project.dir.is_dir())?;
    Some(format!(
        "the project did not exist yet at `{}`: {} is not in the repository there; point from_ref at a release that has it",
        scenario
            .from_ref
            .as_ref()
            .map_or("", |from| from.reference.as_str()),
        tree.project
            .dir
            .strip_prefix(&tree.root)
            .unwrap_or(&tree.project.dir)
            .display()
    ))
}

/// A step whose process could not run, or whose warm worker stopped during it.
fn could_not_run(
    mut record: StepRecord,
    err: &crate::adapters::AdapterError,
    ctx: &Context,
) -> StepRun {
    let worker_lost = matches!(
        err,
        crate::adapters::AdapterError::Runtime(crate::runtime::RuntimeError::WorkerLost { .. })
    );
    record.ok = false;
    record.status = Some(
        if worker_lost {
            "stopped with the worker"
        } else {
            "could not run"
        }
        .into(),
    );
    record.output_tail = Some(ctx.secrets.redact(&err.to_string()));
    StepRun {
        record,
        output: None,
        worker_lost,
    }
}

/// An interrupted upgrade's record: passed when the process stopped where it was asked to.
fn interrupted(
    record: &mut StepRecord,
    run: &ToolRun,
    revision: &str,
    after: usize,
    dir: &std::path::Path,
) {
    match &run.outcome {
        ToolOutcome::Interrupted { .. } => {
            record.status = Some(format!(
                "stopped after statement {after} of {revision}, as asked"
            ));
        }
        ToolOutcome::InterruptMissed { statements, .. } => {
            record.ok = false;
            record.status = Some("not interrupted".into());
            record.output_tail = Some(match *statements {
                count if count >= 0 => format!(
                    "revision {revision} ran {} before the upgrade ended: `after_statements = {after}` never came; lower it",
                    crate::words::plural(count as usize, "SQL statement")
                ),
                _ => format!(
                    "revision {revision} did not run in the upgrade to it: it was applied already, or the steps before went past it"
                ),
            });
        }
        _ => {
            record.ok = false;
            record.status = Some(run.output.status_text());
            record.output_tail = Some(crate::adapters::traceback::tool_excerpt(
                run, dir, TAIL_LINES,
            ));
        }
    }
}

/// What to check when an upgrade that reported success did nothing to the cell's database.
pub(super) fn nothing_done_help(ctx: &Context) -> &'static str {
    if matches!(ctx.tool, crate::adapters::Tool::Alembic(_)) {
        "env.py migrated nothing in the cell's database: it takes the URL from elsewhere (point it at DATABASE_URL, or copy the cell's URL into the variable it reads with [project.env]), or found nothing to migrate in an empty database (give the cell its starting state with `bootstrap` or the scenario's steps)"
    } else {
        "the upgrade command must migrate the database its URL variable (`url_env`, DATABASE_URL by default) names"
    }
}

/// After a tool step that succeeded and should have left a version table (an upgrade or stamp to
/// a revision), says why the cell's database has none: env.py migrated nothing there.
async fn migrated_elsewhere(
    ctx: &Context,
    cell: &Cell,
    engine: &dyn Engine,
    database: &CellDatabase,
    action: &crate::adapters::Action,
) -> Option<String> {
    let table = ctx.config.project.version_table.as_deref()?;
    if !matches!(ctx.tool, crate::adapters::Tool::Alembic(_)) {
        return None;
    }
    let leaves_table = match action {
        Action::Upgrade(rev) | Action::TracedUpgrade(rev) => rev != "base",
        Action::Stamp(revs) => revs.iter().any(|r| r != "base"),
        Action::Bootstrap { .. } => true,
        Action::Downgrade(_) | Action::Interrupt { .. } | Action::Probe(_) => false,
    };
    if !leaves_table {
        return None;
    }
    let probe = crate::dialect::Dialect::of(cell.database.engine).table_exists_sql(table);
    match engine.query(database, &probe).await {
        Ok(rows) if rows.is_empty() => Some(format!(
            "the migration tool reported success, but the cell's database has no `{table}` table: \
             env.py migrated nothing there. Either it takes the URL from somewhere other than the \
             harness (point it at DATABASE_URL, or copy the cell's URL into the variable it reads \
             with [project.env], e.g. APP_DATABASE_URL = \"${{DATABASE_URL}}\"), or it found \
             nothing to migrate in an empty database (an env.py that migrates each tenant's schema \
             when none exists yet: give the cell its starting state with `bootstrap` or the \
             scenario's steps)"
        )),
        _ => None,
    }
}

pub(super) fn fail(result: &mut CellResult, verdict: Verdict, cause: Cause, detail: String) {
    result.verdict = verdict;
    result.cause = Some(cause);
    result.detail = Some(detail);
}

pub(super) fn failed_step_detail(step: &StepRecord) -> String {
    let mut detail = format!("step {} `{}` failed", step.number, step.label);
    if let Some(status) = &step.status {
        detail.push_str(&format!(" ({status})"));
    }
    detail
}
