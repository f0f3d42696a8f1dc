//! One file per migration tool: how to upgrade, downgrade and stamp a cell's database with the
//! project's real tool, and how to read its revision graph. Adapters run processes in a runtime;
//! they never edit the user's files.

mod alembic;
mod command;
pub mod protocol;
pub mod traceback;

pub use alembic::Alembic;
pub use command::{CommandTool, run_program};
pub use protocol::{
    ProbedTable, RefusedService, ToolOutcome, ToolRun, TracedLock, TracedRelation, TracedStatement,
};

use std::path::Path;

use crate::config::{Project, ToolConfig};
use crate::runtime::{CacheDir, Session};

/// The project's migration tool.
#[derive(Debug, Clone)]
pub enum Tool {
    Alembic(Alembic),
    Command(CommandTool),
}

impl Tool {
    pub fn new(project: &Project, cache: &CacheDir) -> Result<Self, AdapterError> {
        Ok(match &project.tool_config {
            ToolConfig::Alembic { ini } => Tool::Alembic(Alembic::new(
                &project.dir,
                ini.as_deref(),
                &project.process_env(),
                cache,
            )?),
            ToolConfig::Command { upgrade, url_env } => Tool::Command(CommandTool {
                upgrade: upgrade.clone(),
                url_env: url_env.clone(),
                alembic_files: match crate::discover::find_projects(&project.dir) {
                    Ok(found) if found.len() == 1 => Some(found[0].version_dirs.clone()),
                    _ => None,
                },
            }),
        })
    }

    /// Runs an action against a cell's database. A failing tool is an `Ok` run whose outcome says
    /// how it failed, so the caller can report the tool's own words.
    pub async fn run(
        &self,
        project: &Project,
        session: &Session<'_>,
        action: &Action,
        upgrade_override: Option<&[String]>,
    ) -> Result<ToolRun, AdapterError> {
        match self {
            Tool::Alembic(alembic) => alembic.run(session, action).await,
            Tool::Command(_) if matches!(action, Action::Interrupt { .. }) => {
                Err(AdapterError::Unsupported(format!("{action:?}")))
            }
            Tool::Command(command) => match action {
                Action::Upgrade(target) if target == "head" => {
                    let argv = upgrade_override.unwrap_or(&command.upgrade);
                    let url_vars = [command.url_env.clone()];
                    run_program(
                        argv,
                        &project.dir,
                        session,
                        &project.process_env(),
                        &url_vars,
                    )
                    .await
                    .map(ToolRun::plain)
                }
                other => Err(AdapterError::Unsupported(format!("{other:?}"))),
            },
        }
    }

    /// Compares the project's models with the session's database (see [`Alembic::models`]).
    pub async fn models(
        &self,
        session: &Session<'_>,
        options: &crate::config::ModelsOptions,
    ) -> Result<ToolRun, AdapterError> {
        match self {
            Tool::Alembic(alembic) => alembic.models(session, options).await,
            Tool::Command(_) => Err(AdapterError::Unsupported("the models check".into())),
        }
    }

    /// Folders of the harness's own files a tool process reads (mounted into runtime containers).
    pub fn helper_dirs(&self) -> Vec<std::path::PathBuf> {
        match self {
            Tool::Alembic(alembic) => alembic
                .entry_dir()
                .map(Path::to_path_buf)
                .into_iter()
                .collect(),
            Tool::Command(_) => Vec::new(),
        }
    }

    /// The revision graph, for tools that have one.
    pub async fn graph(&self, session: &Session<'_>) -> Result<Option<Graph>, AdapterError> {
        match self {
            Tool::Alembic(alembic) => alembic.graph(session).await.map(Some),
            Tool::Command(command) => Ok(command.static_graph()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("`{command}` failed with {status}:\n{tail}")]
    Failed {
        command: String,
        status: String,
        tail: String,
        /// The project's settings lack a value it is not given ([`ToolRun::missing_setting`]).
        missing_setting: bool,
    },
    #[error("`{command}` printed no result the harness could read: {detail}")]
    Unreadable { command: String, detail: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The runtime could not run the tool's process: its error and what to do about it.
    #[error("{}", with_help(.0))]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error("the command tool cannot do {0}: it only upgrades to its latest state")]
    Unsupported(String),
}

impl AdapterError {
    /// The module Python could not import, when the failed process's traceback names one.
    pub fn module_not_found(&self) -> Option<String> {
        traceback::missing_module(&self.to_string())
    }

    /// What the entry point said on the way before the process failed (the Flask app that did
    /// not load): its `harness: ` line.
    pub fn entry_point_said(&self) -> Option<&str> {
        match self {
            AdapterError::Failed { tail, .. } => {
                tail.lines().find(|line| line.starts_with("harness: "))
            }
            _ => None,
        }
    }

    /// The file of the project below `dir` the failure was raised from, from the traceback.
    pub fn raised_from(&self, dir: &std::path::Path) -> Option<String> {
        traceback::importing_file(&self.to_string(), dir)
    }
}

/// A runtime error and, when it has one, its help line.
fn with_help(err: &crate::runtime::RuntimeError) -> String {
    match err.help() {
        Some(help) => format!("{err}\n  help: {help}"),
        None => err.to_string(),
    }
}

/// An action a migration tool performs on a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Upgrade(String),
    Downgrade(String),
    Stamp(Vec<String>),
    /// Upgrade to `revision`, ending the process right after the `after`th SQL statement of that
    /// revision (a simulated crash): [`ToolOutcome::Interrupted`].
    Interrupt {
        revision: String,
        after: usize,
    },
    /// Upgrade to `revision` with every statement recorded (its revision, file and line, on every
    /// engine), and on PostgreSQL traced: the locks it takes and how
    /// long they are held, the relations it rewrites, its duration and source line
    /// ([`ToolRun::statements`]).
    TracedUpgrade(String),
    /// A fresh install from the models: the tables of the project's MetaData created (env.py's
    /// `target_metadata`, or the `module:attribute` given), then the version table stamped at the
    /// heads.
    Bootstrap {
        metadata: Option<String>,
    },
    /// The models' code reads and writes every table (a SELECT of every mapped column, an INSERT
    /// of a row built from the model, an UPDATE and a DELETE of it), all rolled back
    /// ([`ToolRun::probed`]); the options say where the models are and which tables to leave out.
    Probe(crate::config::ModelsOptions),
}

/// The revision whose upgrade() or downgrade() was running when a tool process failed, as the
/// entry point's `stopped_in` record says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct StoppedIn {
    pub revision: String,
    pub down_revision: Vec<String>,
    /// `upgrade` or `downgrade`.
    pub direction: String,
}

/// What the models check found: nothing when the models match the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ModelsReport {
    /// One readable line per difference.
    pub differences: Vec<String>,
    /// The body of the `upgrade()` autogenerate would write.
    pub operations: String,
}

