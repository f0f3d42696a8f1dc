//! `harness accept`: promotes every pending `.snap.new` over its snapshot.

use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::snapshot;

pub(super) fn execute(global: &GlobalArgs) -> Result<ExitStatus, Failure> {
    let mut accepted = 0;
    for config in context::load(global)? {
        for file in snapshot::pending(&config.snapshots_dir) {
            let target = snapshot::accept(&file).map_err(|err| {
                Failure::Environment(format!("cannot accept {}: {err}", file.display()))
            })?;
            println!("accepted {}", config.display_path(&target).display());
            accepted += 1;
        }
    }
    if accepted == 0 {
        println!("no pending snapshots");
    }
    Ok(ExitStatus::Success)
}
