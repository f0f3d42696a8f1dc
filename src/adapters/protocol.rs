//! The one protocol between the harness and its Python entry point: the records the entry point
//! appends to the file `HARNESS_RECORDS` names (one versioned JSON object a line, never mixed into
//! the tool's own output), the exit codes both sides share, and the typed [`ToolOutcome`] a tool
//! process ends in. The adapter is the only reader; nothing else reads the tool's text for a
//! marker. The constants are written into the entry point from here ([`install`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Graph, ModelsReport, StoppedIn};
use crate::process::Output;

/// The version of the records this harness reads; a record of another version is not read.
pub const VERSION: u32 = 1;
/// The variable naming the file the entry point appends its records to.
pub const RECORDS_ENV: &str = "HARNESS_RECORDS";
/// The harness passed something the entry point cannot use.
pub const EXIT_USAGE: i32 = 2;
/// `models` and `bootstrap`: the project has no model metadata.
pub const EXIT_NO_MODELS: i32 = 3;
/// An upgrade stopped as `Action::Interrupt` asked.
pub const EXIT_INTERRUPTED: i32 = 75;
/// An interrupted upgrade that ended before the statement it was to stop after.
pub const EXIT_INTERRUPT_MISSED: i32 = 76;

const BEGIN: &str = "# protocol: begin";
const END: &str = "# protocol: end";

/// The entry point's block of shared constants, as this harness defines them.
pub fn python_constants() -> String {
    format!(
        "{BEGIN} (written from src/adapters/protocol.rs; edit it there)\n\
         PROTOCOL_VERSION = {VERSION}\n\
         RECORDS_ENV = \"{RECORDS_ENV}\"\n\
         EXIT_USAGE = {EXIT_USAGE}\n\
         EXIT_NO_MODELS = {EXIT_NO_MODELS}\n\
         EXIT_INTERRUPTED = {EXIT_INTERRUPTED}\n\
         EXIT_INTERRUPT_MISSED = {EXIT_INTERRUPT_MISSED}\n\
         {END}"
    )
}

/// `script` with its constants block replaced by [`python_constants`]; unchanged when it has none.
pub fn install(script: &str) -> String {
    crate::drivers::replace_block(script, BEGIN, END, &python_constants())
}

/// What one statement of a traced upgrade did, as the entry point measured it on PostgreSQL.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TracedStatement {
    /// The revision whose upgrade issued it (Alembic's own statements too, while it ran).
    pub revision: Option<String>,
    /// The revision's file and the line of it that issued the statement, when it did.
    pub file: Option<String>,
    pub line: Option<u32>,
    /// The statement, white space squeezed, at most 500 characters.
    pub sql: String,
    /// How long the statement itself took.
    pub ms: f64,
    /// The tables and indexes it rewrote (their storage changed).
    #[serde(default)]
    pub rewrites: Vec<TracedRelation>,
    /// The locks its transaction first held after it, with how long each was then held.
    #[serde(default)]
    pub locks: Vec<TracedLock>,
}

/// A table or index a statement touched.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TracedRelation {
    /// `name` in `public`, else `schema.name`.
    pub relation: String,
    pub index: bool,
    /// It existed before the transaction's first statement (not made by the revision itself).
    #[serde(default)]
    pub existed: bool,
}

/// A lock a statement's transaction took.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TracedLock {
    pub relation: String,
    pub index: bool,
    #[serde(default)]
    pub existed: bool,
    /// PostgreSQL's name for the mode (`AccessExclusiveLock`, `ShareLock`, ...).
    pub mode: String,
    /// From the start of the statement that took it to the end of its transaction.
    pub held_ms: f64,
}

