//! A server engine (PostgreSQL, MariaDB, MySQL), whatever hosts it: one scratch database per cell,
//! created on the server's maintenance database, and the host's teardown on shutdown.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::container::ContainerHost;
use super::local_postgres::LocalCluster;
use super::server_url::ServerUrl;
use super::{BoxFuture, CellDatabase, DatabaseError, Engine, EngineInfo, Location, TextRows, sql};
use crate::config::{DatabaseSpec, SecretUrl};
use crate::dialect::Family;

/// What runs the server, and so what shutdown has to remove.
pub(super) enum Hosting {
    Container(Box<ContainerHost>),
    Local(Box<LocalCluster>),
    /// The user's server: only the scratch databases are removed.
    External,
}

pub(super) struct ServerEngine {
    spec: DatabaseSpec,
    url: ServerUrl,
    /// The server as containers on the run's network reach it, when it is on one.
    network_url: Option<ServerUrl>,
    hosting: Hosting,
    source: String,
    version: String,
    ready_after: Duration,
    /// Prefix of every scratch database name: unique per run, so runs can share a server.
    prefix: String,
    next: AtomicUsize,
    created: Mutex<Vec<String>>,
    stopped: AtomicBool,
}

impl ServerEngine {
    pub fn new(
        spec: DatabaseSpec,
        url: ServerUrl,
        hosting: Hosting,
        source: String,
        version: String,
        ready_after: Duration,
    ) -> Self {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_micros());
        Self {
            spec,
            url,
            network_url: None,
            hosting,
            source,
            version,
            ready_after,
            prefix: format!("harness_{}_{nonce}", std::process::id()),
            next: AtomicUsize::new(1),
            created: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        }
    }

    /// Sets the server's address on the run's network.
    pub fn with_network_url(mut self, url: ServerUrl) -> Self {
        self.network_url = Some(url);
        self
    }

    fn backend(&self) -> &'static str {
        match self.hosting {
            Hosting::Container(_) => "container",
            Hosting::Local(_) => "local",
            Hosting::External => "external",
        }
    }

    async fn drop_scratch_databases(&self) -> Vec<String> {
        let names: Vec<String> = self
            .created
            .lock()
            .map(|mut names| std::mem::take(&mut *names))
            .unwrap_or_default();
        let family = self.url.family();
        let mut warnings = Vec::new();
        for name in names {
            if family == Family::Postgres {
                // Its own statement: PostgreSQL runs several statements sent at once in one
                // transaction, and DROP DATABASE refuses to run inside one.
                let terminate = format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' \
                     AND pid <> pg_backend_pid()",
                    name.replace('\'', "''")
                );
                sql::execute(&self.url, &self.url.database, &terminate)
                    .await
                    .ok();
            }
            let drop = sql::drop_database(family, &name);
            if let Err(err) = sql::execute(&self.url, &self.url.database, &drop).await {
                warnings.push(format!(
                    "{}: could not drop the scratch database `{name}` on {}: {err}",
                    self.spec,
                    self.url.redacted()
                ));
            }
        }
        warnings
    }
}

impl Engine for ServerEngine {
    fn responds(&self) -> BoxFuture<'_, Result<(), sql::SqlError>> {
        Box::pin(async move { sql::server_version(&self.url).await.map(|_| ()) })
    }

    fn spec(&self) -> &DatabaseSpec {
        &self.spec
    }

    fn info(&self) -> EngineInfo {
        EngineInfo {
            backend: self.backend(),
            source: self.source.clone(),
            version: Some(self.version.clone()),
            ready_after: self.ready_after,
        }
    }

    fn create(&self) -> BoxFuture<'_, Result<CellDatabase, DatabaseError>> {
        Box::pin(async move {
            let name = format!(
                "{}_{}",
                self.prefix,
                self.next.fetch_add(1, Ordering::SeqCst)
            );
            let family = self.url.family();
            sql::execute(
                &self.url,
                &self.url.database,
                &sql::create_database(family, &name),
            )
            .await
            .map_err(|source| DatabaseError::Sql {
                database: format!("{} ({}, creating `{name}`)", self.spec, self.url.redacted()),
                source,
            })?;
            if let Ok(mut created) = self.created.lock() {
                created.push(name.clone());
            }
            let scratch = super::cell_folder()?;
            Ok(CellDatabase {
                location: Location::Server {
                    family,
                    connect: SecretUrl::new(self.url.sqlx(&name)),
                    name: name.clone(),
                },
                url: self.url.sqlalchemy(&name),
                network_url: self.network_url.as_ref().map(|url| url.sqlalchemy(&name)),
                files: scratch.path().to_path_buf(),
                services: Default::default(),
                _scratch: Some(scratch),
            })
        })
    }

    fn execute<'a>(
        &'a self,
        database: &'a CellDatabase,
        statements: &'a str,
    ) -> BoxFuture<'a, Result<(), DatabaseError>> {
        Box::pin(async move {
            let Location::Server { name, .. } = &database.location else {
                return Err(DatabaseError::Unsupported(format!(
                    "{} is not a database of {}",
                    database.url, self.spec
                )));
            };
            sql::execute(&self.url, name, statements)
                .await
                .map_err(|source| DatabaseError::Sql {
                    database: format!("{} database `{name}`", self.spec),
                    source,
                })
        })
    }

    fn query<'a>(
        &'a self,
        database: &'a CellDatabase,
        statement: &'a str,
    ) -> BoxFuture<'a, Result<TextRows, DatabaseError>> {
        Box::pin(async move {
            let Location::Server { name, .. } = &database.location else {
                return Err(DatabaseError::Unsupported(format!(
                    "{} is not a database of {}",
                    database.url, self.spec
                )));
            };
            sql::query(&self.url, name, statement)
                .await
                .map_err(|source| DatabaseError::Sql {
                    database: format!("{} database `{name}`", self.spec),
                    source,
                })
        })
    }

    fn load_dump<'a>(
        &'a self,
        database: &'a CellDatabase,
        file: &'a std::path::Path,
    ) -> BoxFuture<'a, Result<crate::process::Output, DatabaseError>> {
        Box::pin(async move {
            let Location::Server { name, .. } = &database.location else {
                return Err(DatabaseError::Unsupported(format!(
                    "{} is not a database of {}",
                    database.url, self.spec
                )));
            };
            let container = match &self.hosting {
                Hosting::Container(host) => Some(host.id()),
                Hosting::Local(_) | Hosting::External => None,
            };
            super::dump::load(&self.spec, &self.url, container, name, file).await
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, Vec<String>> {
        Box::pin(async move {
            if self.stopped.swap(true, Ordering::SeqCst) {
                return Vec::new();
            }
            match &self.hosting {
                // The whole server goes away with its databases.
                Hosting::Container(host) => host.remove().await,
                Hosting::Local(cluster) => cluster.stop().await,
                Hosting::External => self.drop_scratch_databases().await,
            }
        })
    }
}
