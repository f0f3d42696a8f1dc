//! Starting a container: what to start ([`ContainerSpec`]: image, command, labels, mounts,
//! network, one port published on loopback) and the started container ([`Started`]), always with
//! the owner labels the sweep reads. Knows no database and no runtime: their layers fill the spec.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use testcontainers::bollard::models::PortBinding;
use testcontainers::core::{AccessMode, IntoContainerPort, Mount as Bind};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::{Docker, labelled, split_reference};

/// A folder of this machine mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub host: String,
    pub target: String,
    pub read_only: bool,
}

impl Mount {
    pub fn read_only(host: &Path, target: &Path) -> Self {
        Self {
            host: host.display().to_string(),
            target: target.display().to_string(),
            read_only: true,
        }
    }

    /// `dir` read-write at its own path.
    pub fn read_write(dir: &Path) -> Self {
        let dir = dir.display().to_string();
        Self {
            host: dir.clone(),
            target: dir,
            read_only: false,
        }
    }
}

/// A container to start.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// The image reference (`name:tag`).
    pub image: String,
    /// The command; the image's own when empty.
    pub cmd: Vec<String>,
    /// Labels besides the owner labels every container gets.
    pub labels: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    /// The network to join (`host` for the host's), else Docker's default.
    pub network: Option<String>,
    /// The container's name (how others on its network reach it).
    pub name: Option<String>,
    pub env: Vec<(String, String)>,
    /// A TCP port published on 127.0.0.1 only, at a port Docker picks.
    pub loopback_port: Option<u16>,
    /// How long the start may take.
    pub startup_timeout: Option<Duration>,
}

/// A started container; dropping it removes it (blocking until the engine answers), so the
/// layers above end it with [`Started::remove`] or [`Started::discard`].
pub struct Started {
    inner: ContainerAsync<GenericImage>,
}

/// Why a container did not start, or cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Docker's (or testcontainers') own words.
    #[error("{0}")]
    Docker(#[from] testcontainers::TestcontainersError),
    #[error("the Docker engine did not start it within {} s", .0.as_secs())]
    TimedOut(Duration),
}

/// Starts `spec`.
pub async fn start(spec: &ContainerSpec) -> Result<Started, StartError> {
    let (name, tag) = split_reference(&spec.image);
    let mut image = GenericImage::new(name, tag);
    if let Some(port) = spec.loopback_port {
        image = image.with_exposed_port(port.tcp());
    }
    let mut request = labelled(image);
    for (key, value) in &spec.labels {
        request = request.with_label(key, value);
    }
    for mount in &spec.mounts {
        let mut bind = Bind::bind_mount(mount.host.clone(), mount.target.clone());
        if mount.read_only {
            bind = bind.with_access_mode(AccessMode::ReadOnly);
        }
        request = request.with_mount(bind);
    }
    if let Some(port) = spec.loopback_port {
        request = request.with_host_config_modifier(move |config| {
            // Loopback only: the server is never reachable from outside this machine.
            config.publish_all_ports = Some(false);
            config.port_bindings = Some(HashMap::from([(
                format!("{port}/tcp"),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            )]));
        });
    }
    if let Some(network) = &spec.network {
        request = request.with_network(network.clone());
    }
    if let Some(name) = &spec.name {
        request = request.with_container_name(name.clone());
    }
    for (key, value) in &spec.env {
        request = request.with_env_var(key, value);
    }
    if !spec.cmd.is_empty() {
        request = request.with_cmd(spec.cmd.clone());
    }
    if let Some(limit) = spec.startup_timeout {
        request = request.with_startup_timeout(limit);
    }
    request
        .start()
        .await
        .map(|inner| Started { inner })
        .map_err(StartError::from)
}

impl Started {
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The host port 127.0.0.1 publishes `port` on.
    pub async fn host_port(&self, port: u16) -> Result<u16, StartError> {
        self.inner
            .get_host_port_ipv4(port.tcp())
            .await
            .map_err(StartError::from)
    }

    /// Whether the container still runs.
    pub async fn is_running(&self) -> bool {
        self.inner.is_running().await.unwrap_or(false)
    }

    /// What the container printed, standard output then standard error.
    pub async fn logs(&self) -> String {
        let stdout = self.inner.stdout_to_vec().await.unwrap_or_default();
        let stderr = self.inner.stderr_to_vec().await.unwrap_or_default();
        format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        )
    }

    /// Removes the container, waiting for the engine.
    pub async fn remove(self) {
        let _ = self.inner.rm().await;
    }

    /// Removes the container waiting at most `limit` for the engine (see [`super::discard`]).
    pub async fn discard(
        self,
        docker: &Docker,
        limit: Duration,
    ) -> Result<(), super::RemovalError> {
        super::discard(self.inner, docker, limit).await
    }
}