/// One record the entry point wrote.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// The revision whose upgrade() or downgrade() was running when the process failed.
    StoppedIn(StoppedIn),
    /// The process ended after statement `statements` of `revision`, as asked.
    Interrupted { revision: String, statements: i64 },
    /// The upgrade ended with `revision` having run `statements` statements (-1: it never ran).
    InterruptMissed { revision: String, statements: i64 },
    /// No driver for `backend` is installed; `packages` would provide one.
    NoDriver {
        backend: String,
        packages: Vec<String>,
    },
    /// The project opened an engine on another database, refused before it connected.
    ForeignUrl { url: String },
    /// The project opened an engine on another database, pointed at the cell's.
    Redirected { url: String },
    /// The project has no model metadata (`models`, `bootstrap`).
    NoModels { message: String },
    /// What the models check found.
    Models(ModelsReport),
    /// What the models' code could do on each table ([`crate::adapters::Action::Probe`]).
    Probe { tables: Vec<ProbedTable> },
    /// The revision graph as Alembic loads it.
    Graph(Graph),
    /// One statement of a traced upgrade ([`crate::adapters::Action::TracedUpgrade`]).
    Statement(TracedStatement),
    /// Tracing stopped (the catalog could not be read); the upgrade went on untraced.
    TraceStopped { reason: String },
    /// The app runs `command` (an upgrade) on its own database when it loads and would not load
    /// without it (`without`: the error it gave then), so it ran.
    AppMigratesItself {
        command: String,
        revision: String,
        without: String,
    },
    /// The exception the process ended with: its type (`module.Name`), the line Python prints for
    /// it, and the module a `ModuleNotFoundError` names.
    Exception {
        #[serde(rename = "type")]
        type_name: String,
        line: String,
        #[serde(default)]
        module: Option<String>,
        /// The environment variable `os.environ[...]` found unset.
        #[serde(default)]
        variable: Option<String>,
    },
}

#[derive(Deserialize)]
struct Versioned {
    v: u32,
}

/// Reads a records file: each line one record; lines of another version, or of a kind this
/// harness does not know, are skipped (a newer entry point may say more).
pub fn read_records(text: &str) -> Vec<Record> {
    text.lines()
        .filter(|line| {
            serde_json::from_str::<Versioned>(line).is_ok_and(|versioned| versioned.v == VERSION)
        })
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// How a tool process ended, as its records and exit code say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolOutcome {
    Succeeded,
    /// Stopped after the statement it was asked to stop after.
    Interrupted {
        revision: String,
        statements: i64,
    },
    /// The upgrade ended before that statement; `statements`: how many the revision ran (-1: none,
    /// the revision did not run).
    InterruptMissed {
        revision: String,
        statements: i64,
    },
    /// No driver for the cell's database in the environment.
    NoDriver {
        backend: String,
        packages: Vec<String>,
    },
    /// An engine on another database, refused.
    ForeignUrl {
        url: String,
    },
    /// No model metadata to compare or create.
    NoModels,
    /// A module Python could not import.
    MissingModule {
        module: String,
    },
    /// Any other failure: the exit code (`None`: a signal ended it), the line Python printed
    /// for the exception it ended with, and the revision it stopped in, when its records say.
    Failed {
        code: Option<i32>,
        exception: Option<String>,
        stopped_in: Option<StoppedIn>,
    },
}

/// One table of a probe: the models' code reading and writing it, all rolled back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProbedTable {
    /// `table` or `schema.table`.
    pub table: String,
    /// The operation that failed: `select`, `insert`, `update` or `delete`.
    pub failed: Option<String>,
    /// The exception's line, when one failed.
    pub error: Option<String>,
    /// Why no row could be built or written back (the table was probed no further).
    pub skipped: Option<String>,
    /// The database has no such table.
    #[serde(default)]
    pub missing_table: bool,
    /// The model's columns the table lacks.
    #[serde(default)]
    pub missing_columns: Vec<String>,
    /// Columns of the table the model does not know that are NOT NULL without a default.
    #[serde(default)]
    pub required_columns: Vec<String>,
    /// String columns the table holds narrower than the model declares.
    #[serde(default)]
    pub narrowed: Vec<Narrowed>,
}

/// A column narrower in the database than in the model.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Narrowed {
    pub column: String,
    pub model: i64,
    pub database: i64,
}

/// A server the project could not connect to when it started (not the cell's database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedService {
    /// Redis, by its port (6379) or its name in the error.
    Redis,
    /// Another service (a message broker, a search server).
    Other,
}

/// A tool process: its output, how it ended, and what its records said.
#[derive(Debug, Clone)]
pub struct ToolRun {
    pub output: Output,
    pub outcome: ToolOutcome,
    records: Vec<Record>,
}

impl ToolRun {
    /// A process whose outcome is read from its records and exit code.
    pub fn new(output: Output, records: Vec<Record>) -> Self {
        let outcome = outcome(&output, &records);
        Self {
            output,
            outcome,
            records,
        }
    }

