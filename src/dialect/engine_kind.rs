//! The kinds of database engine the harness runs.

/// A database engine kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EngineKind {
    Sqlite,
    Postgres,
    Mariadb,
    Mysql,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Sqlite => "sqlite",
            EngineKind::Postgres => "postgres",
            EngineKind::Mariadb => "mariadb",
            EngineKind::Mysql => "mysql",
        }
    }
}
