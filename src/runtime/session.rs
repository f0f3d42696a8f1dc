//! A cell's use of a runtime: every process of the cell runs through it. With a local interpreter
//! each process starts on this machine; with a runtime container the cell's container is started
//! on the first process and removed by [`Session::close`] (or, if the run is interrupted first, by
//! the run's teardown).

use tokio::sync::OnceCell;

use super::container::CellContainer;
use super::{Backend, Invocation, PreparedRuntime, RuntimeError};
use crate::database::CellDatabase;
use crate::process::Output;

pub struct Session<'a> {
    runtime: &'a PreparedRuntime,
    database: Option<&'a CellDatabase>,
    /// The cell's id (container label, messages).
    label: String,
    container: OnceCell<CellContainer>,
    /// Why the cell's container could not be started, once that happened.
    failed: std::sync::Mutex<Option<String>>,
}

impl<'a> Session<'a> {
    pub fn new(
        runtime: &'a PreparedRuntime,
        database: Option<&'a CellDatabase>,
        label: impl Into<String>,
    ) -> Self {
        Self {
            runtime,
            database,
            label: label.into(),
            container: OnceCell::new(),
            failed: std::sync::Mutex::new(None),
        }
    }

    pub fn runtime(&self) -> &PreparedRuntime {
        self.runtime
    }

    /// The cell's database, when the session has one.
    pub fn database(&self) -> Option<&CellDatabase> {
        self.database
    }

    /// Runs `invocation` to completion; a failing program is an `Ok` output with its exit code.
    pub async fn run(&self, invocation: &Invocation) -> Result<Output, RuntimeError> {
        match &self.runtime.backend {
            Backend::Local(local) => local.run(invocation, self.database).await,
            Backend::Container(runtime) => {
                let started = self
                    .container
                    .get_or_try_init(|| CellContainer::start(runtime, self.database, &self.label))
                    .await;
                let container = match started {
                    Ok(container) => container,
                    Err(err) => {
                        if let Ok(mut failed) = self.failed.lock() {
                            *failed = Some(err.to_string());
                        }
                        return Err(err);
                    }
                };
                container.run(invocation, self.database).await
            }
        }
    }

    /// Whether the runtime the cell's processes run in is still there: a runtime container that
    /// stopped (or a Docker engine that no longer answers) says so. A local interpreter always is.
    /// `killed`: the last process ended by a signal, as it does when its container is killed;
    /// Docker may report the container running for a moment after that, so it is asked again.
    pub async fn responds(&self, killed: bool) -> Result<(), super::container::ContainerGone> {
        if let Some(failed) = self.failed.lock().ok().and_then(|f| f.clone()) {
            return Err(super::container::ContainerGone::NotStarted(failed));
        }
        let Some(container) = self.container.get() else {
            return Ok(());
        };
        let attempts = if killed { 5 } else { 1 };
        for attempt in 1..=attempts {
            container.running().await?;
            if attempt < attempts {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        Ok(())
    }

    /// Removes what the session started; returns a warning if something could not be removed.
    pub async fn close(self) -> Option<String> {
        match self.container.into_inner() {
            Some(container) => container.remove().await,
            None => None,
        }
    }
}