    /// A process that writes no records (a command of the project's own).
    pub fn plain(output: Output) -> Self {
        Self::new(output, Vec::new())
    }

    pub fn success(&self) -> bool {
        self.outcome == ToolOutcome::Succeeded
    }

    /// The revision the process stopped in, when one was running.
    pub fn stopped_in(&self) -> Option<&StoppedIn> {
        self.records.iter().rev().find_map(|record| match record {
            Record::StoppedIn(stopped) => Some(stopped),
            _ => None,
        })
    }

    /// The statements a traced upgrade recorded, in order; and why tracing stopped, if it did.
    pub fn statements(&self) -> (Vec<&TracedStatement>, Option<&str>) {
        let statements = self
            .records
            .iter()
            .filter_map(|record| match record {
                Record::Statement(statement) => Some(statement),
                _ => None,
            })
            .collect();
        let stopped = self.records.iter().find_map(|record| match record {
            Record::TraceStopped { reason } => Some(reason.as_str()),
            _ => None,
        });
        (statements, stopped)
    }

    /// The app migrated its own database as it loaded (it would not load without that): the
    /// command and revision it ran, and the error it gave without them.
    pub fn app_migrated_itself(&self) -> Option<String> {
        self.records.iter().find_map(|record| match record {
            Record::AppMigratesItself {
                command,
                revision,
                without,
            } => Some(format!(
                "the app runs `{command} {revision}` on its own database when it loads, and does not load without it ({without})"
            )),
            _ => None,
        })
    }

    /// The line Python printed for the exception the process ended with.
    pub fn exception_line(&self) -> Option<&str> {
        self.records.iter().rev().find_map(|record| match record {
            Record::Exception { line, .. } => Some(line.as_str()),
            _ => None,
        })
    }

    /// Everything the process printed, standard output then standard error (what a scenario's
    /// `fails_with` pattern is matched against).
    pub fn text(&self) -> String {
        format!("{}\n{}", self.output.stdout, self.output.stderr)
    }

    /// Whether the database's dialect refused what the migration asked (SQL it does not accept,
    /// a type or an ALTER it cannot do): another engine may accept it.
    /// The service the project's failure says it could not connect to, when it says so.
    pub fn refused_service(&self) -> Option<RefusedService> {
        let line = self.failure_line();
        if !(line.contains("Connection refused") || line.contains("connecting to")) {
            return None;
        }
        Some(
            if line.contains("6379") || line.to_ascii_lowercase().contains("redis") {
                RefusedService::Redis
            } else {
                RefusedService::Other
            },
        )
    }

    pub fn dialect_refused(&self) -> bool {
        super::traceback::dialect_error(&self.text())
    }

    /// The fields a settings class found missing (pydantic's validation error).
    pub fn missing_fields(&self) -> Vec<String> {
        super::traceback::missing_settings(&self.text())
    }

    /// The module Python could not import: its record, else (a project's own command writes
    /// none) its traceback.
    pub fn module_not_found(&self) -> Option<String> {
        match &self.outcome {
            ToolOutcome::MissingModule { module } => Some(module.clone()),
            _ => super::traceback::missing_module(&self.text()),
        }
    }

    /// The file of the project below `dir` whose import failed, from the traceback.
    pub fn importing_file(&self, dir: &std::path::Path) -> Option<String> {
        super::traceback::importing_file(&self.text(), dir)
    }

    /// Whether the process stopped because the project's settings lack a value it is not given:
    /// an environment variable `os.environ[...]` found unset, or a settings check that says so.
    pub fn missing_setting(&self) -> bool {
        const SAID: [&str; 5] = [
            "environment variable",
            "must be set",
            "Field required",
            "field required",
            "is not set",
        ];
        let unset = self.records.iter().any(|record| {
            matches!(
                record,
                Record::Exception {
                    variable: Some(_),
                    ..
                }
            )
        });
        // A settings class lists its missing fields below the exception's first line.
        let tail = self.output.tail(20);
        unset || SAID.iter().any(|said| tail.contains(said))
    }

    /// The line that says why the process failed: the exception's own line, the entry point's
    /// own message, or else the line of the output that reads most like an error.
    pub fn failure_line(&self) -> String {
        let said = self.records.iter().rev().find_map(|record| match record {
            // A settings error lists the missing fields below its first line.
            Record::Exception { line, .. } if line.contains("validation error") => None,
            Record::Exception { line, .. } => Some(line.clone()),
            Record::NoModels { message } => Some(message.clone()),
            _ => None,
        });
        said.unwrap_or_else(|| {
            super::traceback::error_line(&format!("{}\n{}", self.output.stdout, self.output.stderr))
        })
    }

