//! The family of a server engine: what its URLs and its connections look like.

use super::Dialect;
use super::EngineKind;

/// The family of a server engine: PostgreSQL, or MySQL and MariaDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Postgres,
    Mysql,
}

impl Family {
    /// The family of a server engine kind; `None` for SQLite, which has no server.
    pub fn of(kind: EngineKind) -> Option<Self> {
        Dialect::of(kind).family()
    }

    /// The family a URL scheme names, without its driver and in lower case (`postgresql`,
    /// `postgres`, `mysql`, `mariadb`).
    pub fn from_scheme(name: &str) -> Option<Self> {
        match name {
            "postgresql" | "postgres" => Some(Family::Postgres),
            "mysql" | "mariadb" => Some(Family::Mysql),
            _ => None,
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Family::Postgres => Dialect::Postgres,
            Family::Mysql => Dialect::Mysql,
        }
    }

    /// The scheme of the URLs sqlx connects with.
    pub fn sqlx_scheme(self) -> &'static str {
        match self {
            Family::Postgres => "postgres",
            Family::Mysql => "mysql",
        }
    }

    /// The port a server listens on when its URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Family::Postgres => 5432,
            Family::Mysql => 3306,
        }
    }
}
