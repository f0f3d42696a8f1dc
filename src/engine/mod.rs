//! Runs cells: prepares runtimes and engines, replays each scenario's steps with the real tool,
//! upgrades to the target, checks expectations, introspects, and settles snapshots. Prints nothing:
//! it writes the run's result model ([`crate::outcome::RunReport`]) and tells a [`Progress`] what
//! happens.

mod cell;
mod checks;
mod converge;
mod engines;
mod locks;
mod plan;
mod prepare;
mod refs;
mod rolling;
mod run;
mod seed;
mod seen;
mod snapshots;
mod step;
pub mod trial;

pub use refs::tags;
pub use run::{RunError, run_all};

use crate::outcome::{CellResult, RuntimeSummary};

/// How snapshots are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Write missing snapshots; write `.snap.new` beside a changed one (the local default).
    Update,
    /// Write nothing; a missing or changed snapshot fails (CI, `--check`).
    Check,
    /// Write changed snapshots in place (`--accept`).
    Accept,
}

/// What a run needs besides the configuration.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub snapshots: SnapshotMode,
    /// Where started engines are registered; the run shuts them down at its end, and whoever
    /// drops the run early (Ctrl-C) shuts down what is left through it.
    pub teardown: std::sync::Arc<crate::docker::Teardown>,
    /// Rebuild each runtime's environment or prepared image even when the cache holds one for
    /// the same requirements (`--refresh`), replacing the cached one.
    pub refresh: crate::runtime::Refresh,
    /// Start no further cell (nor workspace member) once a cell failed or erred (`--fail-fast`).
    pub fail_fast: bool,
}

/// How a database engine was started.
#[derive(Debug, Clone)]
pub struct EngineSummary {
    /// The matrix entry: `postgres:17`.
    pub database: String,
    pub outcome:
        Result<crate::database::EngineInfo, std::sync::Arc<crate::database::DatabaseError>>,
}

/// Told about progress as it happens (the CLI prints it; tests may ignore it).
pub trait Progress: Send + Sync {
    /// A runtime's preparation starts (finding the interpreter, the environment or image).
    fn runtime_preparing(&self, _key: &str) {}
    /// Something the run decided for the user before anything starts (a driver it added).
    fn note(&self, _text: &str) {}
    /// A runtime's preparation enters `phase` (resolving, installing N packages, reusing what
    /// the cache holds); told between [`Progress::runtime_preparing`] and
    /// [`Progress::runtime_ready`], possibly more than once with the same phase.
    fn runtime_phase(&self, _key: &str, _phase: &crate::runtime::Phase) {}
    fn runtime_ready(&self, _summary: &RuntimeSummary) {}
    /// An engine starts (a container, a cluster, a connection to an external server).
    fn engine_starting(&self, _database: &str) {}
    fn engine_ready(&self, _summary: &EngineSummary) {}
    fn cell_started(&self, _id: &str) {}
    fn cell_finished(&self, _result: &CellResult) {}
}

/// Why a runtime could not be prepared: what a cell says, and what makes it the same failure
/// on every runtime (the installer's failure, which names no interpreter or scratch folder).
#[derive(Debug, Clone)]
pub(crate) struct NotPrepared {
    pub message: String,
    pub signature: Option<String>,
}

impl NotPrepared {
    /// The error, with the full disk under the cache first when there is one, else its help.
    pub fn of(err: &crate::runtime::RuntimeError, disk_full: Option<String>) -> Self {
        let message = match (disk_full, err.help()) {
            (Some(full), _) => format!("{full}\n  {err}"),
            (None, Some(help)) => format!("{err}\n  help: {help}"),
            (None, None) => err.to_string(),
        };
        let signature = err
            .install_failure()
            .map(|failure| format!("the environment could not be prepared: {failure}"));
        Self { message, signature }
    }
}

impl std::fmt::Display for NotPrepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
