//! One dialect per database family (SQLite, PostgreSQL, MySQL/MariaDB): an engine kind's family,
//! quoting, server URLs, sqlx connections, version-table SQL. Knows no backend or tool; runs no SQL.

mod catalog;
mod connect;
mod engine_kind;
mod family;
mod redact;
mod server_address;
mod version_table;

pub use connect::{
    CONNECT_TIMEOUT, ConnectError, SqliteAccess, connect, connect_sqlite, connect_with,
};
pub use engine_kind::EngineKind;
pub use family::Family;
pub use redact::{password_span, redact};
pub use server_address::{ServerAddress, UrlError};

/// The SQL dialect of a database: one per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
}

impl Dialect {
    /// The dialect an engine kind of the configuration speaks.
    pub fn of(kind: EngineKind) -> Self {
        match kind {
            EngineKind::Sqlite => Dialect::Sqlite,
            EngineKind::Postgres => Dialect::Postgres,
            EngineKind::Mariadb | EngineKind::Mysql => Dialect::Mysql,
        }
    }

    /// The server family, or `None` for SQLite (a file opened in process, not a server).
    pub fn family(self) -> Option<Family> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(Family::Postgres),
            Dialect::Mysql => Some(Family::Mysql),
        }
    }

    /// `name` as an identifier of this dialect: in double quotes (SQLite, PostgreSQL) or backticks
    /// (MySQL, MariaDB), the quote character doubled inside.
    pub fn quote(self, name: &str) -> String {
        let mark = match self {
            Dialect::Sqlite | Dialect::Postgres => '"',
            Dialect::Mysql => '`',
        };
        let doubled: String = [mark, mark].iter().collect();
        format!("{mark}{}{mark}", name.replace(mark, &doubled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_KIND: [EngineKind; 4] = [
        EngineKind::Sqlite,
        EngineKind::Postgres,
        EngineKind::Mariadb,
        EngineKind::Mysql,
    ];

    #[test]
    fn every_engine_kind_has_its_family() {
        let mapped: Vec<(&str, Dialect, Option<Family>)> = EVERY_KIND
            .iter()
            .map(|&kind| (kind.name(), Dialect::of(kind), Family::of(kind)))
            .collect();
        assert_eq!(
            mapped,
            [
                ("sqlite", Dialect::Sqlite, None),
                ("postgres", Dialect::Postgres, Some(Family::Postgres)),
                ("mariadb", Dialect::Mysql, Some(Family::Mysql)),
                ("mysql", Dialect::Mysql, Some(Family::Mysql)),
            ]
        );
        for family in [Family::Postgres, Family::Mysql] {
            assert_eq!(family.dialect().family(), Some(family));
        }
    }

    #[test]
    fn quoting_doubles_the_quote_character() {
        assert_eq!(Dialect::Postgres.quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Sqlite.quote("x\"\"y"), "\"x\"\"\"\"y\"");
        assert_eq!(Dialect::Mysql.quote("a`b"), "`a``b`");
        assert_eq!(Dialect::Mysql.quote("a\"b"), "`a\"b`");
        assert_eq!(Dialect::Postgres.quote("a`b"), "\"a`b\"");
        assert_eq!(
            Dialect::Sqlite.quote("alembic_version"),
            "\"alembic_version\""
        );
    }
}
