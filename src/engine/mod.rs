//! Runs cells: prepares runtimes and engines, replays each scenario's steps with the real tool,
//! upgrades to the target, checks expectations, introspects, and settles snapshots. Prints nothing:
//! it returns a [`RunReport`] and tells a [`Progress`] what happens.

mod cell;
mod converge;
mod plan;
mod prepare;
mod run;
mod snapshots;
pub mod trial;

use std::path::PathBuf;
use std::time::Duration;

pub use run::{RunError, run, run_all};

use crate::config::Location;
use crate::matrix::Partition;

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
    pub teardown: std::sync::Arc<crate::database::Teardown>,
}

/// The verdict of one cell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    SnapshotChanged,
    Error,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::SnapshotChanged => "snapshot changed",
            Verdict::Error => "error",
        }
    }
}

/// One step as it ran.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepRecord {
    /// 1-based; the final upgrade to the target is the last.
    pub number: usize,
    pub label: String,
    /// Where the step is written (`None` for the implicit upgrade to `head`).
    #[serde(skip)]
    pub at: Option<Location>,
    pub ok: bool,
    #[serde(skip)]
    pub duration: Duration,
    /// Exit status and the last lines of output, for a failed step.
    pub status: Option<String>,
    pub output_tail: Option<String>,
}

/// Which runtime ran a cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeInfo {
    pub key: String,
    /// `local` or `container`.
    pub backend: String,
    pub version: String,
    /// The interpreter's path: on this machine, or inside the image.
    pub interpreter: PathBuf,
    /// Where it was found: `harness.toml`, `uv`, `pyenv`, `PATH`, or `image`.
    pub source: String,
    /// The image a container runtime started from (`None` for a local interpreter).
    pub image: Option<String>,
}

impl RuntimeInfo {
    /// `3.12.1 (/usr/bin/python3.12, found via PATH)` for a local interpreter,
    /// `3.12.1 (/usr/local/bin/python3, container image python:3.12-slim)` for a container.
    pub fn describe(&self) -> String {
        match &self.image {
            Some(image) => format!(
                "{} ({}, {} image {image})",
                self.version,
                self.interpreter.display(),
                self.backend
            ),
            None => format!(
                "{} ({}, found via {})",
                self.version,
                self.interpreter.display(),
                self.source
            ),
        }
    }
}

/// The result of one cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CellResult {
    pub id: String,
    /// The cell's place in the whole matrix (before any filter or partition): shard reports are
    /// merged back into this order.
    pub position: usize,
    pub scenario: String,
    pub database: String,
    pub runtime: String,
    pub verdict: Verdict,
    /// The scenario expects a failure (`outcome = "failure"` or `fails_with`) and it happened: the verdict is `Passed`.
    pub expected_failure: bool,
    /// One line saying why (for anything but a plain pass), e.g. which step failed.
    pub detail: Option<String>,
    pub steps: Vec<StepRecord>,
    /// The snapshot file this cell is checked against, relative to harness.toml's folder.
    pub snapshot: Option<PathBuf>,
    /// What happened to the snapshot: `matches`, `written`, `pending .snap.new`, ...
    pub snapshot_note: Option<String>,
    pub diff: Option<String>,
    pub runtime_info: Option<RuntimeInfo>,
    #[serde(skip)]
    pub duration: Duration,
    /// Time spent inside the migration tool's processes.
    #[serde(skip)]
    pub tool_time: Duration,
}

impl CellResult {
    /// The first failed step, if any.
    pub fn failed_step(&self) -> Option<&StepRecord> {
        self.steps.iter().find(|step| !step.ok)
    }
}

/// Everything a run produced, cells in matrix order.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub cells: Vec<CellResult>,
    /// The share of the matrix this run covered, when it ran one (`--partition 2/3`).
    pub partition: Option<Partition>,
    pub runtimes: Vec<RuntimeSummary>,
    pub warnings: Vec<String>,
    pub duration: Duration,
}

/// How a runtime was prepared.
#[derive(Debug, Clone)]
pub struct RuntimeSummary {
    pub key: String,
    pub outcome: Result<(RuntimeInfo, bool, Duration), String>,
}

/// How a database engine was started.
#[derive(Debug, Clone)]
pub struct EngineSummary {
    /// The matrix entry: `postgres:17`.
    pub database: String,
    pub outcome: Result<crate::database::EngineInfo, String>,
}

impl RunReport {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.cells
            .iter()
            .filter(|cell| cell.verdict == verdict)
            .count()
    }
}

/// Told about progress as it happens (the CLI prints it; tests may ignore it).
pub trait Progress: Send + Sync {
    fn runtime_ready(&self, _summary: &RuntimeSummary) {}
    fn engine_ready(&self, _summary: &EngineSummary) {}
    fn cell_started(&self, _id: &str) {}
    fn cell_finished(&self, _result: &CellResult) {}
}
