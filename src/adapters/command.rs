//! The `command` tool: any program that upgrades a database to its latest state, with the cell's
//! database URL in an environment variable. It knows no revisions: it can only upgrade to "head".
//! Also runs a scenario's `command` steps, for any tool.

use std::collections::BTreeMap;
use std::path::Path;

use super::AdapterError;
use crate::process::Output;
use crate::runtime::{Invocation, Program, Session};

/// The command tool of one project.
#[derive(Debug, Clone)]
pub struct CommandTool {
    pub upgrade: Vec<String>,
    pub url_env: String,
    /// The versions folders of the Alembic project in the project's folder, when it has exactly
    /// one (a project that upgrades with its own script around Alembic files): the revision graph
    /// is then read from the files, statically.
    pub alembic_files: Option<crate::lint::VersionDirs>,
}

impl CommandTool {
    /// The revision graph of `alembic_files`, read without Python.
    pub fn static_graph(&self) -> Option<super::Graph> {
        let dirs = self.alembic_files.as_ref()?;
        let report = crate::lint::analyze(dirs, crate::lint::DEFAULT_VERSION_LENGTH).ok()?;
        Some(super::Graph::of_report(&report))
    }
}

/// The SQLAlchemy driver to name in a server URL handed to a SQLAlchemy project: the one its
/// environment installs (psycopg2 first, SQLAlchemy's default, then psycopg, pg8000, asyncpg; for
/// MySQL, PyMySQL, then mysqlclient). For SQLite, `aiosqlite` when the environment's only
/// PostgreSQL driver is asyncpg and aiosqlite is there (a project that opens async engines only),
/// else `None`, as for an environment without SQLAlchemy (the program may not be Python at all) and
/// when no driver is known.
pub fn installed_driver(url: &str, packages: &[(String, String)]) -> Option<&'static str> {
    let has = |name: &str| {
        packages.iter().any(|(n, _)| {
            n.eq_ignore_ascii_case(name) || n.replace('_', "-").eq_ignore_ascii_case(name)
        })
    };
    if !has("sqlalchemy") {
        return None;
    }
    use crate::drivers::{self, Backend};
    let installed = |driver: &&drivers::Driver| driver.distributions.iter().any(|name| has(name));
    let scheme = url.split_once("://")?.0;
    let backend = match scheme {
        "postgresql" | "postgres" => Backend::Postgresql,
        "mysql" | "mariadb" => Backend::Mysql,
        "sqlite" => {
            let sync_postgres = drivers::of(Backend::Postgresql, false).any(|d| installed(&d));
            let async_only = |backend| drivers::of(backend, true).find(installed).map(|d| d.name);
            return async_only(Backend::Postgresql)
                .filter(|_| !sync_postgres)
                .and(async_only(Backend::Sqlite));
        }
        _ => return None,
    };
    drivers::of(backend, false)
        .chain(drivers::of(backend, true))
        .find(installed)
        .map(|driver| driver.name)
}

/// Runs `argv` in `dir` through the session's runtime: its environment's `bin` first on PATH (so
/// `python` is the runtime's), the database's variables set, plus `extra`, plus `url_vars` set to
/// the database URL as the runtime reaches it.
pub async fn run_program(
    argv: &[String],
    dir: &Path,
    session: &Session<'_>,
    extra: &BTreeMap<String, String>,
    url_vars: &[String],
) -> Result<Output, AdapterError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(AdapterError::Unreadable {
            command: String::new(),
            detail: "an empty command".into(),
        });
    };
    let mut invocation = Invocation::new(Program::Named(program.clone()), args.to_vec(), dir);
    invocation.env = extra.clone();
    invocation.url_vars = url_vars.to_vec();
    invocation.url_driver = session.database().and_then(|database| {
        installed_driver(&database.url, &session.runtime().packages).map(str::to_string)
    });
    session
        .run(&invocation)
        .await
        .map_err(AdapterError::Runtime)
}

#[cfg(test)]
mod driver_tests {
    use super::installed_driver;

    fn packages(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|n| (n.to_string(), "1".into())).collect()
    }

    #[test]
    fn the_url_names_the_driver_the_environment_installs() {
        let url = "postgresql://u:p@127.0.0.1:5432/db";
        assert_eq!(
            installed_driver(url, &packages(&["SQLAlchemy", "psycopg2-binary"])),
            Some("psycopg2")
        );
        assert_eq!(
            installed_driver(url, &packages(&["sqlalchemy", "psycopg", "psycopg-binary"])),
            Some("psycopg")
        );
        assert_eq!(
            installed_driver(url, &packages(&["psycopg"])),
            None,
            "no SQLAlchemy: any program"
        );
        assert_eq!(
            installed_driver("sqlite:////tmp/x.db", &packages(&["sqlalchemy"])),
            None
        );
        let sqlite = "sqlite:////tmp/x.db";
        assert_eq!(
            installed_driver(sqlite, &packages(&["sqlalchemy", "asyncpg", "aiosqlite"])),
            Some("aiosqlite"),
            "an async-only project"
        );
        assert_eq!(
            installed_driver(
                sqlite,
                &packages(&["sqlalchemy", "psycopg2", "asyncpg", "aiosqlite"])
            ),
            None,
            "a project with a sync driver keeps pysqlite"
        );
    }
}
