//! The harness's cache folder: `$HARNESS_CACHE_DIR`, else `$XDG_CACHE_HOME/harness`, else
//! `~/.cache/harness`. Holds virtual environments and the tool entry points; safe to delete.

use std::path::{Path, PathBuf};

/// The cache root.
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
        Self { root }
    }

    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn venvs(&self) -> PathBuf {
        self.root.join("venvs")
    }

    pub fn scripts(&self) -> PathBuf {
        self.root.join("scripts")
    }
}

fn non_empty(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}
