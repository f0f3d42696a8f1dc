//! Before any cell runs: prepare each runtime once (concurrently), start each engine once, and check
//! every revision the scenarios name against the tool's own view of the revision graph.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::engines::Engines;
use super::{EngineSummary, NotPrepared, Progress};
use crate::adapters::{Graph, Tool};
use crate::config::{Config, ConfigError, EngineKind, Requirements, RevRef, StepKind};
use crate::database;
use crate::docker::Teardown;
use crate::drivers::{self, Backend};
use crate::matrix::Cell;
use crate::outcome::{RuntimeInfo, RuntimeSummary};
use crate::runtime::container::ContainerOptions;
use crate::runtime::{self, CacheDir, PreparedRuntime, Refresh, Session};

/// What the cells share.
pub(super) struct Context {
    pub config: Arc<Config>,
    pub tool: Tool,
    /// The chains of `upgrade_first`, in order.
    pub chains: Vec<Chain>,
    /// By runtime key (`python:3.12`).
    pub runtimes: BTreeMap<String, Result<PreparedRuntime, NotPrepared>>,
    /// By database id (`sqlite`), each restarted at most once when it dies.
    pub engines: Engines,
    /// The revision graph as the tool loads it, when any runtime could load it.
    pub graph: Option<Graph>,
    /// The passwords of the configured servers: hidden in every tool output the run keeps.
    pub secrets: crate::config::Secrets,
    /// The project at each `from_ref` the cells' scenarios start from.
    pub refs: BTreeMap<String, super::refs::RefTree>,
    /// The run's services, handed to every cell's processes.
    pub services: crate::service::Services,
    /// Scenarios that upgrade to `head` on a graph of several heads, with what to do: their cells
    /// fail with it, and the rest of the run goes on.
    pub forked: Vec<(usize, String)>,
}

/// A project whose chain runs before this one's (`upgrade_first`).
pub(super) struct Chain {
    /// Its folder as step labels name it.
    pub name: String,
    pub project: crate::config::Project,
    pub tool: Tool,
}

impl Chain {
    /// The chains of `project`'s `upgrade_first`, each named by its folder relative to the
    /// folder it shares with the project.
    pub fn all(
        project: &crate::config::Project,
        cache: &crate::runtime::CacheDir,
    ) -> Result<Vec<Chain>, crate::adapters::AdapterError> {
        project
            .upgrade_first
            .iter()
            .map(|dir| {
                let chain = project.chain(dir);
                Ok(Chain {
                    name: relative_name(dir, &project.dir),
                    tool: Tool::new(&chain, cache)?,
                    project: chain,
                })
            })
            .collect()
    }
}

/// `dir` below the deepest folder it shares with `from`: `ckan/migration` for a plugin's project
/// in `ckanext/activity/migration`.
fn relative_name(dir: &std::path::Path, from: &std::path::Path) -> String {
    let shared = dir
        .components()
        .zip(from.components())
        .take_while(|(a, b)| a == b)
        .count();
    let rest: std::path::PathBuf = dir.components().skip(shared).collect();
    if rest.as_os_str().is_empty() {
        dir.display().to_string()
    } else {
        rest.display().to_string()
    }
}

/// How this run's runtimes are prepared.
#[derive(Debug, Clone)]
pub(super) enum RuntimePlan {
    Local,
    Container(ContainerOptions),
    /// The container backend was asked for and cannot be used.
    Unavailable(String),
}

/// The project's requirements, plus a database driver for each server engine of the cells whose
/// driver they do not install (psycopg2-binary, PyMySQL), with a warning naming what was added.
pub(super) fn with_drivers(config: &Config, cells: &[Cell]) -> (Requirements, Vec<String>) {
    configured_drivers(config, &config.project.requirements, cells)
}

/// `requirements` with drivers for `cells`' engines, as the configuration asks: added, or none
/// with `[runtime] add_drivers = false`.
pub(super) fn configured_drivers(
    config: &Config,
    requirements: &Requirements,
    cells: &[Cell],
) -> (Requirements, Vec<String>) {
    if config.runtime.keep_drivers_out {
        return (requirements.clone(), Vec::new());
    }
    let engines: Vec<EngineKind> = cells.iter().map(|c| c.database.engine).collect();
    drivers_for(requirements, config.project.tool, &engines)
}

