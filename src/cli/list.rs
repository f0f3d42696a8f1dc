//! `harness list`: the expanded matrix, one cell id per line.

use clap::Args;

use crate::matrix::Partition;

use super::{ExitStatus, Failure, GlobalArgs, context};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only these scenarios
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// Only cells whose id matches (substring, or a pattern with `*`); repeatable
    #[arg(long, short = 'f', value_name = "PATTERN")]
    pub filter: Vec<String>,
    /// Only shard K of N, as `harness run --partition K/N` would run it
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

pub(super) fn execute(global: &GlobalArgs, args: ListArgs) -> Result<ExitStatus, Failure> {
    let config = context::load(global)?;
    let cells = context::select(&config, &args.scenarios, &args.filter, &[])?;
    let cells = match args.partition {
        Some(partition) => partition.cells(cells),
        None => cells,
    };
    for cell in cells {
        println!("{}", cell.id);
    }
    Ok(ExitStatus::Success)
}
