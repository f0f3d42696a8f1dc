//! Finding and removing what a harness process started and could not remove itself (it was killed):
//! containers carry labels naming the process and host that started them; local clusters live in
//! temporary folders named after that process. A run sweeps the leftovers of dead processes first.

use std::collections::HashMap;
use std::path::PathBuf;

use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder,
};

/// Set to `true` on every container the harness starts.
pub const LABEL_MANAGED: &str = "dev.harness.managed";
/// The process id of the harness that started the container.
pub const LABEL_PID: &str = "dev.harness.pid";
/// The host name of the machine that process runs on.
pub const LABEL_HOST: &str = "dev.harness.host";
/// The matrix entry the container serves (`postgres-17`).
pub const LABEL_ENGINE: &str = "dev.harness.engine";

/// The prefix of a local cluster's temporary folder: `harness-pg-<pid>-<random>`.
pub(super) const CLUSTER_DIR_PREFIX: &str = "harness-pg-";

/// This machine's name, as recorded in [`LABEL_HOST`]: gethostname(2), which every Unix has
/// (Linux's /proc is not on macOS).
pub(crate) fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; the name is NUL-terminated within it on success.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return "unknown".into();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    match String::from_utf8_lossy(&buffer[..end]).trim() {
        "" => "unknown".into(),
        name => name.to_string(),
    }
}

/// Whether a process of this machine is alive: kill(pid, 0), which checks without signalling
/// (a process of another user answers EPERM, and is alive too).
pub(super) fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

pub(super) async fn remove_container(
    docker: &Docker,
    id: &str,
) -> Result<(), testcontainers::bollard::errors::Error> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    docker.remove_container(id, Some(options)).await
}

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
    if let Some(docker) = super::start::docker().await {
        let host = host_name();
        let filters = HashMap::from([(
            "label".to_string(),
            vec![
                format!("{LABEL_MANAGED}=true"),
                format!("{LABEL_HOST}={host}"),
            ],
        )]);
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        if let Ok(containers) = docker.list_containers(Some(options)).await {
            for container in containers {
                let pid = container
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(LABEL_PID))
                    .and_then(|pid| pid.parse().ok());
                if let Some(id) = container.id {
                    found.containers.push((id, pid));
                }
            }
        }
        let options = ListNetworksOptionsBuilder::new().filters(&filters).build();
        if let Ok(networks) = docker.list_networks(Some(options)).await {
            for network in networks {
                let pid = network
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(LABEL_PID))
                    .and_then(|pid| pid.parse().ok());
                if let Some(name) = network.name {
                    found.networks.push((name, pid));
                }
            }
        }
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
    let dead = |pid: &Option<u32>| pid.is_some_and(|pid| !process_alive(pid));
    if found.containers.iter().any(|(_, pid)| dead(pid))
        && let Some(docker) = super::start::docker().await
    {
        for (id, pid) in found.containers.iter().filter(|(_, pid)| dead(pid)) {
            let short = &id[..id.len().min(12)];
            match remove_container(&docker, id).await {
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
        && let Some(docker) = super::start::docker().await
    {
        for (name, pid) in found.networks.iter().filter(|(_, pid)| dead(pid)) {
            match docker.remove_network(name).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_and_host_name_come_from_system_calls() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid), "a reaped process is gone");
        assert!(!process_alive(0) && !process_alive(u32::MAX));
        let expected = std::process::Command::new("hostname").output().unwrap();
        assert_eq!(
            host_name(),
            String::from_utf8_lossy(&expected.stdout).trim(),
            "the name `hostname` prints"
        );
    }
}
