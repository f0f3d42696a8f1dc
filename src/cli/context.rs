//! What several subcommands share: finding and loading harness.toml, selecting cells.

use std::path::PathBuf;

use super::{Failure, GlobalArgs};
use crate::config::{self, Config, ConfigError};
use crate::matrix::{self, Cell, Filter};

pub(super) fn load(global: &GlobalArgs) -> Result<Config, Failure> {
    let path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_FILE));
    if global.config.is_none() && !path.is_file() {
        return Err(ConfigError::file(&path, "no harness.toml in this folder")
            .with_help("run from the project's root, pass --config FILE or -C DIR")
            .into());
    }
    Ok(Config::load(&path)?)
}

/// The cells of the named scenarios (all when none is named) that match the filters.
pub(super) fn select(
    config: &Config,
    scenarios: &[String],
    filters: &[String],
) -> Result<Vec<Cell>, Failure> {
    for name in scenarios {
        if config.scenario(name).is_none() {
            let known = config
                .scenarios
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Failure::Usage(format!(
                "unknown scenario `{name}`\n  help: scenarios in this project: {known}"
            )));
        }
    }
    let filter = Filter::new(filters.to_vec());
    let cells: Vec<Cell> = matrix::expand(config)
        .into_iter()
        .filter(|cell| {
            scenarios.is_empty() || scenarios.contains(&config.scenarios[cell.scenario].name)
        })
        .filter(|cell| filter.matches(&cell.id))
        .collect();
    if cells.is_empty() {
        return Err(Failure::Usage(
            "no cell matches the scenarios and filters given\n  help: `harness list` prints every cell id".into(),
        ));
    }
    Ok(cells)
}

/// Adds the cells a selected cell's convergence check compares with (`fresh` on the same database
/// and runtime), so `harness run partial` still checks convergence.
pub(super) fn with_references(config: &Config, mut cells: Vec<Cell>) -> Vec<Cell> {
    let mut added = Vec::new();
    for cell in &cells {
        let expect = &config.scenarios[cell.scenario].expect;
        let mut names: Vec<&str> = expect.refs.iter().map(|(name, _)| name.as_str()).collect();
        names.extend(expect.base.converges_with.as_deref());
        names.extend(expect.base.diverges_from.as_deref());
        for name in names {
            let Some(index) = config.scenarios.iter().position(|s| s.name == name) else {
                continue;
            };
            let reference = Cell::new(config, index, cell.database.clone(), cell.runtime.clone());
            if !cells
                .iter()
                .chain(&added)
                .any(|c: &Cell| c.id == reference.id)
            {
                added.push(reference);
            }
        }
    }
    cells.extend(added);
    cells.sort_by_key(|cell| cell.scenario);
    cells
}
