//! Expands a [`Config`] into cells (scenario x database x runtime) in a deterministic order, with
//! stable ids such as `partial/sqlite/python-3.12`, filters them and splits them into shards. Pure: no
//! I/O.

mod filter;
mod partition;

pub use filter::Filter;
pub use partition::{Partition, PartitionError};

use crate::config::{CellPattern, Config, DatabaseSpec, RuntimeSpec};

/// One unit of work: a scenario on a database with a runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `scenario/database/runtime`, stable across runs and machines.
    pub id: String,
    /// The cell's index in the whole matrix (every workspace member's cells, in order), kept
    /// through filters and partitions.
    pub position: usize,
    /// Run only for a selected cell's convergence check (`fresh` beside a selected `partial`):
    /// never reported, and it writes, accepts or deletes no snapshot file.
    pub hidden: bool,
    /// Index into `Config::scenarios`.
    pub scenario: usize,
    pub database: DatabaseSpec,
    pub runtime: RuntimeSpec,
}

impl Cell {
    pub fn new(
        config: &Config,
        scenario: usize,
        database: DatabaseSpec,
        runtime: RuntimeSpec,
    ) -> Self {
        let prefix = config
            .label
            .as_ref()
            .map(|label| format!("{label}:"))
            .unwrap_or_default();
        let id = format!(
            "{prefix}{}/{}/{}",
            config.scenarios[scenario].name,
            database.id(),
            runtime.id()
        );
        Self {
            id,
            position: 0,
            hidden: false,
            scenario,
            database,
            runtime,
        }
    }
}

/// All cells of the configuration: the product of scenarios (by name), databases and runtimes (in the
/// order written), minus `exclude`, plus `include`.
pub fn expand(config: &Config) -> Vec<Cell> {
    let mut cells = Vec::new();
    for scenario in 0..config.scenarios.len() {
        for database in &config.matrix.databases {
            for runtime in &config.matrix.runtimes {
                let cell = Cell::new(config, scenario, database.clone(), runtime.clone());
                if !config
                    .matrix
                    .exclude
                    .iter()
                    .any(|pattern| matches(config, pattern, &cell))
                {
                    cells.push(cell);
                }
            }
        }
    }
    for pattern in &config.matrix.include {
        let (Some(name), Some(database), Some(runtime)) =
            (&pattern.scenario, &pattern.database, &pattern.runtime)
        else {
            continue;
        };
        let Some(scenario) = config.scenarios.iter().position(|s| &s.name == name) else {
            continue;
        };
        let mut runtime = runtime.clone();
        if runtime.interpreter.is_none() {
            runtime.interpreter = config
                .matrix
                .runtimes
                .iter()
                .find(|r| r.key() == runtime.key())
                .and_then(|r| r.interpreter.clone());
        }
        let cell = Cell::new(config, scenario, database.clone(), runtime);
        if !cells.iter().any(|c| c.id == cell.id) {
            cells.push(cell);
        }
    }
    // Stable: within a scenario, the product's order first, then included cells in the order written.
    cells.sort_by_key(|cell| cell.scenario);
    for (position, cell) in cells.iter_mut().enumerate() {
        cell.position = position;
    }
    cells
}

fn matches(config: &Config, pattern: &CellPattern, cell: &Cell) -> bool {
    pattern
        .scenario
        .as_ref()
        .is_none_or(|name| &config.scenarios[cell.scenario].name == name)
        && pattern
            .database
            .as_ref()
            .is_none_or(|db| db == &cell.database)
        && pattern
            .runtime
            .as_ref()
            .is_none_or(|rt| rt.key() == cell.runtime.key())
}
