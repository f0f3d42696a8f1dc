//! The engines a run has started, so they can be shut down whichever way the run ends: at its end,
//! on failure, or when the CLI is interrupted and the run's future is dropped mid-way.

use std::sync::{Arc, Mutex};

use super::Engine;

/// Shared by the run and whoever started it.
#[derive(Default)]
pub struct Teardown {
    engines: Mutex<Vec<Arc<dyn Engine>>>,
}

impl std::fmt::Debug for Teardown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.engines.lock().map_or(0, |engines| engines.len());
        write!(f, "Teardown({count} engines)")
    }
}

impl Teardown {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn register(&self, engine: Arc<dyn Engine>) {
        if let Ok(mut engines) = self.engines.lock() {
            engines.push(engine);
        }
    }

    /// Shuts every registered engine down, concurrently; returns the warnings.
    pub async fn shutdown_all(&self) -> Vec<String> {
        let engines: Vec<Arc<dyn Engine>> = self
            .engines
            .lock()
            .map(|mut engines| std::mem::take(&mut *engines))
            .unwrap_or_default();
        let mut tasks = tokio::task::JoinSet::new();
        for engine in engines {
            tasks.spawn(async move { engine.shutdown().await });
        }
        let mut warnings = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(found) => warnings.extend(found),
                Err(err) => warnings.push(format!("an engine's shutdown ended abnormally: {err}")),
            }
        }
        warnings
    }
}
