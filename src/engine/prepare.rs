//! Before any cell runs: prepare each runtime once (concurrently), start each engine once, and check
//! every revision the scenarios name against the tool's own view of the revision graph.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Progress, RuntimeInfo, RuntimeSummary};
use crate::adapters::{Graph, Tool};
use crate::config::{Config, ConfigError, RevRef, StepKind};
use crate::database::{self, Engine};
use crate::matrix::Cell;
use crate::runtime::{self, CacheDir, PreparedRuntime};

/// What the cells share.
pub(super) struct Context {
    pub config: Arc<Config>,
    pub tool: Tool,
    /// By runtime key (`python:3.12`).
    pub runtimes: BTreeMap<String, Result<PreparedRuntime, String>>,
    /// By database id (`sqlite`).
    pub engines: BTreeMap<String, Result<Arc<dyn Engine>, String>>,
    /// The revision graph as the tool loads it, when any runtime could load it.
    pub graph: Option<Graph>,
}

pub(super) async fn runtimes(
    config: &Config,
    cells: &[Cell],
    cache: &CacheDir,
    progress: &dyn Progress,
) -> (
    BTreeMap<String, Result<PreparedRuntime, String>>,
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
    let mut tasks = tokio::task::JoinSet::new();
    for (index, spec) in specs.iter().enumerate() {
        let spec = spec.clone();
        let requirements = config.project.requirements.clone();
        let cache = cache.clone();
        tasks.spawn(async move {
            let result = runtime::prepare(&spec, &requirements, &cache)
                .await
                .map_err(|err| match err.help() {
                    Some(help) => format!("{err}\n  help: {help}"),
                    None => err.to_string(),
                });
            (index, spec.key(), result)
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
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

fn summary(key: &str, result: &Result<PreparedRuntime, String>) -> RuntimeSummary {
    RuntimeSummary {
        key: key.to_string(),
        outcome: result
            .as_ref()
            .map(|rt| (info(rt), rt.reused, rt.setup_time))
            .map_err(Clone::clone),
    }
}

pub(super) fn info(runtime: &PreparedRuntime) -> RuntimeInfo {
    RuntimeInfo {
        key: runtime.spec.key(),
        version: runtime.interpreter.version.clone(),
        interpreter: runtime.interpreter.path.clone(),
        source: runtime.interpreter.source.to_string(),
    }
}

pub(super) fn engines(cells: &[Cell]) -> BTreeMap<String, Result<Arc<dyn Engine>, String>> {
    let mut engines = BTreeMap::new();
    for cell in cells {
        engines.entry(cell.database.id()).or_insert_with(|| {
            database::start(&cell.database)
                .map(Arc::from)
                .map_err(|err| err.to_string())
        });
    }
    engines
}

/// Loads the graph with the first runtime that can; returns warnings for the ones that could not.
pub(super) async fn graph(
    tool: &Tool,
    runtimes: &BTreeMap<String, Result<PreparedRuntime, String>>,
) -> (Option<Graph>, Vec<String>) {
    let mut warnings = Vec::new();
    for (key, runtime) in runtimes {
        let Ok(runtime) = runtime else { continue };
        match tool.graph(runtime).await {
            Ok(graph) => return (graph, warnings),
            Err(err) => warnings.push(format!(
                "{key}: the migration tool could not load the revision graph: {err}"
            )),
        }
    }
    (None, warnings)
}

/// Every revision a selected scenario names must exist in the graph.
pub(super) fn check_revisions(
    config: &Config,
    cells: &[Cell],
    graph: &Graph,
) -> Result<(), ConfigError> {
    let mut seen = Vec::new();
    for cell in cells {
        if seen.contains(&cell.scenario) {
            continue;
        }
        seen.push(cell.scenario);
        let scenario = &config.scenarios[cell.scenario];
        let mut refs: Vec<&RevRef> = Vec::new();
        for step in &scenario.steps {
            match &step.kind {
                StepKind::Upgrade(rev) | StepKind::Downgrade(rev) => refs.push(rev),
                StepKind::Stamp(revs) => refs.extend(revs),
                StepKind::Sql { .. } | StepKind::Command(_) => {}
            }
        }
        refs.push(&scenario.target);
        let versions = scenario.expect.version_refs();
        refs.extend(versions.iter());
        for rev in refs {
            graph
                .check(&rev.value)
                .map_err(|msg| ConfigError::at(rev.at.clone(), msg).with_help(graph.known()))?;
        }
    }
    Ok(())
}
