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
pub use local_postgres::{has_binaries as has_local_postgres, server_user};
pub use server_url::ServerUrl;
pub use sql::SqlError;
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
    /// What the server itself said, without the harness's context: for a reader who already
    /// knows which database and statement it was.
    pub fn server_message(&self) -> Option<String> {
        match self {
            DatabaseError::Sql {
                source: sql::SqlError::Sql(sqlx::Error::Database(error)),
                ..
            } => Some(error.message().to_string()),
            _ => None,
        }
    }

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
    /// The cell's own folder, empty when the cell starts, for files the project writes (a data
    /// folder its settings demand): `HARNESS_CELL_DIR`. Removed with the cell.
    pub files: PathBuf,
    /// The run's services (`HARNESS_REDIS_URL`), handed to the cell's processes with its URL.
    pub services: crate::service::Services,
    /// Keeps the cell's temporary folder alive until the cell is done.
    _scratch: Option<tempfile::TempDir>,
}

/// The prefix of a server cell's temporary folder (its `files`): `harness-cell-<pid>-<random>`.
pub(crate) const CELL_DIR_PREFIX: &str = "harness-cell-";

/// A new temporary folder for a cell's files.
fn cell_folder() -> Result<tempfile::TempDir, DatabaseError> {
    tempfile::Builder::new()
        .prefix(&format!("{CELL_DIR_PREFIX}{}-", std::process::id()))
        .tempdir()
        .map_err(|source| DatabaseError::TempDir {
            what: "a cell's files".into(),
            source,
        })
}

impl CellDatabase {
    /// The variables every process of the cell gets: `HARNESS_DATABASE_URL` and `DATABASE_URL` (the
    /// SQLAlchemy URL), for SQLite `HARNESS_SQLITE_PATH` (the file), and the URL's parts for
    /// projects that read them one by one (`HARNESS_DATABASE_HOST`, `_PORT`, `_USER`, `_PASSWORD`,
    /// `_NAME`; for SQLite only `_NAME`, the file), the engine by name for projects that choose
    /// theirs by a word (`HARNESS_DATABASE_ENGINE`: `postgres`, `mariadb` or `sqlite`;
    /// `HARNESS_DATABASE_DIALECT`: SQLAlchemy's `postgresql`, `mysql` or `sqlite`), and
    /// `HARNESS_CELL_DIR`, the cell's own empty folder.
    /// With the run's services' URLs as the host reaches them.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.env_for(&self.url);
        env.extend(self.services.env(false));
        env
    }

    /// The cell with the run's services.
    pub fn with_services(mut self, services: &crate::service::Services) -> Self {
        self.services = services.clone();
        self
    }

    fn env_for(&self, url: &str) -> Vec<(String, String)> {
        let (engine, dialect) = match &self.location {
            Location::SqliteFile(_) => ("sqlite", "sqlite"),
            Location::Server {
                family: Family::Postgres,
                ..
            } => ("postgres", "postgresql"),
            Location::Server {
                family: Family::Mysql,
                ..
            } => ("mariadb", "mysql"),
        };
        let mut env = vec![
            ("HARNESS_DATABASE_URL".to_string(), url.to_string()),
            ("DATABASE_URL".to_string(), url.to_string()),
            ("HARNESS_DATABASE_ENGINE".to_string(), engine.to_string()),
            ("HARNESS_DATABASE_DIALECT".to_string(), dialect.to_string()),
            (
                crate::config::env_vars::CELL_DIR.to_string(),
                self.files.display().to_string(),
            ),
        ];
        if let Location::SqliteFile(path) = &self.location {
            env.push((
                "HARNESS_SQLITE_PATH".to_string(),
                path.display().to_string(),
            ));
            env.push((
                "HARNESS_DATABASE_NAME".to_string(),
                path.display().to_string(),
            ));
        } else {
            env.extend(url_parts(url));
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
        let mut env = self.env_for(self.url_in_network());
        env.extend(self.services.env(true));
        env
    }
}

/// A server URL's parts as the `HARNESS_DATABASE_*` variables: host, port, user and password
/// (percent-decoded), database name.
fn url_parts(url: &str) -> Vec<(String, String)> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Vec::new();
    };
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut parts = Vec::new();
    if let Some(host) = parsed.host_str() {
        parts.push((
            "HARNESS_DATABASE_HOST".to_string(),
            host.trim_matches(['[', ']']).to_string(),
        ));
    }
    if let Some(port) = parsed.port() {
        parts.push(("HARNESS_DATABASE_PORT".to_string(), port.to_string()));
    }
    if !parsed.username().is_empty() {
        parts.push((
            "HARNESS_DATABASE_USER".to_string(),
            decode(parsed.username()),
        ));
    }
    if let Some(password) = parsed.password() {
        parts.push(("HARNESS_DATABASE_PASSWORD".to_string(), decode(password)));
    }
    let name = parsed.path().trim_start_matches('/');
    if !name.is_empty() {
        parts.push(("HARNESS_DATABASE_NAME".to_string(), decode(name)));
    }
    parts
}

#[cfg(test)]
mod parts_tests {
    use super::url_parts;

    #[test]
    fn a_server_url_is_taken_apart_for_projects_that_read_its_parts() {
        let parts = url_parts("postgresql://harness:p%40ss@127.0.0.1:54321/harness_1_2_3");
        let get = |name: &str| {
            parts
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("HARNESS_DATABASE_HOST"), Some("127.0.0.1"));
        assert_eq!(get("HARNESS_DATABASE_PORT"), Some("54321"));
        assert_eq!(get("HARNESS_DATABASE_USER"), Some("harness"));
        assert_eq!(get("HARNESS_DATABASE_PASSWORD"), Some("p@ss"));
        assert_eq!(get("HARNESS_DATABASE_NAME"), Some("harness_1_2_3"));
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
    fn responds(&self) -> BoxFuture<'_, Result<(), sql::SqlError>> {
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
