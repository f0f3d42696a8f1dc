//! What `--last-failed` reruns: the ids of the cells that did not pass, kept per configuration in
//! the cache folder (`last-run/<digest of harness.toml's path>.txt`, one id a line). Each run adds
//! the cells that did not pass and drops the ones that did, so a run of a subset keeps the rest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::outcome::{RunReport, Verdict};
use crate::runtime::CacheDir;

fn file(cache: &CacheDir, config: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let absolute = std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf());
    let digest: String = Sha256::digest(absolute.to_string_lossy().as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    cache.root().join("last-run").join(format!("{digest}.txt"))
}

/// The cells that did not pass when last run; `None` when no run was recorded.
pub fn failed(cache: &CacheDir, config: &Path) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(file(cache, config)).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Updates the record with `report`; a cell that never ran (`--fail-fast` stopped before it) is
/// kept to run next time. Returns a warning when it cannot be written.
pub fn record(cache: &CacheDir, config: &Path, report: &RunReport) -> Option<String> {
    let mut ids = failed(cache, config).unwrap_or_default();
    for cell in &report.cells {
        if cell.verdict == Verdict::Passed {
            ids.remove(&cell.id);
        } else {
            ids.insert(cell.id.clone());
        }
    }
    ids.extend(report.not_run.iter().cloned());
    let path = file(cache, config);
    let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, text));
    written.err().map(|err| {
        format!(
            "could not record the cells that failed for --last-failed in {}: {err}",
            path.display()
        )
    })
}
