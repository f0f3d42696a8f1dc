//! The run's network: created when runtime containers run next to database containers, so the tool
//! reaches a database by its container name (never through the host's mapped port). Labelled like
//! every container the harness starts, and removed with them.

use std::collections::HashMap;

use testcontainers::bollard::Docker;
use testcontainers::bollard::models::NetworkCreateRequest;

use crate::database::{LABEL_HOST, LABEL_MANAGED, LABEL_PID, Teardown, host_name};

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
        let labels = HashMap::from([
            (LABEL_MANAGED.to_string(), "true".to_string()),
            (LABEL_PID.to_string(), std::process::id().to_string()),
            (LABEL_HOST.to_string(), host_name()),
        ]);
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
