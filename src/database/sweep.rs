//! Finding and removing what a harness process started and could not remove itself (it was killed):
//! containers and networks, which carry labels naming the process and host that started them
//! (listed and removed by [`crate::docker`]), and local clusters, which live in temporary folders
//! named after that process. A run sweeps the leftovers of dead processes first.

use std::path::PathBuf;

use crate::docker;

/// The prefixes of the other temporary folders a run makes, each followed by `<pid>-<random>`:
/// a SQLite cell's database, a tool step's output files, a server cell's files.
pub const SCRATCH_DIR_PREFIXES: [&str; 3] =
    ["harness-sqlite-", "harness-worker-", super::CELL_DIR_PREFIX];

/// What the harness started and has not removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Leftovers {
    /// Container ids, with the pid that started them.
    pub containers: Vec<(String, Option<u32>)>,
    /// Local cluster folders, with the pid that started them.
    pub clusters: Vec<(PathBuf, Option<u32>)>,
    /// Networks created for runtime containers (names), with the pid that created them.
    pub networks: Vec<(String, Option<u32>)>,
    /// Temporary folders of cells and tool steps, with the pid that made them.
    pub folders: Vec<(PathBuf, Option<u32>)>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
            && self.clusters.is_empty()
            && self.networks.is_empty()
            && self.folders.is_empty()
    }
}

/// The pid in a folder name `<prefix><pid>-<random>`.
fn pid_after(name: &str, prefix: &str) -> Option<Option<u32>> {
    let rest = name.strip_prefix(prefix)?;
    Some(rest.split('-').next().and_then(|pid| pid.parse().ok()))
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
            if let Some(pid) = pid_after(&name, super::local_postgres::CLUSTER_DIR_PREFIX) {
                found.clusters.push((entry.path(), pid));
            } else if let Some(pid) = SCRATCH_DIR_PREFIXES
                .iter()
                .find_map(|prefix| pid_after(&name, prefix))
            {
                found.folders.push((entry.path(), pid));
            }
        }
    }
    found.containers.sort();
    found.clusters.sort();
    found.networks.sort();
    found.folders.sort();
    found
}

/// Removes the leftovers of harness processes that are no longer running; returns what it did.
pub async fn sweep_stale() -> Vec<String> {
    sweep(false).await
}

/// How long [`sweep`] waits before looking again after it removed a killed process's containers:
/// a create request the process sent just before it died still completes in the engine.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(1_500);

/// How many times [`sweep`] looks at most.
const MAX_PASSES: usize = 4;

/// What the harness processes of this host that are no longer running left behind: removed, or
/// with `dry_run` only listed ("would remove ..."). Never anything of a live process, nor of
/// another host sharing the Docker engine (only this host's labels are listed). After removing
/// containers or networks it looks again a moment later, until a look finds nothing more: a
/// container the process asked for just before it was killed appears after it died.
pub async fn sweep(dry_run: bool) -> Vec<String> {
    let mut notes = Vec::new();
    for pass in 0..MAX_PASSES {
        if pass > 0 {
            tokio::time::sleep(SETTLE).await;
        }
        let (removed_docker, pass_notes) = sweep_once(dry_run).await;
        for note in pass_notes {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        if dry_run || !removed_docker {
            break;
        }
    }
    notes
}

/// One look: removes (or lists) what dead processes left; says whether it removed containers or
/// networks of theirs.
async fn sweep_once(dry_run: bool) -> (bool, Vec<String>) {
    let found = leftovers().await;
    let mut notes = Vec::new();
    let dead = |pid: &Option<u32>| pid.is_some_and(|pid| !docker::process_alive(pid));
    let verb = if dry_run { "would remove" } else { "removed" };
    if found.containers.iter().any(|(_, pid)| dead(pid))
        && let Some(client) = docker::client().await
    {
        for (id, pid) in found.containers.iter().filter(|(_, pid)| dead(pid)) {
            let short = &id[..id.len().min(12)];
            let done = if dry_run {
                Ok(())
            } else {
                docker::remove_container(&client, id).await
            };
            match done {
                Ok(()) => notes.push(format!(
                    "{verb} container {short} left by harness process {}",
                    pid.unwrap_or_default()
                )),
                Err(err) => notes.push(format!(
                    "could not remove stale container {short}: {err} (remove it with `docker rm -f {short}`)"
                )),
            }
        }
    }
    // Networks after containers: a network is removable once its containers are gone.
    if found.networks.iter().any(|(_, pid)| dead(pid))
        && let Some(client) = docker::client().await
    {
        for (name, pid) in found.networks.iter().filter(|(_, pid)| dead(pid)) {
            let done = if dry_run {
                Ok(())
            } else {
                docker::remove_network(&client, name).await
            };
            match done {
                Ok(()) => notes.push(format!(
                    "{verb} network {name} left by harness process {}",
                    pid.unwrap_or_default()
                )),
                Err(err) => notes.push(format!(
                    "could not remove stale network {name}: {err} (remove it with `docker network rm {name}`)"
                )),
            }
        }
    }
    for (dir, pid) in found.clusters.iter().filter(|(_, pid)| dead(pid)) {
        let done = if dry_run {
            Ok(())
        } else {
            super::local_postgres::kill_cluster_in(dir);
            std::fs::remove_dir_all(dir)
        };
        match done {
            Ok(()) => notes.push(format!(
                "{verb} local cluster {} left by harness process {}",
                dir.display(),
                pid.unwrap_or_default()
            )),
            Err(err) => notes.push(format!(
                "could not remove stale cluster folder {}: {err}",
                dir.display()
            )),
        }
    }
    for (dir, pid) in found.folders.iter().filter(|(_, pid)| dead(pid)) {
        let done = if dry_run {
            Ok(())
        } else {
            std::fs::remove_dir_all(dir)
        };
        match done {
            Ok(()) => notes.push(format!(
                "{verb} temporary folder {} left by harness process {}",
                dir.display(),
                pid.unwrap_or_default()
            )),
            Err(err) => notes.push(format!(
                "could not remove stale folder {}: {err}",
                dir.display()
            )),
        }
    }
    let removed_docker = notes
        .iter()
        .any(|note| note.starts_with("removed container") || note.starts_with("removed network"));
    (removed_docker, notes)
}
