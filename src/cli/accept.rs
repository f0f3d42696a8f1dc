//! `harness accept`: promotes every pending `.snap.new` over its snapshot.

use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::snapshot;

pub(super) fn execute(global: &GlobalArgs) -> Result<ExitStatus, Failure> {
    let config = context::load(global)?;
    let pending = snapshot::pending(&config.snapshots_dir);
    if pending.is_empty() {
        println!("no pending snapshots");
        return Ok(ExitStatus::Success);
    }
    for file in pending {
        let target = snapshot::accept(&file).map_err(|err| {
            Failure::Environment(format!("cannot accept {}: {err}", file.display()))
        })?;
        println!(
            "accepted {}",
            target
                .strip_prefix(&config.root)
                .unwrap_or(&target)
                .display()
        );
    }
    Ok(ExitStatus::Success)
}
