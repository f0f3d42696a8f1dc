//! The `command` tool: any program that upgrades a database to its latest state, with the cell's
//! database URL in an environment variable. It knows no revisions: it can only upgrade to "head".
//! Also runs a scenario's `command` steps, for any tool.

use std::collections::BTreeMap;
use std::path::Path;

use super::AdapterError;
use crate::process::Output;
use crate::runtime::{Invocation, Program, Session};

/// The command tool of one project.
#[derive(Debug, Clone)]
pub struct CommandTool {
    pub upgrade: Vec<String>,
    pub url_env: String,
    /// The versions folders of the Alembic project in the project's folder, when it has exactly
    /// one (a project that upgrades with its own script around Alembic files): the revision graph
    /// is then read from the files, statically.
    pub alembic_files: Option<crate::lint::VersionDirs>,
}

impl CommandTool {
    /// The revision graph of `alembic_files`, read without Python.
    pub fn static_graph(&self) -> Option<super::Graph> {
        let dirs = self.alembic_files.as_ref()?;
        let report = crate::lint::analyze(dirs, crate::lint::DEFAULT_VERSION_LENGTH).ok()?;
        Some(super::Graph::of_report(&report))
    }
}

/// Runs `argv` in `dir` through the session's runtime: its environment's `bin` first on PATH (so
/// `python` is the runtime's), the database's variables set, plus `extra`, plus `url_vars` set to
/// the database URL as the runtime reaches it.
pub async fn run_program(
    argv: &[String],
    dir: &Path,
    session: &Session<'_>,
    extra: &BTreeMap<String, String>,
    url_vars: &[String],
) -> Result<Output, AdapterError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(AdapterError::Unreadable {
            command: String::new(),
            detail: "an empty command".into(),
        });
    };
    let mut invocation = Invocation::new(Program::Named(program.clone()), args.to_vec(), dir);
    invocation.env = extra.clone();
    invocation.url_vars = url_vars.to_vec();
    session
        .run(&invocation)
        .await
        .map_err(AdapterError::Runtime)
}
