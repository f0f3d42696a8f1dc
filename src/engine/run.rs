//! The run: prepare, run the cells with at most `jobs` at once, then settle snapshots.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use super::cell::{CellRun, run_cell};
use super::prepare::{self, Context};
use super::snapshots::settle;
use super::{Progress, RunOptions, RunReport};
use crate::adapters::{AdapterError, Alembic};
use crate::config::{Config, ConfigError};
use crate::matrix::Cell;
use crate::runtime::CacheDir;

/// What stops a run before its cells can give verdicts.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A scenario names something the project does not have (an unknown revision).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The machine cannot host the run (the cache is not writable, ...).
    #[error("cannot set up the run: {0}")]
    Setup(String),
}

impl From<AdapterError> for RunError {
    fn from(err: AdapterError) -> Self {
        RunError::Setup(err.to_string())
    }
}

/// Runs `cells` of `config`.
pub async fn run(
    config: Arc<Config>,
    cells: Vec<Cell>,
    options: &RunOptions,
    cache: &CacheDir,
    progress: Arc<dyn Progress>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let project = &config.project;
    let adapter = Alembic::new(&project.dir, &project.tool_config, &project.env, cache)?;
    let engines = prepare::engines(&cells);
    let (runtimes, runtime_summaries) =
        prepare::runtimes(&config, &cells, cache, progress.as_ref()).await;
    let (graph, warnings) = prepare::graph(&adapter, &runtimes).await;
    if let Some(graph) = &graph {
        prepare::check_revisions(&config, &cells, graph)?;
    }
    let context = Arc::new(Context {
        config: config.clone(),
        adapter,
        runtimes,
        engines,
        graph,
    });

    let limit = Arc::new(Semaphore::new(options.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, cell) in cells.iter().cloned().enumerate() {
        let context = context.clone();
        let limit = limit.clone();
        let progress = progress.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            progress.cell_started(&cell.id);
            let run = run_cell(&context, &cell).await;
            progress.cell_finished(&run.result);
            (index, run)
        });
    }
    let mut runs: Vec<(usize, CellRun)> = Vec::with_capacity(cells.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(entry) => runs.push(entry),
            Err(err) => {
                return Err(RunError::Setup(format!(
                    "a cell's task ended abnormally: {err}"
                )));
            }
        }
    }
    runs.sort_by_key(|(index, _)| *index);
    let runs: Vec<CellRun> = runs.into_iter().map(|(_, run)| run).collect();
    let cells = settle(&config, runs, options.snapshots);
    Ok(RunReport {
        cells,
        partition: None,
        runtimes: runtime_summaries,
        warnings,
        duration: started.elapsed(),
    })
}
