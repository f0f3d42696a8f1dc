//! The cell-selecting arguments shared by `run`, `list` and `matrix`.

use clap::Args;

use super::context::Query;

/// Scenarios by name, `--filter` patterns and `--database` entries.
#[derive(Debug, Args)]
pub struct CellArgs {
    /// Only these scenarios [default: all]
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// Only cells whose id matches (substring, or a pattern with `*`); repeatable
    #[arg(long, short = 'f', value_name = "PATTERN")]
    pub filter: Vec<String>,
    /// Only cells on this database (`sqlite`, `postgres:17`, or an engine name such as `postgres`); repeatable
    #[arg(long, short = 'd', value_name = "DATABASE")]
    pub database: Vec<String>,
}

impl CellArgs {
    /// The query these arguments make, with exact cell ids (`--cell`) when the command has them.
    pub(super) fn query<'a>(&'a self, ids: &'a [String]) -> Query<'a> {
        Query {
            scenarios: &self.scenarios,
            filters: &self.filter,
            databases: &self.database,
            ids,
        }
    }
}
