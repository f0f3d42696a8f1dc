//! The `command` tool: any program that upgrades a database to its latest state, with the cell's
//! database URL in an environment variable. It knows no revisions: it can only upgrade to "head".
//! Also runs a scenario's `command` steps, for any tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::AdapterError;
use crate::database::CellDatabase;
use crate::process::{self, Output};
use crate::runtime::PreparedRuntime;

/// The command tool of one project.
#[derive(Debug, Clone)]
pub struct CommandTool {
    pub upgrade: Vec<String>,
    pub url_env: String,
}

/// Runs `argv` in `dir` inside the runtime: its environment's `bin` first on PATH (so `python` is
/// the runtime's), the database's variables set, plus `extra`.
pub async fn run_program(
    argv: &[String],
    dir: &Path,
    runtime: &PreparedRuntime,
    database: &CellDatabase,
    extra: &BTreeMap<String, String>,
) -> Result<Output, AdapterError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(AdapterError::Unreadable {
            command: String::new(),
            detail: "an empty command".into(),
        });
    };
    let bin = runtime.venv.join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let joined =
        std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&path)))
            .unwrap_or(path);
    // A bare program name is looked up on the runtime's PATH first.
    let program_path = if program.contains('/') {
        PathBuf::from(program)
    } else {
        let local = bin.join(program);
        if process::is_executable(&local) {
            local
        } else {
            PathBuf::from(program)
        }
    };
    let mut command = Command::new(&program_path);
    command
        .args(args)
        .current_dir(dir)
        .env("PATH", joined)
        .env("VIRTUAL_ENV", &runtime.venv);
    command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
    command.envs(extra);
    for (name, value) in database.env() {
        command.env(name, value);
    }
    process::run(&mut command)
        .await
        .map_err(|source| AdapterError::Spawn {
            command: process::display(Path::new(program), args),
            source,
        })
}
