//! The result of a run, owned by no phase of it: the engine writes it, the reports, the CLI and
//! the JSON reader read it. A cell is known by its [`CellKey`] (member, scenario, database,
//! runtime) and its position in the whole matrix, workspace members included; what happened to
//! its snapshot is a [`SnapshotNote`], never text to parse back.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Location;
use crate::matrix::Partition;

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
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// 1-based; the final upgrade to the target is the last.
    pub number: usize,
    pub label: String,
    /// Where the step is written (`None` for the implicit upgrade to `head`).
    pub at: Option<Location>,
    pub ok: bool,
    pub duration: Duration,
    /// Exit status and the last lines of output, for a failed step.
    pub status: Option<String>,
    pub output_tail: Option<String>,
}

/// Which runtime ran a cell.
#[derive(Debug, Clone, PartialEq)]
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
    /// The distributions installed in the runtime's environment, as (name, version), sorted by
    /// name (empty when unknown).
    pub packages: Vec<(String, String)>,
}

/// The distributions that decide how migrations behave besides the drivers: the tools and
/// SQLAlchemy.
const KEY_TOOLS: &[&str] = &[
    "alembic",
    "sqlalchemy",
    "flask-migrate",
    "flask-sqlalchemy",
    "sqlmodel",
];

/// A distribution's name as pip compares them: lower case, `_` and `.` as `-`.
fn normalised(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

impl RuntimeInfo {
    /// The key packages and their versions: `alembic 1.13.1, SQLAlchemy 2.0.58, psycopg2-binary 2.9.9`.
    pub fn key_packages(&self) -> Vec<&(String, String)> {
        KEY_TOOLS
            .iter()
            .copied()
            .chain(crate::drivers::distributions())
            .filter_map(|key| {
                self.packages
                    .iter()
                    .find(|(name, _)| normalised(name) == *key)
            })
            .collect()
    }

    /// The packages whose versions differ between runtimes (or that only some have), each with
    /// its version in every runtime (`-` where missing), in name order.
    pub fn differing_packages(runtimes: &[&RuntimeInfo]) -> Vec<(String, Vec<String>)> {
        let mut names: Vec<String> = runtimes
            .iter()
            .flat_map(|info| info.packages.iter().map(|(name, _)| normalised(name)))
            .collect();
        names.sort();
        names.dedup();
        let mut differing = Vec::new();
        for name in names {
            let versions: Vec<String> = runtimes
                .iter()
                .map(|info| {
                    info.packages
                        .iter()
                        .find(|(n, _)| normalised(n) == name)
                        .map_or_else(|| "-".to_string(), |(_, v)| v.clone())
                })
                .collect();
            if versions.iter().any(|v| *v != versions[0]) {
                differing.push((name, versions));
            }
        }
        differing
    }

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
#[derive(Debug, Clone, PartialEq)]
pub struct CellResult {
    /// `member:scenario/database/runtime` (no `member:` outside a workspace member).
    pub id: String,
    /// The workspace member the cell belongs to (`None`: the root configuration).
    pub member: Option<String>,
    /// The cell's place in the whole matrix (before any filter or partition): shard reports are
    /// merged back into this order.
    pub position: usize,
    pub scenario: String,
    pub database: String,
    pub runtime: String,
    pub verdict: Verdict,
    /// The scenario expects a failure (`outcome = "failure"` or `fails_with`) and it happened: the verdict is `Passed`.
    pub expected_failure: bool,
    /// What kind of reason the verdict has (for anything but a plain pass).
    pub cause: Option<Cause>,
    /// One line saying why (for anything but a plain pass), e.g. which step failed.
    pub detail: Option<String>,
    /// What makes this failure the same as another cell's, built from its typed cause where the
    /// harness has one (the installer's failure, the tool's exception and the revision it stopped
    /// in), free of what differs between runtimes: the report groups failures on it.
    pub signature: Option<String>,
    pub steps: Vec<StepRecord>,
    /// The snapshot file this cell is checked against, relative to harness.toml's folder.
    pub snapshot: Option<PathBuf>,
    /// What happened to the snapshot.
    pub snapshot_note: Option<SnapshotNote>,
    pub diff: Option<String>,
    pub runtime_info: Option<RuntimeInfo>,
    pub duration: Duration,
    /// Time spent inside the migration tool's processes.
    pub tool_time: Duration,
    /// A `locks` cell's traced statements, in order (empty for other cells).
    pub trace: Vec<TracedStatement>,
}

/// One statement a `locks` cell traced.
#[derive(Debug, Clone, PartialEq)]
pub struct TracedStatement {
    pub revision: Option<String>,
    /// The revision's file and the line of it that issued the statement.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub sql: String,
    pub ms: f64,
    /// The relations (tables, or indexes alone) that existed before and that it rewrote.
    pub rewrites: Vec<String>,
    /// The locks it took on relations that existed before, the strongest per relation.
    pub locks: Vec<HeldLock>,
    /// The rows each relation it rewrote or locked held when its revision began (PostgreSQL,
    /// where a `locks` cell counts them).
    pub rows: std::collections::BTreeMap<String, u64>,
}

impl TracedStatement {
    /// ` at 20,000 rows` when `relation`'s rows were counted, else nothing.
    pub fn at_rows(&self, relation: &str) -> String {
        self.rows
            .get(relation)
            .map(|count| crate::words::at_rows(*count))
            .unwrap_or_default()
    }
}

/// PostgreSQL's lock modes that block writes: SHARE and stronger.
pub const WRITE_BLOCKING_LOCKS: &[&str] = &[
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// `AccessExclusiveLock` → `ACCESS EXCLUSIVE`, as PostgreSQL's documentation names the modes.
pub fn lock_mode_name(mode: &str) -> String {
    let bare = mode.strip_suffix("Lock").unwrap_or(mode);
    let mut out = String::new();
    for (i, c) in bare.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// A lock a traced statement took, and how long it was held.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldLock {
    pub relation: String,
    /// PostgreSQL's name for the mode (`AccessExclusiveLock`).
    pub mode: String,
    pub held_ms: f64,
}

impl CellResult {
    /// The first failed step, if any.
    pub fn failed_step(&self) -> Option<&StepRecord> {
        self.steps.iter().find(|step| !step.ok)
    }
}

/// Everything a run produced, cells in matrix order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub cells: Vec<CellResult>,
    /// The share of the matrix this run covered, when it ran one (`--partition 2/3`).
    pub partition: Option<Partition>,
    pub runtimes: Vec<RuntimeSummary>,
    pub warnings: Vec<String>,
    pub duration: Duration,
    /// The revision graph of each configuration the run covered (one per workspace member).
    pub graphs: Vec<RevisionGraph>,
    /// The ids of the selected cells that never ran (`--fail-fast` started no cell after a
    /// failure), in matrix order.
    pub not_run: Vec<String>,
}

/// A configuration's revision graph as its migration tool loaded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionGraph {
    /// The workspace member (`None`: the root configuration).
    pub member: Option<String>,
    /// Each revision with its parents (its `down_revision`s), in the order the tool lists them.
    pub revisions: Vec<(String, Vec<String>)>,
    pub heads: Vec<String>,
}

/// How a runtime was prepared.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeSummary {
    pub key: String,
    /// The workspace member whose cells it ran (`None`: the root configuration).
    pub member: Option<String>,
    pub outcome: Result<RuntimeReady, RuntimeNotReady>,
}

