//! `harness list`: the expanded matrix, one cell id per line.

use clap::Args;

use super::cell_args::CellArgs;
use super::context;
use super::{ExitStatus, Failure, GlobalArgs};
use crate::matrix::Partition;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub cells: CellArgs,
    /// Only shard K of N, as `harness run --partition K/N` would run it
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

pub(super) fn execute(global: &GlobalArgs, args: ListArgs) -> Result<ExitStatus, Failure> {
    let configs = context::load(global)?;
    let query = args.cells.query(&[]);
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