    /// What a probe found, table by table, when it ran.
    pub fn probed(&self) -> Option<&[ProbedTable]> {
        self.records.iter().rev().find_map(|record| match record {
            Record::Probe { tables } => Some(tables.as_slice()),
            _ => None,
        })
    }

    /// What the models check found, when it compared.
    pub fn models(&self) -> Option<&ModelsReport> {
        self.records.iter().rev().find_map(|record| match record {
            Record::Models(report) => Some(report),
            _ => None,
        })
    }

    /// The revision graph the process read.
    pub fn graph(&self) -> Option<&Graph> {
        self.records.iter().rev().find_map(|record| match record {
            Record::Graph(graph) => Some(graph),
            _ => None,
        })
    }

    /// Applies `redact` to the output and to every text the records carry.
    pub fn redact(&mut self, redact: impl Fn(&str) -> String) {
        self.output.stdout = redact(&self.output.stdout);
        self.output.stderr = redact(&self.output.stderr);
        for record in &mut self.records {
            match record {
                Record::Exception { line, .. } | Record::NoModels { message: line } => {
                    *line = redact(line);
                }
                _ => {}
            }
        }
    }
}

fn outcome(output: &Output, records: &[Record]) -> ToolOutcome {
    let last = |pick: fn(&Record) -> Option<ToolOutcome>| records.iter().rev().find_map(pick);
    match output.code {
        Some(0) => return ToolOutcome::Succeeded,
        Some(EXIT_INTERRUPTED) | Some(EXIT_INTERRUPT_MISSED) => {
            if let Some(found) = last(|record| match record {
                Record::Interrupted {
                    revision,
                    statements,
                } => Some(ToolOutcome::Interrupted {
                    revision: revision.clone(),
                    statements: *statements,
                }),
                Record::InterruptMissed {
                    revision,
                    statements,
                } => Some(ToolOutcome::InterruptMissed {
                    revision: revision.clone(),
                    statements: *statements,
                }),
                _ => None,
            }) {
                return found;
            }
        }
        _ => {}
    }
    let cause = last(|record| match record {
        Record::NoDriver { backend, packages } => Some(ToolOutcome::NoDriver {
            backend: backend.clone(),
            packages: packages.clone(),
        }),
        Record::ForeignUrl { url } => Some(ToolOutcome::ForeignUrl { url: url.clone() }),
        Record::NoModels { .. } => Some(ToolOutcome::NoModels),
        Record::Exception {
            module: Some(module),
            ..
        } => Some(ToolOutcome::MissingModule {
            module: module.clone(),
        }),
        _ => None,
    });
    cause.unwrap_or_else(|| ToolOutcome::Failed {
        code: output.code,
        exception: records.iter().rev().find_map(|record| match record {
            Record::Exception { line, .. } => Some(line.clone()),
            _ => None,
        }),
        stopped_in: records.iter().rev().find_map(|record| match record {
            Record::StoppedIn(stopped) => Some(stopped.clone()),
            _ => None,
        }),
    })
}

/// A records file for one tool process, in `crate::runtime::records_dir`: made empty, read once the process
/// ended, removed when dropped.
pub struct RecordsFile {
    path: PathBuf,
}

impl RecordsFile {
    pub fn new() -> std::io::Result<Self> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = crate::runtime::records_dir();
        std::fs::create_dir_all(&dir)?;
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!("{n}.jsonl"));
        std::fs::write(&path, "")?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The records written so far.
    pub fn read(&self) -> Vec<Record> {
        std::fs::read_to_string(&self.path)
            .map(|text| read_records(&text))
            .unwrap_or_default()
    }
}

