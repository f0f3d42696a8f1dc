//! The address of a database server, split so that the same server can be named for sqlx (the
//! harness's own connections) and for SQLAlchemy (the migration tool), for any database on it.

use super::DatabaseError;
use crate::config::redact;

/// The SQL family of a server engine: PostgreSQL, or MySQL and MariaDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Postgres,
    Mysql,
}

impl Family {
    /// The SQLAlchemy driver used when the URL names none: psycopg2 for PostgreSQL, PyMySQL for
    /// MySQL and MariaDB (the project's requirements must install it).
    fn default_sqlalchemy_scheme(self) -> &'static str {
        match self {
            Family::Postgres => "postgresql",
            Family::Mysql => "mysql+pymysql",
        }
    }

    fn sqlx_scheme(self) -> &'static str {
        match self {
            Family::Postgres => "postgres",
            Family::Mysql => "mysql",
        }
    }
}

/// `scheme://userinfo@host:port/database?query`, taken apart.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    family: Family,
    /// The SQLAlchemy scheme, with its driver (`postgresql+psycopg`), or `None` for the default.
    sqlalchemy_scheme: Option<String>,
    /// `user:password@` (or empty).
    userinfo: String,
    /// `host:port`.
    host: String,
    /// The database this URL names (the maintenance database the harness connects to).
    pub database: String,
    /// Everything after `?`, without it.
    query: String,
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl ServerUrl {
    /// A server on loopback with a user and password, as containers and local clusters are.
    pub fn loopback(family: Family, port: u16, user: &str, password: &str, database: &str) -> Self {
        Self {
            family,
            sqlalchemy_scheme: None,
            userinfo: format!("{user}:{password}@"),
            host: format!("127.0.0.1:{port}"),
            database: database.to_string(),
            query: String::new(),
        }
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
            host: format!("{host}:{port}"),
            ..Self::loopback(family, port, user, password, database)
        }
    }

    /// Parses a user's URL (`postgresql://`, `postgres://`, `postgresql+psycopg://`, `mysql://`,
    /// `mariadb+pymysql://`, ...).
    pub fn parse(family: Family, url: &str) -> Result<Self, DatabaseError> {
        let bad = |why: &str| DatabaseError::BadUrl {
            url: redact(url),
            why: why.to_string(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it has no `scheme://`"))?;
        let scheme = scheme.to_lowercase();
        let (dialect, driver) = match scheme.split_once('+') {
            Some((dialect, driver)) => (dialect, Some(driver)),
            None => (scheme.as_str(), None),
        };
        let fits = match family {
            Family::Postgres => matches!(dialect, "postgres" | "postgresql"),
            Family::Mysql => matches!(dialect, "mysql" | "mariadb"),
        };
        if !fits {
            return Err(bad(match family {
                Family::Postgres => "a PostgreSQL URL starts with postgresql:// or postgres://",
                Family::Mysql => "a MySQL or MariaDB URL starts with mysql:// or mariadb://",
            }));
        }
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, query.to_string()),
            None => (rest, String::new()),
        };
        let (authority, database) = match rest.split_once('/') {
            Some((authority, database)) => (authority, database.to_string()),
            None => (rest, String::new()),
        };
        let (userinfo, host) = match authority.rfind('@') {
            Some(at) => (
                authority[..=at].to_string(),
                authority[at + 1..].to_string(),
            ),
            None => (String::new(), authority.to_string()),
        };
        if host.is_empty() {
            return Err(bad("it names no host"));
        }
        let database = if database.is_empty() {
            match family {
                Family::Postgres => "postgres".to_string(),
                Family::Mysql => String::new(),
            }
        } else {
            database
        };
        let sqlalchemy_scheme = match (dialect, driver) {
            (_, None) => None,
            ("postgres", Some(driver)) => Some(format!("postgresql+{driver}")),
            (dialect, Some(driver)) => Some(format!("{dialect}+{driver}")),
        };
        Ok(Self {
            family,
            sqlalchemy_scheme,
            userinfo,
            host,
            database,
            query,
        })
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// The user and password of the URL (empty when absent), for a command-line client.
    pub fn credentials(&self) -> (String, String) {
        let info = self.userinfo.trim_end_matches('@');
        match info.split_once(':') {
            Some((user, password)) => (user.to_string(), password.to_string()),
            None => (info.to_string(), String::new()),
        }
    }

    /// The host name and port (the family's default port when absent).
    pub fn host_port(&self) -> (String, u16) {
        let default = match self.family {
            Family::Postgres => 5432,
            Family::Mysql => 3306,
        };
        match self.host.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || port.parse::<u16>().is_ok() => (
                host.trim_matches(['[', ']']).to_string(),
                port.parse().unwrap_or(default),
            ),
            _ => (self.host.trim_matches(['[', ']']).to_string(), default),
        }
    }

    /// `host:port`, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL sqlx connects with, for `database`.
    pub fn sqlx(&self, database: &str) -> String {
        self.build(self.family.sqlx_scheme(), database)
    }

    /// The URL handed to the migration tool, for `database`.
    pub fn sqlalchemy(&self, database: &str) -> String {
        let scheme = self
            .sqlalchemy_scheme
            .as_deref()
            .unwrap_or(self.family.default_sqlalchemy_scheme());
        self.build(scheme, database)
    }

    /// This server's maintenance URL with the password hidden, for messages.
    pub fn redacted(&self) -> String {
        redact(&self.sqlx(&self.database))
    }

    fn build(&self, scheme: &str, database: &str) -> String {
        let mut url = format!("{scheme}://{}{}/{database}", self.userinfo, self.host);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
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
    fn rejects_urls_of_another_engine() {
        let err = ServerUrl::parse(Family::Postgres, "mysql://root:pw@h/x").unwrap_err();
        assert!(err.to_string().contains("postgresql://"), "{err}");
        assert!(!err.to_string().contains("pw@"), "{err}");
        assert!(ServerUrl::parse(Family::Mysql, "no-scheme").is_err());
        assert!(ServerUrl::parse(Family::Mysql, "mysql:///db").is_err());
    }
}
