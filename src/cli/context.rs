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

/// The cells of the named scenarios (all when none is named) that match the filters and, when any
/// is given, have one of the exact ids in `ids`.
pub(super) fn select(
    config: &Config,
    scenarios: &[String],
    filters: &[String],
    ids: &[String],
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
    let all = matrix::expand(config);
    if let Some(unknown) = ids.iter().find(|id| !all.iter().any(|c| &c.id == *id)) {
        return Err(Failure::Usage(format!(
            "no cell has the id `{unknown}`\n  help: `harness list` prints every cell id"
        )));
    }
    let filter = Filter::new(filters.to_vec());
    let cells: Vec<Cell> = all
        .into_iter()
        .filter(|cell| ids.is_empty() || ids.contains(&cell.id))
        .filter(|cell| {
            scenarios.is_empty() || scenarios.contains(&config.scenarios[cell.scenario].name)
        })
        .filter(|cell| filter.matches(&cell.id))
        .collect();
    if cells.is_empty() {
        return Err(Failure::Usage("no cell matches the scenarios and filters given\n  help: `harness list` prints every cell id".into()));
    }
    Ok(cells)
}
