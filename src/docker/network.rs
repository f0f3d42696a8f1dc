//! The run's network: created when runtime containers run next to database containers, so the tool
//! reaches a database by its container name (never through the host's mapped port). Labelled like
//! every container the harness starts, and removed with them.

use testcontainers::bollard::Docker;
use testcontainers::bollard::models::NetworkCreateRequest;

use super::{Teardown, owner_labels};

/// A network created for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunNetwork {
    pub name: String,
}

impl RunNetwork {
    /// Creates the network `name` and registers it with `teardown`.
    pub async fn create(
        docker: &Docker,
        name: &str,
        teardown: &Teardown,
    ) -> Result<Self, testcontainers::bollard::errors::Error> {
        let labels = owner_labels();
        docker
            .create_network(NetworkCreateRequest {
                name: name.to_string(),
                driver: Some("bridge".into()),
                labels: Some(labels),
                ..Default::default()
            })
            .await?;
        teardown.register_network(name);
        Ok(Self {
            name: name.to_string(),
        })
    }
}
