//! The run's database engines, one per matrix entry, and the one restart each may get: when an
//! engine stops answering during a run, the first cell to notice starts a replacement (a new
//! container or cluster from the same entry), and the cells it cost are run again on it. An
//! external server is the user's and is never restarted; an engine that stops a second time
//! leaves its cells as infrastructure errors.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::config::DatabaseSpec;
use crate::database::{self, Engine};
use crate::docker::Teardown;
use crate::words;

/// An engine as a cell sees it: which start of its entry it is (0, then 1 after a restart).
pub(super) type Generation = usize;

/// An engine as started, or why it could not start (shared by every cell that asks).
pub(super) type Started = Result<Arc<dyn Engine>, Arc<database::DatabaseError>>;

/// The engines a workspace run's members started, for the members after them: one engine per
/// database entry (and runtime network) for the whole run instead of one per member. Shut down
/// with the rest of the run's teardown when the last member is done.
#[derive(Default)]
pub(super) struct SharedEngines {
    started: Mutex<Vec<SharedEngine>>,
}

/// An engine by its database id and the runtime network it was started on.
type SharedEngine = (String, Option<String>, Arc<dyn Engine>);

impl SharedEngines {
    /// The engine an earlier member started for `spec` on `network`.
    pub fn get(&self, spec: &DatabaseSpec, network: Option<&str>) -> Option<Arc<dyn Engine>> {
        let started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started
            .iter()
            .find(|(id, on, _)| *id == spec.id() && on.as_deref() == network)
            .map(|(_, _, engine)| engine.clone())
    }

    pub fn add(&self, spec: &DatabaseSpec, network: Option<&str>, engine: Arc<dyn Engine>) {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started.push((spec.id(), network.map(str::to_string), engine));
    }
}

/// Why an engine that stopped answering was not started again.
#[derive(Debug, Clone, thiserror::Error)]
pub(super) enum NoRestart {
    #[error("the engine is not part of this run")]
    NotInRun,
    #[error("it stopped again after the harness restarted it once")]
    StoppedAgain,
    #[error("it cannot be restarted")]
    NoSpec,
    #[error("an external server is the user's to restart; the harness does not")]
    External,
    #[error("restarting it failed: {0}")]
    Failed(Arc<database::DatabaseError>),
}

pub(super) struct Engines {
    slots: BTreeMap<String, Slot>,
    /// The run's network, for a replacement container.
    network: Option<String>,
    teardown: Arc<Teardown>,
}

struct Slot {
    spec: Option<DatabaseSpec>,
    current: Mutex<(Generation, Started)>,
    /// Taken while a replacement starts, so cells that notice the same death together start one.
    restarting: tokio::sync::Mutex<Restart>,
}

#[derive(Default)]
struct Restart {
    /// Why the engine stopped, once it did.
    stopped: Option<String>,
    /// Why the replacement could not start.
    failed: Option<NoRestart>,
    /// The cells run again on the replacement.
    rerun: Vec<String>,
}

impl Engines {
    pub fn new(
        started: Vec<(DatabaseSpec, Started)>,
        network: Option<String>,
        teardown: Arc<Teardown>,
    ) -> Self {
        let slots = started
            .into_iter()
            .map(|(spec, engine)| {
                (
                    spec.id(),
                    Slot {
                        spec: Some(spec),
                        current: Mutex::new((0, engine)),
                        restarting: tokio::sync::Mutex::new(Restart::default()),
                    },
                )
            })
            .collect();
        Self {
            slots,
            network,
            teardown,
        }
    }

    /// The engine of a database id as it is now.
    pub fn get(&self, id: &str) -> Option<(Generation, Started)> {
        let slot = self.slots.get(id)?;
        let current = slot.current.lock().unwrap_or_else(|e| e.into_inner());
        Some((current.0, current.1.clone()))
    }

    /// Called by a cell whose engine (`seen`) stopped answering: `Ok` when a replacement runs (it
    /// was just started, or another cell started it), so the cell may run again; `Err` says why
    /// not. A replacement is started at most once per engine and run.
    pub async fn recover(
        &self,
        id: &str,
        seen: Generation,
        why: &str,
        cell: &str,
    ) -> Result<(), NoRestart> {
        let Some(slot) = self.slots.get(id) else {
            return Err(NoRestart::NotInRun);
        };
        let mut restart = slot.restarting.lock().await;
        let generation = slot.current.lock().map(|c| c.0).unwrap_or(seen);
        if generation > seen {
            restart.rerun.push(cell.to_string());
            return Ok(());
        }
        if let Some(failed) = &restart.failed {
            return Err(failed.clone());
        }
        if restart.stopped.is_some() {
            return Err(NoRestart::StoppedAgain);
        }
        restart.stopped = Some(why.to_string());
        let outcome = match &slot.spec {
            None => Err(NoRestart::NoSpec),
            Some(spec) => self.replace(slot, spec, generation).await,
        };
        match outcome {
            Ok(()) => {
                restart.rerun.push(cell.to_string());
                Ok(())
            }
            Err(failed) => {
                restart.failed = Some(failed.clone());
                Err(failed)
            }
        }
    }

    async fn replace(
        &self,
        slot: &Slot,
        spec: &DatabaseSpec,
        generation: Generation,
    ) -> Result<(), NoRestart> {
        let backend = slot
            .current
            .lock()
            .ok()
            .and_then(|c| c.1.as_ref().ok().map(|e| e.info().backend));
        if backend == Some("external") {
            return Err(NoRestart::External);
        }
        let engine = database::start(spec, self.network.as_deref())
            .await
            .map_err(|err| NoRestart::Failed(Arc::new(err)))?;
        self.teardown.register(database::release(engine.clone()));
        if let Ok(mut current) = slot.current.lock() {
            *current = (generation + 1, Ok(engine));
        }
        Ok(())
    }

    /// What the report says about engines that stopped during the run.
    pub async fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (id, slot) in &self.slots {
            let restart = slot.restarting.lock().await;
            let Some(why) = &restart.stopped else {
                continue;
            };
            let name = slot
                .spec
                .as_ref()
                .map_or_else(|| id.clone(), |spec| spec.to_string());
            warnings.push(match &restart.failed {
                Some(failed) => format!(
                    "engine {name} stopped during the run ({why}) and was not restarted: {failed}"
                ),
                None => format!(
                    "engine {name} stopped during the run ({why}); the harness started it again once and ran {} again on it: {}",
                    words::plural(restart.rerun.len(), "cell"),
                    words::list_cut(&restart.rerun, 8)
                ),
            });
        }
        warnings
    }
}
