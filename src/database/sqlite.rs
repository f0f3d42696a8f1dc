//! SQLite: one file per cell, in a temporary folder removed when the cell's database is dropped.

use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Connection, Row};

use super::{BoxFuture, CellDatabase, DatabaseError, Engine, EngineInfo, Location, TextRows};
use crate::config::DatabaseSpec;
use crate::dialect::{SqliteAccess, connect_sqlite};

pub struct SqliteEngine {
    spec: DatabaseSpec,
}

impl SqliteEngine {
    pub fn new(spec: DatabaseSpec) -> Self {
        Self { spec }
    }
}

impl Engine for SqliteEngine {
    fn spec(&self) -> &DatabaseSpec {
        &self.spec
    }

    fn info(&self) -> EngineInfo {
        EngineInfo {
            backend: "sqlite",
            source: "the SQLite library linked in".to_string(),
            version: None,
            ready_after: std::time::Duration::ZERO,
        }
    }

    fn shutdown(&self) -> BoxFuture<'_, Vec<String>> {
        // Each cell's file lives in a temporary folder dropped with the cell's database.
        Box::pin(async { Vec::new() })
    }

    fn create(&self) -> BoxFuture<'_, Result<CellDatabase, DatabaseError>> {
        Box::pin(async move {
            let scratch = tempfile::Builder::new()
                .prefix(&format!("harness-sqlite-{}-", std::process::id()))
                .tempdir()
                .map_err(|source| DatabaseError::TempDir {
                    what: "a SQLite database".into(),
                    source,
                })?;
            let path = scratch.path().join("cell.sqlite");
            let url = format!("sqlite:///{}", path.display());
            let files = scratch.path().join("files");
            std::fs::create_dir(&files).map_err(|source| DatabaseError::TempDir {
                what: "a cell's files".into(),
                source,
            })?;
            Ok(CellDatabase {
                location: Location::SqliteFile(path),
                url,
                network_url: None,
                files,
                services: Default::default(),
                _scratch: Some(scratch),
            })
        })
    }

    fn execute<'a>(
        &'a self,
        database: &'a CellDatabase,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<(), DatabaseError>> {
        Box::pin(async move {
            // SQLite stops reading at a NUL byte, and the driver would ask it again for the
            // same rest of the text forever.
            if let Some(at) = sql.find('\0') {
                return Err(DatabaseError::Sql {
                    database: "the SQLite database".into(),
                    source: super::sql::SqlError::Refused(format!(
                        "the SQL holds a NUL byte at byte {at}, which SQLite cannot read past; remove it"
                    )),
                });
            }
            let mut conn = connect(database, false).await?;
            let result = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
            conn.close().await.ok();
            result.map(|_| ()).map_err(sql_error)
        })
    }

    fn query<'a>(
        &'a self,
        database: &'a CellDatabase,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<TextRows, DatabaseError>> {
        Box::pin(async move {
            let mut conn = connect(database, true).await?;
            let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut conn).await;
            conn.close().await.ok();
            let rows = rows.map_err(sql_error)?;
            Ok(rows
                .iter()
                .map(|row| (0..row.len()).map(|i| text_value(row, i)).collect())
                .collect())
        })
    }
}

/// A connection to a cell's SQLite file: read-only for queries, else created when missing.
async fn connect(
    database: &CellDatabase,
    read_only: bool,
) -> Result<SqliteConnection, DatabaseError> {
    let Location::SqliteFile(path) = &database.location else {
        return Err(DatabaseError::Unsupported(format!(
            "{} is not a SQLite database",
            database.url
        )));
    };
    let access = if read_only {
        SqliteAccess::ReadOnly
    } else {
        SqliteAccess::ReadWrite
    };
    connect_sqlite(path, access)
        .await
        .map_err(|err| sql_error(err.into()))
}

fn sql_error(source: sqlx::Error) -> DatabaseError {
    DatabaseError::Sql {
        database: "the SQLite database".into(),
        source: source.into(),
    }
}

/// A value as SQLite prints it: integers and reals as numbers, NULL as `NULL`.
fn text_value(row: &sqlx::sqlite::SqliteRow, index: usize) -> String {
    if let Ok(value) = row.try_get::<Option<i64>, _>(index) {
        return value.map_or_else(|| "NULL".to_string(), |v| v.to_string());
    }
    if let Ok(value) = row.try_get::<Option<f64>, _>(index) {
        return value.map_or_else(|| "NULL".to_string(), |v| v.to_string());
    }
    if let Ok(value) = row.try_get::<Option<String>, _>(index) {
        return value.unwrap_or_else(|| "NULL".to_string());
    }
    match row.try_get_unchecked::<Option<Vec<u8>>, _>(index) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => "NULL".to_string(),
    }
}
