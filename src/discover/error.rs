//! Why no usable Alembic project could be found: each message names what was looked for and where,
//! and [`DiscoverError::help`] says what to do about it.

use std::path::PathBuf;

use super::MAX_DEPTH;

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(
        "no Alembic project in {} or the folders below it ({MAX_DEPTH} levels deep): no alembic.ini, no *.ini with an [alembic] section, and no folder holding env.py and versions/",
        root.display()
    )]
    NoProject { root: PathBuf },
    #[error(
        "{}: the [alembic] section names no script_location, and no folder beside it holds env.py and versions/",
        ini.display()
    )]
    NoScriptLocation { ini: PathBuf },
    #[error(
        "{}: script_location `{value}` is a placeholder the application fills in, and no folder beside the file holds env.py and versions/",
        ini.display()
    )]
    Placeholder { ini: PathBuf, value: String },
    #[error(
        "{}: script_location `{value}` names package `{package}`, which is neither in {} nor in its src/ folder, and no folder beside the file holds env.py and versions/",
        ini.display(),
        root.display()
    )]
    PackageNotFound {
        ini: PathBuf,
        value: String,
        package: String,
        root: PathBuf,
    },
    #[error(
        "{}: script_location `{value}` holds no env.py from any folder Alembic could run in (tried {}), and no folder beside the file holds env.py and versions/",
        ini.display(),
        tried.iter().map(|dir| dir.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Unresolved {
        ini: PathBuf,
        value: String,
        tried: Vec<PathBuf>,
    },
}

impl DiscoverError {
    /// What to do about it.
    pub fn help(&self) -> String {
        let set_it = "set `script_location` in the [project] of harness.toml to the folder holding env.py, or pass that folder: `harness lint path/to/migrations`";
        match self {
            DiscoverError::Io { .. } => "check that it exists and that this user may read it".to_string(),
            DiscoverError::NoProject { .. } => "run from the repository that holds the migrations: an Alembic project is an alembic.ini whose script_location names the folder holding env.py and versions/ (`alembic init` writes both)".to_string(),
            DiscoverError::NoScriptLocation { .. } => {
                format!("add `script_location` to the [alembic] section, or {set_it}")
            }
            DiscoverError::Placeholder { .. } => set_it.to_string(),
            DiscoverError::PackageNotFound { .. } => {
                format!("check the package name, or {set_it}")
            }
            DiscoverError::Unresolved { .. } => {
                format!("check `script_location` (a path relative to where `alembic` runs), or {set_it}")
            }
        }
    }

    /// The message and its help, as a command line prints them.
    pub fn with_help(&self) -> String {
        format!("{self}\n  help: {}", self.help())
    }
}
