//! The one table of the Python database drivers the harness knows: which distribution provides
//! which SQLAlchemy driver (its module and name) for which backend, sync or async. Every part that
//! names a driver reads it here: the driver added when a project's requirements install none, the
//! key packages a runtime line shows, and the Python the harness embeds (the entry point's driver
//! choice and the worker's preload are written into them from [`python_block`]).

/// A SQLAlchemy backend, by the name SQLAlchemy gives it (`mariadb` is `mysql`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgresql,
    Mysql,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgresql => "postgresql",
            Backend::Mysql => "mysql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// One driver.
#[derive(Debug, Clone, Copy)]
pub struct Driver {
    pub backend: Backend,
    /// The driver's name in a URL (`postgresql+psycopg2`).
    pub name: &'static str,
    /// The name SQLAlchemy reports for it when it differs (psycopg's async dialect).
    pub dialect_name: &'static str,
    /// The module it imports.
    pub module: &'static str,
    /// What to install for it; empty for the standard library's.
    pub package: &'static str,
    /// The distribution names pip lists for it, lower case.
    pub distributions: &'static [&'static str],
    pub asynchronous: bool,
}

const fn driver(
    backend: Backend,
    name: &'static str,
    module: &'static str,
    package: &'static str,
    distributions: &'static [&'static str],
    asynchronous: bool,
) -> Driver {
    Driver {
        backend,
        name,
        dialect_name: name,
        module,
        package,
        distributions,
        asynchronous,
    }
}

/// Every driver, each backend's in the order the harness prefers them.
pub const DRIVERS: &[Driver] = &[
    driver(
        Backend::Postgresql,
        "psycopg2",
        "psycopg2",
        "psycopg2-binary",
        &["psycopg2", "psycopg2-binary", "psycopg2cffi"],
        false,
    ),
    driver(
        Backend::Postgresql,
        "psycopg",
        "psycopg",
        "psycopg[binary]",
        &["psycopg", "psycopg-binary"],
        false,
    ),
    driver(
        Backend::Postgresql,
        "pg8000",
        "pg8000",
        "pg8000",
        &["pg8000"],
        false,
    ),
    driver(
        Backend::Postgresql,
        "asyncpg",
        "asyncpg",
        "asyncpg",
        &["asyncpg"],
        true,
    ),
    Driver {
        dialect_name: "psycopg_async",
        ..driver(
            Backend::Postgresql,
            "psycopg",
            "psycopg",
            "psycopg[binary]",
            &["psycopg", "psycopg-binary"],
            true,
        )
    },
    driver(
        Backend::Mysql,
        "pymysql",
        "pymysql",
        "PyMySQL",
        &["pymysql"],
        false,
    ),
    driver(
        Backend::Mysql,
        "mysqldb",
        "MySQLdb",
        "mysqlclient",
        &["mysqlclient"],
        false,
    ),
    driver(
        Backend::Mysql,
        "mysqlconnector",
        "mysql.connector",
        "mysql-connector-python",
        &["mysql-connector-python", "mysql-connector"],
        false,
    ),
    driver(
        Backend::Mysql,
        "mariadbconnector",
        "mariadb",
        "mariadb",
        &["mariadb"],
        false,
    ),
    driver(
        Backend::Mysql,
        "aiomysql",
        "aiomysql",
        "aiomysql",
        &["aiomysql"],
        true,
    ),
    driver(
        Backend::Mysql,
        "asyncmy",
        "asyncmy",
        "asyncmy",
        &["asyncmy"],
        true,
    ),
    driver(Backend::Sqlite, "pysqlite", "sqlite3", "", &[], false),
    driver(
        Backend::Sqlite,
        "aiosqlite",
        "aiosqlite",
        "aiosqlite",
        &["aiosqlite"],
        true,
    ),
];

/// The drivers of `backend`, sync or async, in the order the harness prefers them.
pub fn of(backend: Backend, asynchronous: bool) -> impl Iterator<Item = &'static Driver> {
    DRIVERS
        .iter()
        .filter(move |d| d.backend == backend && d.asynchronous == asynchronous)
}

/// Every distribution name of a driver, lower case, in table order, each once.
pub fn distributions() -> Vec<&'static str> {
    distinct(DRIVERS.iter().flat_map(|d| d.distributions.iter().copied()))
}

/// `names` in order, each once.
fn distinct(names: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut kept: Vec<&'static str> = Vec::new();
    for name in names {
        if !kept.contains(&name) {
            kept.push(name);
        }
    }
    kept
}

