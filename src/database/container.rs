//! The container backend: one container per matrix entry, started through `crate::docker` from the
//! configured image, labelled so leftovers can be found, its port bound on loopback only, ready
//! once a real query succeeds, and removed on shutdown.

use std::time::Instant;

use tokio::sync::Mutex;

use super::DatabaseError;
use super::image::{self, ImageChoice, LABEL_FLAVOUR, PASSWORD};
use super::server_url::ServerUrl;
use super::sql::{self, ReadinessError};
use crate::config::{DatabaseSpec, ImageFlavour};
use crate::docker::{ContainerSpec, Docker, Started};

/// The matrix entry a database container serves (`postgres-17`).
const LABEL_ENGINE: &str = "dev.harness.engine";

/// A running container; removed by [`ContainerHost::remove`].
pub(super) struct ContainerHost {
    container: Mutex<Option<Started>>,
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
        match container
            .discard(&self.docker, std::time::Duration::from_secs(60))
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

/// A server container that answers, and what the engine says of it.
pub(super) struct StartedContainer {
    pub host: ContainerHost,
    pub url: ServerUrl,
    /// How other containers on the run's network reach it.
    pub network_url: Option<ServerUrl>,
    /// The image, its flavour and where the choice came from.
    pub source: String,
    pub version: String,
    pub ready_after: std::time::Duration,
}

/// Starts `spec` in a container from `choice`.
pub(super) async fn start(
    spec: &DatabaseSpec,
    choice: ImageChoice,
    docker: &Docker,
    network: Option<&str>,
) -> Result<StartedContainer, DatabaseError> {
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
    let port = launch.port;
    // On the run's network the container is reached by its name: `<network>-postgres-17`.
    let alias = network.map(|network| format!("{network}-{}", spec.id()));
    let request = ContainerSpec {
        image: choice.reference.clone(),
        cmd: launch.cmd.clone(),
        labels: vec![(LABEL_ENGINE.into(), spec.id())],
        network: network.map(str::to_string),
        name: alias.clone(),
        env: launch
            .env
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        loopback_port: Some(port),
        startup_timeout: Some(sql::ready_timeout()),
        ..ContainerSpec::default()
    };
    let source = format!(
        "image {} ({} flavour, from {})",
        choice.reference,
        flavour.name(),
        choice.origin
    );
    let container = crate::docker::start(&request).await.map_err(|err| {
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
    let removed_on_error = |container: Started| container.remove();
    let host_port = match container.host_port(port).await {
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
        if container.is_running().await {
            None
        } else {
            Some(logs_tail(&container).await)
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
    Ok(StartedContainer {
        host: ContainerHost {
            container: Mutex::new(Some(container)),
            id,
            docker: docker.clone(),
        },
        url,
        network_url,
        source,
        version,
        ready_after: started.elapsed(),
    })
}

/// The flavour an image declares through its label, if it is present locally and has one.
async fn labelled_flavour(docker: &Docker, reference: &str) -> Option<ImageFlavour> {
    let image = crate::docker::inspect_image(docker, reference).await.ok()?;
    ImageFlavour::parse(image.labels.get(LABEL_FLAVOUR)?)
}

async fn logs_tail(container: &Started) -> String {
    let text = container.logs().await;
    crate::process::tail(&text, 15)
        .lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
