//! `harness list`: the expanded matrix, one cell id per line.

use clap::Args;

use super::context::{self, Query};
use super::{ExitStatus, Failure, GlobalArgs};
use crate::matrix::Partition;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only these scenarios
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// Only cells whose id matches (substring, or a pattern with `*`); repeatable
    #[arg(long, short = 'f', value_name = "PATTERN")]
    pub filter: Vec<String>,
    /// Only cells on this database (`sqlite`, `postgres:17`, or an engine name such as `postgres`); repeatable
    #[arg(long, short = 'd', value_name = "DATABASE")]
    pub database: Vec<String>,
    /// Only shard K of N, as `harness run --partition K/N` would run it
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

pub(super) fn execute(global: &GlobalArgs, args: ListArgs) -> Result<ExitStatus, Failure> {
    let configs = context::load(global)?;
    let query = Query {
        scenarios: &args.scenarios,
        filters: &args.filter,
        databases: &args.database,
        ids: &[],
    };
    let mut selections = context::select(configs, &query)?;
    if let Some(partition) = args.partition {
        selections = context::partition(selections, partition);
    }
    for selection in selections {
        for cell in selection.cells {
            println!("{}", cell.id);
        }
    }
    Ok(ExitStatus::Success)
}
