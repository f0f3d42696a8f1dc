//! The run: prepare, run the cells with at most `jobs` at once, then settle snapshots.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use super::cell::run_cell;
use super::prepare::{self, Context, RuntimePlan};
use super::snapshots::settle;
use super::step::CellRun;
use super::{Progress, RunOptions};
use crate::adapters::{AdapterError, Tool};
use crate::config::{Config, ConfigError, RuntimeBackend};
use crate::database;
use crate::docker::RunNetwork;
use crate::matrix::Cell;
use crate::outcome::{RevisionGraph, RunReport, RuntimeSummary, Verdict};
use crate::runtime::container::ContainerOptions;
use crate::runtime::{self, CacheDir};
use crate::words;

/// What stops a run before its cells can give verdicts.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A scenario names something the project does not have (an unknown revision).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The migration tool cannot be set up (its entry point cannot be written in the cache).
    #[error("{0}")]
    Tool(#[from] AdapterError),
    /// `HARNESS_RUNTIME_BACKEND` or the runtime backend cannot be used.
    #[error("{}", with_help(.0))]
    Backend(crate::runtime::RuntimeError),
    /// The run's network for runtime containers could not be created.
    #[error("cannot create the run's network {name} for runtime containers: {source}")]
    Network {
        name: String,
        source: crate::docker::Error,
    },
    /// `HARNESS_RUNTIME_CA_BUNDLE` names no file.
    #[error(
        "HARNESS_RUNTIME_CA_BUNDLE names {}, which is not a file\n  help: point it at a PEM bundle such as /etc/ssl/certs/ca-certificates.crt, or unset it",
        .0.display()
    )]
    CaBundle(std::path::PathBuf),
    /// A cell's task panicked or was cancelled.
    #[error("a cell's task ended abnormally: {0}")]
    CellTask(tokio::task::JoinError),
    /// The project's revision graph cannot be loaded by any runtime: no cell could run.
    #[error("{0}")]
    Graph(String),
    /// A service of `[project] services` did not start: no cell could reach it.
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
}

fn with_help(err: &crate::runtime::RuntimeError) -> String {
    match err.help() {
        Some(help) => format!("{err}\n  help: {help}"),
        None => err.to_string(),
    }
}

/// Runs several configurations' cells (a workspace's members), one after the other, into one report.
pub async fn run_all(
    plans: Vec<(Arc<Config>, Vec<Cell>)>,
    options: &RunOptions,
    cache: &CacheDir,
    progress: Arc<dyn Progress>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let mut all = RunReport::default();
    let mut skipped: Vec<String> = Vec::new();
    let mut selected: Vec<String> = Vec::new();
    let workspace = plans.len() > 1;
    // A workspace's members use the engines the members before them started; everything started
    // is shut down once, after the last member.
    let shared = workspace.then(super::engines::SharedEngines::default);
    for (config, cells) in plans {
        selected.extend(cells.iter().filter(|c| !c.hidden).map(|c| c.id.clone()));
        let failed = all
            .cells
            .iter()
            .any(|cell| matches!(cell.verdict, Verdict::Failed | Verdict::Error));
        if options.fail_fast && failed {
            skipped.push(config.label.clone().unwrap_or_else(|| "the root".into()));
            continue;
        }
        // In a workspace, a member whose revision graph cannot load gives its cells that error
        // and the others still run; alone, it stops the run (exit 2).
        let member_cells = if workspace { cells.clone() } else { Vec::new() };
        let ran = run(
            config.clone(),
            cells,
            options,
            cache,
            progress.clone(),
            shared.as_ref(),
        )
        .await;
        let report = match ran {
            Ok(report) => report,
            Err(RunError::Graph(why)) if workspace => {
                let cells = member_cells
                    .iter()
                    .filter(|cell| !cell.hidden)
                    .map(|cell| cell_error(&config, cell, &why))
                    .collect();
                RunReport {
                    cells,
                    ..RunReport::default()
                }
            }
            Err(err) => {
                if shared.is_some() {
                    options.teardown.shutdown_all().await;
                }
                return Err(err);
            }
        };
        all.cells.extend(report.cells);
        all.runtimes
            .extend(report.runtimes.into_iter().map(|summary| RuntimeSummary {
                member: config.label.clone(),
                ..summary
            }));
        all.graphs.extend(report.graphs);
        let label = config
            .label
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        all.warnings
            .extend(report.warnings.into_iter().map(|w| format!("{label}{w}")));
    }
    if shared.is_some() {
        all.warnings.extend(options.teardown.shutdown_all().await);
    }
    if !skipped.is_empty() {
        all.warnings.push(format!(
            "--fail-fast: {} not run after a failure: {}",
            words::plural(skipped.len(), "workspace member"),
            words::list_cut(&skipped, 8)
        ));
    }
    all.not_run = selected
        .into_iter()
        .filter(|id| !all.cells.iter().any(|cell| &cell.id == id))
        .collect();
    all.duration = started.elapsed();
    Ok(all)
}

