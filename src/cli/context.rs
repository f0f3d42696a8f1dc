//! What several subcommands share: finding and loading harness.toml (and its members), selecting
//! cells.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Failure, GlobalArgs};
use crate::config::{self, Config, ConfigError};
use crate::discover;
use crate::matrix::{self, Cell, Filter, Partition};

/// The configuration and its members, root first. Without `--config`, harness.toml is the one in
/// the working folder or the nearest folder above it (up to the repository's root); the command
/// then works from that file's folder, so relative paths read as they would there.
pub(super) fn load(global: &GlobalArgs) -> Result<Vec<Config>, Failure> {
    let path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_FILE));
    if global.config.is_none() && !path.is_file() {
        let above = std::env::current_dir()
            .ok()
            .and_then(|here| discover::find_upward(&here, config::DEFAULT_FILE));
        let Some(found) = above else {
            return Err(ConfigError::file(&path, "no harness.toml in this folder")
                .with_help(no_config_help())
                .into());
        };
        if let Some(dir) = found.parent() {
            std::env::set_current_dir(dir).map_err(|err| {
                Failure::Usage(format!("cannot work from {}: {err}", dir.display()))
            })?;
        }
    }
    Ok(Config::load_workspace(&path)?)
}

/// What to do without a harness.toml: the Alembic projects below this folder, when there are any,
/// are named, with `harness init` to write one.
fn no_config_help() -> String {
    let here = std::env::current_dir().unwrap_or_default();
    let projects = discover::find_projects(&here).unwrap_or_default();
    if projects.is_empty() {
        return "run from the project's root, pass --config FILE or -C DIR".into();
    }
    let shown: Vec<String> = projects
        .iter()
        .map(|p| discover::relative(&here, p.origin()))
        .collect();
    format!(
        "Alembic {} below this folder: {}; `harness init` writes harness.toml for {}, or run from a project's root, pass --config FILE or -C DIR",
        if shown.len() == 1 {
            "project"
        } else {
            "projects"
        },
        crate::words::list_cut(&shown, 6),
        if shown.len() == 1 { "it" } else { "them" },
    )
}

/// Which cells a command works on.
#[derive(Debug, Default)]
pub(super) struct Query<'a> {
    /// Scenario names; all when empty.
    pub scenarios: &'a [String],
    /// `--filter` patterns on cell ids.
    pub filters: &'a [String],
    /// `--database` entries (`sqlite`, `postgres:17`, or an engine name); all when empty.
    pub databases: &'a [String],
    /// `--cell` ids: exactly these cells, when any is given.
    pub ids: &'a [String],
}

/// One configuration and its selected cells.
#[derive(Clone)]
pub(super) struct Selection {
    pub config: Arc<Config>,
    pub cells: Vec<Cell>,
}

