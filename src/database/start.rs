//! Starting the engine of one `matrix.databases` entry: picks the backend (explicit, from
//! `HARNESS_BACKEND_<ENTRY>` or harness.toml, or automatic) and starts it.

use std::sync::Arc;

use super::image::ImageChoice;
use super::{DatabaseError, Engine, SqliteEngine, container, external, local_postgres};
use crate::config::{BackendChoice, DatabaseSpec, EngineKind};

/// The backend for `spec`: `HARNESS_BACKEND_<ENTRY>` over harness.toml.
fn backend_of(spec: &DatabaseSpec) -> Result<BackendChoice, DatabaseError> {
    let variable = format!("HARNESS_BACKEND_{}", spec.env_suffix());
    match std::env::var(&variable) {
        Ok(value) if !value.trim().is_empty() => BackendChoice::parse(&value).ok_or_else(|| {
            DatabaseError::start(
                spec,
                format!("{variable}=`{value}` is not a backend"),
                "use auto, container, local or external",
            )
        }),
        _ => Ok(spec.settings.backend),
    }
}

/// Starts the engine for one `matrix.databases` entry. A container joins `network` (the run's
/// network for runtime containers) under a name of its own, and its cells get URLs for it.
pub async fn start(
    spec: &DatabaseSpec,
    network: Option<&str>,
) -> Result<Arc<dyn Engine>, DatabaseError> {
    if spec.engine == EngineKind::Sqlite {
        return Ok(Arc::new(SqliteEngine::new(spec.clone())));
    }
    let engine = match backend_of(spec)? {
        BackendChoice::External => external::start(spec).await?,
        BackendChoice::Local => local(spec).await?,
        BackendChoice::Container => {
            let Some(docker) = crate::docker::client().await else {
                return Err(DatabaseError::start(
                    spec,
                    "the container backend needs a Docker engine, and none answers",
                    "start one (dockerd, Docker Desktop) or point DOCKER_HOST at it",
                ));
            };
            in_container(spec, &docker, network).await?
        }
        BackendChoice::Auto => {
            if let Some(docker) = crate::docker::client().await {
                in_container(spec, &docker, network).await?
            } else if spec.engine == EngineKind::Postgres {
                let major = spec.major().unwrap_or("");
                match local_postgres::find_binaries(major, spec.settings.bin_dir.as_deref()) {
                    Ok(_) => local(spec).await?,
                    Err(tried) => {
                        return Err(DatabaseError::start(
                            spec,
                            format!(
                                "no backend available: no Docker engine answers (tried \
                                 DOCKER_HOST or the default socket), and no local PostgreSQL \
                                 {major} server binaries were found (tried {})",
                                tried.join(", ")
                            ),
                            format!(
                                "start a Docker engine, or install PostgreSQL {major} (Debian: \
                                 apt-get install postgresql-{major}), or use an external server: \
                                 [databases.\"{spec}\"] url = \"postgresql://...\", \
                                 allow_external = true"
                            ),
                        ));
                    }
                }
            } else {
                return Err(DatabaseError::start(
                    spec,
                    "no backend available: no Docker engine answers (tried DOCKER_HOST or the \
                     default socket), and only PostgreSQL can run as a local server",
                    format!(
                        "start a Docker engine, or use an external server: [databases.\"{spec}\"] \
                         url = \"mysql://...\", allow_external = true"
                    ),
                ));
            }
        }
    };
    Ok(Arc::new(engine))
}

async fn in_container(
    spec: &DatabaseSpec,
    docker: &crate::docker::Docker,
    network: Option<&str>,
) -> Result<super::server::ServerEngine, DatabaseError> {
    let started =
        container::start(spec, ImageChoice::configured(spec, env), docker, network).await?;
    let engine = super::server::ServerEngine::new(
        spec.clone(),
        started.url,
        super::server::Hosting::Container(Box::new(started.host)),
        started.source,
        started.version,
        started.ready_after,
    );
    Ok(match started.network_url {
        Some(network_url) => engine.with_network_url(network_url),
        None => engine,
    })
}

async fn local(spec: &DatabaseSpec) -> Result<super::server::ServerEngine, DatabaseError> {
    if spec.engine != EngineKind::Postgres {
        return Err(DatabaseError::start(
            spec,
            "no local backend: only PostgreSQL can run as a local server",
            "use the container backend or an external server",
        ));
    }
    let started = local_postgres::start(spec).await?;
    Ok(super::server::ServerEngine::new(
        spec.clone(),
        started.url,
        super::server::Hosting::Local(Box::new(started.cluster)),
        started.source,
        started.version,
        started.ready_after,
    ))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
