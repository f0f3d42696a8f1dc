//! The JSON report (`--report json=PATH`): a versioned, documented schema (docs/report-schema.md)
//! that CI jobs upload and `harness report merge` reads back. Writing and reading are exact inverses
//! for everything the schema holds (durations are kept in whole milliseconds).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Location;
use crate::matrix::Partition;
use crate::outcome::{
    Cause, CellResult, RevisionGraph, RunReport, RuntimeInfo, RuntimeNotReady, RuntimeReady,
    RuntimeSummary, SnapshotNote, StepRecord, Verdict,
};

/// The value of the `schema` field.
pub const SCHEMA: &str = "harness-report";
/// The version this harness writes and reads. Bumped on any change a reader could trip over.
pub const VERSION: u32 = 1;

/// Why a JSON report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("not valid JSON: {0}")]
    Syntax(serde_json::Error),
    #[error("not a harness report (its `schema` field is not \"{SCHEMA}\")")]
    NotAReport,
    #[error(
        "report schema version {found} is not supported (this harness reads version {VERSION}); merge reports written by the same harness version"
    )]
    Version { found: u64 },
    #[error("does not follow report schema version {VERSION}: {0}")]
    Shape(serde_json::Error),
    #[error("cell `{id}` in the report: {detail}")]
    Cell { id: String, detail: String },
    #[error("partition `{text}` in the report: {detail}")]
    Partition { text: String, detail: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Report {
    schema: String,
    version: u32,
    harness_version: String,
    partition: Option<String>,
    duration_ms: u64,
    summary: Summary,
    warnings: Vec<String>,
    runtimes: Vec<Runtime>,
    cells: Vec<Cell>,
    /// The revision graph of each configuration (absent in older reports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    graphs: Vec<Graph>,
    /// The selected cells that never ran (absent when every one did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    not_run: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Graph {
    /// The workspace member (absent for the root configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    heads: Vec<String>,
    revisions: Vec<GraphRevision>,
}

#[derive(Debug, Serialize, Deserialize)]
struct GraphRevision {
    revision: String,
    parents: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Summary {
    cells: usize,
    passed: usize,
    failed: usize,
    snapshot_changed: usize,
    error: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct Runtime {
    key: String,
    /// The workspace member whose cells it ran (absent for the root configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    /// Set when the runtime was prepared.
    ready: Option<Ready>,
    /// Set when it could not be.
    error: Option<String>,
    /// The cause of `error` its cells are grouped by, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Ready {
    /// `local` or `container` (reports written before runtime containers have none: local).
    #[serde(default = "local")]
    backend: String,
    version: String,
    interpreter: PathBuf,
    source: String,
    /// The base image of a container runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    reused: bool,
    setup_ms: u64,
    /// The distributions installed in the runtime's environment: name -> version.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    packages: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cell {
    id: String,
    /// The workspace member (absent for the root configuration's cells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    position: usize,
    scenario: String,
    database: String,
    runtime: String,
    verdict: Verdict,
    expected_failure: bool,
    /// What kind of reason the verdict has (absent for a plain pass, and in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cause: Option<Cause>,
    detail: Option<String>,
    /// What makes the failure the same as another cell's (absent when the harness has no typed
    /// cause, and in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    duration_ms: u64,
    tool_ms: u64,
    interpreter: Option<Interpreter>,
    snapshot: Option<Snapshot>,
    steps: Vec<Step>,
    /// A `locks` cell's traced statements (absent for other cells).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    trace: Vec<Traced>,
}

/// One statement of a `locks` cell's trace.
#[derive(Debug, Serialize, Deserialize)]
struct Traced {
    revision: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    sql: String,
    ms: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    rewrites: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    locks: Vec<Held>,
    /// The rows each relation above held when the statement's revision began.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    rows: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Held {
    relation: String,
    mode: String,
    held_ms: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Interpreter {
    key: String,
    #[serde(default = "local")]
    backend: String,
    version: String,
    path: PathBuf,
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image: Option<String>,
}

fn local() -> String {
    "local".to_string()
}

#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    path: Option<PathBuf>,
    /// What became of the snapshot, as the terminal says it (for people).
    status: Option<String>,
    /// The same, for programs; read back in preference to `status` (reports written before it
    /// have `status` alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<Note>,
    diff: Option<String>,
}

/// A [`SnapshotNote`] as the JSON report holds it: `{"state": "changed_pending", "file":
/// "snapshots/partial/sqlite.snap"}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
enum Note {
    Matches,
    Written,
    Updated,
    Pending { file: PathBuf },
    ChangedPending { file: PathBuf },
    MissingPending { file: PathBuf },
    NotCompared,
}

impl From<&SnapshotNote> for Note {
    fn from(note: &SnapshotNote) -> Self {
        match note {
            SnapshotNote::Matches => Note::Matches,
            SnapshotNote::Written => Note::Written,
            SnapshotNote::Updated => Note::Updated,
            SnapshotNote::Pending(file) => Note::Pending { file: file.clone() },
            SnapshotNote::ChangedPending(file) => Note::ChangedPending { file: file.clone() },
            SnapshotNote::MissingPending(file) => Note::MissingPending { file: file.clone() },
            SnapshotNote::NotCompared => Note::NotCompared,
        }
    }
}

impl From<Note> for SnapshotNote {
    fn from(note: Note) -> Self {
        match note {
            Note::Matches => SnapshotNote::Matches,
            Note::Written => SnapshotNote::Written,
            Note::Updated => SnapshotNote::Updated,
            Note::Pending { file } => SnapshotNote::Pending(file),
            Note::ChangedPending { file } => SnapshotNote::ChangedPending(file),
            Note::MissingPending { file } => SnapshotNote::MissingPending(file),
            Note::NotCompared => SnapshotNote::NotCompared,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Step {
    number: usize,
    label: String,
    location: Option<StepLocation>,
    ok: bool,
    duration_ms: u64,
    status: Option<String>,
    output_tail: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StepLocation {
    file: PathBuf,
    line: usize,
    column: usize,
}

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(report: &RunReport) -> String {
    let json = Report {
        schema: SCHEMA.into(),
        version: VERSION,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        partition: report.partition.map(|p| p.to_string()),
        duration_ms: millis(report.duration),
        summary: Summary {
            cells: report.cells.len(),
            passed: report.count(Verdict::Passed),
            failed: report.count(Verdict::Failed),
            snapshot_changed: report.count(Verdict::SnapshotChanged),
            error: report.count(Verdict::Error),
        },
        warnings: report.warnings.clone(),
        runtimes: report.runtimes.iter().map(runtime_out).collect(),
        cells: report.cells.iter().map(cell_out).collect(),
        graphs: report.graphs.iter().map(graph_out).collect(),
        not_run: report.not_run.clone(),
    };
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a report written by [`render`].
pub fn parse(text: &str) -> Result<RunReport, JsonError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(JsonError::Syntax)?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(JsonError::NotAReport);
    }
    let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if found != u64::from(VERSION) {
        return Err(JsonError::Version { found });
    }
    let report: Report = serde_json::from_value(value).map_err(JsonError::Shape)?;
    let partition = match &report.partition {
        Some(text) => Some(
            text.parse::<Partition>()
                .map_err(|err| JsonError::Partition {
                    text: text.clone(),
                    detail: err.to_string(),
                })?,
        ),
        None => None,
    };
    let runtimes: Vec<RuntimeSummary> = report.runtimes.into_iter().map(runtime_in).collect();
    let mut cells: Vec<CellResult> = report
        .cells
        .into_iter()
        .map(cell_in)
        .collect::<Result<_, _>>()?;
    // A cell's packages are written once, with its runtime: read back from there.
    for cell in &mut cells {
        if let Some(info) = cell.runtime_info.as_mut()
            && let Some(Ok(RuntimeReady { info: ready, .. })) = runtimes
                .iter()
                .find(|r| r.key == info.key && r.member == cell.member)
                .map(|r| r.outcome.as_ref())
        {
            info.packages = ready.packages.clone();
        }
    }
    Ok(RunReport {
        cells,
        partition,
        runtimes,
        // Engines are described in the terminal report only; the JSON schema has no field for them.
        warnings: report.warnings,
        duration: Duration::from_millis(report.duration_ms),
        graphs: report.graphs.into_iter().map(graph_in).collect(),
        not_run: report.not_run,
    })
}

fn graph_out(graph: &RevisionGraph) -> Graph {
    Graph {
        member: graph.member.clone(),
        heads: graph.heads.clone(),
        revisions: graph
            .revisions
            .iter()
            .map(|(revision, parents)| GraphRevision {
                revision: revision.clone(),
                parents: parents.clone(),
            })
            .collect(),
    }
}

fn graph_in(graph: Graph) -> RevisionGraph {
    RevisionGraph {
        member: graph.member,
        revisions: graph
            .revisions
            .into_iter()
            .map(|r| (r.revision, r.parents))
            .collect(),
        heads: graph.heads,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn runtime_out(summary: &RuntimeSummary) -> Runtime {
    match &summary.outcome {
        Ok(RuntimeReady {
            info,
            reused,
            setup_time: took,
        }) => Runtime {
            key: summary.key.clone(),
            member: summary.member.clone(),
            ready: Some(Ready {
                backend: info.backend.clone(),
                version: info.version.clone(),
                interpreter: info.interpreter.clone(),
                source: info.source.clone(),
                image: info.image.clone(),
                reused: *reused,
                setup_ms: millis(*took),
                packages: info.packages.iter().cloned().collect(),
            }),
            error: None,
            signature: None,
        },
        Err(why) => Runtime {
            key: summary.key.clone(),
            member: summary.member.clone(),
            ready: None,
            error: Some(why.message.clone()),
            signature: why.signature.clone(),
        },
    }
}

fn runtime_in(runtime: Runtime) -> RuntimeSummary {
    let outcome = match (runtime.ready, runtime.error) {
        (Some(ready), _) => Ok(RuntimeReady {
            info: RuntimeInfo {
                key: runtime.key.clone(),
                backend: ready.backend,
                version: ready.version,
                interpreter: ready.interpreter,
                source: ready.source,
                image: ready.image,
                packages: ready.packages.into_iter().collect(),
            },
            reused: ready.reused,
            setup_time: Duration::from_millis(ready.setup_ms),
        }),
        (None, error) => Err(RuntimeNotReady {
            message: error.unwrap_or_else(|| "not prepared".into()),
            signature: runtime.signature,
        }),
    };
    RuntimeSummary {
        key: runtime.key,
        member: runtime.member,
        outcome,
    }
}

fn cell_out(cell: &CellResult) -> Cell {
    let snapshot = (cell.snapshot.is_some() || cell.snapshot_note.is_some() || cell.diff.is_some())
        .then(|| Snapshot {
            path: cell.snapshot.clone(),
            status: cell.snapshot_note.as_ref().map(ToString::to_string),
            note: cell.snapshot_note.as_ref().map(Note::from),
            diff: cell.diff.clone(),
        });
    Cell {
        id: cell.id.clone(),
        member: cell.member.clone(),
        position: cell.position,
        scenario: cell.scenario.clone(),
        database: cell.database.clone(),
        runtime: cell.runtime.clone(),
        verdict: cell.verdict,
        expected_failure: cell.expected_failure,
        cause: cell.cause,
        detail: cell.detail.clone(),
        signature: cell.signature.clone(),
        duration_ms: millis(cell.duration),
        tool_ms: millis(cell.tool_time),
        interpreter: cell.runtime_info.as_ref().map(|info| Interpreter {
            key: info.key.clone(),
            backend: info.backend.clone(),
            version: info.version.clone(),
            path: info.interpreter.clone(),
            source: info.source.clone(),
            image: info.image.clone(),
        }),
        snapshot,
        steps: cell.steps.iter().map(step_out).collect(),
        trace: cell
            .trace
            .iter()
            .map(|t| Traced {
                revision: t.revision.clone(),
                file: t.file.clone(),
                line: t.line,
                sql: t.sql.clone(),
                ms: t.ms,
                rewrites: t.rewrites.clone(),
                rows: t.rows.clone(),
                locks: t
                    .locks
                    .iter()
                    .map(|l| Held {
                        relation: l.relation.clone(),
                        mode: l.mode.clone(),
                        held_ms: l.held_ms,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn cell_in(cell: Cell) -> Result<CellResult, JsonError> {
    let (snapshot, snapshot_note, diff) = match cell.snapshot {
        Some(s) => {
            let note = match (s.note, s.status) {
                (Some(note), _) => Some(SnapshotNote::from(note)),
                // A report written before `note`: its text.
                (None, Some(text)) => {
                    Some(
                        text.parse::<SnapshotNote>()
                            .map_err(|detail| JsonError::Cell {
                                id: cell.id.clone(),
                                detail,
                            })?,
                    )
                }
                (None, None) => None,
            };
            (s.path, note, s.diff)
        }
        None => (None, None, None),
    };
    Ok(CellResult {
        id: cell.id,
        member: cell.member,
        position: cell.position,
        scenario: cell.scenario,
        database: cell.database,
        runtime: cell.runtime,
        verdict: cell.verdict,
        expected_failure: cell.expected_failure,
        cause: cell.cause,
        detail: cell.detail,
        signature: cell.signature,
        steps: cell.steps.into_iter().map(step_in).collect(),
        snapshot,
        snapshot_note,
        diff,
        runtime_info: cell.interpreter.map(|i| RuntimeInfo {
            key: i.key,
            backend: i.backend,
            version: i.version,
            interpreter: i.path,
            source: i.source,
            image: i.image,
            packages: Vec::new(),
        }),
        duration: Duration::from_millis(cell.duration_ms),
        tool_time: Duration::from_millis(cell.tool_ms),
        trace: cell
            .trace
            .into_iter()
            .map(|t| crate::outcome::TracedStatement {
                revision: t.revision,
                file: t.file,
                line: t.line,
                sql: t.sql,
                ms: t.ms,
                rewrites: t.rewrites,
                rows: t.rows,
                locks: t
                    .locks
                    .into_iter()
                    .map(|l| crate::outcome::HeldLock {
                        relation: l.relation,
                        mode: l.mode,
                        held_ms: l.held_ms,
                    })
                    .collect(),
            })
            .collect(),
    })
}

fn step_out(step: &StepRecord) -> Step {
    Step {
        number: step.number,
        label: step.label.clone(),
        location: step.at.as_ref().map(|at| StepLocation {
            file: at.path.clone(),
            line: at.line,
            column: at.column,
        }),
        ok: step.ok,
        duration_ms: millis(step.duration),
        status: step.status.clone(),
        output_tail: step.output_tail.clone(),
    }
}

fn step_in(step: Step) -> StepRecord {
    StepRecord {
        number: step.number,
        label: step.label,
        at: step.location.map(|at| Location {
            path: at.file,
            line: at.line,
            column: at.column,
        }),
        ok: step.ok,
        duration: Duration::from_millis(step.duration_ms),
        status: step.status,
        output_tail: step.output_tail,
    }
}