/// The selected cells of every configuration that has any.
pub(super) fn select(configs: Vec<Config>, query: &Query<'_>) -> Result<Vec<Selection>, Failure> {
    for name in query.scenarios {
        if !configs.iter().any(|config| config.scenario(name).is_some()) {
            let mut known: Vec<&str> = configs
                .iter()
                .flat_map(|c| c.scenarios.iter().map(|s| s.name.as_str()))
                .collect();
            known.sort_unstable();
            known.dedup();
            let meant = crate::words::closest(name, known.iter().copied())
                .map(|m| format!("did you mean `{m}`? "))
                .unwrap_or_default();
            return Err(Failure::Usage(format!(
                "unknown scenario `{name}`\n  help: {meant}scenarios in this project: {}",
                known.join(", ")
            )));
        }
    }
    // Positions run across the workspace (the root's cells, then each member's), so shards of a
    // workspace run merge back into the unsharded order.
    let mut offset = 0;
    let configs: Vec<(Config, Vec<Cell>)> = configs
        .into_iter()
        .map(|config| {
            let mut cells = matrix::expand(&config);
            for cell in &mut cells {
                cell.position += offset;
            }
            offset += cells.len();
            (config, cells)
        })
        .collect();
    if let Some(unknown) = query.ids.iter().find(|id| {
        !configs
            .iter()
            .any(|(_, cells)| cells.iter().any(|c| &c.id == *id))
    }) {
        return Err(Failure::Usage(format!(
            "no cell has the id `{unknown}`\n  help: `harness list` prints every cell id"
        )));
    }
    // What a misspelt --database or scenario was most likely meant to be.
    let mut known_databases: Vec<String> = Vec::new();
    let mut known_scenarios: Vec<String> = Vec::new();
    for (config, cells) in &configs {
        for cell in cells {
            for name in [
                cell.database.to_string(),
                cell.database.engine.name().to_string(),
            ] {
                if !known_databases.contains(&name) {
                    known_databases.push(name);
                }
            }
        }
        for scenario in &config.scenarios {
            if !known_scenarios.contains(&scenario.name) {
                known_scenarios.push(scenario.name.clone());
            }
        }
    }
    let guess = |given: &[String], known: &[String], flag: &str| {
        given
            .iter()
            .filter(|g| !known.contains(g))
            .find_map(|g| {
                crate::words::closest(g, known.iter().map(String::as_str))
                    .map(|m| format!("\n  help: {flag} `{g}`: did you mean `{m}`?"))
            })
            .unwrap_or_default()
    };
    let did_you_mean = guess(query.databases, &known_databases, "--database")
        + &guess(query.scenarios, &known_scenarios, "scenario");
    let filter = Filter::new(query.filters.to_vec());
    let mut selections = Vec::new();
    for (config, all) in configs {
        let cells: Vec<Cell> = all
            .into_iter()
            .filter(|cell| query.ids.is_empty() || query.ids.contains(&cell.id))
            .filter(|cell| {
                query.scenarios.is_empty()
                    || query
                        .scenarios
                        .contains(&config.scenarios[cell.scenario].name)
            })
            .filter(|cell| {
                query.databases.is_empty()
                    || query.databases.iter().any(|d| {
                        *d == cell.database.to_string() || d == cell.database.engine.name()
                    })
            })
            .filter(|cell| filter.matches(&cell.id))
            .collect();
        if !cells.is_empty() {
            selections.push(Selection {
                config: Arc::new(config),
                cells,
            });
        }
    }
    if selections.is_empty() {
        return Err(Failure::Usage(format!(
            "no cell matches the scenarios and filters given{did_you_mean}\n  help: `harness list` prints every cell id"
        )));
    }
    Ok(selections)
}

/// Shard K of N: whole snapshot groups (configuration x scenario x database, every runtime) dealt
/// round-robin in matrix order, so runtimes are compared inside one shard. The cells a convergence
/// check needs are added to each shard afterwards and reported only where they were selected.
pub(super) fn partition(selections: Vec<Selection>, partition: Partition) -> Vec<Selection> {
    let configs = selections
        .into_iter()
        .map(|selection| (selection.config, selection.cells))
        .collect();
    partition
        .shard(configs)
        .into_iter()
        .map(|(config, cells)| Selection { config, cells })
        .collect()
}

/// Adds the cells a selected cell's convergence check compares with (`fresh` on the same database
/// and runtime), so `harness run partial` still checks convergence.
pub(super) fn with_references(config: &Config, mut cells: Vec<Cell>) -> Vec<Cell> {
    let mut added = Vec::new();
    for cell in &cells {
        let expect = &config.scenarios[cell.scenario].expect;
        let mut names: Vec<&str> = expect.refs.iter().map(|(name, _)| name.as_str()).collect();
        if !expect.base.expects_failure() {
            names.extend(expect.base.converges_with.as_deref());
        }
        names.extend(expect.base.diverges_from.as_deref());
        for name in names {
            let Some(index) = config.scenarios.iter().position(|s| s.name == name) else {
                continue;
            };
            let mut reference =
                Cell::new(config, index, cell.database.clone(), cell.runtime.clone());
            reference.hidden = true;
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
