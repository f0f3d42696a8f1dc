//! `harness review`: shows each pending `.snap.new` as a diff against its snapshot.

use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::snapshot::{self, file};

pub(super) fn execute(global: &GlobalArgs) -> Result<ExitStatus, Failure> {
    let config = context::load(global)?;
    let pending = snapshot::pending(&config.snapshots_dir);
    if pending.is_empty() {
        println!("no pending snapshots");
        return Ok(ExitStatus::Success);
    }
    for new in &pending {
        let old = snapshot::accepted_path(new);
        let shown = old
            .strip_prefix(&config.root)
            .unwrap_or(&old)
            .display()
            .to_string();
        let read = |path: &std::path::Path| {
            file::read_body(path).map_err(|err| {
                Failure::Environment(format!("cannot read {}: {err}", path.display()))
            })
        };
        let before = read(&old)?.unwrap_or_default();
        let after = read(new)?.unwrap_or_default();
        println!(
            "{}",
            snapshot::diff(&before, &after, &shown, &format!("{shown}.new"))
        );
    }
    println!("{} pending; `harness accept` takes them", pending.len());
    Ok(ExitStatus::Success)
}
