//! The folders environments are built in: a scratch folder renamed into place once its scripts
//! name the place, and the scratch folders a killed build leaves.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// A scratch folder older than this is a killed run's leftover (a build takes minutes).
pub(super) const STALE: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes the scratch folders (`.building-*`) in `dir` of builds killed more than a day ago, and
/// what an interrupted `harness cache remove` left (`.removing-*`).
pub(super) fn remove_stale_scratch(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| now.duration_since(modified).unwrap_or_default() > STALE);
        if (old && name.starts_with(".building-")) || name.starts_with(".removing-") {
            std::fs::remove_dir_all(entry.path()).ok();
        }
    }
}

/// Rewrites every reference to `from` (the environment's scratch folder) into `to` (where it
/// will be renamed to) in the text files of `from/bin` (console scripts' shebang lines, the
/// `VIRTUAL_ENV` of the activate scripts) and in `pyvenv.cfg`. Binaries and symbolic links are
/// left alone. Returns how many files changed.
pub(super) fn relocate(from: &Path, to: &Path) -> std::io::Result<usize> {
    let mut olds = vec![from.as_os_str().as_encoded_bytes().to_vec()];
    if let Ok(real) = from.canonicalize()
        && real != from
    {
        olds.push(real.as_os_str().as_encoded_bytes().to_vec());
    }
    let new = to.as_os_str().as_encoded_bytes();
    let mut files = vec![from.join("pyvenv.cfg")];
    for entry in std::fs::read_dir(from.join("bin"))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    let mut changed = 0;
    for file in files {
        let Ok(text) = std::fs::read(&file) else {
            continue;
        };
        if text.contains(&0) {
            continue;
        }
        let mut rewritten = text.clone();
        for old in &olds {
            rewritten = replace_all(&rewritten, old, new);
        }
        if rewritten != text {
            // Writing in place keeps the file's permissions.
            std::fs::write(&file, rewritten)?;
            changed += 1;
        }
    }
    Ok(changed)
}

fn replace_all(text: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.windows(old.len()).position(|window| window == old) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(new);
        rest = &rest[at + old.len()..];
    }
    out.extend_from_slice(rest);
    out
}
