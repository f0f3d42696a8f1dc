//! The services of `[project] services` (Redis), started once per run before the cells: a
//! container from the service's image where a Docker engine answers (on the run's network when
//! there is one), else the server binary of this machine on a free loopback port. Each is
//! registered with the run's teardown as soon as it answers, and every tool process gets its URL
//! (`HARNESS_REDIS_URL`).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{BackendChoice, ServiceKind, ServiceSpec};
use crate::docker::{ContainerSpec, Teardown};

/// How long a service may take to answer.
const READY_LIMIT: Duration = Duration::from_secs(30);

/// Why a service did not start.
#[derive(Debug, thiserror::Error)]
#[error("the service {service} did not start: {why}\n  help: {help}")]
pub struct ServiceError {
    pub service: String,
    pub why: String,
    pub help: String,
}

impl ServiceError {
    fn new(spec: &ServiceSpec, why: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            service: spec.to_string(),
            why: why.into(),
            help: help.into(),
        }
    }
}

/// A service of the run, as tool processes reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub kind: ServiceKind,
    /// As this machine (and a process on the host's network) reaches it.
    pub url: String,
    /// As a runtime container on the run's network reaches it; `None` when it is not on it.
    pub network_url: Option<String>,
    /// What runs it, for the run's messages: `redis 7.0.15 (local redis-server)`.
    pub source: String,
}

/// The services of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Services {
    pub running: Vec<Address>,
}

impl Services {
    /// The variables of every service: the in-network URL when `in_network` and the service is
    /// on the run's network, else the host's.
    pub fn env(&self, in_network: bool) -> Vec<(String, String)> {
        self.running
            .iter()
            .map(|service| {
                let url = match (&service.network_url, in_network) {
                    (Some(url), true) => url.clone(),
                    _ => service.url.clone(),
                };
                (service.kind.variable().to_string(), url)
            })
            .collect()
    }
}

/// Starts every service of `specs`, one after another (a Redis answers within a second), each
/// registered with `teardown` once it runs. `network` is the run's network for runtime
/// containers; `containers` says whether the run's runtimes are containers (a local server is
/// then refused: a runtime container would not reach it).
pub async fn start_all(
    specs: &[ServiceSpec],
    network: Option<&str>,
    containers: bool,
    teardown: &Arc<Teardown>,
) -> Result<Services, ServiceError> {
    let mut services = Services::default();
    for spec in specs {
        let (address, release) = start(spec, network, containers).await?;
        teardown.register(release);
        services.running.push(address);
    }
    Ok(services)
}

async fn start(
    spec: &ServiceSpec,
    network: Option<&str>,
    containers: bool,
) -> Result<(Address, crate::docker::Release), ServiceError> {
    let choice = spec.backend_choice().map_err(|err| {
        ServiceError::new(
            spec,
            err.to_string(),
            "unset it, or set auto, container or local",
        )
    })?;
    match choice {
        BackendChoice::Local if containers => Err(ServiceError::new(
            spec,
            "the local backend runs it on this machine's loopback, which runtime containers do not reach",
            format!(
                "use the container backend for it ([services.{}] backend = \"container\"), or local runtimes ([runtime] backend = \"local\")",
                spec.kind.name()
            ),
        )),
        BackendChoice::Local => local(spec).await,
        BackendChoice::Container | BackendChoice::External => match crate::docker::client().await {
            Some(docker) => in_container(spec, &docker, network).await,
            None => Err(ServiceError::new(
                spec,
                "the container backend needs a Docker engine, and none answers",
                "start one (dockerd, Docker Desktop) or point DOCKER_HOST at it",
            )),
        },
        BackendChoice::Auto => match crate::docker::client().await {
            Some(docker) => in_container(spec, &docker, network).await,
            None if containers => Err(ServiceError::new(
                spec,
                "no Docker engine answers",
                "start one (dockerd, Docker Desktop) or point DOCKER_HOST at it",
            )),
            None => local(spec).await,
        },
    }
}

/// The server program of `kind` on this machine, if PATH has it.
pub fn local_binary(kind: ServiceKind) -> Option<std::path::PathBuf> {
    crate::process::which(match kind {
        ServiceKind::Redis => "redis-server",
    })
}

async fn local(spec: &ServiceSpec) -> Result<(Address, crate::docker::Release), ServiceError> {
    let Some(binary) = local_binary(spec.kind) else {
        return Err(ServiceError::new(
            spec,
            "no Docker engine answers, and no redis-server is on PATH",
            "start a Docker engine, or install Redis (Debian: apt-get install redis-server)",
        ));
    };
    let port = crate::process::free_loopback_port().map_err(|err| {
        ServiceError::new(spec, format!("no free loopback port: {err}"), "free a port")
    })?;
    let mut child = tokio::process::Command::new(&binary)
        .args(redis_args())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| {
            ServiceError::new(
                spec,
                format!("cannot run {}: {err}", binary.display()),
                "check the Redis installation",
            )
        })?;
    if let Err(why) = ready("127.0.0.1", port).await {
        let _ = child.start_kill();
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), pipe.read_to_string(&mut stderr))
                .await;
        }
        let _ = child.wait().await;
        return Err(ServiceError::new(
            spec,
            format!(
                "{} did not answer: {why}{}",
                binary.display(),
                excerpt(&stderr)
            ),
            "check the Redis installation",
        ));
    }
    let version = version_of("127.0.0.1", port).await;
    let child = Arc::new(Mutex::new(Some(child)));
    let release: crate::docker::Release = Box::new(move || {
        Box::pin(async move {
            let child = child.lock().ok().and_then(|mut child| child.take());
            if let Some(mut child) = child {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
            Vec::new()
        })
    });
    Ok((
        Address {
            kind: spec.kind,
            url: url(spec.kind, "127.0.0.1", port),
            network_url: None,
            source: format!(
                "{} {} ({})",
                spec.kind.name(),
                version.unwrap_or_default(),
                binary.display()
            ),
        },
        release,
    ))
}

