//! `harness.toml` and the scenario files: the serde model, its validation, and the validated types the
//! rest of the harness works from. Every problem is a [`ConfigError`] pointing at file:line:col.
//! Reads files only; starts nothing.

mod database;
mod error;
mod harness_file;
mod scenario;
mod source;
mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use database::{BackendChoice, DatabaseSettings, ImageFlavour, SecretUrl, redact};
pub use error::{ConfigError, Place};
pub use scenario::{
    Expect, ExpectWhen, Outcome, RevRef, Scenario, SnapshotOptions, SqlOrigin, Step, StepKind,
};
pub use source::{Location, SourceFile};
pub use spec::{DatabaseSpec, EngineKind, RuntimeSpec};

/// The file name looked for when no `--config` is given.
pub const DEFAULT_FILE: &str = "harness.toml";

/// Everything a run needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The harness.toml this came from.
    pub file: PathBuf,
    /// The folder of that file: relative paths in it are relative to this folder.
    pub root: PathBuf,
    pub project: Project,
    pub matrix: Matrix,
    pub scenarios: Vec<Scenario>,
    pub scenarios_dir: PathBuf,
    pub snapshots_dir: PathBuf,
}

/// The migration project under test.
#[derive(Debug, Clone)]
pub struct Project {
    pub tool: ToolKind,
    /// The folder the migration tool runs in (where alembic.ini lives).
    pub dir: PathBuf,
    /// The tool's own configuration file (alembic.ini), absolute.
    pub tool_config: PathBuf,
    pub requirements: Requirements,
    /// Extra environment for every process of the tool.
    pub env: BTreeMap<String, String>,
    /// The table the tool records applied revisions in.
    pub version_table: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    Alembic,
}

/// What is installed into each runtime's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirements {
    /// A requirements file (pip format), absolute.
    File(PathBuf),
    /// Package specifiers, used when no file is given.
    Packages(Vec<String>),
}

/// The axes of the matrix and the cells added to or removed from their product.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub databases: Vec<DatabaseSpec>,
    pub runtimes: Vec<RuntimeSpec>,
    pub include: Vec<CellPattern>,
    pub exclude: Vec<CellPattern>,
}

/// A partial cell description from `include` / `exclude`: unset fields match anything.
#[derive(Debug, Clone, Default)]
pub struct CellPattern {
    pub scenario: Option<String>,
    pub database: Option<DatabaseSpec>,
    pub runtime: Option<RuntimeSpec>,
}

impl Config {
    /// Reads and validates `path` and every scenario file it points at.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read(path)?;
        let file = SourceFile::new(path, text);
        harness_file::parse(&file)
    }

    /// The scenario with this name, if any.
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}

pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|err| {
        let error = ConfigError::file(path, format!("cannot read the file: {err}"));
        if err.kind() == std::io::ErrorKind::NotFound {
            error.with_help(
                "check the path, or run from the folder that holds harness.toml (or pass --config)",
            )
        } else {
            error
        }
    })
}

/// Parses TOML into `T`, turning a parse or type error into a located [`ConfigError`].
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
) -> Result<T, ConfigError> {
    toml::from_str(&file.text).map_err(|err| {
        let at = err
            .span()
            .map_or_else(|| file.start(), |span| file.location(span.start));
        ConfigError::at(at, err.message().trim_end().to_string())
    })
}
