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
        .map_err(|err| AdapterError::Runtime(err.to_string()))
}