/// A cell that could not run because its configuration's revision graph did not load.
fn cell_error(config: &Config, cell: &Cell, why: &str) -> crate::outcome::CellResult {
    crate::outcome::CellResult {
        id: cell.id.clone(),
        member: config.label.clone(),
        position: cell.position,
        scenario: config.scenarios[cell.scenario].name.clone(),
        database: cell.database.id(),
        runtime: cell.runtime.id(),
        verdict: Verdict::Error,
        expected_failure: false,
        cause: Some(crate::outcome::Cause::Infrastructure),
        detail: Some(why.to_string()),
        signature: None,
        steps: Vec::new(),
        snapshot: None,
        snapshot_note: None,
        diff: None,
        runtime_info: None,
        duration: std::time::Duration::ZERO,
        tool_time: std::time::Duration::ZERO,
        trace: Vec::new(),
    }
}

/// Runs `cells` of `config`; with `shared` (a workspace member), on the engines earlier members
/// started where they match, leaving what it started running for the members after it.
async fn run(
    config: Arc<Config>,
    cells: Vec<Cell>,
    options: &RunOptions,
    cache: &CacheDir,
    progress: Arc<dyn Progress>,
    shared: Option<&super::engines::SharedEngines>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let project = &config.project;
    let tool = Tool::new(project, cache)?;
    let chains = super::prepare::Chain::all(project, cache)?;
    let refs = super::refs::prepare(&config, &cells, cache)?;
    let mut warnings = database::sweep_stale().await;
    let trees: Vec<std::path::PathBuf> = refs.values().map(|tree| tree.root.clone()).collect();
    let (plan, network) = runtime_plan(&config, &cells, &tool, &trees, options).await?;
    let services = match crate::service::start_all(
        &config.project.services,
        network.as_deref(),
        matches!(plan, RuntimePlan::Container(_)),
        &options.teardown,
    )
    .await
    {
        Ok(services) => services,
        Err(err) => {
            if shared.is_none() {
                options.teardown.shutdown_all().await;
            }
            return Err(err.into());
        }
    };
    let (requirements, driver_warnings) = prepare::with_drivers(&config, &cells);
    for warning in &driver_warnings {
        progress.note(warning);
    }
    warnings.extend(driver_warnings);
    // What is about to be prepared and started is announced first, in matrix order, so the
    // progress lines come in the same order every time.
    let mut announced: Vec<String> = Vec::new();
    for cell in &cells {
        let key = cell.runtime.key();
        if !announced.contains(&key) {
            progress.runtime_preparing(&key);
            announced.push(key);
        }
    }
    for cell in &cells {
        let name = cell.database.to_string();
        let running =
            shared.is_some_and(|shared| shared.get(&cell.database, network.as_deref()).is_some());
        if cell.database.engine != crate::config::EngineKind::Sqlite
            && !announced.contains(&name)
            && !running
        {
            progress.engine_starting(&name);
            announced.push(name);
        }
    }
    // Engines start while the runtimes are prepared.
    let (engines, (runtimes, runtime_summaries)) = tokio::join!(
        prepare::engines(
            &cells,
            &options.teardown,
            network,
            progress.as_ref(),
            shared
        ),
        prepare::runtimes(
            &requirements,
            &cells,
            cache,
            &plan,
            &options.refresh,
            progress.as_ref(),
        ),
    );
    // A release whose requirements differ from today's runs its own steps in an environment made
    // from them (cached like any other).
    let mut refs = refs;
    for (reference, tree) in refs.iter_mut() {
        let Some(theirs) = &tree.requirements else {
            continue;
        };
        let ref_cells: Vec<Cell> = cells
            .iter()
            .filter(|c| {
                config.scenarios[c.scenario]
                    .from_ref
                    .as_ref()
                    .is_some_and(|from| from.reference == *reference)
            })
            .cloned()
            .collect();
        if ref_cells.is_empty() {
            continue;
        }
        let (theirs, _) = prepare::configured_drivers(&config, theirs, &ref_cells);
        let named = AtRef {
            inner: progress.as_ref(),
            reference,
        };
        let mut keys: Vec<String> = ref_cells.iter().map(|c| c.runtime.key()).collect();
        keys.dedup();
        for key in &keys {
            named.runtime_preparing(key);
        }
        let (prepared, _) =
            prepare::runtimes(&theirs, &ref_cells, cache, &plan, &options.refresh, &named).await;
        tree.runtimes = prepared;
    }
    let outcome = run_cells(
        config,
        cells,
        options,
        progress,
        (tool, chains, refs, services),
        (engines, runtimes),
        &mut warnings,
    )
    .await;
    if shared.is_none() {
        warnings.extend(options.teardown.shutdown_all().await);
    }
    let (cells, graph) = outcome?;
    Ok(RunReport {
        partition: None,
        cells,
        runtimes: runtime_summaries,
        warnings,
        duration: started.elapsed(),
        graphs: graph.into_iter().collect(),
        not_run: Vec::new(),
    })
}

