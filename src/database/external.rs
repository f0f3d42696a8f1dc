//! The external backend: a server the user already runs. Used only with `allow_external = true`;
//! the harness connects to the database the URL names only to create and drop its own scratch
//! databases (one per cell), and never writes to a database it did not create.

use std::time::Instant;

use super::server::{Hosting, ServerEngine};
use super::server_url::ServerUrl;
use super::{DatabaseError, sql};
use crate::config::DatabaseSpec;
use crate::dialect::Family;

pub(super) async fn start(spec: &DatabaseSpec) -> Result<ServerEngine, DatabaseError> {
    let started = Instant::now();
    let Some(url) = &spec.settings.url else {
        return Err(DatabaseError::start(
            spec,
            "the external backend needs a server URL",
            format!("set `url` in [databases.\"{spec}\"]"),
        ));
    };
    if !spec.settings.allow_external {
        return Err(DatabaseError::start(
            spec,
            format!("refusing to use the external server at {}", url.redacted()),
            "set `allow_external = true` to let the harness create and drop one scratch database \
             per cell there",
        ));
    }
    let Some(family) = Family::of(spec.engine) else {
        return Err(DatabaseError::start(
            spec,
            "SQLite runs in process and has no external server",
            "remove `backend` and `url` from its entry",
        ));
    };
    let server = ServerUrl::parse(family, url.expose())?;
    let version = sql::server_version(&server).await.map_err(|err| {
        DatabaseError::start(
            spec,
            format!(
                "cannot query the external server at {}: {err}",
                server.redacted()
            ),
            "check that the server runs, the URL's user and password, and that the user may \
             CREATE DATABASE",
        )
    })?;
    Ok(ServerEngine::new(
        spec.clone(),
        server.clone(),
        Hosting::External,
        format!("external server {}", server.redacted()),
        version,
        started.elapsed(),
    ))
}
