//! What the adapters ask a runtime to run: a program, its arguments, its folder and environment,
//! and which variables carry the cell's database URL. The runtime decides how the URL reads from
//! where the program runs (the host's mapped port, or the database's name on the run's network).

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::config::env_vars::{CELL_DIR, RUN_SECRET, expand, references};

/// This run's throwaway secret: 32 hex digits from the system's random source.
pub fn run_secret() -> String {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SECRET
        .get_or_init(|| {
            use std::io::Read;
            let mut bytes = [0u8; 16];
            let filled = std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut bytes))
                .is_ok();
            if !filled {
                // No random device: the clock and the process id, hashed.
                use sha2::Digest;
                let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
                bytes.copy_from_slice(&sha2::Sha256::digest(seed.as_bytes())[..16]);
            }
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
        .clone()
}

/// The folder `${HARNESS_CELL_DIR}` names outside a cell: `harness-cell-<pid>-graph` in the
/// temporary folder, made on first use and removed by [`remove_shared_cell_dir`] (or, after a
/// kill, by the next sweep).
pub fn shared_cell_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "{}{}-graph",
        crate::database::CELL_DIR_PREFIX,
        std::process::id()
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The folder of the files tool processes write records to for the harness to read:
/// `harness-cell-<pid>-records` in the temporary folder, mounted into runtime containers at its own
/// path; removed by [`remove_shared_cell_dir`] at exit or, after a kill, by the next sweep.
pub fn records_dir() -> PathBuf {
    std::env::temp_dir().join(format!(
        "{}{}-records",
        crate::database::CELL_DIR_PREFIX,
        std::process::id()
    ))
}

/// Removes [`shared_cell_dir`]'s folder and the tool's records folder, if this process made them.
pub fn remove_shared_cell_dir() {
    let dir = std::env::temp_dir().join(format!(
        "{}{}-graph",
        crate::database::CELL_DIR_PREFIX,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(records_dir());
}

/// The value a URL part's variable holds outside a cell (reading the revision graph), where no
/// database exists: a placeholder that parses.
fn graph_placeholder(var: &str) -> Option<&'static str> {
    match var {
        "HARNESS_DATABASE_HOST" => Some("localhost"),
        "HARNESS_DATABASE_PORT" => Some("5432"),
        "HARNESS_DATABASE_USER" | "HARNESS_DATABASE_PASSWORD" | "HARNESS_DATABASE_NAME" => {
            Some("harness")
        }
        _ => None,
    }
}

/// The program to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// The runtime's own Python (its environment's interpreter).
    Python,
    /// A program looked up on the runtime's PATH (its environment's `bin` first), or a path.
    Named(String),
}

/// One process to run in a runtime.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub program: Program,
    pub args: Vec<String>,
    /// The working folder (the project's folder: the same path in a runtime container).
    pub dir: PathBuf,
    /// Extra environment (the project's `env`).
    pub env: BTreeMap<String, String>,
    /// Variables set to the database URL besides HARNESS_DATABASE_URL and DATABASE_URL (a command
    /// tool's `url_env`).
    pub url_vars: Vec<String>,
    /// The SQLAlchemy driver `url_vars` name in their URL (`psycopg` gives
    /// `postgresql+psycopg://`), when the runtime has another than SQLAlchemy's default.
    pub url_driver: Option<String>,
}

