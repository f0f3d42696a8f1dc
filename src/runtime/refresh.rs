//! `harness run --refresh`: rebuild environments and prepared images even when the cache holds one
//! with the same key, so unpinned requirements are resolved again; once per run, so the members of
//! a workspace that share an environment do not build it again each.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Whether this run rebuilds what the cache already holds, and what it has rebuilt so far.
#[derive(Debug, Clone, Default)]
pub struct Refresh {
    /// `None`: reuse what the cache holds. Else the environments (folders) and images (tags)
    /// this run has rebuilt already.
    rebuilt: Option<Arc<Mutex<HashSet<String>>>>,
}

impl Refresh {
    /// Reuse what the cache holds (the default).
    pub fn off() -> Self {
        Self::default()
    }

    /// Rebuild each environment and prepared image once in this run.
    pub fn on() -> Self {
        Self {
            rebuilt: Some(Arc::default()),
        }
    }

    pub fn is_on(&self) -> bool {
        self.rebuilt.is_some()
    }

    /// True when `what` (an environment's folder, an image's tag) is to be rebuilt even though
    /// the cache holds it: refreshing, and not rebuilt by this run yet.
    pub fn is_due(&self, what: &str) -> bool {
        self.rebuilt.as_ref().is_some_and(|rebuilt| {
            !rebuilt
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .contains(what)
        })
    }

    /// Records that this run built `what`: later preparations in the run reuse it.
    pub fn built(&self, what: &str) {
        if let Some(rebuilt) = &self.rebuilt {
            rebuilt
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(what.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_is_rebuilt_once_per_run() {
        let off = Refresh::off();
        assert!(!off.is_on() && !off.is_due("/cache/venvs/python-3.12.1-00"));
        let on = Refresh::on();
        let shared = on.clone();
        assert!(on.is_due("/cache/venvs/python-3.12.1-00"));
        shared.built("/cache/venvs/python-3.12.1-00");
        assert!(
            !on.is_due("/cache/venvs/python-3.12.1-00"),
            "clones share it"
        );
        assert!(on.is_due("harness-deps/python-3.12:00"));
    }
}