/// The backend whose driver the distribution `name` (lower case, `-` for `_`) installs.
pub fn backend_of(name: &str) -> Option<Backend> {
    DRIVERS
        .iter()
        .find(|d| d.distributions.contains(&name))
        .map(|d| d.backend)
}

/// Every distribution of a driver of `backend`, lower case.
pub fn distributions_of(backend: Backend) -> Vec<&'static str> {
    distinct(
        DRIVERS
            .iter()
            .filter(|d| d.backend == backend)
            .flat_map(|d| d.distributions.iter().copied()),
    )
}

/// The distributions that serve async drivers only (psycopg serves both), lower case: a
/// project that installs one runs on asyncio.
pub fn async_distributions() -> Vec<&'static str> {
    let sync: Vec<&str> = DRIVERS
        .iter()
        .filter(|d| !d.asynchronous)
        .flat_map(|d| d.distributions.iter().copied())
        .collect();
    distinct(
        DRIVERS
            .iter()
            .filter(|d| d.asynchronous)
            .flat_map(|d| d.distributions.iter().copied())
            .filter(|name| !sync.contains(name)),
    )
}

const BEGIN: &str = "# drivers: begin";
const END: &str = "# drivers: end";

/// The block of driver facts the embedded Python holds, as this table says.
pub fn python_block() -> String {
    let table = |asynchronous: bool| -> String {
        let backends = [Backend::Postgresql, Backend::Mysql, Backend::Sqlite];
        let entries: Vec<String> = backends
            .iter()
            .map(|backend| {
                let drivers: Vec<String> = of(*backend, asynchronous)
                    .map(|d| format!("(\"{}\", \"{}\", \"{}\")", d.name, d.module, d.package))
                    .collect();
                format!("    \"{}\": [{}],", backend.name(), drivers.join(", "))
            })
            .collect();
        format!("{{\n{}\n}}", entries.join("\n"))
    };
    let mut async_names: Vec<&str> = DRIVERS
        .iter()
        .filter(|d| d.asynchronous)
        .map(|d| d.dialect_name)
        .collect();
    async_names.sort_unstable();
    async_names.dedup();
    let modules = distinct(
        DRIVERS
            .iter()
            .filter(|d| !d.package.is_empty())
            .map(|d| d.module),
    );
    let quoted = |names: &[&str]| -> String {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{BEGIN} (written from src/drivers.rs; edit it there)\n\
         # For each backend: (SQLAlchemy driver name, module, package to install), preferred first.\n\
         SYNC_DRIVERS = {}\n\
         ASYNC_DRIVERS = {}\n\
         ASYNC_DRIVER_NAMES = {{{}}}\n\
         DRIVER_MODULES = [{}]\n\
         {END}",
        table(false),
        table(true),
        quoted(&async_names),
        quoted(&modules)
    )
}

/// `script` with the block between `begin` and `end` (marker lines) replaced by `block`;
/// unchanged when it has none.
pub fn replace_block(script: &str, begin: &str, end: &str, block: &str) -> String {
    let Some(start) = script.find(begin) else {
        return script.to_string();
    };
    let Some(stop) = script[start..].find(end).map(|at| start + at + end.len()) else {
        return script.to_string();
    };
    format!("{}{block}{}", &script[..start], &script[stop..])
}

/// `script` with its drivers block written from this table.
pub fn install(script: &str) -> String {
    replace_block(script, BEGIN, END, &python_block())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_python_holds_this_table() {
        for (name, script) in [
            (
                "src/adapters/alembic_entry.py",
                include_str!("adapters/alembic_entry.py"),
            ),
            ("src/runtime/worker.py", include_str!("runtime/worker.py")),
        ] {
            assert!(
                script.contains(&python_block()),
                "{name}'s drivers block differs from drivers::python_block(); copy it from there:\n{}",
                python_block()
            );
            assert_eq!(install(script), script);
        }
    }

    #[test]
    fn each_backend_has_a_preferred_sync_driver() {
        let first = |backend| of(backend, false).next().map(|d| d.package);
        assert_eq!(first(Backend::Postgresql), Some("psycopg2-binary"));
        assert_eq!(first(Backend::Mysql), Some("PyMySQL"));
        assert_eq!(first(Backend::Sqlite), Some(""));
        assert!(distributions_of(Backend::Postgresql).contains(&"asyncpg"));
        assert!(async_distributions().contains(&"aiosqlite"));
        assert_eq!(
            async_distributions(),
            ["asyncpg", "aiomysql", "asyncmy", "aiosqlite"]
        );
    }
}