impl Drop for RecordsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(code: Option<i32>) -> Output {
        Output {
            code,
            stdout: String::new(),
            stderr: String::new(),
            duration: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn the_entry_points_constants_are_the_ones_written_here() {
        let entry = include_str!("alembic_entry.py");
        assert!(
            entry.contains(&python_constants()),
            "src/adapters/alembic_entry.py's protocol block differs from protocol::python_constants(); copy it from there:\n{}",
            python_constants()
        );
        assert_eq!(install(entry), entry);
        let stale = entry.replace("EXIT_INTERRUPTED = 75", "EXIT_INTERRUPTED = 99");
        assert_eq!(install(&stale), entry);
    }

    #[test]
    fn records_of_another_version_or_kind_are_skipped() {
        let text = "{\"v\": 1, \"kind\": \"foreign_url\", \"url\": \"postgresql://x/y\"}\n\
                    {\"v\": 2, \"kind\": \"foreign_url\", \"url\": \"postgresql://x/z\"}\n\
                    {\"v\": 1, \"kind\": \"something_new\"}\n\
                    not json\n";
        assert_eq!(
            read_records(text),
            vec![Record::ForeignUrl {
                url: "postgresql://x/y".into()
            }]
        );
    }

    #[test]
    fn a_refused_connection_names_redis_or_another_service() {
        let failed = |line: &str| {
            let exception = Record::Exception {
                type_name: "ConnectionError".into(),
                line: line.into(),
                module: None,
                variable: None,
            };
            ToolRun::new(output(Some(1)), vec![exception]).refused_service()
        };
        assert_eq!(
            failed(
                "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused."
            ),
            Some(RefusedService::Redis)
        );
        assert_eq!(
            failed("kombu.exceptions.OperationalError: [Errno 111] Connection refused"),
            Some(RefusedService::Other)
        );
        assert_eq!(failed("KeyError: 'url'"), None);
    }

    #[test]
    fn a_missing_setting_is_an_unset_variable_or_a_settings_check_that_says_so() {
        let exception = |line: &str, variable: Option<&str>| Record::Exception {
            type_name: "KeyError".into(),
            line: line.into(),
            module: None,
            variable: variable.map(str::to_string),
        };
        let unset = vec![exception("KeyError: 'APP_DB'", Some("APP_DB"))];
        assert!(ToolRun::new(output(Some(1)), unset).missing_setting());
        let other = vec![exception("KeyError: 'teams'", None)];
        assert!(!ToolRun::new(output(Some(1)), other.clone()).missing_setting());
        let mut said = output(Some(1));
        said.stderr = "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings\nsecret_key\n  Field required [type=missing]\n".into();
        assert!(ToolRun::new(said, other).missing_setting());
    }

    #[test]
    fn the_outcome_follows_the_exit_code_and_the_records() {
        let interrupted = vec![Record::Interrupted {
            revision: "0002".into(),
            statements: 2,
        }];
        assert_eq!(
            ToolRun::new(output(Some(EXIT_INTERRUPTED)), interrupted).outcome,
            ToolOutcome::Interrupted {
                revision: "0002".into(),
                statements: 2
            }
        );
        let missing = vec![Record::Exception {
            type_name: "ModuleNotFoundError".into(),
            line: "ModuleNotFoundError: No module named 'app'".into(),
            module: Some("app".into()),
            variable: None,
        }];
        assert_eq!(
            ToolRun::new(output(Some(1)), missing).outcome,
            ToolOutcome::MissingModule {
                module: "app".into()
            }
        );
        let stopped = StoppedIn {
            revision: "0003".into(),
            down_revision: vec!["0002".into()],
            direction: "upgrade".into(),
        };
        let failed = vec![
            Record::StoppedIn(stopped.clone()),
            Record::Exception {
                type_name: "OperationalError".into(),
                line: "sqlalchemy.exc.OperationalError: no such table: teams".into(),
                module: None,
                variable: None,
            },
        ];
        assert_eq!(
            ToolRun::new(output(Some(1)), failed).outcome,
            ToolOutcome::Failed {
                code: Some(1),
                exception: Some("sqlalchemy.exc.OperationalError: no such table: teams".into()),
                stopped_in: Some(stopped),
            }
        );
        // A record does not make a success a failure, nor a failure a success.
        let driver = vec![Record::NoDriver {
            backend: "postgresql".into(),
            packages: vec!["psycopg2-binary".into()],
        }];
        assert!(ToolRun::new(output(Some(0)), driver.clone()).success());
        assert!(matches!(
            ToolRun::new(output(Some(1)), driver).outcome,
            ToolOutcome::NoDriver { .. }
        ));
        assert_eq!(
            ToolRun::plain(output(None)).outcome,
            ToolOutcome::Failed {
                code: None,
                exception: None,
                stopped_in: None,
            }
        );
    }
}