/// A runtime prepared for the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeReady {
    pub info: RuntimeInfo,
    /// Its environment (or prepared image) came from the cache.
    pub reused: bool,
    pub setup_time: Duration,
}

/// Why a runtime could not be prepared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuntimeNotReady {
    /// The error with its help, as people read it.
    pub message: String,
    /// The cause its cells are grouped by (`CellResult::signature`), when it has one.
    pub signature: Option<String>,
}

impl RunReport {
    /// The `locks` cells that traced statements, in order.
    pub fn traced_cells(&self) -> Vec<&CellResult> {
        self.cells.iter().filter(|c| !c.trace.is_empty()).collect()
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.cells
            .iter()
            .filter(|cell| cell.verdict == verdict)
            .count()
    }
}

impl CellResult {
    /// The cell's key: what the reports group and order by.
    pub fn key(&self) -> CellKey<'_> {
        CellKey {
            member: self.member.as_deref(),
            scenario: &self.scenario,
            database: &self.database,
            runtime: &self.runtime,
        }
    }
}

/// The kind of reason behind a cell's verdict; the detail says it in words.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The cell could not run: a runtime, engine, database, file or check the harness needed.
    Infrastructure,
    /// A step, or the upgrade to the target, failed.
    StepFailed,
    /// The scenario expects a failure and it happened (the verdict is `passed`).
    FailedAsExpected,
    /// The scenario expects a failure that did not happen, or did not match `fails_with`.
    ExpectedFailureMissing,
    /// An expectation (versions, rows, queries, drift) did not hold.
    Expectation,
    /// The schema differs from the reference scenario's, or matches one it must differ from.
    Convergence,
    /// A built-in check found a problem: the models differ from the schema, a downgrade does not
    /// undo its upgrade, a fork's branches end differently in another order.
    Check,
    /// The runtimes of one snapshot leave different schemas.
    RuntimesDisagree,
    /// The schema differs from the snapshot, or there is none where none may be written.
    SnapshotChanged,
}

