//! Running an [`Invocation`] with a local interpreter: its virtual environment's `bin` first on
//! PATH, the harness's own environment inherited, the database URL as the host sees it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::process::Command;

use super::worker::{self, Job, Worker, WorkerRun};
use super::{CacheDir, Invocation, Program, RuntimeError};
use crate::database::CellDatabase;
use crate::process::{self, Output};

/// A local interpreter's environment.
#[derive(Debug, Clone)]
pub struct LocalEnv {
    /// The environment's python, used for every tool process.
    pub python: PathBuf,
    pub venv: PathBuf,
    /// The warm tool worker, started with the first Python tool process (`None` inside: it could
    /// not start, or is turned off).
    pub worker: Arc<tokio::sync::OnceCell<Option<Worker>>>,
}

impl LocalEnv {
    pub fn new(python: PathBuf, venv: PathBuf) -> Self {
        Self {
            python,
            venv,
            worker: Arc::default(),
        }
    }

    /// PATH with the environment's bin first, and what every tool process of it gets set over
    /// the harness's own environment, in this order (a later one wins).
    fn environment(&self) -> (std::ffi::OsString, Vec<(String, Option<String>)>) {
        let bin = self.venv.join("bin");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let joined = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&path)))
            .unwrap_or(path);
        let overrides = vec![
            ("PATH".into(), Some(joined.to_string_lossy().into_owned())),
            (
                "VIRTUAL_ENV".into(),
                Some(self.venv.to_string_lossy().into_owned()),
            ),
            ("PYTHONDONTWRITEBYTECODE".into(), Some("1".into())),
            ("PYTHONUNBUFFERED".into(), Some("1".into())),
            ("HARNESS_DATABASE_URL".into(), None),
        ];
        (joined, overrides)
    }

    /// Starts the warm worker (its imports of Alembic, SQLAlchemy and the drivers) now, so the
    /// runtime's first tool process does not wait for them; nothing when it runs already or is
    /// turned off.
    pub async fn warm(&self) {
        let (joined, overrides) = self.environment();
        if joined.to_str().is_none() {
            return;
        }
        let Some(env) = worker_env(&overrides) else {
            return;
        };
        if worker::enabled() {
            let cache = CacheDir::from_env();
            let _ = self
                .worker
                .get_or_init(|| Worker::start(&self.python, &env, &cache))
                .await;
        }
    }

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
        let (joined, mut overrides) = self.environment();
        let cell = database.map(CellDatabase::env).unwrap_or_default();
        overrides.extend(
            invocation
                .expanded_env(&cell)
                .into_iter()
                .map(|(k, v)| (k, Some(v))),
        );
        if let Some(database) = database {
            overrides.extend(cell.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
            overrides.extend(
                invocation
                    .url_vars
                    .iter()
                    .map(|name| (name.clone(), Some(invocation.url_for_vars(&database.url)))),
            );
        }
        if matches!(invocation.program, Program::Python) && joined.to_str().is_some() {
            match self.in_worker(invocation, &overrides).await {
                Some(WorkerRun::Done(output)) => return Ok(output),
                // The step may have run partly: never again.
                Some(WorkerRun::Lost {
                    pid,
                    worker_stderr,
                    step_stderr,
                }) => {
                    return Err(RuntimeError::WorkerLost {
                        command: process::display(Path::new(&program), &invocation.args),
                        pid,
                        worker_stderr,
                        step_stderr,
                    });
                }
                Some(WorkerRun::NotTaken) | None => {}
            }
        }
        let mut command = Command::new(&program);
        command.args(&invocation.args).current_dir(&invocation.dir);
        for (name, value) in &overrides {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
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

    /// Runs a Python tool process through the warm worker; `None` when there is none (or the
    /// environment holds a value that is not UTF-8), as [`WorkerRun::NotTaken`]: the caller starts
    /// a process.
    async fn in_worker(
        &self,
        invocation: &Invocation,
        overrides: &[(String, Option<String>)],
    ) -> Option<WorkerRun> {
        if !worker::enabled() {
            return None;
        }
        let env = worker_env(overrides)?;
        let cache = CacheDir::from_env();
        let worker = self
            .worker
            .get_or_init(|| Worker::start(&self.python, &env, &cache))
            .await
            .as_ref()?;
        if !worker.is_alive() {
            return None;
        }
        Some(
            worker
                .run(Job {
                    argv: &invocation.args,
                    dir: &invocation.dir,
                    env: &env,
                })
                .await,
        )
    }
}

/// The harness's environment with `overrides` applied, as a worker job takes it; `None` when a
/// value is not UTF-8 (the step then runs as a process of its own).
fn worker_env(overrides: &[(String, Option<String>)]) -> Option<Vec<(String, String)>> {
    let mut env: Vec<(String, String)> = Vec::new();
    for (name, value) in std::env::vars_os() {
        env.push((name.into_string().ok()?, value.into_string().ok()?));
    }
    for (name, value) in overrides {
        env.retain(|(n, _)| n != name);
        if let Some(value) = value {
            env.push((name.clone(), value.clone()));
        }
    }
    Some(env)
}
