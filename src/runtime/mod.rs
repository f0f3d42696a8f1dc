//! Where the migration tool runs: a local interpreter found on the machine, and one cached virtual
//! environment per (interpreter, requirements) holding the project's dependencies.

mod cache;
mod discover;
mod venv;

use std::path::PathBuf;
use std::time::Duration;

pub use cache::CacheDir;
pub use discover::{Interpreter, find_interpreter};
pub use venv::prepare_venv;

use crate::config::{Requirements, RuntimeSpec};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("no interpreter found for {runtime}; looked in:\n{}", looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    NotFound {
        runtime: String,
        looked: Vec<String>,
    },
    #[error(
        "setting up the environment for {runtime} failed: `{command}` ended with {status}\n{tail}"
    )]
    Setup {
        runtime: String,
        command: String,
        status: String,
        tail: String,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl RuntimeError {
    pub fn help(&self) -> Option<String> {
        match self {
            RuntimeError::NotFound { runtime, .. } => Some(format!(
                "install that Python (pyenv, uv or your package manager), set `[runtimes.\"{runtime}\"] interpreter = \"/path/to/python\"` in harness.toml, or remove it from matrix.runtimes"
            )),
            RuntimeError::Setup { .. } => {
                Some("check the requirements file and the network (pip's index must be reachable on a cold cache)".into())
            }
            RuntimeError::Io { .. } => None,
        }
    }
}

/// A runtime ready to run the migration tool: its interpreter and the environment built from it.
#[derive(Debug, Clone)]
pub struct PreparedRuntime {
    pub spec: RuntimeSpec,
    pub interpreter: Interpreter,
    /// The environment's python, used for every tool process.
    pub python: PathBuf,
    pub venv: PathBuf,
    /// Whether the environment came from the cache.
    pub reused: bool,
    pub setup_time: Duration,
}

/// Finds the interpreter for `spec` and builds (or reuses) its environment.
pub async fn prepare(
    spec: &RuntimeSpec,
    requirements: &Requirements,
    cache: &CacheDir,
) -> Result<PreparedRuntime, RuntimeError> {
    let started = std::time::Instant::now();
    let interpreter = find_interpreter(spec).await?;
    let (venv, reused) = prepare_venv(spec, &interpreter, requirements, cache).await?;
    Ok(PreparedRuntime {
        spec: spec.clone(),
        interpreter,
        python: venv.join("bin").join("python"),
        venv,
        reused,
        setup_time: started.elapsed(),
    })
}
