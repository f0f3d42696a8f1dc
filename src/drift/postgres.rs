//! Reading the version table of a PostgreSQL database: the connection is opened with
//! `default_transaction_read_only = on` and reads inside a `READ ONLY` transaction that is rolled
//! back, so nothing can be written even by mistake.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};

use super::{DatabaseUrl, DriftError, VersionTable};
use crate::database::ServerUrl;
use crate::dialect::Dialect;

/// The revisions recorded in `table` (`name` or `schema.name`, found through the search path), or
/// that there is no such table.
pub async fn read_versions(
    url: &DatabaseUrl,
    server: &ServerUrl,
    table: &str,
) -> Result<VersionTable, DriftError> {
    let mut conn: PgConnection = super::connect(url, server, |options: PgConnectOptions| {
        options
            .options([("default_transaction_read_only", "on")])
            .application_name("harness drift")
    })
    .await?;
    let result = read(&mut conn, table)
        .await
        .map_err(|err| DriftError::unreadable(url, err));
    conn.close().await.ok();
    result
}

async fn read(conn: &mut PgConnection, table: &str) -> Result<VersionTable, sqlx::Error> {
    let mut transaction = conn.begin_with("BEGIN TRANSACTION READ ONLY").await?;
    let (schema, name) = match table.split_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, table),
    };
    let found: Option<String> = sqlx::query_scalar(
        "SELECT to_regclass(CASE WHEN $1::text IS NULL THEN '' ELSE quote_ident($1) || '.' END || quote_ident($2))::text",
    )
    .bind(schema)
    .bind(name)
    .fetch_one(&mut *transaction)
    .await?;
    let Some(relation) = found else {
        transaction.rollback().await?;
        return Ok(VersionTable::Missing);
    };
    // `relation` is the table's name as PostgreSQL itself writes it: quoted where needed.
    let sql = Dialect::Postgres.column_as_text_sql(&relation, super::REVISION_COLUMN);
    let mut revisions: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(&mut *transaction)
        .await?;
    transaction.rollback().await?;
    revisions.sort();
    revisions.dedup();
    Ok(VersionTable::Revisions(revisions))
}
