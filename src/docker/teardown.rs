//! The engines, runtime containers and networks a run has started, so they can be removed whichever
//! way the run ends: at its end, on failure, or when the CLI is interrupted and the run's future is
//! dropped mid-way.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::{is_not_found, remove_container, remove_network};

/// How long one removal may take (Docker's own wait for a container being removed included)
/// before the engine counts as not answering and what is left is listed instead.
const REMOVAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Stops something a run started that is not a Docker object of its own (a database engine: a
/// container with its databases, a local cluster, scratch databases on a server) and returns
/// its warnings.
pub type Release = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Vec<String>> + Send>> + Send>;

/// Shared by the run and whoever started it.
#[derive(Default)]
pub struct Teardown {
    engines: Mutex<Vec<Release>>,
    /// Runtime containers still running (ids); removed before the engines.
    containers: Mutex<BTreeSet<String>>,
    /// Networks created for the run; removed last, once nothing is attached.
    networks: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Teardown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.engines.lock().map_or(0, |engines| engines.len());
        write!(f, "Teardown({count} engines)")
    }
}

impl Teardown {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A database engine to shut down at the end.
    pub fn register(&self, release: Release) {
        if let Ok(mut engines) = self.engines.lock() {
            engines.push(release);
        }
    }

    /// A runtime container to remove if the run ends before its cell does.
    pub fn register_container(&self, id: &str) {
        if let Ok(mut containers) = self.containers.lock() {
            containers.insert(id.to_string());
        }
    }

    /// A runtime container its cell has removed.
    pub fn forget_container(&self, id: &str) {
        if let Ok(mut containers) = self.containers.lock() {
            containers.remove(id);
        }
    }

    pub fn register_network(&self, name: &str) {
        if let Ok(mut networks) = self.networks.lock() {
            networks.push(name.to_string());
        }
    }

    /// [`Teardown::shutdown_all`] after an interrupt: the run was dropped mid-way, so a container
    /// it was creating may not be registered yet, or may appear a moment after (Docker finishes a
    /// request whose caller is gone). Everything labelled with this process's pid is removed too,
    /// looking again until nothing more appears.
    pub async fn shutdown_after_interrupt(&self) -> Vec<String> {
        let mut warnings = self.shutdown_all().await;
        let Some(docker) = super::client().await else {
            return warnings;
        };
        let me = Some(std::process::id());
        let mut quiet = 0;
        while quiet < 3 {
            let owned = super::owned(&docker).await;
            let containers: Vec<&String> = owned
                .containers
                .iter()
                .filter(|(_, pid)| *pid == me)
                .map(|(id, _)| id)
                .collect();
            let networks: Vec<&String> = owned
                .networks
                .iter()
                .filter(|(_, pid)| *pid == me)
                .map(|(name, _)| name)
                .collect();
            if containers.is_empty() && networks.is_empty() {
                quiet += 1;
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                continue;
            }
            quiet = 0;
            for id in containers {
                if let Err(err) = remove_container(&docker, id).await
                    && !is_not_found(&err)
                {
                    let short = &id[..id.len().min(12)];
                    warnings.push(format!(
                        "could not remove container {short}: {err} (remove it with `docker rm -f {short}`)"
                    ));
                    return warnings;
                }
            }
            for name in networks {
                if let Err(err) = remove_network(&docker, name).await
                    && !is_not_found(&err)
                {
                    warnings.push(format!(
                        "could not remove network {name}: {err} (remove it with `docker network rm {name}`)"
                    ));
                    return warnings;
                }
            }
        }
        warnings
    }

    /// Removes the registered runtime containers, shuts every engine down (concurrently), then
    /// removes the networks; returns the warnings.
    pub async fn shutdown_all(&self) -> Vec<String> {
        let containers: Vec<String> = self
            .containers
            .lock()
            .map(|mut containers| std::mem::take(&mut *containers).into_iter().collect())
            .unwrap_or_default();
        let networks: Vec<String> = self
            .networks
            .lock()
            .map(|mut networks| std::mem::take(&mut *networks))
            .unwrap_or_default();
        let mut warnings = Vec::new();
        let docker = if containers.is_empty() && networks.is_empty() {
            None
        } else {
            super::client().await
        };
        // Once the engine fails to answer, what is left is listed rather than waited for.
        let mut left: Vec<String> = Vec::new();
        match &docker {
            None => left.extend(containers.iter().map(|id| short(id).to_string())),
            Some(docker) => {
                for id in &containers {
                    if !left.is_empty() {
                        left.push(short(id).to_string());
                        continue;
                    }
                    match tokio::time::timeout(REMOVAL_LIMIT, remove_container(docker, id)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) if is_not_found(&err) => {}
                        Ok(Err(err)) => warnings.push(format!(
                            "could not remove runtime container {}: {err}",
                            short(id)
                        )),
                        Err(_) => left.push(short(id).to_string()),
                    }
                }
            }
        }
        warnings.extend(self.shutdown_engines().await);
        let mut networks_left = Vec::new();
        match &docker {
            Some(docker) if left.is_empty() => {
                for name in &networks {
                    match tokio::time::timeout(REMOVAL_LIMIT, remove_network(docker, name)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) if is_not_found(&err) => {}
                        Ok(Err(err)) => {
                            warnings.push(format!("could not remove network {name}: {err}"))
                        }
                        Err(_) => networks_left.push(name.clone()),
                    }
                }
            }
            _ => networks_left.extend(networks),
        }
        if !left.is_empty() || !networks_left.is_empty() {
            let mut what = Vec::new();
            if !left.is_empty() {
                what.push(format!("runtime containers {}", left.join(", ")));
            }
            if !networks_left.is_empty() {
                what.push(format!("networks {}", networks_left.join(", ")));
            }
            warnings.push(format!(
                "the Docker engine does not answer, so these were not removed: {}; run `harness clean` once it answers",
                what.join(" and ")
            ));
        }
        warnings
    }

    async fn shutdown_engines(&self) -> Vec<String> {
        let engines: Vec<Release> = self
            .engines
            .lock()
            .map(|mut engines| std::mem::take(&mut *engines))
            .unwrap_or_default();
        let mut tasks = tokio::task::JoinSet::new();
        for release in engines {
            let limit = REMOVAL_LIMIT;
            tasks.spawn(async move {
                match tokio::time::timeout(limit, release()).await {
                    Ok(found) => found,
                    Err(_) => vec![format!(
                        "an engine was not shut down within {} s (its container's Docker engine or its server does not answer); run `harness clean` once it does",
                        limit.as_secs()
                    )],
                }
            });
        }
        let mut warnings = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(found) => warnings.extend(found),
                Err(err) => warnings.push(format!("an engine's shutdown ended abnormally: {err}")),
            }
        }
        warnings
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
