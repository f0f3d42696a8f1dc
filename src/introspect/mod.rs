//! Reads a live database into the engine-neutral, sorted [`Schema`] model; one file per engine.
//! Never spawns processes and never writes to the database.

pub mod model;
mod mysql;
mod postgres;
mod sqlite;

pub use model::Schema;

use crate::database::{CellDatabase, Family, Location};

#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    #[error("reading the schema failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// Reads the schema of a cell's database.
pub async fn inspect(
    database: &CellDatabase,
    version_table: Option<&str>,
) -> Result<Schema, IntrospectError> {
    match &database.location {
        Location::SqliteFile(path) => sqlite::inspect(path, version_table).await,
        Location::Server {
            family: Family::Postgres,
            connect,
            ..
        } => postgres::inspect(connect.expose(), version_table.unwrap_or("")).await,
        Location::Server {
            family: Family::Mysql,
            connect,
            name,
        } => mysql::inspect(connect.expose(), name, version_table.unwrap_or("")).await,
    }
}