async fn in_container(
    spec: &ServiceSpec,
    docker: &crate::docker::Docker,
    network: Option<&str>,
) -> Result<(Address, crate::docker::Release), ServiceError> {
    let image = spec.image_reference();
    let alias = network.map(|network| format!("{network}-{}", spec.kind.name()));
    let request = ContainerSpec {
        image: image.clone(),
        cmd: std::iter::once("redis-server".to_string())
            .chain(redis_args().iter().map(|arg| arg.to_string()))
            .collect(),
        labels: vec![("dev.harness.service".into(), spec.kind.name().into())],
        network: network.map(str::to_string),
        name: alias.clone(),
        loopback_port: Some(spec.kind.port()),
        startup_timeout: Some(READY_LIMIT),
        ..ContainerSpec::default()
    };
    let container = crate::docker::start(&request).await.map_err(|err| {
        ServiceError::new(
            spec,
            format!("cannot start a container from {image}: {err}"),
            format!(
                "pull the image, or name one that has redis-server (HARNESS_IMAGE_{} or [services.{}] image)",
                spec.env_suffix(),
                spec.kind.name()
            ),
        )
    })?;
    let port = match container.host_port(spec.kind.port()).await {
        Ok(port) => port,
        Err(err) => {
            container
                .discard(docker, Duration::from_secs(30))
                .await
                .ok();
            return Err(ServiceError::new(
                spec,
                format!("the container from {image} publishes no port: {err}"),
                "check the Docker engine (`docker info`)",
            ));
        }
    };
    if let Err(why) = ready("127.0.0.1", port).await {
        let logs = container.logs().await;
        container
            .discard(docker, Duration::from_secs(30))
            .await
            .ok();
        return Err(ServiceError::new(
            spec,
            format!(
                "the container from {image} did not answer: {why}{}",
                excerpt(&logs)
            ),
            "name an image whose redis-server starts (HARNESS_IMAGE_REDIS)",
        ));
    }
    let version = version_of("127.0.0.1", port).await;
    let docker = docker.clone();
    let container = Arc::new(Mutex::new(Some(container)));
    let release: crate::docker::Release = Box::new(move || {
        Box::pin(async move {
            let container = container.lock().ok().and_then(|mut c| c.take());
            match container {
                Some(container) => {
                    match container.discard(&docker, Duration::from_secs(60)).await {
                        Ok(()) => Vec::new(),
                        Err(err) => vec![format!("could not remove the Redis container: {err}")],
                    }
                }
                None => Vec::new(),
            }
        })
    });
    Ok((
        Address {
            kind: spec.kind,
            url: url(spec.kind, "127.0.0.1", port),
            network_url: alias.map(|alias| url(spec.kind, &alias, spec.kind.port())),
            source: format!(
                "{} {} (container from {image})",
                spec.kind.name(),
                version.unwrap_or_default()
            ),
        },
        release,
    ))
}

/// A throwaway server: nothing written to disk, reachable from the run's network.
fn redis_args() -> [&'static str; 6] {
    ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
}

fn url(kind: ServiceKind, host: &str, port: u16) -> String {
    match kind {
        ServiceKind::Redis => format!("redis://{host}:{port}/0"),
    }
}

/// Waits until the server answers a PING.
async fn ready(host: &str, port: u16) -> Result<(), String> {
    let started = Instant::now();
    let mut last = String::from("no answer");
    while started.elapsed() < READY_LIMIT {
        match ask(host, port, "PING").await {
            Ok(reply) if reply.starts_with("+PONG") => return Ok(()),
            Ok(reply) => last = format!("it answered {}", reply.trim()),
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{last} after {} s", READY_LIMIT.as_secs()))
}

/// The server's version, from INFO.
async fn version_of(host: &str, port: u16) -> Option<String> {
    let reply = ask(host, port, "INFO server").await.ok()?;
    reply
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .map(|version| version.trim().to_string())
}

/// One inline command and the first reply read within a second.
async fn ask(host: &str, port: u16, command: &str) -> std::io::Result<String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .await?;
        let mut buffer = vec![0u8; 8192];
        let read = stream.read(&mut buffer).await?;
        Ok(String::from_utf8_lossy(&buffer[..read]).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(1), exchange)
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("no reply within 1 s")))
}

fn excerpt(text: &str) -> String {
    let tail = crate::process::tail(text.trim(), 10);
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!(
            "\n{}",
            tail.lines()
                .map(|line| format!("    {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_container_on_the_network_gets_the_services_name() {
        let services = Services {
            running: vec![Address {
                kind: ServiceKind::Redis,
                url: "redis://127.0.0.1:5000/0".into(),
                network_url: Some("redis://run-redis:6379/0".into()),
                source: String::new(),
            }],
        };
        assert_eq!(
            services.env(false),
            [(
                "HARNESS_REDIS_URL".to_string(),
                "redis://127.0.0.1:5000/0".to_string()
            )]
        );
        assert_eq!(services.env(true)[0].1, "redis://run-redis:6379/0");
    }
}
