//! `harness run`: runs the selected cells and reports their verdicts.

use std::io::Write;
use std::sync::Arc;

use clap::Args;

use super::outputs::{self, ReportTarget};
use super::progress::Display;
use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::engine::{self, Progress, RunError, RunOptions, RunReport, SnapshotMode};
use crate::matrix::Partition;
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
    /// Only the cell with exactly this id (see `harness list`); repeatable
    #[arg(long, value_name = "ID")]
    pub cell: Vec<String>,
    /// Only shard K of N: whole snapshot groups (scenario x database) dealt round-robin
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
    /// Cells run at once [default: number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Never write a snapshot: a missing or changed one fails and its new text goes to .snap.new
    /// (the default when CI is set)
    #[arg(long, conflicts_with = "accept")]
    pub check: bool,
    /// Write changed snapshots in place instead of .snap.new files
    #[arg(long)]
    pub accept: bool,
    /// Also write a report: junit=PATH, json=PATH or markdown=PATH; repeatable
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<ReportTarget>,
    /// Print no progress on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub(super) fn execute(global: &GlobalArgs, args: RunArgs) -> Result<ExitStatus, Failure> {
    let config = Arc::new(context::load(global)?);
    let cells = context::select(&config, &args.scenarios, &args.filter, &args.cell)?;
    let cells = match args.partition {
        Some(partition) => partition.cells(cells),
        None => cells,
    };
    let jobs = match args.jobs {
        Some(0) => return Err(Failure::Usage("--jobs must be at least 1".into())),
        Some(jobs) => jobs,
        None => std::thread::available_parallelism().map_or(2, usize::from),
    };
    let ci = in_ci();
    let snapshots = if args.accept {
        SnapshotMode::Accept
    } else if args.check || ci {
        SnapshotMode::Check
    } else {
        SnapshotMode::Update
    };
    let report = if cells.is_empty() {
        // A shard can be empty when there are more shards than snapshot groups.
        RunReport::default()
    } else {
        let options = RunOptions { jobs, snapshots };
        let display = Arc::new(Display::for_stderr(args.quiet, ci, cells.len()));
        let progress: Arc<dyn Progress> = display.clone();
        let outcome = run_cells(config.clone(), cells, &options, progress)?;
        display.finish();
        match outcome {
            None => {
                eprintln!("interrupted: stopped the running cells and removed their databases");
                return Ok(ExitStatus::Interrupted);
            }
            Some(Err(RunError::Config(err))) => return Err(Failure::Config(err)),
            Some(Err(RunError::Setup(why))) => return Err(Failure::Environment(why)),
            Some(Ok(report)) => report,
        }
    };
    let report = RunReport {
        partition: args.partition,
        ..report
    };
    if report.cells.is_empty() {
        if let Some(partition) = args.partition {
            println!(
                "shard {partition} holds no cells: there are fewer snapshot groups than shards"
            );
        }
    } else {
        print!("{}", report::render(&report));
    }
    let _ = std::io::stdout().flush();
    outputs::write_reports(&report, &args.report)?;
    outputs::step_summary(&report)?;
    Ok(ExitStatus::of_report(&report))
}

type Outcome = Option<Result<RunReport, RunError>>;

/// Runs the cells on a fresh async runtime; `None` when interrupted.
fn run_cells(
    config: Arc<crate::config::Config>,
    cells: Vec<crate::matrix::Cell>,
    options: &RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<Outcome, Failure> {
    let cache = CacheDir::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = engine::run(config, cells, options, &cache, progress) => Some(outcome),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    // Dropping the runtime kills the tool processes still running and removes the cells' databases.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    Ok(outcome)
}

/// CI is set to anything but empty, `0` or `false`.
pub(super) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| {
        !matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false"
        )
    })
}
