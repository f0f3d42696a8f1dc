//! `harness run`: runs the selected cells (of the configuration and its members) and reports their
//! verdicts.

use std::io::Write;
use std::sync::Arc;

use clap::Args;

use super::cell_args::CellArgs;
use super::context;
use super::outputs::{self, ReportTarget};
use super::progress::Display;
use super::{ExitStatus, Failure, GlobalArgs};
use crate::config::Config;
use crate::docker::Teardown;
use crate::engine::{self, Progress, RunError, RunOptions, SnapshotMode};
use crate::matrix::{Cell, Partition};
use crate::outcome::RunReport;
use crate::report;
use crate::runtime::CacheDir;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub cells: CellArgs,
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
    /// Also write a report (repeatable): KIND is junit, json, markdown or html
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<ReportTarget>,
    /// Print no progress on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Start no further cell once one failed or erred (cells already running finish)
    #[arg(long)]
    pub fail_fast: bool,
    /// Only the selected cells that did not pass when last run (all of them when none did, or no
    /// run was recorded)
    #[arg(long)]
    pub last_failed: bool,
    /// Resolve the requirements again: build each runtime's environment (or prepared image)
    /// anew even when the cache holds one for the same requirements, and replace the cached one,
    /// so unpinned requirements get their newest versions
    #[arg(long)]
    pub refresh: bool,
    /// Upgrade from releases: one scenario per git tag matching PATTERN (the newest ones, see
    /// --newest), its starting state built with the project as it was at that tag, then upgraded
    /// with today's code and compared with `fresh`, and per tag a copy of each `rolling` scenario
    /// that names no release (`rolling-<tag>`); only these run unless scenarios are named
    #[arg(long, value_name = "PATTERN")]
    pub from_tags: Option<String>,
    /// With --from-tags: how many of the newest matching tags [default: 3]
    #[arg(long, value_name = "N", requires = "from_tags")]
    pub newest: Option<usize>,
    /// Start every tool process as a new Python process, instead of forking it from a warm
    /// worker that has imported Alembic and SQLAlchemy once (also HARNESS_NO_WORKER=1)
    #[arg(long)]
    pub no_worker: bool,
}

