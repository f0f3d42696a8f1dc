//! Running an [`Invocation`] with a local interpreter: its virtual environment's `bin` first on
//! PATH, the harness's own environment inherited, the database URL as the host sees it.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::{Invocation, Program, RuntimeError};
use crate::database::CellDatabase;
use crate::process::{self, Output};

/// A local interpreter's environment.
#[derive(Debug, Clone)]
pub struct LocalEnv {
    /// The environment's python, used for every tool process.
    pub python: PathBuf,
    pub venv: PathBuf,
}

impl LocalEnv {
    pub async fn run(
        &self,
        invocation: &Invocation,
        database: Option<&CellDatabase>,
    ) -> Result<Output, RuntimeError> {
        let bin = self.venv.join("bin");
        let program = match &invocation.program {
            Program::Python => self.python.clone(),
            // A bare program name is looked up in the environment's bin first.
            Program::Named(name)
                if !name.contains('/') && process::is_executable(&bin.join(name)) =>
            {
                bin.join(name)
            }
            Program::Named(name) => PathBuf::from(name),
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        let joined =
            std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&path)))
                .unwrap_or(path);
        let mut command = Command::new(&program);
        command
            .args(&invocation.args)
            .current_dir(&invocation.dir)
            .env("PATH", joined)
            .env("VIRTUAL_ENV", &self.venv)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .env_remove("HARNESS_DATABASE_URL");
        let cell = database.map(CellDatabase::env).unwrap_or_default();
        command.envs(invocation.expanded_env(&cell));
        if let Some(database) = database {
            for (name, value) in cell {
                command.env(name, value);
            }
            for name in &invocation.url_vars {
                command.env(name, &database.url);
            }
        }
        process::run(&mut command)
            .await
            .map_err(|source| RuntimeError::Io {
                what: format!(
                    "cannot start `{}`",
                    process::display(Path::new(&program), &invocation.args)
                ),
                source,
            })
    }
}