/// `requirements` plus a driver for each engine of `engines` they install none for (with a
/// warning each); Alembic projects only, whose URL the harness writes.
pub fn drivers_for(
    requirements: &Requirements,
    tool: crate::config::ToolKind,
    engines: &[EngineKind],
) -> (Requirements, Vec<String>) {
    let mut requirements = requirements.clone();
    let mut warnings = Vec::new();
    if tool != crate::config::ToolKind::Alembic {
        return (requirements, warnings);
    }
    let listed = requirements
        .key_text()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut add = |package: &str, engine: &str, drivers: &[&'static str]| {
        if !drivers.iter().any(|d| listed.contains(d))
            && !requirements.packages.iter().any(|p| p == package)
        {
            requirements.packages.push(package.to_string());
            warnings.push(format!(
                "the project's requirements install no {engine} driver: {package} is added to the cached environments (list a driver in the requirements to choose another, or set `add_drivers = false` under [runtime] to have the cells fail instead)"
            ));
        }
    };
    // A project on asyncio opens async engines: the cell's SQLite needs an async driver too.
    let asynchronous = drivers::async_distributions()
        .iter()
        .chain(&["asyncio"])
        .any(|marker| listed.contains(marker));
    let preferred = |backend, asynchronous| {
        drivers::of(backend, asynchronous)
            .next()
            .map_or("", |driver| driver.package)
    };
    if asynchronous && engines.contains(&EngineKind::Sqlite) {
        add(
            preferred(Backend::Sqlite, true),
            "async SQLite",
            &drivers::distributions_of(Backend::Sqlite),
        );
    }
    if engines.contains(&EngineKind::Postgres) {
        add(
            preferred(Backend::Postgresql, false),
            "PostgreSQL",
            &drivers::distributions_of(Backend::Postgresql),
        );
    }
    if engines
        .iter()
        .any(|e| matches!(e, EngineKind::Mariadb | EngineKind::Mysql))
    {
        add(
            preferred(Backend::Mysql, false),
            "MySQL/MariaDB",
            &drivers::distributions_of(Backend::Mysql),
        );
    }
    (requirements, warnings)
}

pub(super) async fn runtimes(
    requirements: &Requirements,
    cells: &[Cell],
    cache: &CacheDir,
    plan: &RuntimePlan,
    refresh: &Refresh,
    progress: &dyn Progress,
) -> (
    BTreeMap<String, Result<PreparedRuntime, NotPrepared>>,
    Vec<RuntimeSummary>,
) {
    let mut specs = Vec::new();
    for cell in cells {
        if !specs
            .iter()
            .any(|s: &crate::config::RuntimeSpec| s.key() == cell.runtime.key())
        {
            specs.push(cell.runtime.clone());
        }
    }
    // The preparations run as tasks of their own; their phases come back through a channel, and
    // are passed on here, each runtime's before it is ready.
    let (phase_tx, mut phases) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, spec) in specs.iter().enumerate() {
        let spec = spec.clone();
        let requirements = requirements.clone();
        let cache = cache.clone();
        let plan = plan.clone();
        let refresh = refresh.clone();
        let phase_tx = phase_tx.clone();
        let key = spec.key();
        let sink = runtime::PhaseSink::new(move |phase| {
            let _ = phase_tx.send((key.clone(), phase));
        });
        tasks.spawn(async move {
            let result = match plan {
                RuntimePlan::Local => {
                    runtime::prepare_refreshing(&spec, &requirements, &cache, &refresh, &sink).await
                }
                RuntimePlan::Container(options) => {
                    runtime::prepare_container(
                        &spec,
                        &requirements,
                        options,
                        &cache,
                        &refresh,
                        &sink,
                    )
                    .await
                }
                RuntimePlan::Unavailable(why) => Err(runtime::RuntimeError::Container {
                    runtime: spec.key(),
                    what: why,
                    help: "start a Docker engine (dockerd, Docker Desktop) or point DOCKER_HOST \
                           at it, or set `[runtime] backend = \"local\"` (or \
                           HARNESS_RUNTIME_BACKEND=local) to use interpreters on this machine"
                        .into(),
                }),
            };
            // A full disk under the cache explains most failures of a preparation; the
            // installers' messages seldom say so.
            // Its warm worker starts importing the tool now, while engines and the other
            // runtimes are still being prepared, not when its first step asks for it.
            if let Ok(prepared) = &result
                && let runtime::Backend::Local(env) = &prepared.backend
            {
                let env = env.clone();
                tokio::spawn(async move { env.warm().await });
            }
            let result = result.map_err(|err| NotPrepared::of(&err, cache.disk_full()));
            (index, spec.key(), result)
        });
    }
    drop(phase_tx);
    let mut done = Vec::new();
    loop {
        let joined = tokio::select! {
            Some((key, phase)) = phases.recv() => {
                progress.runtime_phase(&key, &phase);
                continue;
            }
            joined = tasks.join_next() => joined,
        };
        let Some(joined) = joined else { break };
        // A task sends its phases before it ends: those still queued come first.
        while let Ok((key, phase)) = phases.try_recv() {
            progress.runtime_phase(&key, &phase);
        }
        if let Ok(entry) = joined {
            let summary = summary(&entry.1, &entry.2);
            progress.runtime_ready(&summary);
            done.push(entry);
        }
    }
    done.sort_by_key(|(index, _, _)| *index);
    let summaries = done
        .iter()
        .map(|(_, key, result)| summary(key, result))
        .collect();
    (
        done.into_iter()
            .map(|(_, key, result)| (key, result))
            .collect(),
        summaries,
    )
}

