//! Where a cell's database comes from. An [`Engine`] is started once per matrix entry and run, and
//! hands every cell a fresh, empty database of its own; everything it creates it removes, through
//! [`Engine::shutdown`] (normal end, failure, Ctrl-C) or, after a hard kill, the next run's sweep.
//!
//! Backends: SQLite files; server engines (PostgreSQL, MariaDB, MySQL) in containers, as local
//! PostgreSQL clusters, or on an external server. See docs/engines.md.

mod container;
mod dump;
mod external;
mod image;
mod local_postgres;
mod server;
mod server_url;
mod sql;
mod sqlite;
mod start;
mod sweep;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use crate::config::{DatabaseSpec, SecretUrl};
use crate::dialect::Dialect;

pub use crate::dialect::Family;
pub use image::{DEBIAN_MARIADB, ImageChoice, LABEL_FLAVOUR};
pub use local_postgres::server_user;
pub use server_url::ServerUrl;
pub use sqlite::SqliteEngine;
pub use start::start;
pub use sweep::{Leftovers, SCRATCH_DIR_PREFIXES, leftovers, sweep, sweep_stale};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a run's [`crate::docker::Teardown`] shuts `engine` down at its end.
pub fn release(engine: std::sync::Arc<dyn Engine>) -> crate::docker::Release {
    Box::new(move || Box::pin(async move { engine.shutdown().await }))
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot create a temporary folder for {what}: {source}")]
    TempDir {
        what: String,
        source: std::io::Error,
    },
    #[error("cannot read the dump {}: {source}", path.display())]
    Dump {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("SQL failed on {database}: {source}")]
    Sql {
        database: String,
        source: sql::SqlError,
    },
    #[error("database `{0}` has no engine in this version of harness")]
    Unsupported(String),
    #[error("`{url}` is not a usable server URL: {why}")]
    BadUrl { url: String, why: String },
    #[error("{spec}: {message}\n  help: {help}")]
    Start {
        spec: String,
        message: String,
        help: String,
    },
}

impl DatabaseError {
    pub(crate) fn start(
        spec: &DatabaseSpec,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        DatabaseError::Start {
            spec: spec.to_string(),
            message: message.into(),
            help: help.into(),
        }
    }
}

/// How to reach a cell's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    SqliteFile(PathBuf),
    /// A database on a server engine.
    Server {
        family: Family,
        /// The sqlx URL of the cell's database (holds the password).
        connect: SecretUrl,
        /// The database's name on the server.
        name: String,
    },
}

/// A database that belongs to one cell. Dropping it releases what the engine made for it.
#[derive(Debug)]
pub struct CellDatabase {
    pub location: Location,
    /// The SQLAlchemy URL handed to the migration tool (also exported as DATABASE_URL), as this
    /// machine reaches the database.
    pub url: String,
    /// The same URL as a runtime container on the run's network reaches it (the database
    /// container's name instead of the host's mapped port); `None` when not on that network.
    pub network_url: Option<String>,
    /// Keeps the cell's temporary folder alive until the cell is done.
    _scratch: Option<tempfile::TempDir>,
}

impl CellDatabase {
    /// The variables every process of the cell gets: `HARNESS_DATABASE_URL` and `DATABASE_URL` (the
    /// SQLAlchemy URL), and for SQLite `HARNESS_SQLITE_PATH` (the file).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("HARNESS_DATABASE_URL".to_string(), self.url.clone()),
            ("DATABASE_URL".to_string(), self.url.clone()),
        ];
        if let Location::SqliteFile(path) = &self.location {
            env.push((
                "HARNESS_SQLITE_PATH".to_string(),
                path.display().to_string(),
            ));
        }
        env
    }

    /// The URL a runtime container on the run's network uses: [`CellDatabase::network_url`] when
    /// the database is on that network, else the host's URL.
    pub fn url_in_network(&self) -> &str {
        self.network_url.as_deref().unwrap_or(&self.url)
    }

    /// [`CellDatabase::env`] with [`CellDatabase::url_in_network`].
    pub fn env_in_network(&self) -> Vec<(String, String)> {
        let url = self.url_in_network().to_string();
        self.env()
            .into_iter()
            .map(|(name, value)| {
                if value == self.url {
                    (name, url.clone())
                } else {
                    (name, value)
                }
            })
            .collect()
    }
}

/// Rows of a query, each value as text (`NULL` for null).
pub type TextRows = Vec<Vec<String>>;

/// What a started engine is and how long it took to answer, for progress lines and reports.
#[derive(Debug, Clone)]
pub struct EngineInfo {
    /// `sqlite`, `container`, `local`, `external`.
    pub backend: &'static str,
    /// The image, binaries or server it runs from (no secrets).
    pub source: String,
    /// The server's own version string, when it has one.
    pub version: Option<String>,
    /// From the start request until a query succeeded.
    pub ready_after: Duration,
}

/// A started database engine, shared by the cells of one matrix entry.
pub trait Engine: Send + Sync {
    fn spec(&self) -> &DatabaseSpec;

    fn info(&self) -> EngineInfo;

    /// A fresh, empty database for one cell.
    fn create(&self) -> BoxFuture<'_, Result<CellDatabase, DatabaseError>>;

    /// Runs SQL (one or several statements) against a cell's database.
    fn execute<'a>(
        &'a self,
        database: &'a CellDatabase,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<(), DatabaseError>>;

    /// Whether the engine still answers; `Err` says why not (its server or container stopped).
    /// SQLite, in process, always answers.
    fn responds(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// An identifier quoted for this engine's SQL (its family's dialect).
    fn quote_identifier(&self, name: &str) -> String {
        Dialect::of(self.spec().engine).quote(name)
    }

    /// Runs one query against a cell's database and returns its rows as text.
    fn query<'a>(
        &'a self,
        database: &'a CellDatabase,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<TextRows, DatabaseError>>;

    /// Loads a dump file into a cell's database with the engine's own client (`psql`, `mariadb`): inside
    /// the database container for containers, from the machine otherwise. SQLite runs it in process.
    fn load_dump<'a>(
        &'a self,
        database: &'a CellDatabase,
        file: &'a std::path::Path,
    ) -> BoxFuture<'a, Result<crate::process::Output, DatabaseError>> {
        Box::pin(async move {
            let sql = std::fs::read_to_string(file).map_err(|source| DatabaseError::Dump {
                path: file.to_path_buf(),
                source,
            })?;
            self.execute(database, &sql).await?;
            Ok(crate::process::Output {
                code: Some(0),
                ..Default::default()
            })
        })
    }

    /// Removes everything the engine started or created (container, cluster, scratch databases).
    /// Idempotent; never fails: problems are returned as warnings.
    fn shutdown(&self) -> BoxFuture<'_, Vec<String>>;
}