/// Progress of the environments made from a release's own requirements: the runtime's key reads
/// `python:3.12 at v1.4.0`.
struct AtRef<'a> {
    inner: &'a dyn Progress,
    reference: &'a str,
}

impl Progress for AtRef<'_> {
    fn runtime_preparing(&self, key: &str) {
        self.inner
            .runtime_preparing(&format!("{key} at {}", self.reference));
    }

    fn runtime_phase(&self, key: &str, phase: &crate::runtime::Phase) {
        self.inner
            .runtime_phase(&format!("{key} at {}", self.reference), phase);
    }

    fn runtime_ready(&self, summary: &crate::outcome::RuntimeSummary) {
        let mut summary = summary.clone();
        summary.key = format!("{} at {}", summary.key, self.reference);
        self.inner.runtime_ready(&summary);
    }
}

/// Picks the runtime backend (`HARNESS_RUNTIME_BACKEND`, else `[runtime] backend`, else a
/// container where a Docker engine answers) and, for containers next to server engines, creates
/// the run's network.
async fn runtime_plan(
    config: &Config,
    cells: &[Cell],
    tool: &Tool,
    trees: &[std::path::PathBuf],
    options: &RunOptions,
) -> Result<(RuntimePlan, Option<String>), RunError> {
    let choice = runtime::backend_choice(config.runtime.backend).map_err(RunError::Backend)?;
    let docker = match choice {
        RuntimeBackend::Local => return Ok((RuntimePlan::Local, None)),
        RuntimeBackend::Auto | RuntimeBackend::Container => crate::docker::client().await,
    };
    let Some(docker) = docker else {
        return Ok(match choice {
            RuntimeBackend::Container => (
                RuntimePlan::Unavailable(
                    "the container runtime backend needs a Docker engine, and none answers".into(),
                ),
                None,
            ),
            _ => (RuntimePlan::Local, None),
        });
    };
    let servers = cells
        .iter()
        .any(|cell| cell.database.engine != crate::config::EngineKind::Sqlite)
        || !config.project.services.is_empty();
    let network = if servers {
        let name = runtime::container::run_name();
        RunNetwork::create(&docker, &name, &options.teardown)
            .await
            .map_err(|source| RunError::Network {
                name: name.clone(),
                source,
            })?;
        Some(name)
    } else {
        None
    };
    let mut read_only = vec![config.project.dir.clone()];
    read_only.extend(tool.helper_dirs());
    read_only.extend(trees.iter().cloned());
    for dir in config.project.requirements.read_dirs() {
        if !read_only.iter().any(|mounted| dir.starts_with(mounted)) {
            read_only.push(dir);
        }
    }
    for dir in config
        .project
        .pythonpath
        .iter()
        .chain(&config.project.upgrade_first)
    {
        if !read_only.iter().any(|mounted| dir.starts_with(mounted)) {
            read_only.push(dir.clone());
        }
    }
    Ok((
        RuntimePlan::Container(ContainerOptions {
            docker,
            read_only,
            network: network.clone(),
            ca_bundle: ca_bundle(config)?,
            teardown: options.teardown.clone(),
        }),
        network,
    ))
}

/// `HARNESS_RUNTIME_CA_BUNDLE` over `[runtime] ca_bundle`.
fn ca_bundle(config: &Config) -> Result<Option<std::path::PathBuf>, RunError> {
    match std::env::var_os("HARNESS_RUNTIME_CA_BUNDLE").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = std::path::PathBuf::from(path);
            if path.is_file() {
                Ok(Some(path))
            } else {
                Err(RunError::CaBundle(path))
            }
        }
        None => Ok(config.runtime.ca_bundle.clone()),
    }
}

