//! Reading the version table of a MySQL or MariaDB database (`name` in the URL's database, or
//! `database.name`), inside a `READ ONLY` transaction that is rolled back, so nothing can be
//! written even by mistake.

use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Connection};

use super::{DatabaseUrl, DriftError, VersionTable};
use crate::database::ServerUrl;
use crate::dialect::Dialect;

/// The revisions recorded in `table` of the URL's database, or that there is no such table.
pub async fn read_versions(
    url: &DatabaseUrl,
    server: &ServerUrl,
    table: &str,
) -> Result<VersionTable, DriftError> {
    let mut conn: MySqlConnection = super::connect(url, server, |options| options).await?;
    let result = read(&mut conn, table).await;
    conn.close().await.ok();
    match result {
        Ok(Some(table)) => Ok(table),
        Ok(None) => Err(DriftError::BadUrl {
            url: url.shown().to_string(),
            why: "the URL names no database: add it after the host (mysql://user@host/database)"
                .into(),
        }),
        Err(err) => Err(DriftError::unreadable(url, err)),
    }
}

/// `table` is `name`, in the URL's database, or `database.name`. None when it names no database
/// and the connection has no current one.
async fn read(
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<Option<VersionTable>, sqlx::Error> {
    let mut transaction = conn.begin_with("START TRANSACTION READ ONLY").await?;
    let (database, table) = match table.split_once('.') {
        Some((database, table)) => (Some(database.to_string()), table),
        None => {
            let current: Option<String> = sqlx::query_scalar("SELECT DATABASE()")
                .fetch_one(&mut *transaction)
                .await?;
            (current, table)
        }
    };
    let Some(database) = database else {
        transaction.rollback().await?;
        return Ok(None);
    };
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
    )
    .bind(&database)
    .bind(table)
    .fetch_one(&mut *transaction)
    .await?;
    if found == 0 {
        transaction.rollback().await?;
        return Ok(Some(VersionTable::Missing));
    }
    let sql = Dialect::Mysql.column_as_text_sql(
        &Dialect::Mysql.qualified(&database, table),
        super::REVISION_COLUMN,
    );
    let mut revisions: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(&mut *transaction)
        .await?;
    transaction.rollback().await?;
    revisions.sort();
    revisions.dedup();
    Ok(Some(VersionTable::Revisions(revisions)))
}
