//! Where a cell's database comes from. An [`Engine`] is started once per matrix entry and run, and
//! hands every cell a fresh, empty database of its own; everything it creates it removes.

mod sqlite;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use crate::config::{DatabaseSpec, EngineKind};

pub use sqlite::SqliteEngine;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot create a temporary folder for {what}: {source}")]
    TempDir {
        what: String,
        source: std::io::Error,
    },
    #[error("SQL failed on {database}: {source}")]
    Sql {
        database: String,
        source: sqlx::Error,
    },
    #[error("database `{0}` has no engine in this version of harness")]
    Unsupported(String),
}

/// How to reach a cell's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    SqliteFile(PathBuf),
}

/// A database that belongs to one cell. Dropping it releases what the engine made for it.
#[derive(Debug)]
pub struct CellDatabase {
    pub location: Location,
    /// The SQLAlchemy URL handed to the migration tool (also exported as DATABASE_URL).
    pub url: String,
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
        match &self.location {
            Location::SqliteFile(path) => env.push((
                "HARNESS_SQLITE_PATH".to_string(),
                path.display().to_string(),
            )),
        }
        env
    }
}

/// Rows of a query, each value as text (`NULL` for null).
pub type TextRows = Vec<Vec<String>>;

/// A started database engine, shared by the cells of one matrix entry.
pub trait Engine: Send + Sync {
    fn spec(&self) -> &DatabaseSpec;

    /// A fresh, empty database for one cell.
    fn create(&self) -> BoxFuture<'_, Result<CellDatabase, DatabaseError>>;

    /// Runs SQL (one or several statements) against a cell's database.
    fn execute<'a>(
        &'a self,
        database: &'a CellDatabase,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<(), DatabaseError>>;

    /// Runs one query against a cell's database and returns its rows as text.
    fn query<'a>(
        &'a self,
        database: &'a CellDatabase,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<TextRows, DatabaseError>>;
}

/// Starts the engine for one `matrix.databases` entry.
pub fn start(spec: &DatabaseSpec) -> Result<Box<dyn Engine>, DatabaseError> {
    match spec.engine {
        EngineKind::Sqlite => Ok(Box::new(SqliteEngine::new(spec.clone()))),
        _ => Err(DatabaseError::Unsupported(spec.to_string())),
    }
}
