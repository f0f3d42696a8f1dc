//! Reading the version table of a SQLite file through sqlx, read-only: the file is opened with
//! `mode=ro` and never created.

use std::path::Path;

use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Connection};

use super::{DriftError, VersionTable};
use crate::dialect::{Dialect, SqliteAccess, connect_sqlite};

/// The revisions recorded in `table`, or that there is no such table.
pub async fn read_versions(
    path: &Path,
    table: &str,
    shown: &str,
) -> Result<VersionTable, DriftError> {
    let failed = |detail: String| DriftError::Unreachable {
        url: shown.to_string(),
        detail,
    };
    if !path.is_file() {
        return Err(failed(format!("no database file at {}", path.display())));
    }
    let mut conn = connect_sqlite(path, SqliteAccess::ReadOnly)
        .await
        .map_err(|err| failed(err.to_string()))?;
    let result = read(&mut conn, table)
        .await
        .map_err(|err| failed(err.to_string()));
    conn.close().await.ok();
    result
}

async fn read(conn: &mut SqliteConnection, table: &str) -> Result<VersionTable, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_optional(&mut *conn)
            .await?;
    if found.is_none() {
        return Ok(VersionTable::Missing);
    }
    let sql =
        Dialect::Sqlite.column_as_text_sql(&Dialect::Sqlite.quote(table), super::REVISION_COLUMN);
    let mut revisions: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    revisions.sort();
    revisions.dedup();
    Ok(VersionTable::Revisions(revisions))
}
