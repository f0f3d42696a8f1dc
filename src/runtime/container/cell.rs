//! The runtime container of one cell: started from the prepared image with the project (and the
//! tool's entry points) mounted read-only at their own paths, a SQLite cell's folder mounted
//! read-write at its own path, and the run's network (or the host's, for a database on this
//! machine). Commands run in it one after the other; it is removed when the cell ends.

use std::path::Path;

use super::idle_command;
use super::{CA_TARGET, ContainerRuntime, LABEL_CELL, LABEL_RUNTIME, VENV};
use crate::database::{CellDatabase, Location};
use crate::docker::{ContainerSpec, ContainerState, ExecRequest, Mount, Started, exec};
use crate::process::Output;
use crate::runtime::{Invocation, Program, RuntimeError};

/// How long starting a runtime container (from an image already on the machine) may take.
const START_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The cell's own folder (`HARNESS_CELL_DIR`), read-write at its own path.
fn cell_files(database: Option<&CellDatabase>) -> Mount {
    Mount::read_write(database.map_or(Path::new(""), |db| db.files.as_path()))
}

/// Why a cell's runtime container no longer runs its processes.
#[derive(Debug, thiserror::Error)]
pub enum ContainerGone {
    #[error("its container could not be started: {0}")]
    NotStarted(String),
    #[error("the Docker engine did not answer within 10 s about runtime container {0}")]
    NoAnswer(String),
    #[error("runtime container {0} was removed")]
    Removed(String),
    #[error("the Docker engine does not answer about runtime container {short}: {source}")]
    Engine {
        short: String,
        source: crate::docker::Error,
    },
    #[error("runtime container {short} stopped ({status}{})", exit_code.map(|code| format!(", exit code {code}")).unwrap_or_default())]
    Stopped {
        short: String,
        status: String,
        exit_code: Option<i64>,
    },
}

/// A running runtime container.
pub struct CellContainer {
    container: Option<Started>,
    id: String,
    runtime: ContainerRuntime,
    /// Whether the database URL must be the in-network one.
    in_network: bool,
}

impl CellContainer {
    /// Starts the container for `cell` (an id for labels and messages).
    pub async fn start(
        runtime: &ContainerRuntime,
        database: Option<&CellDatabase>,
        cell: &str,
    ) -> Result<Self, RuntimeError> {
        let options = &runtime.options;
        let mut request = ContainerSpec {
            image: runtime.deps.tag.clone(),
            cmd: idle_command(),
            labels: vec![
                (LABEL_RUNTIME.into(), runtime.base.reference.clone()),
                (LABEL_CELL.into(), cell.to_string()),
            ],
            ..ContainerSpec::default()
        };
        for dir in &options.read_only {
            request.mounts.push(Mount::read_only(dir, dir));
        }
        if let Some(bundle) = &options.ca_bundle {
            request
                .mounts
                .push(Mount::read_only(bundle, Path::new(CA_TARGET)));
        }
        // The tool's records files, written inside and read by the harness outside.
        let records = crate::runtime::records_dir();
        let _ = std::fs::create_dir_all(&records);
        request.mounts.push(Mount::read_write(&records));
        let mut in_network = false;
        match database.map(|db| (&db.location, db.network_url.is_some())) {
            Some((Location::SqliteFile(file), _)) => {
                if let Some(dir) = file.parent() {
                    request.mounts.push(Mount::read_write(dir));
                }
                request.network.clone_from(&options.network);
                // The run's services are reached by their names on that network.
                in_network = options.network.is_some();
            }
            Some((Location::Server { .. }, true)) => {
                request.mounts.push(cell_files(database));
                if let Some(network) = &options.network {
                    request.network = Some(network.clone());
                    in_network = true;
                }
            }
            // A server on this machine (a local cluster, an external server) is reached as the
            // host reaches it.
            Some((Location::Server { .. }, false)) => {
                request.network = Some("host".into());
                request.mounts.push(cell_files(database));
            }
            None => {}
        }
        // A frozen engine would hold the start for the whole limit: ask it first.
        if tokio::time::timeout(
            std::time::Duration::from_secs(5),
            crate::docker::ping(&options.docker),
        )
        .await
        .map_or(true, |pinged| pinged.is_err())
        {
            return Err(RuntimeError::Container {
                runtime: runtime.deps.tag.clone(),
                what: format!(
                    "cannot start the runtime container of cell {cell}: the Docker engine does not answer (no reply to a ping within 5 s)"
                ),
                help: "check the Docker engine (`docker info`); `harness clean` removes what the run leaves once it answers".into(),
            });
        }
        let started = tokio::time::timeout(START_LIMIT, crate::docker::start(&request))
            .await
            .unwrap_or(Err(crate::docker::StartError::TimedOut(START_LIMIT)));
        let container = started.map_err(|err| RuntimeError::Container {
            runtime: runtime.deps.tag.clone(),
            what: format!(
                "cannot start the runtime container of cell {cell} from {} (prepared from {}): {err}",
                runtime.deps.tag, runtime.base.reference
            ),
            help: "check the Docker engine (`docker info`); remove the prepared image \
                   (`docker image rm` it) to have it rebuilt"
                .into(),
        })?;
        let id = container.id().to_string();
        options.teardown.register_container(&id);
        Ok(Self {
            container: Some(container),
            id,
            runtime: runtime.clone(),
            in_network: in_network || database.is_none(),
        })
    }

