//! The harness's cache folder: `$HARNESS_CACHE_DIR`, else `$XDG_CACHE_HOME/harness`, else
//! `~/.cache/harness`. Holds virtual environments, the tools the harness installs for itself (uv),
//! the tool entry points and when each prepared image was last used; safe to delete.

use std::path::{Path, PathBuf};

/// The cache root, always an absolute path: environments are built with its paths written into
/// their scripts, and installers run in other folders.
#[derive(Debug, Clone)]
pub struct CacheDir {
    root: PathBuf,
}

impl CacheDir {
    /// The cache folder named by the environment.
    pub fn from_env() -> Self {
        let root = non_empty("HARNESS_CACHE_DIR")
            .or_else(|| non_empty("XDG_CACHE_HOME").map(|dir| dir.join("harness")))
            .or_else(|| non_empty("HOME").map(|home| home.join(".cache").join("harness")))
            .unwrap_or_else(|| std::env::temp_dir().join("harness-cache"));
        Self::new(root)
    }

    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let root = std::path::absolute(&root).unwrap_or(root);
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// When the disk the cache is on is (nearly) full, what to tell the user: environments need
    /// tens of megabytes, and the installers' own errors rarely say the disk is the cause.
    pub fn disk_full(&self) -> Option<String> {
        let free = free_bytes(&self.root)?;
        (free < LOW_SPACE).then(|| {
            format!(
                "the cache folder {} is on a full disk ({} free); free space there, or set \
                 HARNESS_CACHE_DIR to a folder on a disk with room (an environment takes about \
                 100 MB)",
                self.root.display(),
                human_bytes(free)
            )
        })
    }

    pub fn venvs(&self) -> PathBuf {
        self.root.join("venvs")
    }

    /// Tools the harness installs for its own use, one folder each (`tools/uv`).
    pub fn tools(&self) -> PathBuf {
        self.root.join("tools")
    }

    pub fn scripts(&self) -> PathBuf {
        self.root.join("scripts")
    }

    /// One empty file per prepared runtime image a run used, touched at each use (Docker does
    /// not record when an image was last used).
    pub fn image_uses(&self) -> PathBuf {
        self.root.join("images")
    }

    /// The script `text` as a file `scripts/<stem>_<digest>.py`, written once per content (to a
    /// scratch file first, then renamed: a concurrent run never reads half a script).
    pub fn script(&self, stem: &str, text: &str) -> std::io::Result<PathBuf> {
        use sha2::{Digest, Sha256};
        let digest: String = Sha256::digest(text.as_bytes())
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        let scripts = self.scripts();
        let path = scripts.join(format!("{stem}_{digest}.py"));
        if !path.is_file() {
            std::fs::create_dir_all(&scripts)?;
            let scratch = tempfile::NamedTempFile::new_in(&scripts)?;
            std::fs::write(scratch.path(), text)?;
            scratch.persist(&path).map_err(|err| err.error)?;
        }
        Ok(path)
    }
}

fn non_empty(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// Below this, an environment cannot be built: the cache's disk counts as full.
const LOW_SPACE: u64 = 32 * 1024 * 1024;

/// The bytes an unprivileged user may still write on the disk holding `path` (its nearest
/// existing ancestor).
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let existing = path.ancestors().find(|p| p.exists())?;
    let name = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct it is given and reads the NUL-terminated path.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(name.as_ptr(), &mut stats) } != 0 {
        return None;
    }
    Some((stats.f_bavail as u64).saturating_mul(stats.f_frsize as u64))
}

fn human_bytes(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} kB", bytes / 1024)
    }
}

/// A size as people read it: `512 B`, `12.3 kB`, `27.0 MB`, `1.2 GB` (powers of 1024).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(12_595), "12.3 kB");
        assert_eq!(human_size(27 * 1024 * 1024), "27.0 MB");
        assert_eq!(human_size(1_288_490_189), "1.2 GB");
    }

    #[test]
    fn a_relative_root_is_made_absolute() {
        let cache = CacheDir::new("relative/cache");
        assert!(cache.root().is_absolute(), "{}", cache.root().display());
        assert!(cache.root().ends_with("relative/cache"));
        assert_eq!(cache.tools(), cache.root().join("tools"));
    }
}
