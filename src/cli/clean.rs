//! `harness clean`: removes what harness processes of this host that are no longer running left
//! behind (containers, networks, local clusters, temporary folders), as every run does when it
//! starts; `--dry-run` only lists it. Never touches what a live process or another host started.

use clap::Args;

use super::{ExitStatus, Failure};
use crate::database;

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// List what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub(super) fn execute(args: CleanArgs) -> Result<ExitStatus, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let notes = runtime.block_on(database::sweep(args.dry_run));
    if notes.is_empty() {
        println!("nothing to clean: no harness process of this host left anything behind");
        return Ok(ExitStatus::Success);
    }
    for note in &notes {
        println!("{note}");
    }
    if notes.iter().any(|note| note.starts_with("could not")) {
        return Err(Failure::Environment(
            "some leftovers could not be removed (see above)".into(),
        ));
    }
    Ok(ExitStatus::Success)
}
