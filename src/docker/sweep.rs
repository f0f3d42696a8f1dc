//! What Docker holds that harness processes of this host started (found by label), and its
//! removal. Whether a process is dead, and what else a dead run left, the caller decides.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use testcontainers::bollard::Docker;
use testcontainers::bollard::errors::Error;
use testcontainers::bollard::models::NetworkDisconnectRequest;
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

/// How long a removal waits for Docker to finish one already under way, or for a network's
/// endpoints to go.
const SETTLE: Duration = Duration::from_secs(30);

/// Removes a container, running or not, with its anonymous volumes. When Docker is already
/// removing it (a cell dropped mid-removal by an interrupt), waits until it is gone.
pub async fn remove_container(docker: &Docker, id: &str) -> Result<(), Error> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(err) if super::is_not_found(&err) => Ok(()),
        Err(err) if is_conflict(&err) => {
            let deadline = Instant::now() + SETTLE;
            loop {
                match docker.inspect_container(id, None).await {
                    Err(gone) if super::is_not_found(&gone) => return Ok(()),
                    _ if Instant::now() >= deadline => return Err(err),
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        Err(err) => Err(err),
    }
}

/// Why something could not be removed.
#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error(transparent)]
    Docker(#[from] Error),
    #[error("the Docker engine did not answer within {} s", .0.as_secs())]
    NoAnswer(Duration),
}

/// Removes a container started through testcontainers, waiting at most `limit` for the Docker
/// engine. The handle is never dropped: its drop removes the container again and blocks the thread
/// until the engine answers, which a frozen engine never does.
pub async fn discard(
    container: testcontainers::ContainerAsync<testcontainers::GenericImage>,
    docker: &Docker,
    limit: Duration,
) -> Result<(), RemovalError> {
    let id = container.id().to_string();
    std::mem::forget(container);
    match tokio::time::timeout(limit, remove_container(docker, &id)).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(RemovalError::NoAnswer(limit)),
    }
}

/// Removes a network: its remaining endpoints are disconnected first (a container still being
/// removed keeps one for a moment), and the removal is retried until they are gone.
pub async fn remove_network(docker: &Docker, name: &str) -> Result<(), Error> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let err = match docker.remove_network(name).await {
            Ok(()) => return Ok(()),
            Err(err) if super::is_not_found(&err) => return Ok(()),
            Err(err) => err,
        };
        if Instant::now() >= deadline {
            return Err(err);
        }
        if let Ok(network) = docker.inspect_network(name, None).await {
            for container in network.containers.unwrap_or_default().into_keys() {
                let request = NetworkDisconnectRequest {
                    container,
                    force: Some(true),
                };
                docker.disconnect_network(name, request).await.ok();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Docker's answer when an object is busy: a removal already in progress, active endpoints.
fn is_conflict(err: &Error) -> bool {
    matches!(
        err,
        Error::DockerResponseServerError {
            status_code: 409,
            ..
        }
    )
}
