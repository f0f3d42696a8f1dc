//! The address of a database server, so that the same server can be named for sqlx (the harness's
//! own connections) and for SQLAlchemy (the migration tool), for any database on it. Parsing is
//! [`crate::dialect::ServerAddress`]'s; this adds the SQLAlchemy scheme and the maintenance database.

use super::DatabaseError;
use crate::config::redact;
use crate::dialect::{Family, ServerAddress, UrlError};

/// The SQLAlchemy scheme used when the URL names none: SQLAlchemy's own default driver for
/// PostgreSQL (psycopg2), the preferred one of `crate::drivers` for MySQL and MariaDB (PyMySQL),
/// which SQLAlchemy's default (mysqlclient) is not; the entry point switches to an installed one.
fn default_sqlalchemy_scheme(family: Family) -> String {
    match family {
        Family::Postgres => "postgresql".into(),
        Family::Mysql => {
            let preferred = crate::drivers::of(crate::drivers::Backend::Mysql, false).next();
            format!(
                "mysql+{}",
                preferred.map_or("pymysql", |driver| driver.name)
            )
        }
    }
}

/// A server and the database the harness connects to on it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    address: ServerAddress,
    /// The SQLAlchemy scheme, with its driver (`postgresql+psycopg`), or `None` for the default.
    sqlalchemy_scheme: Option<String>,
    /// The database this URL names (the maintenance database the harness connects to).
    pub database: String,
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl ServerUrl {
    /// A server on loopback with a user and password, as containers and local clusters are.
    pub fn loopback(family: Family, port: u16, user: &str, password: &str, database: &str) -> Self {
        Self::on_host(family, "127.0.0.1", port, user, password, database)
    }

    /// A server reached by `host` (a container's name on a network) at `port`.
    pub fn on_host(
        family: Family,
        host: &str,
        port: u16,
        user: &str,
        password: &str,
        database: &str,
    ) -> Self {
        Self {
            address: ServerAddress::new(family, host, port, user, password, database),
            sqlalchemy_scheme: None,
            database: database.to_string(),
        }
    }

    /// Parses a user's URL (`postgresql://`, `postgres://`, `postgresql+psycopg://`, `mysql://`,
    /// `mariadb+pymysql://`, ...).
    pub fn parse(family: Family, url: &str) -> Result<Self, DatabaseError> {
        let bad = |why: &str| DatabaseError::BadUrl {
            url: redact(url),
            why: why.to_string(),
        };
        let wrong_family = || {
            bad(match family {
                Family::Postgres => "a PostgreSQL URL starts with postgresql:// or postgres://",
                Family::Mysql => "a MySQL or MariaDB URL starts with mysql:// or mariadb://",
            })
        };
        let address = match ServerAddress::parse(url) {
            Ok(address) if address.family() == family => address,
            Ok(_) | Err(UrlError::UnknownScheme) => return Err(wrong_family()),
            Err(err) => return Err(bad(&err.to_string())),
        };
        let database = match (address.database(), family) {
            ("", Family::Postgres) => "postgres".to_string(),
            (database, _) => database.to_string(),
        };
        let sqlalchemy_scheme = match (address.scheme(), address.driver()) {
            (_, None) => None,
            ("postgres", Some(driver)) => Some(format!("postgresql+{driver}")),
            (scheme, Some(driver)) => Some(format!("{scheme}+{driver}")),
        };
        Ok(Self {
            address,
            sqlalchemy_scheme,
            database,
        })
    }

    pub fn family(&self) -> Family {
        self.address.family()
    }

    /// The user and password of the URL, percent-decoded (empty when absent), for a command-line
    /// client or an environment variable.
    pub fn credentials(&self) -> (String, String) {
        (
            self.address.user(),
            self.address.password().unwrap_or_default(),
        )
    }

    /// The host name or address (IPv6 without brackets) and the port (the family's default port
    /// when absent).
    pub fn host_port(&self) -> (String, u16) {
        let port = self.address.port().unwrap_or(self.family().default_port());
        (self.address.host().to_string(), port)
    }

    /// `host:port`, for messages.
    pub fn host(&self) -> String {
        self.address.authority()
    }

    /// The URL sqlx connects with, for `database`.
    pub fn sqlx(&self, database: &str) -> String {
        self.address.to_url(self.family().sqlx_scheme(), database)
    }

    /// The URL handed to the migration tool, for `database`.
    pub fn sqlalchemy(&self, database: &str) -> String {
        let scheme = self
            .sqlalchemy_scheme
            .clone()
            .unwrap_or_else(|| default_sqlalchemy_scheme(self.family()));
        self.address.to_url(&scheme, database)
    }

    /// This server's maintenance URL with the password hidden, for messages.
    pub fn redacted(&self) -> String {
        redact(&self.sqlx(&self.database))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_for_both_clients() {
        let url = ServerUrl::loopback(Family::Postgres, 5433, "postgres", "pw", "postgres");
        assert_eq!(
            url.sqlx("cell_1"),
            "postgres://postgres:pw@127.0.0.1:5433/cell_1"
        );
        assert_eq!(
            url.sqlalchemy("cell_1"),
            "postgresql://postgres:pw@127.0.0.1:5433/cell_1"
        );
        let url = ServerUrl::loopback(Family::Mysql, 3307, "root", "pw", "mysql");
        assert_eq!(
            url.sqlalchemy("c"),
            "mysql+pymysql://root:pw@127.0.0.1:3307/c"
        );
        assert_eq!(url.redacted(), "mysql://root:***@127.0.0.1:3307/mysql");
    }

    #[test]
    fn network_urls_name_the_container_and_its_own_port() {
        let url = ServerUrl::on_host(
            Family::Postgres,
            "harness-1-2-postgres-17",
            5432,
            "postgres",
            "pw",
            "postgres",
        );
        assert_eq!(
            url.sqlalchemy("cell_1"),
            "postgresql://postgres:pw@harness-1-2-postgres-17:5432/cell_1"
        );
    }

    #[test]
    fn external_urls_keep_driver_and_query() {
        let url = ServerUrl::parse(
            Family::Postgres,
            "postgresql+psycopg://app:s3cret@db.internal:5432/postgres?sslmode=require",
        )
        .unwrap();
        assert_eq!(
            url.sqlalchemy("scratch"),
            "postgresql+psycopg://app:s3cret@db.internal:5432/scratch?sslmode=require"
        );
        assert_eq!(
            url.sqlx("scratch"),
            "postgres://app:s3cret@db.internal:5432/scratch?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn credentials_are_decoded_and_urls_keep_them_encoded() {
        let url = ServerUrl::parse(
            Family::Postgres,
            "postgresql://app:p%40ss%25w@[::1]:5433/postgres",
        )
        .unwrap();
        assert_eq!(url.credentials(), ("app".into(), "p@ss%w".into()));
        assert_eq!(url.host_port(), ("::1".into(), 5433));
        assert_eq!(
            url.sqlalchemy("c"),
            "postgresql://app:p%40ss%25w@[::1]:5433/c"
        );
        assert_eq!(url.redacted(), "postgres://app:***@[::1]:5433/postgres");
        let url = ServerUrl::parse(Family::Mysql, "mysql://root@db").unwrap();
        assert_eq!(url.host_port(), ("db".into(), 3306));
        assert_eq!(url.credentials(), ("root".into(), String::new()));
    }

    #[test]
    fn rejects_urls_of_another_engine() {
        let err = ServerUrl::parse(Family::Postgres, "mysql://root:pw@h/x").unwrap_err();
        assert!(err.to_string().contains("postgresql://"), "{err}");
        assert!(!err.to_string().contains("pw@"), "{err}");
        assert!(ServerUrl::parse(Family::Mysql, "no-scheme").is_err());
        assert!(ServerUrl::parse(Family::Mysql, "mysql:///db").is_err());
    }
}