/// Loads the revision graph, then runs the cells, at most `options.jobs` at once, with what the
/// run prepared: the tool, the chains, the releases and the services, the engines and runtimes.
async fn run_cells(
    config: Arc<Config>,
    cells: Vec<Cell>,
    options: &RunOptions,
    progress: Arc<dyn Progress>,
    (tool, chains, mut refs, services): (
        Tool,
        Vec<super::prepare::Chain>,
        std::collections::BTreeMap<String, super::refs::RefTree>,
        crate::service::Services,
    ),
    (engines, runtimes): (
        super::engines::Engines,
        std::collections::BTreeMap<
            String,
            Result<crate::runtime::PreparedRuntime, super::NotPrepared>,
        >,
    ),
    warnings: &mut Vec<String>,
) -> Result<(Vec<crate::engine::CellResult>, Option<RevisionGraph>), RunError> {
    let secrets = crate::config::Secrets::of_urls(
        config
            .matrix
            .databases
            .iter()
            .filter_map(|spec| spec.settings.url.as_ref().map(|url| url.expose())),
    );
    let loaded = prepare::graph(&tool, &runtimes).await;
    if let Some(stop) = prepare::graph_stop(&config, &cells, &loaded) {
        return Err(RunError::Graph(secrets.redact(&stop)));
    }
    warnings.extend(loaded.warnings.iter().map(|w| secrets.redact(w)));
    let graph = loaded.graph;
    let reported = graph
        .as_ref()
        .map(|graph| revision_graph(config.label.clone(), graph));
    let mut forked = Vec::new();
    if let Some(graph) = &graph {
        forked = prepare::check_revisions(&config, &cells, graph)?;
        for (reference, tree) in refs.iter_mut() {
            tree.changes = super::refs::changes(graph, &config.project.dir, tree, reference);
        }
    }
    let context = Arc::new(Context {
        config: config.clone(),
        tool,
        chains,
        runtimes,
        engines,
        graph,
        secrets,
        refs,
        services,
        forked,
    });

    let limit = Arc::new(Semaphore::new(options.jobs.max(1)));
    // With --fail-fast: the first cell that failed, once one did; no cell starts after that.
    let first_failure: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let mut not_started: Vec<String> = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, cell) in cells.iter().cloned().enumerate() {
        // Taking the permit before spawning starts cells in matrix order.
        let permit = limit.clone().acquire_owned().await.ok();
        if first_failure.lock().is_ok_and(|f| f.is_some()) {
            if !cell.hidden {
                not_started.push(cell.id.clone());
            }
            continue;
        }
        let context = context.clone();
        let progress = progress.clone();
        let first_failure = first_failure.clone();
        let fail_fast = options.fail_fast;
        tasks.spawn(async move {
            let _permit = permit;
            progress.cell_started(&cell.id);
            let run = run_with_restart(&context, &cell).await;
            progress.cell_finished(&run.result);
            if fail_fast
                && matches!(run.result.verdict, Verdict::Failed | Verdict::Error)
                && let Ok(mut first) = first_failure.lock()
                && first.is_none()
            {
                *first = Some(run.result.id.clone());
            }
            (index, run)
        });
    }
    let mut runs: Vec<(usize, CellRun)> = Vec::with_capacity(cells.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(entry) => runs.push(entry),
            Err(err) => return Err(RunError::CellTask(err)),
        }
    }
    warnings.extend(context.engines.warnings().await);
    let stopped_after = first_failure.lock().ok().and_then(|f| f.clone());
    if let Some(first) = &stopped_after
        && !not_started.is_empty()
    {
        warnings.push(format!(
            "--fail-fast: stopped after {first} failed; {} not run: {}",
            words::plural(not_started.len(), "cell"),
            words::list_cut(&not_started, 8)
        ));
    }
    runs.sort_by_key(|(index, _)| *index);
    let mut runs: Vec<CellRun> = runs.into_iter().map(|(_, run)| run).collect();
    super::converge::converge(&mut runs, stopped_after.is_some());
    // Cells run for a convergence check only have served: they are neither reported nor
    // compared with (or written to) their snapshot files.
    runs.retain(|run| !run.hidden);
    Ok((settle(&config, runs, options.snapshots), reported))
}

/// The graph as the report carries it: ids and parents only.
fn revision_graph(member: Option<String>, graph: &crate::adapters::Graph) -> RevisionGraph {
    RevisionGraph {
        member,
        revisions: graph
            .revisions
            .iter()
            .map(|r| (r.revision.clone(), r.down_revision.clone()))
            .collect(),
        heads: graph.heads.clone(),
    }
}

/// Runs a cell; when its engine stopped answering during it, has the engine restarted (once per
/// run, by whichever cell notices first) and runs the cell again on the replacement. When no
/// replacement can run, the cell stays an infrastructure error that says why.
async fn run_with_restart(context: &Context, cell: &Cell) -> CellRun {
    let mut run = run_cell(context, cell).await;
    let id = cell.database.id();
    while let Some((generation, why)) = run.engine_stopped.take() {
        match context
            .engines
            .recover(&id, generation, &why, &cell.id)
            .await
        {
            Ok(()) => run = run_cell(context, cell).await,
            Err(not_restarted) => {
                if let Some(detail) = run.result.detail.as_mut() {
                    detail.push_str(&format!("; the engine was not restarted: {not_restarted}"));
                }
            }
        }
    }
    run
}