/// Why what a scenario wrote names no revision of the graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    #[error("unknown revision `{0}`")]
    Unknown(String),
    #[error("revision prefix `{prefix}` is ambiguous: {}", matching.join(", "))]
    Ambiguous {
        prefix: String,
        matching: Vec<String>,
    },
}

/// The revision graph as the tool itself sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Graph {
    pub heads: Vec<String>,
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Revision {
    pub revision: String,
    pub down_revision: Vec<String>,
    #[serde(default)]
    pub branch_labels: Vec<String>,
    pub path: String,
}

impl Graph {
    /// The graph lint read from the revision files: heads sorted, revisions head first.
    pub fn of_report(report: &crate::lint::LintReport) -> Self {
        let graph = &report.graph;
        let mut heads: Vec<String> = graph
            .heads()
            .into_iter()
            .map(|n| graph.id(n).to_string())
            .collect();
        heads.sort();
        let revisions = graph
            .topological()
            .iter()
            .rev()
            .map(|&node| {
                let revision = &graph.revisions[node];
                Revision {
                    revision: revision.id.clone(),
                    down_revision: revision.down.clone(),
                    branch_labels: revision.labels.clone(),
                    path: report.files[revision.file].path.display().to_string(),
                }
            })
            .collect();
        Self { heads, revisions }
    }

    /// Resolves what a scenario wrote to a revision the tool knows, or says why it cannot.
    /// Symbolic names (`head`, `heads`, `base`), relative (`+1`, `-1`) and branch (`x@head`) forms are
    /// left to the tool.
    pub fn check(&self, written: &str) -> Result<(), RevisionError> {
        if self.has(written) || matches!(written, "head" | "heads" | "base") {
            return Ok(());
        }
        if written.contains(['@', '+']) || written.starts_with('-') {
            return Ok(());
        }
        let matching: Vec<&str> = self
            .revisions
            .iter()
            .map(|r| r.revision.as_str())
            .filter(|id| id.starts_with(written))
            .collect();
        match matching.len() {
            1 => Ok(()),
            0 => Err(RevisionError::Unknown(written.to_string())),
            _ => Err(RevisionError::Ambiguous {
                prefix: written.to_string(),
                matching: matching.iter().map(|id| id.to_string()).collect(),
            }),
        }
    }

    /// Every revision, each after the revisions it depends on (base first).
    pub fn upgrade_order(&self) -> Vec<String> {
        // Alembic walks from the heads down, each revision before its ancestors: reversed, parents
        // come first.
        self.revisions
            .iter()
            .rev()
            .map(|r| r.revision.clone())
            .collect()
    }

    fn has(&self, id: &str) -> bool {
        self.revisions.iter().any(|r| r.revision == id)
    }

    /// A short list of known revisions for help texts.
    pub fn known(&self) -> String {
        let mut ids: Vec<&str> = self.revisions.iter().map(|r| r.revision.as_str()).collect();
        ids.sort_unstable();
        let shown: Vec<&str> = ids.iter().take(12).copied().collect();
        let more = ids.len().saturating_sub(shown.len());
        let mut text = format!("known revisions: {}", shown.join(", "));
        if more > 0 {
            text.push_str(&format!(" (and {more} more)"));
        }
        text.push_str("; also `head`, `heads`, `base`");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_error_keeps_its_help_through_the_adapter() {
        let err = AdapterError::from(crate::runtime::RuntimeError::NotFound {
            runtime: "python:3.9".into(),
            looked: vec!["PATH".into()],
        });
        let text = err.to_string();
        assert!(
            text.starts_with("no interpreter found for python:3.9"),
            "{text}"
        );
        assert!(text.contains("\n  help: install that Python"), "{text}");
    }

    fn graph() -> Graph {
        let rev = |id: &str| Revision {
            revision: id.into(),
            down_revision: vec![],
            branch_labels: vec![],
            path: String::new(),
        };
        Graph {
            heads: vec!["0005abc".into()],
            revisions: vec![
                rev("0001aaa"),
                rev("0002bbb"),
                rev("0005abc"),
                rev("0005abd"),
            ],
        }
    }

    #[test]
    fn revisions_are_checked_against_the_graph() {
        let g = graph();
        assert!(g.check("head").is_ok());
        assert!(g.check("0001aaa").is_ok());
        assert!(g.check("0002").is_ok());
        assert!(g.check("+1").is_ok());
        assert_eq!(g.check("0009"), Err(RevisionError::Unknown("0009".into())));
        assert_eq!(
            g.check("0005").unwrap_err().to_string(),
            "revision prefix `0005` is ambiguous: 0005abc, 0005abd"
        );
    }
}