fn summary(key: &str, result: &Result<PreparedRuntime, NotPrepared>) -> RuntimeSummary {
    RuntimeSummary {
        key: key.to_string(),
        member: None,
        outcome: result
            .as_ref()
            .map(|rt| crate::outcome::RuntimeReady {
                info: info(rt),
                reused: rt.reused,
                setup_time: rt.setup_time,
            })
            .map_err(|err| crate::outcome::RuntimeNotReady {
                message: err.message.clone(),
                signature: err.signature.clone(),
            }),
    }
}

pub(super) fn info(runtime: &PreparedRuntime) -> RuntimeInfo {
    RuntimeInfo {
        key: runtime.spec.key(),
        backend: runtime.backend.name().to_string(),
        version: runtime.interpreter.version.clone(),
        interpreter: runtime.interpreter.path.clone(),
        source: runtime.interpreter.source.to_string(),
        image: runtime.image().map(|image| image.reference.clone()),
        packages: runtime.packages.clone(),
    }
}

/// Starts one engine per database of the cells, concurrently; each is registered with `teardown`
/// as soon as it runs, so an interrupted run still removes it.
pub(super) async fn engines(
    cells: &[Cell],
    teardown: &Arc<Teardown>,
    network: Option<String>,
    progress: &dyn Progress,
    shared: Option<&super::engines::SharedEngines>,
) -> Engines {
    let mut specs: Vec<crate::config::DatabaseSpec> = Vec::new();
    for cell in cells {
        if !specs.contains(&cell.database) {
            specs.push(cell.database.clone());
        }
    }
    // An engine an earlier workspace member started is used again, not started anew.
    let mut done = Vec::new();
    let mut to_start = Vec::new();
    for (index, spec) in specs.into_iter().enumerate() {
        // (SQLite has no server to share: each member "starts" its own, which costs nothing.)
        let server = spec.engine != crate::config::EngineKind::Sqlite;
        match shared
            .filter(|_| server)
            .and_then(|shared| shared.get(&spec, network.as_deref()))
        {
            Some(engine) => done.push((index, spec, Ok(engine))),
            None => to_start.push((index, spec)),
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    // SQLite has nothing to start: it is ready at once, before anything else is told, so the
    // progress lines come in the same order every time.
    let (sqlite, to_start): (Vec<_>, Vec<_>) = to_start
        .into_iter()
        .partition(|(_, spec)| spec.engine == crate::config::EngineKind::Sqlite);
    for (index, spec) in sqlite {
        let result = database::start(&spec, network.as_deref())
            .await
            .map_err(Arc::new);
        let summary = EngineSummary {
            database: spec.to_string(),
            outcome: result.as_ref().map(|e| e.info()).map_err(Arc::clone),
        };
        progress.engine_ready(&summary);
        done.push((index, spec, result));
    }
    for (index, spec) in to_start {
        let teardown = teardown.clone();
        let network = network.clone();
        tasks.spawn(async move {
            let result = database::start(&spec, network.as_deref()).await;
            if let Ok(engine) = &result {
                teardown.register(database::release(engine.clone()));
            }
            (index, spec, result.map_err(Arc::new))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, spec, result)) = joined {
            let summary = EngineSummary {
                database: spec.to_string(),
                outcome: result.as_ref().map(|e| e.info()).map_err(Arc::clone),
            };
            progress.engine_ready(&summary);
            if let (Some(shared), Ok(engine)) = (shared, &result) {
                shared.add(&spec, network.as_deref(), engine.clone());
            }
            done.push((index, spec, result));
        }
    }
    done.sort_by_key(|(index, ..)| *index);
    let started = done
        .into_iter()
        .map(|(_, spec, result)| (spec, result))
        .collect();
    Engines::new(started, network, teardown.clone())
}

/// The revision graph as the first runtime that can load it gives it, the warnings of the ones
/// that could not, and, when none could, each one's error.
pub(super) struct LoadedGraph {
    pub graph: Option<Graph>,
    pub warnings: Vec<String>,
    /// (runtime, the tool's error), for the runtimes that could not load it.
    pub failures: Vec<(String, crate::adapters::AdapterError)>,
}

/// Loads the graph with the first runtime that can.
pub(super) async fn graph(
    tool: &Tool,
    runtimes: &BTreeMap<String, Result<PreparedRuntime, NotPrepared>>,
) -> LoadedGraph {
    let mut loaded = LoadedGraph {
        graph: None,
        warnings: Vec::new(),
        failures: Vec::new(),
    };
    for (key, runtime) in runtimes {
        let Ok(runtime) = runtime else { continue };
        let session = Session::new(runtime, None, "revision-graph");
        let graph = tool.graph(&session).await;
        if let Some(warning) = session.close().await {
            loaded.warnings.push(warning);
        }
        match graph {
            Ok(graph) => {
                loaded.graph = graph;
                return loaded;
            }
            Err(err) => {
                loaded.warnings.push(format!(
                    "{key}: the migration tool could not load the revision graph: {err}"
                ));
                loaded.failures.push((key.clone(), err));
            }
        }
    }
    loaded
}

/// When no runtime could load the revision graph, no cell can upgrade: unless a scenario expects
/// a failure, the run stops before its cells with one message, each distinct error once with the
/// runtimes that gave it.
pub(super) fn graph_stop(config: &Config, cells: &[Cell], loaded: &LoadedGraph) -> Option<String> {
    if loaded.graph.is_some() || loaded.failures.is_empty() {
        return None;
    }
    let expects_failure = cells.iter().any(|cell| {
        let expect = &config.scenarios[cell.scenario].expect;
        expect.base.expects_failure() || expect.when.iter().any(|(_, f, _)| f.expects_failure())
    });
    if expects_failure {
        return None;
    }
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for (runtime, err) in &loaded.failures {
        let text = match err {
            crate::adapters::AdapterError::Failed { tail, .. } => {
                let excerpt = crate::adapters::traceback::excerpt(tail, &config.project.dir, 4);
                // What the entry point said on the way (the Flask app that did not load) first.
                match err.entry_point_said() {
                    Some(said) => format!("{said}\n{excerpt}"),
                    None => excerpt,
                }
            }
            other => other.to_string(),
        };
        match groups.iter_mut().find(|(seen, _)| *seen == text) {
            Some((_, runtimes)) => runtimes.push(runtime),
            None => groups.push((text, vec![runtime])),
        }
    }
    let mut message =
        String::from("the migration tool cannot load the revision graph, so no cell can run");
    // A settings check that stops the project from loading is not a file to fix.
    let settings = loaded.failures.iter().any(|(_, err)| {
        matches!(
            err,
            crate::adapters::AdapterError::Failed {
                missing_setting: true,
                ..
            }
        )
    });
    for (text, runtimes) in groups {
        message.push_str(&format!("\n  on {}:", runtimes.join(", ")));
        for line in text.lines() {
            message.push_str(&format!("\n    {line}"));
        }
    }
    message.push_str(if settings {
        "\n  help: the project's settings refuse to load without a value it is not given: set it under [project.env] in harness.toml (any value serves for a secret; `${HARNESS_RUN_SECRET}` is a random one)"
    } else {
        "\n  help: fix the file the error points at; `harness lint` reads the revision files without running them"
    });
    Some(message)
}

/// Every revision a selected scenario names must exist in the graph. Returns the scenarios that
/// upgrade to `head` on a graph of several heads, each with its message (Alembic would refuse).
pub(super) fn check_revisions(
    config: &Config,
    cells: &[Cell],
    graph: &Graph,
) -> Result<Vec<(usize, String)>, ConfigError> {
    let mut forked = Vec::new();
    let mut seen = Vec::new();
    for cell in cells {
        if seen.contains(&cell.scenario) {
            continue;
        }
        seen.push(cell.scenario);
        let scenario = &config.scenarios[cell.scenario];
        let mut refs: Vec<&RevRef> = Vec::new();
        // Steps at a `from_ref` run with that release's revisions, not today's.
        let steps = if scenario.from_ref.is_some() {
            &[][..]
        } else {
            &scenario.steps[..]
        };
        for step in steps {
            match &step.kind {
                StepKind::Upgrade(rev) | StepKind::Downgrade(rev) => refs.push(rev),
                StepKind::Stamp(revs) => refs.extend(revs),
                StepKind::Sql { .. } | StepKind::Command(_) | StepKind::Dump(_) => {}
            }
        }
        if let Some(interrupt) = &scenario.interrupt {
            refs.push(&interrupt.revision);
        }
        refs.push(&scenario.target);
        let expects_failure = scenario.expect.base.expects_failure()
            || scenario
                .expect
                .when
                .iter()
                .any(|(_, fields, _)| fields.expects_failure());
        if graph.heads.len() > 1
            && !expects_failure
            && let Some(rev) = refs.iter().find(|rev| rev.value == "head")
        {
            let written = if rev.at.line > 1 || rev.at.column > 1 {
                format!(" ({}:{})", rev.at.path.display(), rev.at.line)
            } else {
                String::new()
            };
            forked.push((
                cell.scenario,
                format!(
                    "the revision graph has {} heads ({}), and this scenario upgrades to `head`{written}, which Alembic refuses (\"Multiple head revisions are present\"): merge the branches (`alembic merge heads`), or set `target = \"heads\"` to upgrade every branch on purpose; `harness lint` shows the fork",
                    graph.heads.len(),
                    graph.heads.join(", ")
                ),
            ));
            continue;
        }
        let versions = scenario.expect.version_refs();
        refs.extend(versions.iter());
        for rev in refs {
            graph.check(&rev.value).map_err(|err| {
                let ids = graph.revisions.iter().map(|r| r.revision.as_str());
                let help = match crate::words::closest(&rev.value, ids) {
                    Some(meant) => format!("did you mean `{meant}`? {}", graph.known()),
                    None => graph.known(),
                };
                ConfigError::at(rev.at.clone(), err.to_string()).with_help(help)
            })?;
        }
    }
    Ok(forked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(requirements: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        std::fs::write(dir.path().join("requirements.txt"), requirements).unwrap();
        std::fs::create_dir(dir.path().join("scenarios")).unwrap();
        std::fs::write(
            dir.path().join("harness.toml"),
            "builtins = [\"fresh\"]\n[project]\ntool = \"alembic\"\n[matrix]\n\
             databases = [\"sqlite\", \"postgres:17\", \"mariadb:11\"]\nruntimes = [\"python:3.12\"]\n",
        )
        .unwrap();
        let config = Config::load(&dir.path().join("harness.toml")).unwrap();
        (dir, config)
    }

    #[test]
    fn a_driver_is_added_for_each_server_engine_the_requirements_miss() {
        let (_dir, config) = project("alembic\n");
        let cells = crate::matrix::expand(&config);
        let (requirements, warnings) = with_drivers(&config, &cells);
        assert_eq!(requirements.packages, ["psycopg2-binary", "PyMySQL"]);
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("no PostgreSQL driver"), "{warnings:?}");

        let sqlite_only: Vec<Cell> = cells
            .into_iter()
            .filter(|c| c.database.engine == EngineKind::Sqlite)
            .collect();
        assert!(with_drivers(&config, &sqlite_only).1.is_empty());

        let (_dir, config) = project("alembic\nasyncpg\npymysql\n");
        let cells = crate::matrix::expand(&config);
        let (requirements, _) = with_drivers(&config, &cells);
        assert_eq!(
            requirements.packages,
            ["aiosqlite"],
            "an async project on SQLite"
        );

        let (_dir, config) = project("alembic\npsycopg[binary]\npymysql\n");
        let cells = crate::matrix::expand(&config);
        let (requirements, warnings) = with_drivers(&config, &cells);
        assert!(requirements.packages.is_empty() && warnings.is_empty());
    }
}
