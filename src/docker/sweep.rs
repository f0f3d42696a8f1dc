//! What Docker holds that harness processes of this host started (found by label), and its
//! removal. Whether a process is dead, and what else a dead run left, the caller decides.

use std::collections::HashMap;

use testcontainers::bollard::Docker;
use testcontainers::bollard::errors::Error;
use testcontainers::bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder,
};

use super::labels::{LABEL_HOST, LABEL_MANAGED, LABEL_PID, host_name};

/// Containers (ids) and networks (names) with the pid of the harness process that started them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Owned {
    pub containers: Vec<(String, Option<u32>)>,
    pub networks: Vec<(String, Option<u32>)>,
}

/// Everything labelled as started by a harness process of this host, running ones included.
pub async fn owned(docker: &Docker) -> Owned {
    let mut found = Owned::default();
    let filters = HashMap::from([(
        "label".to_string(),
        vec![
            format!("{LABEL_MANAGED}=true"),
            format!("{LABEL_HOST}={}", host_name()),
        ],
    )]);
    let pid_of = |labels: Option<&HashMap<String, String>>| {
        labels
            .and_then(|labels| labels.get(LABEL_PID))
            .and_then(|pid| pid.parse().ok())
    };
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    if let Ok(containers) = docker.list_containers(Some(options)).await {
        for container in containers {
            if let Some(id) = container.id {
                found
                    .containers
                    .push((id, pid_of(container.labels.as_ref())));
            }
        }
    }
    let options = ListNetworksOptionsBuilder::new().filters(&filters).build();
    if let Ok(networks) = docker.list_networks(Some(options)).await {
        for network in networks {
            if let Some(name) = network.name {
                found.networks.push((name, pid_of(network.labels.as_ref())));
            }
        }
    }
    found.containers.sort();
    found.networks.sort();
    found
}

/// Removes a container, running or not, with its anonymous volumes.
pub async fn remove_container(docker: &Docker, id: &str) -> Result<(), Error> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    docker.remove_container(id, Some(options)).await
}

/// Removes a network (once nothing is attached to it).
pub async fn remove_network(docker: &Docker, name: &str) -> Result<(), Error> {
    docker.remove_network(name).await
}
