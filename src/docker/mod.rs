//! The one Docker client: finding an engine that answers, the labels on everything the harness
//! starts, the run's networks, exec in a container (with a file on its standard input), image
//! references, removal, the registry of what a run started ([`Teardown`]) and the listing and
//! sweep of what dead runs left. Knows nothing of databases or migration tools: the database
//! and runtime layers ask it.

mod container;
mod exec;
mod image_ref;
mod images;
mod labels;
mod network;
mod sweep;
mod teardown;

use std::time::Duration;

pub use container::{ContainerSpec, Mount, StartError, Started, start};
pub use exec::{ANSWER_LIMIT, ExecError, ExecRequest, exec};
pub use image_ref::{ImageRef, split_reference};
pub use images::{
    Commit, ContainerState, ImageInfo, ListedImage, commit, container_state, inspect_image,
    list_images, own_layer_size, ping, remove_image,
};
pub use labels::{
    LABEL_HOST, LABEL_MANAGED, LABEL_PID, host_name, labelled, owner_labels, process_alive,
};
pub use network::RunNetwork;
pub use sweep::{Owned, RemovalError, discard, owned, remove_container, remove_network};
pub use teardown::{Release, Teardown};
pub use testcontainers::bollard::Docker;
pub use testcontainers::bollard::errors::Error;

/// A Docker client whose engine answers a ping within 3 s, if any.
pub async fn client() -> Option<Docker> {
    let client = testcontainers::core::client::docker_client_instance()
        .await
        .ok()?;
    match tokio::time::timeout(Duration::from_secs(3), client.ping()).await {
        Ok(Ok(_)) => Some(client),
        _ => None,
    }
}

/// Already gone: removed by someone else (a cell, as the run was interrupted).
pub fn is_not_found(err: &Error) -> bool {
    matches!(
        err,
        Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
