//! Opening one sqlx connection: to a server by its sqlx URL, or to a SQLite file by its path. Every
//! attempt is bounded by [`CONNECT_TIMEOUT`]; a connection is made per use and closed by the caller.

use std::path::Path;
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// How long one connection attempt may take before it counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no connection was made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// sqlx cannot read the URL.
    #[error("{0}")]
    BadUrl(sqlx::Error),
    #[error("no answer within {} s", CONNECT_TIMEOUT.as_secs())]
    TimedOut,
    #[error("{0}")]
    Failed(sqlx::Error),
}

impl From<ConnectError> for sqlx::Error {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::BadUrl(err) | ConnectError::Failed(err) => err,
            ConnectError::TimedOut => sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                ConnectError::TimedOut.to_string(),
            )),
        }
    }
}

/// How a SQLite file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteAccess {
    /// Read-only; a missing file is an error, never created.
    ReadOnly,
    /// Read and write; the file is created when missing.
    ReadWrite,
}

/// Connects client `C` (`PgConnection`, `MySqlConnection`) with a sqlx URL.
pub async fn connect<C: Connection>(url: &str) -> Result<C, ConnectError> {
    connect_with::<C>(url, |options| options).await
}

/// [`connect`], with the options `configure` adds to those of the URL.
pub async fn connect_with<C: Connection>(
    url: &str,
    configure: impl FnOnce(C::Options) -> C::Options,
) -> Result<C, ConnectError> {
    let options: C::Options = url.parse().map_err(ConnectError::BadUrl)?;
    let options = configure(options);
    within_timeout(C::connect_with(&options)).await
}

/// Opens the SQLite file at `path`.
pub async fn connect_sqlite(
    path: &Path,
    access: SqliteAccess,
) -> Result<SqliteConnection, ConnectError> {
    let options = SqliteConnectOptions::new().filename(path);
    let options = match access {
        SqliteAccess::ReadOnly => options.read_only(true).create_if_missing(false),
        SqliteAccess::ReadWrite => options.create_if_missing(true),
    };
    within_timeout(SqliteConnection::connect_with(&options)).await
}

async fn within_timeout<C>(
    attempt: impl Future<Output = Result<C, sqlx::Error>>,
) -> Result<C, ConnectError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(err)) => Err(ConnectError::Failed(err)),
        Err(_) => Err(ConnectError::TimedOut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_sqlite_file_is_not_created_read_only() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("none.db");
        let err = connect_sqlite(&path, SqliteAccess::ReadOnly)
            .await
            .unwrap_err();
        assert!(matches!(err, ConnectError::Failed(_)), "{err}");
        assert!(!path.exists());
        let conn = connect_sqlite(&path, SqliteAccess::ReadWrite)
            .await
            .unwrap();
        conn.close().await.unwrap();
        assert!(path.exists());
    }

    #[tokio::test]
    async fn an_unreadable_url_is_told_apart() {
        let err = connect::<sqlx::postgres::PgConnection>("postgres://u:p@h:notaport/db")
            .await
            .unwrap_err();
        assert!(matches!(err, ConnectError::BadUrl(_)), "{err}");
    }
}
