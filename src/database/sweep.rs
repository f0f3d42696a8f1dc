//! Finding and removing what a harness process started and could not remove itself (it was killed):
//! containers and networks, which carry labels naming the process and host that started them
//! (listed and removed by [`crate::docker`]), and local clusters, which live in temporary folders
//! named after that process. A run sweeps the leftovers of dead processes first.

use std::path::PathBuf;

use crate::docker;

/// The prefix of a local cluster's temporary folder: `harness-pg-<pid>-<random>`.
pub(super) const CLUSTER_DIR_PREFIX: &str = "harness-pg-";

/// What the harness started and has not removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Leftovers {
    /// Container ids, with the pid that started them.
    pub containers: Vec<(String, Option<u32>)>,
    /// Local cluster folders, with the pid that started them.
    pub clusters: Vec<(PathBuf, Option<u32>)>,
    /// Networks created for runtime containers (names), with the pid that created them.
    pub networks: Vec<(String, Option<u32>)>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.clusters.is_empty() && self.networks.is_empty()
    }
}

/// Everything any harness process on this machine has started and not yet removed (running
/// ones included). Without a Docker engine, only clusters are listed.
pub async fn leftovers() -> Leftovers {
    let mut found = Leftovers::default();
    if let Some(docker) = docker::client().await {
        let owned = docker::owned(&docker).await;
        found.containers = owned.containers;
        found.networks = owned.networks;
    }
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(rest) = name.strip_prefix(CLUSTER_DIR_PREFIX) {
                let pid = rest.split('-').next().and_then(|pid| pid.parse().ok());
                found.clusters.push((entry.path(), pid));
            }
        }
    }
    found.containers.sort();
    found.clusters.sort();
    found.networks.sort();
    found
}

/// Removes the leftovers of harness processes that are no longer running; returns what it did.
pub async fn sweep_stale() -> Vec<String> {
    let found = leftovers().await;
    let mut notes = Vec::new();
    let dead = |pid: &Option<u32>| pid.is_some_and(|pid| !docker::process_alive(pid));
    if found.containers.iter().any(|(_, pid)| dead(pid))
        && let Some(client) = docker::client().await
    {
        for (id, pid) in found.containers.iter().filter(|(_, pid)| dead(pid)) {
            let short = &id[..id.len().min(12)];
            match docker::remove_container(&client, id).await {
                Ok(()) => notes.push(format!(
                    "removed container {short} left by harness process {}",
                    pid.unwrap_or_default()
                )),
                Err(err) => notes.push(format!("could not remove stale container {short}: {err}")),
            }
        }
    }
    // Networks last: a network is removable once its containers are gone.
    if found.networks.iter().any(|(_, pid)| dead(pid))
        && let Some(client) = docker::client().await
    {
        for (name, pid) in found.networks.iter().filter(|(_, pid)| dead(pid)) {
            match docker::remove_network(&client, name).await {
                Ok(()) => notes.push(format!(
                    "removed network {name} left by harness process {}",
                    pid.unwrap_or_default()
                )),
                Err(err) => notes.push(format!("could not remove stale network {name}: {err}")),
            }
        }
    }
    for (dir, pid) in found.clusters.iter().filter(|(_, pid)| dead(pid)) {
        super::local_postgres::kill_cluster_in(dir);
        match std::fs::remove_dir_all(dir) {
            Ok(()) => notes.push(format!(
                "removed local cluster {} left by harness process {}",
                dir.display(),
                pid.unwrap_or_default()
            )),
            Err(err) => notes.push(format!(
                "could not remove stale cluster folder {}: {err}",
                dir.display()
            )),
        }
    }
    notes
}
