//! The container backend: one container per matrix entry, started through testcontainers from the
//! configured image, labelled so leftovers can be found, its port bound on loopback only, ready
//! once a real query succeeds, and removed on shutdown.

use std::collections::HashMap;
use std::time::Instant;

use testcontainers::bollard::Docker;
use testcontainers::bollard::models::PortBinding;
use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::sync::Mutex;

use super::DatabaseError;
use super::image::{self, ImageChoice, LABEL_FLAVOUR, PASSWORD};
use super::server::{Hosting, ServerEngine};
use super::server_url::ServerUrl;
use super::sql::{self, ReadinessError};
use crate::config::{DatabaseSpec, ImageFlavour};
use crate::docker::{LABEL_ENGINE, labelled};

/// A running container; removed by [`ContainerHost::remove`].
pub(super) struct ContainerHost {
    container: Mutex<Option<ContainerAsync<GenericImage>>>,
    id: String,
    docker: Docker,
}

impl ContainerHost {
    /// The container's id, for `docker exec`.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub async fn remove(&self) -> Vec<String> {
        let Some(container) = self.container.lock().await.take() else {
            return Vec::new();
        };
        match crate::docker::discard(container, &self.docker, std::time::Duration::from_secs(60))
            .await
        {
            Ok(()) => Vec::new(),
            Err(err) => vec![format!(
                "could not remove container {}: {err} (`harness clean` removes it once the Docker engine answers)",
                short(&self.id)
            )],
        }
    }
}

/// Starts `spec` in a container from `choice`.
pub(super) async fn start(
    spec: &DatabaseSpec,
    choice: ImageChoice,
    docker: &Docker,
    network: Option<&str>,
) -> Result<ServerEngine, DatabaseError> {
    let started = Instant::now();
    let flavour = match choice.flavour {
        Some(flavour) => flavour,
        None => labelled_flavour(docker, &choice.reference)
            .await
            .unwrap_or(ImageFlavour::Official),
    };
    let Some(launch) = image::launch(spec.engine, flavour) else {
        return Err(DatabaseError::start(
            spec,
            "SQLite runs in process, not in a container",
            "remove `backend` from its entry",
        ));
    };
    let (name, tag) = choice.name_and_tag();
    let port = launch.port;
    let mut request = labelled(GenericImage::new(name, tag).with_exposed_port(port.tcp()))
        .with_label(LABEL_ENGINE, spec.id())
        .with_host_config_modifier(move |config| {
            // Loopback only: the server is never reachable from outside this machine.
            config.publish_all_ports = Some(false);
            config.port_bindings = Some(HashMap::from([(
                format!("{port}/tcp"),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            )]));
        })
        .with_startup_timeout(sql::ready_timeout());
    // On the run's network the container is reached by its name: `<network>-postgres-17`.
    let alias = network.map(|network| format!("{network}-{}", spec.id()));
    if let (Some(network), Some(alias)) = (network, &alias) {
        request = request
            .with_network(network.to_string())
            .with_container_name(alias.clone());
    }
    for (key, value) in &launch.env {
        request = request.with_env_var(key, value);
    }
    if !launch.cmd.is_empty() {
        request = request.with_cmd(launch.cmd.clone());
    }
    let source = format!(
        "image {} ({} flavour, from {})",
        choice.reference,
        flavour.name(),
        choice.origin
    );
    let container = request.start().await.map_err(|err| {
        DatabaseError::start(
            spec,
            format!("cannot start a container from {source}: {err}"),
            format!(
                "check that the image exists (`docker image inspect {}`) or can be pulled; set \
                 HARNESS_IMAGE_{} or `image` in [databases.\"{spec}\"] to another image (locally \
                 built images: scripts/setup/20-engines.sh, see docs/engines.md)",
                choice.reference,
                spec.env_suffix()
            ),
        )
    })?;
    let id = container.id().to_string();
    let removed_on_error = |container: ContainerAsync<GenericImage>| async move {
        let _ = container.rm().await;
    };
    let host_port = match container.get_host_port_ipv4(port.tcp()).await {
        Ok(host_port) => host_port,
        Err(err) => {
            removed_on_error(container).await;
            return Err(DatabaseError::start(
                spec,
                format!(
                    "container {} from {source} has no port for {port}: {err}",
                    short(&id)
                ),
                "check the Docker engine's port publishing (the harness binds 127.0.0.1 only)",
            ));
        }
    };
    let family = launch.family;
    let url = ServerUrl::loopback(family, host_port, launch.user, PASSWORD, launch.maintenance);
    let ready = sql::wait_ready(&url, sql::ready_timeout(), || async {
        match container.is_running().await {
            Ok(true) => None,
            _ => Some(logs_tail(&container).await),
        }
    })
    .await;
    let version = match ready {
        Ok((version, _)) => version,
        Err(err) => {
            let logs = match &err {
                ReadinessError::Exited(_) => String::new(),
                ReadinessError::TimedOut { .. } => {
                    format!("\n  container log:\n{}", logs_tail(&container).await)
                }
            };
            removed_on_error(container).await;
            return Err(DatabaseError::start(
                spec,
                format!("the container from {source} never became ready: {err}{logs}"),
                match flavour {
                    ImageFlavour::Official => {
                        "if the image has no entrypoint that initialises the \
                        server (a plain Debian image), set `flavour = \"debian\"` or label the \
                        image dev.harness.flavour=debian; raise HARNESS_ENGINE_TIMEOUT on slow machines"
                    }
                    ImageFlavour::Debian => {
                        "a `debian` image needs the server packages \
                        (postgresql, mariadb-server) installed; raise HARNESS_ENGINE_TIMEOUT on slow machines"
                    }
                },
            ));
        }
    };
    let network_url = alias.map(|alias| {
        ServerUrl::on_host(
            family,
            &alias,
            port,
            launch.user,
            PASSWORD,
            launch.maintenance,
        )
    });
    let engine = ServerEngine::new(
        spec.clone(),
        url,
        Hosting::Container(Box::new(ContainerHost {
            container: Mutex::new(Some(container)),
            id,
            docker: docker.clone(),
        })),
        source,
        version,
        started.elapsed(),
    );
    Ok(match network_url {
        Some(network_url) => engine.with_network_url(network_url),
        None => engine,
    })
}

/// The flavour an image declares through its label, if it is present locally and has one.
async fn labelled_flavour(docker: &Docker, reference: &str) -> Option<ImageFlavour> {
    let inspect = docker.inspect_image(reference).await.ok()?;
    let labels = inspect.config?.labels?;
    ImageFlavour::parse(labels.get(LABEL_FLAVOUR)?)
}

async fn logs_tail(container: &ContainerAsync<GenericImage>) -> String {
    let stdout = container.stdout_to_vec().await.unwrap_or_default();
    let stderr = container.stderr_to_vec().await.unwrap_or_default();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    crate::process::tail(&text, 15)
        .lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
