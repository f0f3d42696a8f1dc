//! The SQL the harness itself sends to a server engine, per family: create and drop a cell's
//! database, run a scenario's SQL, and the readiness query. Connections are made per call, through
//! [`crate::dialect::connect`].

use std::time::{Duration, Instant};

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};

use super::server_url::ServerUrl;
use crate::dialect::{CONNECT_TIMEOUT, Family, connect};

/// How long one call (connect, statements, reading the rows) may take.
const CALL_LIMIT: Duration = Duration::from_secs(60);

/// Why the harness's own SQL on a server failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The call did not finish in time: a statement still running (a lock, a long scenario
    /// statement), or a server that stopped answering.
    #[error(
        "no answer within {} s: a statement still running (waiting for a lock?) or a server that stopped answering",
        .0.as_secs()
    )]
    TimedOut(Duration),
    /// SQL the engine cannot be given as it is.
    #[error("{0}")]
    Refused(String),
}

/// `attempt`, stopped after `limit`.
async fn within<T>(
    limit: Duration,
    attempt: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, SqlError> {
    match tokio::time::timeout(limit, attempt).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(SqlError::TimedOut(limit)),
    }
}

pub fn create_database(family: Family, name: &str) -> String {
    let quoted = family.dialect().quote(name);
    match family {
        Family::Postgres => format!("CREATE DATABASE {quoted} ENCODING 'UTF8'"),
        Family::Mysql => {
            format!("CREATE DATABASE {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        }
    }
}

pub fn drop_database(family: Family, name: &str) -> String {
    format!("DROP DATABASE IF EXISTS {}", family.dialect().quote(name))
}

/// Connects to `$target` with `$family`'s driver, evaluates `$body` with the connection bound to
/// `$conn`, closes the connection whatever `$body` gave, and yields `$body`'s value: the one
/// connect sequence of every call below.
macro_rules! on_connection {
    ($family:expr, $target:expr, |$conn:ident| $body:expr) => {
        match $family {
            Family::Postgres => {
                let mut $conn = connect::<PgConnection>($target).await?;
                let result = $body;
                $conn.close().await.ok();
                result
            }
            Family::Mysql => {
                let mut $conn = connect::<MySqlConnection>($target).await?;
                let result = $body;
                $conn.close().await.ok();
                result
            }
        }
    };
}

/// Runs `sql` (one or several statements) on `database` of the server.
pub async fn execute(url: &ServerUrl, database: &str, sql: &str) -> Result<(), SqlError> {
    let target = url.sqlx(database);
    let attempt = async {
        on_connection!(url.family(), &target, |conn| sqlx::raw_sql(AssertSqlSafe(
            sql
        ))
        .execute(&mut conn)
        .await
        .map(|_| ()))
    };
    within(CALL_LIMIT, attempt).await
}

/// Runs one query on `database` and returns its rows as text. The simple (text) protocol is used, so
/// every value arrives as the server prints it; NULL becomes `NULL`.
pub async fn query(
    url: &ServerUrl,
    database: &str,
    sql: &str,
) -> Result<Vec<Vec<String>>, SqlError> {
    use sqlx::Row;
    fn text<R: Row>(row: &R) -> Vec<String>
    where
        usize: sqlx::ColumnIndex<R>,
        for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
        for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database>,
    {
        (0..row.len())
            .map(|i| match row.try_get_unchecked::<Option<String>, _>(i) {
                Ok(value) => value.unwrap_or_else(|| "NULL".to_string()),
                Err(_) => match row.try_get_unchecked::<Option<Vec<u8>>, _>(i) {
                    Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                    _ => "NULL".to_string(),
                },
            })
            .collect()
    }
    let target = url.sqlx(database);
    let attempt = async {
        on_connection!(url.family(), &target, |conn| sqlx::raw_sql(AssertSqlSafe(
            sql
        ))
        .fetch_all(&mut conn)
        .await
        .map(|rows| rows.iter().map(text).collect()))
    };
    within(CALL_LIMIT, attempt).await
}

/// The server's version string (`17.2 (Debian 17.2-1)`, `11.8.6-MariaDB-0+deb13u1`).
pub async fn server_version(url: &ServerUrl) -> Result<String, SqlError> {
    let target = url.sqlx(&url.database);
    let sql = match url.family() {
        Family::Postgres => "SHOW server_version",
        Family::Mysql => "SELECT CAST(VERSION() AS CHAR)",
    };
    let attempt = async {
        on_connection!(url.family(), &target, |conn| {
            sqlx::query_as::<_, (String,)>(sql)
                .fetch_one(&mut conn)
                .await
                .map(|version| version.0)
        })
    };
    within(CONNECT_TIMEOUT, attempt).await
}

/// Waits until a real query succeeds on the server, or `deadline` passes, or `gone` says the
/// server's process has ended. Returns the server's version and how long it took.
pub async fn wait_ready<F, Fut>(
    url: &ServerUrl,
    timeout: Duration,
    mut gone: F,
) -> Result<(String, Duration), ReadinessError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    let started = Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let last = match server_version(url).await {
            Ok(version) => return Ok((version, started.elapsed())),
            Err(err) => err.to_string(),
        };
        if attempts.is_multiple_of(5)
            && let Some(why) = gone().await
        {
            return Err(ReadinessError::Exited(why));
        }
        if started.elapsed() >= timeout {
            if let Some(why) = gone().await {
                return Err(ReadinessError::Exited(why));
            }
            return Err(ReadinessError::TimedOut {
                waited: started.elapsed(),
                last,
            });
        }
        // Pace the probes; readiness itself is decided by the query above.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[derive(Debug)]
pub enum ReadinessError {
    /// The server process ended; the text says how (its last log lines).
    Exited(String),
    TimedOut {
        waited: Duration,
        last: String,
    },
}

impl std::fmt::Display for ReadinessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadinessError::Exited(why) => {
                write!(f, "the server stopped before it answered: {why}")
            }
            ReadinessError::TimedOut { waited, last } => write!(
                f,
                "no query succeeded within {:.0} s (last error: {last})",
                waited.as_secs_f64()
            ),
        }
    }
}

/// The readiness timeout: `HARNESS_ENGINE_TIMEOUT` seconds, 180 by default.
pub fn ready_timeout() -> Duration {
    std::env::var("HARNESS_ENGINE_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(180), Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_per_family() {
        assert_eq!(
            create_database(Family::Postgres, "a\"b"),
            "CREATE DATABASE \"a\"\"b\" ENCODING 'UTF8'"
        );
        assert_eq!(
            drop_database(Family::Mysql, "harness_1"),
            "DROP DATABASE IF EXISTS `harness_1`"
        );
        assert_eq!(
            drop_database(Family::Mysql, "a`b"),
            "DROP DATABASE IF EXISTS `a``b`"
        );
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    #[tokio::test]
    async fn a_call_that_does_not_finish_says_so_rather_than_blaming_a_pool() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<(), sqlx::Error>(())
        };
        let err = within(Duration::from_millis(20), slow).await.unwrap_err();
        assert!(matches!(err, SqlError::TimedOut(_)), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("no answer within 0 s: a statement still running"),
            "{err}"
        );
    }
}
