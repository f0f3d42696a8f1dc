//! `harness run`: runs the selected cells and reports their verdicts.

use std::io::Write;
use std::sync::{Arc, Mutex};

use clap::Args;

use super::context::{self, Query};
use super::{ExitStatus, Failure, GlobalArgs};
use crate::config::Config;
use crate::database::Teardown;
use crate::engine::{
    self, CellResult, EngineSummary, Progress, RunError, RunOptions, RuntimeSummary, SnapshotMode,
    Verdict,
};
use crate::matrix::Cell;
use crate::report;
use crate::runtime::CacheDir;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenarios to run, by name [default: all]
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// Only cells whose id matches (substring, or a pattern with `*`); repeatable
    #[arg(long, short = 'f', value_name = "PATTERN")]
    pub filter: Vec<String>,
    /// Only cells on this database (`sqlite`, `postgres:17`, or an engine name such as `postgres`); repeatable
    #[arg(long, short = 'd', value_name = "DATABASE")]
    pub database: Vec<String>,
    /// Cells run at once [default: number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Write nothing; a missing or changed snapshot fails (the default when CI is set)
    #[arg(long, conflicts_with = "accept")]
    pub check: bool,
    /// Write changed snapshots in place instead of .snap.new files
    #[arg(long)]
    pub accept: bool,
    /// Print no progress lines on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub(super) fn execute(global: &GlobalArgs, args: RunArgs) -> Result<ExitStatus, Failure> {
    let configs = context::load(global)?;
    let query = Query {
        scenarios: &args.scenarios,
        filters: &args.filter,
        databases: &args.database,
    };
    let plans: Vec<(Arc<Config>, Vec<Cell>)> = context::select(configs, &query)?
        .into_iter()
        .map(|selection| {
            let cells = context::with_references(&selection.config, selection.cells);
            (selection.config, cells)
        })
        .collect();
    let jobs = match args.jobs {
        Some(0) => return Err(Failure::Usage("--jobs must be at least 1".into())),
        Some(jobs) => jobs,
        None => std::thread::available_parallelism().map_or(2, usize::from),
    };
    let snapshots = if args.accept {
        SnapshotMode::Accept
    } else if args.check || in_ci() {
        SnapshotMode::Check
    } else {
        SnapshotMode::Update
    };
    let teardown = Teardown::new();
    let options = RunOptions {
        jobs,
        snapshots,
        teardown: teardown.clone(),
    };
    let progress: Arc<dyn Progress> = Arc::new(Lines {
        quiet: args.quiet,
        lock: Mutex::new(()),
    });
    let cache = CacheDir::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let outcome = runtime.block_on(async {
        let outcome = tokio::select! {
            outcome = engine::run_all(plans, &options, &cache, progress) => Some(outcome),
            _ = interrupted() => None,
        };
        // The run's future is gone: its tool processes are killed. Remove the engines it started
        // (containers, local clusters, scratch databases) before the runtime goes.
        let warnings = teardown.shutdown_all().await;
        (outcome, warnings)
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    let (outcome, teardown_warnings) = outcome;
    for warning in &teardown_warnings {
        eprintln!("warning: {warning}");
    }
    let report = match outcome {
        None => {
            eprintln!(
                "interrupted: stopped the running cells and removed their databases and engines"
            );
            return Ok(ExitStatus::Interrupted);
        }
        Some(Err(RunError::Config(err))) => return Err(Failure::Config(err)),
        Some(Err(RunError::Setup(why))) => return Err(Failure::Environment(why)),
        Some(Ok(report)) => report,
    };
    print!("{}", report::render(&report));
    let _ = std::io::stdout().flush();
    Ok(if report.count(Verdict::Error) > 0 {
        ExitStatus::Environment
    } else if report.count(Verdict::Failed) + report.count(Verdict::SnapshotChanged) > 0 {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    })
}

/// Ctrl-C (SIGINT) or SIGTERM.
async fn interrupted() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminate = async {
        match term.as_mut() {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// CI is set to anything but empty, `0` or `false`.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| {
        !matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false"
        )
    })
}

/// Progress as plain lines on stderr.
struct Lines {
    quiet: bool,
    lock: Mutex<()>,
}

impl Progress for Lines {
    fn runtime_ready(&self, summary: &RuntimeSummary) {
        if !self.quiet {
            let _guard = self.lock.lock();
            eprintln!("{}", report::runtime_line(summary));
        }
    }

    fn engine_ready(&self, summary: &EngineSummary) {
        if !self.quiet {
            let _guard = self.lock.lock();
            eprintln!("{}", report::engine_line(summary));
        }
    }

    fn cell_finished(&self, result: &CellResult) {
        if !self.quiet {
            let _guard = self.lock.lock();
            let state = if result.verdict == Verdict::Passed {
                "ran"
            } else {
                result.verdict.label()
            };
            eprintln!(
                "{state}: {} ({:.2}s, {:.2}s in the migration tool)",
                result.id,
                result.duration.as_secs_f64(),
                result.tool_time.as_secs_f64()
            );
        }
    }
}