impl Invocation {
    pub fn new(program: Program, args: Vec<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            program,
            args,
            dir: dir.into(),
            env: BTreeMap::new(),
            url_vars: Vec::new(),
            url_driver: None,
        }
    }

    /// The URL `url_vars` carry: `url` with `url_driver` in its scheme when it names none.
    pub fn url_for_vars(&self, url: &str) -> String {
        let Some(driver) = &self.url_driver else {
            return url.to_string();
        };
        match url.split_once("://") {
            Some((scheme, rest)) if !scheme.contains('+') => {
                format!("{scheme}+{driver}://{rest}")
            }
            _ => url.to_string(),
        }
    }

    /// The project's environment with `${NAME}` expanded: a cell variable (`DATABASE_URL`,
    /// `HARNESS_DATABASE_URL`, `HARNESS_SQLITE_PATH`) from `cell`, else this process's
    /// environment, else empty. `$$` is a literal `$`.
    pub fn expanded_env(&self, cell: &[(String, String)]) -> Vec<(String, String)> {
        let mut env = self
            .env
            .iter()
            // Without a database (reading the revision graph), a value made of the cell's URL or
            // engine name is not set at all, so the project's own default applies; one made of
            // the URL's parts gets placeholders, so settings that require them load (nothing
            // connects while the graph is read).
            .filter(|(_, value)| {
                references(value).iter().all(|var| {
                    let of_cell = var.starts_with("HARNESS_DATABASE_")
                        || *var == "DATABASE_URL"
                        || crate::config::service_variables().any(|service| service == *var);
                    !of_cell
                        || cell.iter().any(|(n, _)| n == var)
                        || graph_placeholder(var).is_some()
                })
            })
            .map(|(name, value)| {
                let lookup = |var: &str| {
                    cell.iter()
                        .find(|(n, _)| n == var)
                        .map(|(_, v)| v.clone())
                        .or_else(|| (var == RUN_SECRET).then(run_secret))
                        .or_else(|| graph_placeholder(var).map(str::to_string))
                        .or_else(|| {
                            (var == CELL_DIR).then(|| shared_cell_dir().display().to_string())
                        })
                        .or_else(|| std::env::var(var).ok())
                };
                (name.clone(), expand(value, lookup))
            })
            .collect::<Vec<_>>();
        // Outside a cell the folder is this process's; the tool process makes it where it runs
        // (a runtime container has its own temporary folder).
        let uses_cell_dir = self
            .env
            .values()
            .any(|value| references(value).contains(&CELL_DIR));
        if uses_cell_dir && !cell.iter().any(|(n, _)| n == CELL_DIR) {
            env.push((
                CELL_DIR.to_string(),
                shared_cell_dir().display().to_string(),
            ));
        }
        env
    }

    /// The command line for messages.
    pub fn display(&self, python: &str) -> String {
        let program = match &self.program {
            Program::Python => python,
            Program::Named(name) => name.as_str(),
        };
        std::iter::once(program)
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_and_dollars_escape() {
        let lookup = |name: &str| (name == "DATABASE_URL").then(|| "sqlite:///x.db".to_string());
        assert_eq!(expand("${DATABASE_URL}", lookup), "sqlite:///x.db");
        assert_eq!(expand("a$${DATABASE_URL}", lookup), "a${DATABASE_URL}");
        assert_eq!(expand("${NOPE}-$HOME-${1x}", lookup), "-$HOME-${1x}");
        assert_eq!(references("x${A}y${B_2}$${C}"), ["A", "B_2"]);
    }

    #[test]
    fn cell_variables_win_over_the_environment() {
        let mut invocation = Invocation::new(Program::Python, vec![], "/");
        invocation
            .env
            .insert("APP_DB".into(), "${DATABASE_URL}".into());
        let env = invocation.expanded_env(&[("DATABASE_URL".into(), "postgresql://h/c".into())]);
        assert_eq!(
            env,
            [("APP_DB".to_string(), "postgresql://h/c".to_string())]
        );
    }

    #[test]
    fn outside_a_cell_url_parts_get_placeholders_and_the_url_stays_unset() {
        let mut invocation = Invocation::new(Program::Python, vec![], "/");
        for (name, value) in [
            ("APP_DB", "${DATABASE_URL}"),
            ("DB_ENGINE", "${HARNESS_DATABASE_ENGINE}"),
            ("DB_HOST", "${HARNESS_DATABASE_HOST}"),
            ("DB_PORT", "${HARNESS_DATABASE_PORT}"),
            (
                "DB_CREDENTIALS",
                "${HARNESS_DATABASE_USER}:${HARNESS_DATABASE_PASSWORD}",
            ),
        ] {
            invocation.env.insert(name.into(), value.into());
        }
        let env = invocation.expanded_env(&[]);
        assert_eq!(
            env,
            [
                ("DB_CREDENTIALS".to_string(), "harness:harness".to_string()),
                ("DB_HOST".to_string(), "localhost".to_string()),
                ("DB_PORT".to_string(), "5432".to_string()),
            ]
        );
    }
}