    /// Runs `invocation` in the container.
    pub async fn run(
        &self,
        invocation: &Invocation,
        database: Option<&CellDatabase>,
    ) -> Result<Output, RuntimeError> {
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), self.runtime.deps.path.clone()),
            ("VIRTUAL_ENV".into(), VENV.into()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ("PYTHONUNBUFFERED".into(), "1".into()),
        ];
        env.extend(self.runtime.options.ca_env());
        let cell: Vec<(String, String)> = match database {
            Some(database) if self.in_network => database.env_in_network(),
            Some(database) => database.env(),
            None => Vec::new(),
        };
        env.extend(invocation.expanded_env(&cell));
        if let Some(database) = database {
            let url = if self.in_network {
                database.url_in_network()
            } else {
                database.url.as_str()
            };
            env.extend(cell);
            for name in &invocation.url_vars {
                env.push((name.clone(), invocation.url_for_vars(url)));
            }
        }
        let program = match &invocation.program {
            Program::Python => format!("{VENV}/bin/python"),
            Program::Named(name) => name.clone(),
        };
        let argv: Vec<String> = std::iter::once(program)
            .chain(invocation.args.iter().cloned())
            .collect();
        let dir = invocation.dir.display().to_string();
        exec(
            &self.runtime.options.docker,
            &self.id,
            ExecRequest {
                argv,
                env,
                dir: Some(&dir),
                user: Some(host_user()),
                stdin: None,
            },
        )
        .await
        .map_err(|err| RuntimeError::Container {
            runtime: self.runtime.base.reference.clone(),
            what: format!(
                "cannot run `{}` in runtime container {}: {err}",
                invocation.display("python"),
                &self.id[..self.id.len().min(12)]
            ),
            help: "check that the Docker engine still runs".into(),
        })
    }

    /// Whether the container still runs; `Err` says what became of it (stopped with its exit code,
    /// removed, or the Docker engine does not answer).
    pub async fn running(&self) -> Result<(), ContainerGone> {
        let short = &self.id[..self.id.len().min(12)];
        let docker = &self.runtime.options.docker;
        let asked = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            crate::docker::container_state(docker, &self.id),
        )
        .await;
        let short = short.to_string();
        match asked {
            Err(_) => Err(ContainerGone::NoAnswer(short)),
            Ok(Err(err)) if crate::docker::is_not_found(&err) => Err(ContainerGone::Removed(short)),
            Ok(Err(source)) => Err(ContainerGone::Engine { short, source }),
            Ok(Ok(ContainerState::Running)) => Ok(()),
            Ok(Ok(ContainerState::Stopped { status, exit_code })) => Err(ContainerGone::Stopped {
                short,
                status,
                exit_code,
            }),
        }
    }

    /// Removes the container; returns a warning if it could not.
    pub async fn remove(mut self) -> Option<String> {
        let container = self.container.take()?;
        let result = container
            .discard(&self.runtime.options.docker, crate::docker::ANSWER_LIMIT)
            .await;
        if result.is_ok() {
            self.runtime.options.teardown.forget_container(&self.id);
        }
        // Otherwise the run's teardown tries again.
        result.err().map(|err| {
            format!(
                "could not remove runtime container {}: {err}",
                &self.id[..self.id.len().min(12)]
            )
        })
    }
}

/// `uid:gid` of the harness, so files the tool writes (a SQLite database) belong to the user.
fn host_user() -> String {
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    format!("{uid}:{gid}")
}