/// What identifies a cell across a workspace: two members may both have a `fresh` scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey<'a> {
    pub member: Option<&'a str>,
    pub scenario: &'a str,
    pub database: &'a str,
    pub runtime: &'a str,
}

impl CellKey<'_> {
    /// The scenario as a person reads it in a workspace: `billing: fresh`, or `fresh`.
    pub fn scenario_label(&self) -> String {
        match self.member {
            Some(member) => format!("{member}: {}", self.scenario),
            None => self.scenario.to_string(),
        }
    }
}

/// What happened to a cell's snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotNote {
    /// The schema is the one in the file.
    Matches,
    /// There was no file: this cell's schema was written (not in CI).
    Written,
    /// `--accept`: the file now holds this schema.
    Updated,
    /// The schema differs; the new text waits in `<path>.new` (path as shown).
    Pending(PathBuf),
    /// CI or `--check`: the schema differs; the new text waits in `<path>.new`.
    ChangedPending(PathBuf),
    /// CI or `--check`: no file; the new text waits in `<path>.new`.
    MissingPending(PathBuf),
    /// The runtime failed as the scenario expects: its schema is not the snapshot's.
    NotCompared,
}

impl std::fmt::Display for SnapshotNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotNote::Matches => f.write_str("matches"),
            SnapshotNote::Written => f.write_str("written"),
            SnapshotNote::Updated => f.write_str("updated"),
            SnapshotNote::Pending(path) => write!(f, "pending {}.new", path.display()),
            SnapshotNote::ChangedPending(path) => {
                write!(f, "changed, pending {}.new", path.display())
            }
            SnapshotNote::MissingPending(path) => {
                write!(f, "missing, pending {}.new", path.display())
            }
            SnapshotNote::NotCompared => {
                f.write_str("not compared: failed as expected on this runtime")
            }
        }
    }
}

impl std::str::FromStr for SnapshotNote {
    type Err = String;

    /// The inverse of `Display` (the JSON report keeps the text).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let pending = |rest: &str| {
            rest.strip_suffix(".new")
                .map(PathBuf::from)
                .ok_or_else(|| format!("snapshot status `{text}` names no .new file"))
        };
        match text {
            "matches" => Ok(SnapshotNote::Matches),
            "written" => Ok(SnapshotNote::Written),
            "updated" => Ok(SnapshotNote::Updated),
            "not compared: failed as expected on this runtime" => Ok(SnapshotNote::NotCompared),
            _ => {
                if let Some(rest) = text.strip_prefix("changed, pending ") {
                    pending(rest).map(SnapshotNote::ChangedPending)
                } else if let Some(rest) = text.strip_prefix("missing, pending ") {
                    pending(rest).map(SnapshotNote::MissingPending)
                } else if let Some(rest) = text.strip_prefix("pending ") {
                    pending(rest).map(SnapshotNote::Pending)
                } else {
                    Err(format!("unknown snapshot status `{text}`"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_note_reads_back_from_its_text() {
        for note in [
            SnapshotNote::Matches,
            SnapshotNote::Written,
            SnapshotNote::Updated,
            SnapshotNote::NotCompared,
            SnapshotNote::Pending("snapshots/fresh/sqlite.snap".into()),
            SnapshotNote::ChangedPending("a b/fresh/sqlite.snap".into()),
            SnapshotNote::MissingPending("snapshots/x/postgres-17.snap".into()),
        ] {
            assert_eq!(note.to_string().parse::<SnapshotNote>(), Ok(note));
        }
        assert!("pending nothing".parse::<SnapshotNote>().is_err());
    }

    #[test]
    fn members_keep_their_scenarios_apart() {
        let key = |member| CellKey {
            member,
            scenario: "fresh",
            database: "sqlite",
            runtime: "python-3.12",
        };
        assert_ne!(key(Some("billing")), key(None));
        assert_eq!(key(Some("billing")).scenario_label(), "billing: fresh");
        assert_eq!(key(None).scenario_label(), "fresh");
    }
}