pub(super) fn execute(global: &GlobalArgs, args: RunArgs) -> Result<ExitStatus, Failure> {
    if args.no_worker {
        crate::runtime::worker::disable();
    }
    let mut configs = context::load(global)?;
    let mut scenarios = args.cells.scenarios.clone();
    if let Some(pattern) = &args.from_tags {
        let newest = args.newest.unwrap_or(3);
        if newest == 0 {
            return Err(Failure::Usage("--newest must be at least 1".into()));
        }
        let Some(root) = configs.first_mut() else {
            return Err(Failure::Usage("--from-tags needs a configuration".into()));
        };
        let generated = tag_scenarios(root, pattern, newest)?;
        if scenarios.is_empty() {
            scenarios = generated;
        }
    }
    for config in &mut configs {
        newest_tag_for_rolling(config);
    }
    let query = context::Query {
        scenarios: &scenarios,
        ..args.cells.query(&args.cell)
    };
    let root_file = configs.first().map(|c| c.file.clone()).unwrap_or_default();
    let cache = CacheDir::from_env();
    let mut selections = context::select(configs, &query)?;
    if args.last_failed {
        selections = only_last_failed(selections, &cache, &root_file);
    }
    if let Some(partition) = args.partition {
        selections = context::partition(selections, partition);
    }
    let plans: Vec<(Arc<Config>, Vec<Cell>)> = selections
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
    let ci = in_ci();
    let snapshots = if args.accept {
        SnapshotMode::Accept
    } else if args.check || ci {
        SnapshotMode::Check
    } else {
        SnapshotMode::Update
    };
    let total: usize = plans.iter().map(|(_, cells)| cells.len()).sum();
    let report = if total == 0 {
        // A shard can be empty when there are more shards than snapshot groups.
        RunReport::default()
    } else {
        let teardown = Teardown::new();
        let options = RunOptions {
            jobs,
            snapshots,
            teardown: teardown.clone(),
            refresh: if args.refresh {
                crate::runtime::Refresh::on()
            } else {
                crate::runtime::Refresh::off()
            },
            fail_fast: args.fail_fast,
        };
        let display = Arc::new(Display::for_stderr(args.quiet, ci, total));
        let progress: Arc<dyn Progress> = display.clone();
        let (outcome, cleaned) = run_plans(plans, &options, teardown, progress)?;
        display.finish();
        match outcome {
            None => {
                if cleaned {
                    eprintln!(
                        "interrupted: stopped the running cells and removed everything the run started"
                    );
                } else {
                    eprintln!(
                        "interrupted: stopped the running cells; some of what the run started could not be removed (the warnings above say what): `harness clean` removes it"
                    );
                }
                return Ok(ExitStatus::Interrupted);
            }
            Some(Err(RunError::Config(err))) => return Err(Failure::Config(err)),
            Some(Err(RunError::Graph(why))) => return Err(Failure::Usage(why)),
            Some(Err(err)) => return Err(Failure::Environment(err.to_string())),
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
        print!(
            "{}",
            report::render_with(&report, report::colour::Palette::for_stdout())
        );
    }
    let _ = std::io::stdout().flush();
    if let Some(warning) = super::last_run::record(&cache, &root_file, &report) {
        eprintln!("warning: {warning}");
    }
    outputs::write_reports(&report, &args.report)?;
    outputs::step_summary(&report)?;
    Ok(ExitStatus::of_report(&report))
}

/// Adds one scenario per tag matching `pattern` (newest first, at most `newest`) to `config`:
/// built at the tag, upgraded with today's code, converging with `fresh`. Returns their names.
pub(super) fn tag_scenarios(
    config: &mut Config,
    pattern: &str,
    newest: usize,
) -> Result<Vec<String>, Failure> {
    use crate::config::{FromRef, Location, Scenario};
    let tags = engine::tags(&config.project.dir, pattern, newest)
        .map_err(|why| Failure::Usage(format!("--from-tags: cannot list the git tags: {why}")))?;
    if tags.is_empty() {
        return Err(Failure::Usage(format!(
            "--from-tags: no git tag matches `{pattern}` in the project's repository\n  help: `git tag --list '{pattern}'` shows what matches; a shallow CI clone may lack tags (`git fetch --tags`, or `fetch-depth: 0`)"
        )));
    }
    let at = Location {
        path: config.file.clone(),
        line: 1,
        column: 1,
    };
    let mut names = Vec::new();
    for tag in tags {
        let name: String = format!("from-{tag}")
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if config.scenarios.iter().any(|s| s.name == name) {
            return Err(Failure::Usage(format!(
                "--from-tags: the scenario for tag `{tag}` would be named `{name}`, which a scenario already has"
            )));
        }
        // A rolling scenario that names no release deploys from each tag too.
        let rolling: Vec<Scenario> = config
            .scenarios
            .iter()
            .filter(|s| s.kind == crate::config::Kind::Rolling && s.from_ref.is_none())
            .map(|s| {
                let mut each = s.clone();
                each.name = format!("{}-{}", s.name, &name["from-".len()..]);
                each.description = format!("{} From tag {tag} (--from-tags).", s.description);
                each.from_ref = Some(FromRef {
                    reference: tag.clone(),
                    at: at.clone(),
                });
                each
            })
            .collect();
        for each in rolling {
            if config.scenarios.iter().any(|s| s.name == each.name) {
                return Err(Failure::Usage(format!(
                    "--from-tags: the rolling scenario for tag `{tag}` would be named `{}`, which a scenario already has",
                    each.name
                )));
            }
            names.push(each.name.clone());
            config.scenarios.push(each);
        }
        let mut scenario = Scenario::builtin_fresh(at.clone());
        scenario.name = name.clone();
        scenario.description = format!(
            "Built with the project at tag {tag}, then upgraded to head with today's code (--from-tags)."
        );
        scenario.from_ref = Some(FromRef {
            reference: tag,
            at: at.clone(),
        });
        scenario.expect.base.converges_with = Some("fresh".into());
        config.scenarios.push(scenario);
        names.push(name);
    }
    if !config.scenarios.iter().any(|s| s.name == "fresh") {
        config.scenarios.push(Scenario::builtin_fresh(at));
    }
    Ok(names)
}

/// A `rolling` scenario that names no release deploys from the repository's newest tag; with no
/// tag it stays without one, and its cells say what to write.
fn newest_tag_for_rolling(config: &mut Config) {
    use crate::config::{FromRef, Kind, Location};
    let defaulted = |s: &crate::config::Scenario| s.kind == Kind::Rolling && s.from_ref.is_none();
    if !config.scenarios.iter().any(defaulted) {
        return;
    }
    let Some(tag) = engine::tags(&config.project.dir, "*", 1)
        .ok()
        .and_then(|tags| tags.into_iter().next())
    else {
        return;
    };
    for scenario in config.scenarios.iter_mut().filter(|s| defaulted(s)) {
        scenario.from_ref = Some(FromRef {
            reference: tag.clone(),
            at: Location {
                path: scenario.file.clone(),
                line: 1,
                column: 1,
            },
        });
    }
}

/// The selected cells that did not pass last time; every selected cell, with a note, when none
/// of them failed or no run was recorded.
fn only_last_failed(
    selections: Vec<context::Selection>,
    cache: &CacheDir,
    root: &std::path::Path,
) -> Vec<context::Selection> {
    let Some(failed) = super::last_run::failed(cache, root) else {
        eprintln!("--last-failed: no earlier run is recorded; running every selected cell");
        return selections;
    };
    let kept: Vec<context::Selection> = selections
        .iter()
        .map(|selection| context::Selection {
            config: selection.config.clone(),
            cells: selection
                .cells
                .iter()
                .filter(|cell| failed.contains(&cell.id))
                .cloned()
                .collect(),
        })
        .filter(|selection| !selection.cells.is_empty())
        .collect();
    if kept.is_empty() {
        eprintln!("--last-failed: every selected cell passed last time; running them all");
        return selections;
    }
    let count: usize = kept.iter().map(|s| s.cells.len()).sum();
    eprintln!(
        "--last-failed: running the {} that did not pass last time",
        crate::report::words::plural(count, "cell")
    );
    kept
}

type Outcome = Option<Result<RunReport, RunError>>;

/// Runs the plans on a fresh async runtime; `None` when interrupted (Ctrl-C or SIGTERM), and
/// whether everything the run started was removed.
fn run_plans(
    plans: Vec<(Arc<Config>, Vec<Cell>)>,
    options: &RunOptions,
    teardown: Arc<Teardown>,
    progress: Arc<dyn Progress>,
) -> Result<(Outcome, bool), Failure> {
    let cache = CacheDir::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let (outcome, warnings) = runtime.block_on(async {
        let outcome = tokio::select! {
            outcome = engine::run_all(plans, options, &cache, progress) => Some(outcome),
            _ = interrupted() => None,
        };
        // The run's future is gone: its tool processes are killed. Remove the engines it started
        // (containers, local clusters, scratch databases) before the runtime goes.
        let warnings = if outcome.is_some() {
            teardown.shutdown_all().await
        } else {
            eprintln!(
                "interrupted: stopping the running cells and removing what the run started (interrupt again to stop waiting)"
            );
            tokio::select! {
                warnings = teardown.shutdown_after_interrupt() => warnings,
                _ = interrupted() => vec![
                    "cleanup stopped by a second interrupt: what it had not removed yet is still there; `harness clean` removes it once this process has exited".to_string(),
                ],
            }
        };
        (outcome, warnings)
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    Ok((outcome, warnings.is_empty()))
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

/// Ctrl-C or SIGTERM.
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
