//! `harness review`: shows each pending `.snap.new` as a diff against its snapshot.

use std::path::Path;

use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::snapshot::{self, file};

pub(super) fn execute(global: &GlobalArgs) -> Result<ExitStatus, Failure> {
    let mut count = 0;
    for config in context::load(global)? {
        for new in snapshot::pending(&config.snapshots_dir) {
            let old = snapshot::accepted_path(&new);
            let shown = config.display_path(&old).display().to_string();
            let before = read(&old)?.unwrap_or_default();
            let after = read(&new)?.unwrap_or_default();
            println!(
                "{}",
                snapshot::diff(&before, &after, &shown, &format!("{shown}.new"))
            );
            count += 1;
        }
    }
    if count == 0 {
        println!("no pending snapshots");
    } else {
        println!("{count} pending; `harness accept` takes them");
    }
    Ok(ExitStatus::Success)
}

fn read(path: &Path) -> Result<Option<String>, Failure> {
    file::read_body(path)
        .map_err(|err| Failure::Environment(format!("cannot read {}: {err}", path.display())))
}
