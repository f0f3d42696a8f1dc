//! Schema model -> deterministic text; `.snap` files; comparing, writing `.snap.new`, accepting.
//! Decides nothing about verdicts: the engine does.

mod diff;
pub mod file;
mod render;

use std::path::{Path, PathBuf};

pub use diff::diff;
pub use file::{Header, pending_path};
pub use render::{RenderOptions, render};

/// `snapshots/<scenario>/<database>.snap`.
pub fn path_for(snapshots_dir: &Path, scenario: &str, database_id: &str) -> PathBuf {
    snapshots_dir
        .join(scenario)
        .join(format!("{database_id}.snap"))
}

/// Every pending `.snap.new` below `dir`, sorted.
pub fn pending(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(dir, &mut found);
    found.sort();
    found
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.to_string_lossy().ends_with(".snap.new") {
            found.push(path);
        }
    }
}

/// `x.snap.new` -> `x.snap`.
pub fn accepted_path(pending: &Path) -> PathBuf {
    let text = pending.to_string_lossy();
    PathBuf::from(text.strip_suffix(".new").unwrap_or(&text))
}

/// Promotes one pending file over its snapshot.
pub fn accept(pending: &Path) -> std::io::Result<PathBuf> {
    let target = accepted_path(pending);
    std::fs::rename(pending, &target)?;
    Ok(target)
}

/// Drops one pending file, leaving its snapshot as it was.
pub fn reject(pending: &Path) -> std::io::Result<()> {
    std::fs::remove_file(pending)
}

/// What a pending file below `snapshots_dir` is the snapshot of: `<scenario>/<database>` (the
/// database as in file names, `postgres-17`); `None` for a file outside that layout.
pub fn group_of(snapshots_dir: &Path, pending: &Path) -> Option<String> {
    let relative = pending.strip_prefix(snapshots_dir).ok()?;
    let text = relative.to_str()?.strip_suffix(".snap.new")?;
    Some(text.replace(std::path::MAIN_SEPARATOR, "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_promotes_pending_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("partial");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("sqlite.snap.new"), "new").unwrap();
        std::fs::write(sub.join("sqlite.snap"), "old").unwrap();
        let found = pending(dir.path());
        assert_eq!(found, vec![sub.join("sqlite.snap.new")]);
        let target = accept(&found[0]).unwrap();
        assert_eq!(std::fs::read_to_string(target).unwrap(), "new");
        assert!(pending(dir.path()).is_empty());
    }

    #[test]
    fn reject_drops_the_pending_file_and_keeps_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("fresh");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("postgres-17.snap.new"), "new").unwrap();
        std::fs::write(sub.join("postgres-17.snap"), "old").unwrap();
        let found = pending(dir.path());
        assert_eq!(
            group_of(dir.path(), &found[0]).as_deref(),
            Some("fresh/postgres-17")
        );
        reject(&found[0]).unwrap();
        assert!(pending(dir.path()).is_empty());
        assert_eq!(
            std::fs::read_to_string(sub.join("postgres-17.snap")).unwrap(),
            "old"
        );
    }
}
