//! Database URLs as users pass them (SQLAlchemy's forms first: `sqlite:///relative.db`,
//! `sqlite:////absolute.db`, `postgresql+psycopg://user:secret@host/db`), parsed into the engine to
//! read from, and redacted for every message: a password never reaches the output.

use std::fmt;
use std::path::PathBuf;

use super::DriftError;
pub use crate::config::redact;
use crate::database::{DatabaseError, ServerUrl};
use crate::dialect::Family;

/// Where the version table is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite { path: PathBuf, shown: String },
    /// A PostgreSQL, MySQL or MariaDB server (its `Debug` hides the password).
    Server { server: ServerUrl, shown: String },
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<Self, DriftError> {
        let shown = redact(text);
        let bad = |why: &str| DriftError::BadUrl {
            url: shown.clone(),
            why: why.to_string(),
        };
        let (scheme, rest) = text
            .split_once(':')
            .ok_or_else(|| bad("expected a URL such as sqlite:///path/to/file.db"))?;
        let engine = scheme.split('+').next().unwrap_or_default().to_lowercase();
        match (engine.as_str(), Family::from_scheme(&engine)) {
            ("sqlite", _) => {
                let rest = rest.split('?').next().unwrap_or_default();
                let path = if let Some(path) = rest.strip_prefix("///") {
                    path
                } else if let Some(path) = rest.strip_prefix("//") {
                    path
                } else {
                    rest
                };
                if path.is_empty() || path == ":memory:" {
                    return Err(bad(
                        "an in-memory SQLite database has no version table to compare",
                    ));
                }
                Ok(DatabaseUrl::Sqlite {
                    path: PathBuf::from(path),
                    shown,
                })
            }
            (_, Some(family)) => {
                let server = ServerUrl::parse(family, text).map_err(|err| match err {
                    DatabaseError::BadUrl { why, .. } => bad(&why),
                    other => bad(&other.to_string()),
                })?;
                Ok(DatabaseUrl::Server { server, shown })
            }
            (other, None) => Err(bad(&format!(
                "unknown engine `{other}`; expected sqlite, postgresql, mysql or mariadb"
            ))),
        }
    }

    /// The URL with its secrets replaced by `***`.
    pub fn shown(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite { shown, .. } | DatabaseUrl::Server { shown, .. } => shown,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "postgresql://app:s3cr%40t@db:5432/app",
        "postgresql://app:***@db:5432/app"
    )]
    #[case(
        "mysql+pymysql://root:p@ss@host/db",
        "mysql+pymysql://root:***@host/db"
    )]
    #[case("postgresql://app@db/app", "postgresql://app@db/app")]
    #[case(
        "postgresql://db/app?user=u&password=hunter2&sslmode=require",
        "postgresql://db/app?user=u&password=***&sslmode=require"
    )]
    #[case("sqlite:////tmp/app.db", "sqlite:////tmp/app.db")]
    #[case("postgresql://app:pa/ss@db/app", "postgresql://app:***@db/app")]
    #[case(
        "postgresql://app:p?w=1@db/app?token=t0k",
        "postgresql://app:***@db/app?token=***"
    )]
    #[case(
        "postgresql://db:5432/app?password=hunter2",
        "postgresql://db:5432/app?password=***"
    )]
    #[case("postgresql://db:5432/app?x=a@b", "postgresql://db:***@b")]
    fn secrets_are_redacted(#[case] url: &str, #[case] shown: &str) {
        assert_eq!(redact(url), shown);
        let parsed = DatabaseUrl::parse(url).unwrap();
        assert_eq!(parsed.shown(), shown);
        for secret in ["hunter2", "s3cr", "pa/ss", "p?w", "t0k"] {
            assert!(!parsed.shown().contains(secret), "{secret}");
            assert!(!format!("{parsed:?}").contains(secret), "{secret}");
        }
    }

    #[rstest]
    #[case("sqlite:///app.db", "app.db")]
    #[case("sqlite:////abs/app.db", "/abs/app.db")]
    #[case("sqlite+pysqlite:///data/app.db?mode=ro", "data/app.db")]
    #[case("sqlite://app.db", "app.db")]
    #[case("sqlite:app.db", "app.db")]
    fn sqlite_paths(#[case] url: &str, #[case] path: &str) {
        match DatabaseUrl::parse(url).unwrap() {
            DatabaseUrl::Sqlite { path: found, .. } => assert_eq!(found, PathBuf::from(path)),
            other => panic!("{other:?}"),
        }
    }

    #[rstest]
    #[case(
        "postgresql+psycopg://app:s3cret@db:5432/app?sslmode=disable",
        "postgres://app:s3cret@db:5432/app?sslmode=disable"
    )]
    #[case("postgres://db/app", "postgres://db/app")]
    #[case("PostgreSQL://db/app", "postgres://db/app")]
    #[case(
        "mysql+pymysql://root:s3cret@db/app?charset=utf8mb4",
        "mysql://root:s3cret@db/app?charset=utf8mb4"
    )]
    #[case(
        "mariadb+mariadbconnector://root@db:3306/app",
        "mysql://root@db:3306/app"
    )]
    fn server_urls_connect_with_the_plain_scheme(#[case] url: &str, #[case] connect: &str) {
        let parsed = DatabaseUrl::parse(url).unwrap();
        let DatabaseUrl::Server { server, .. } = &parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(server.sqlx(&server.database), connect);
        assert!(!format!("{parsed:?}").contains("s3cret"), "{parsed:?}");
    }

    #[rstest]
    #[case("sqlite://")]
    #[case("postgresql:app")]
    #[case("mysql://u:secret@/app")]
    #[case("sqlite:///:memory:")]
    #[case("oracle://u:secret@h/db")]
    #[case("no-scheme")]
    fn bad_urls_never_echo_secrets(#[case] url: &str) {
        let err = DatabaseUrl::parse(url).unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
