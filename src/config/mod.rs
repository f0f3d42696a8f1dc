//! `harness.toml` and the scenario files: the serde model, its validation, and the validated types the
//! rest of the harness works from. Every problem is a [`ConfigError`] pointing at file:line:col.
//! Reads files only; starts nothing.

mod database;
pub mod env_vars;
mod error;
mod expect;
mod harness_file;
mod requirements;
mod revision;
mod runtime;
mod scenario;
mod secrets;
mod service;
mod source;
mod spec;
mod table_sizes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use database::{BackendChoice, DatabaseSettings, ImageFlavour, SecretUrl, redact};
pub use error::{ConfigError, Place};
pub use expect::{Expect, Expectations, LockLimits, Outcome, Pattern, QueryCheck, Selector};
pub use requirements::Requirements;
pub use runtime::{RuntimeBackend, RuntimeSettings};
pub use scenario::{
    FromRef, Interrupt, Kind, ModelsOptions, RevRef, RollingOrder, Scenario, SnapshotOptions,
    SqlOrigin, SqlText, Step, StepKind,
};
pub use secrets::Secrets;
pub use service::{BadBackend, ServiceKind, ServiceSpec, variables as service_variables};
pub use source::{Location, SourceFile};
pub use spec::{DatabaseSpec, EngineKind, RuntimeSpec, SpecError};

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
    /// `[runtime]`: where the migration tool runs.
    pub runtime: RuntimeSettings,
    pub scenarios: Vec<Scenario>,
    pub scenarios_dir: PathBuf,
    pub snapshots_dir: PathBuf,
    /// Other harness configurations run together with this one (`members = [...]`).
    pub members: Vec<Member>,
    /// For a member: its name, which prefixes its cell ids (`tenant-upgrade:fresh/sqlite/python-3.12`).
    pub label: Option<String>,
    /// `[lint]`.
    pub lint: LintSettings,
}

/// A member configuration of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// Its harness.toml (or another file name).
    pub file: PathBuf,
}

/// The migration project under test.
#[derive(Debug, Clone)]
pub struct Project {
    pub tool: ToolKind,
    /// The folder the migration tool runs in (where alembic.ini lives).
    pub dir: PathBuf,
    /// How the tool is started.
    pub tool_config: ToolConfig,
    pub requirements: Requirements,
    /// Extra environment for every process of the tool.
    pub env: BTreeMap<String, String>,
    /// The table the tool records applied revisions in; `None` when it keeps none.
    pub version_table: Option<String>,
    /// Folders put first on PYTHONPATH for every process of the tool, absolute.
    pub pythonpath: Vec<PathBuf>,
    /// The folder holding env.py when alembic.ini does not name a usable one, absolute.
    pub script_location: Option<PathBuf>,
    /// The section of alembic.ini that configures the project when it is not `[alembic]`
    /// (`alembic -n NAME`).
    pub section: Option<String>,
    /// What a tool process does when the project opens an engine on another database.
    pub foreign_urls: ForeignUrls,
    /// How a fresh install gets its schema when it is not by migrating an empty database.
    pub bootstrap: Option<Bootstrap>,
    /// Alembic options env.py reads the URL from besides `sqlalchemy.url` (`url`, or
    /// `section:key`): each is set to the cell's URL.
    pub url_options: Vec<String>,
    /// The folders of other Alembic projects on the same database whose chains are upgraded to
    /// head before this project's steps (a plugin's migrations that need the core's schema),
    /// absolute. After a bootstrap they are stamped at their heads first.
    pub upgrade_first: Vec<PathBuf>,
    /// Servers besides the database the project connects to when it starts (`services`),
    /// started once per run.
    pub services: Vec<ServiceSpec>,
}

/// How the project creates a fresh install's schema, for a project that does not migrate from an
/// empty database (`project.bootstrap`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    /// The tables of env.py's `target_metadata` (or of `[models] metadata`, the MetaData it names)
    /// created, then the version table stamped at the heads.
    Models { metadata: Option<String> },
    /// The project's own command, run in the project folder with the cell's URL.
    Command(Vec<String>),
}

impl Bootstrap {
    /// As a step label reads it.
    pub fn label(&self) -> String {
        match self {
            Bootstrap::Models { .. } => {
                "bootstrap from the models (create_all, stamp heads)".into()
            }
            Bootstrap::Command(argv) => format!("bootstrap: {}", argv.join(" ")),
        }
    }
}

impl Project {
    /// The project of a chain in [`Self::upgrade_first`]: its own folder and alembic.ini, this
    /// project's environment and requirements.
    pub fn chain(&self, dir: &Path) -> Project {
        Project {
            dir: dir.to_path_buf(),
            tool_config: ToolConfig::Alembic {
                ini: Some(dir.join("alembic.ini")),
            },
            version_table: None,
            script_location: None,
            section: None,
            bootstrap: None,
            upgrade_first: Vec::new(),
            ..self.clone()
        }
    }

    /// The environment of every tool process: `[project.env]` (its `${...}` expanded per cell by
    /// the runtime), `PYTHONPATH` with `pythonpath` first, and the settings the Alembic entry point
    /// reads (`HARNESS_SCRIPT_LOCATION`, `HARNESS_FOREIGN_URLS`).
    pub fn process_env(&self) -> BTreeMap<String, String> {
        let mut env = self.env.clone();
        if !self.pythonpath.is_empty() && !env.contains_key("PYTHONPATH") {
            let mut parts: Vec<String> = self
                .pythonpath
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            if let Ok(inherited) = std::env::var("PYTHONPATH") {
                parts.extend(
                    inherited
                        .split(':')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string),
                );
            }
            env.insert("PYTHONPATH".into(), parts.join(":").replace('$', "$$"));
        }
        if self.tool == ToolKind::Alembic {
            if !self.url_options.is_empty() {
                env.insert(
                    "HARNESS_URL_OPTIONS".into(),
                    self.url_options.join(",").replace('$', "$$"),
                );
            }
            if let Some(location) = &self.script_location {
                env.insert(
                    "HARNESS_SCRIPT_LOCATION".into(),
                    location.display().to_string().replace('$', "$$"),
                );
            }
            if let Some(section) = &self.section {
                env.insert("HARNESS_INI_SECTION".into(), section.replace('$', "$$"));
            }
            env.insert(
                "HARNESS_FOREIGN_URLS".into(),
                self.foreign_urls.name().into(),
            );
        }
        env
    }
}

/// `[project] foreign_urls`: what happens when the project's code creates a SQLAlchemy engine for a
/// database other than the cell's (an env.py or settings module with its own URL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForeignUrls {
    /// The engine is refused before it connects, and the cell fails saying which URL it was.
    #[default]
    Refuse,
    /// The engine is pointed at the cell's database instead.
    Redirect,
}

impl ForeignUrls {
    pub fn name(self) -> &'static str {
        match self {
            ForeignUrls::Refuse => "refuse",
            ForeignUrls::Redirect => "redirect",
        }
    }
}

/// `[lint]`: settings for `harness lint` and the checks that use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintSettings {
    /// The width of the version column, when the project widened it.
    pub version_length: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    Alembic,
    Command,
}

/// The tool-specific part of `[project]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolConfig {
    /// alembic.ini, absolute; `None` when the project has none and `script_location` names the
    /// folder holding env.py.
    Alembic { ini: Option<PathBuf> },
    /// A program that upgrades a database to its latest state; the URL goes in `url_env`.
    Command {
        upgrade: Vec<String>,
        url_env: String,
    },
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

    /// This configuration followed by its members (each loaded and labelled), in the order written.
    pub fn load_workspace(path: &Path) -> Result<Vec<Self>, ConfigError> {
        let root = Self::load(path)?;
        let mut all = Vec::with_capacity(root.members.len() + 1);
        for member in &root.members {
            let mut config = Self::load(&member.file)?;
            if !config.members.is_empty() {
                return Err(ConfigError::file(
                    &member.file,
                    "a member cannot have members of its own",
                )
                .with_help("list every member in the root harness.toml"));
            }
            config.label = Some(member.name.clone());
            all.push(config);
        }
        all.insert(0, root);
        Ok(all)
    }

    /// A path as messages show it: relative to the working folder when below it.
    pub fn display_path(&self, path: &Path) -> PathBuf {
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|cwd| std::path::absolute(cwd).ok());
        match cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
            Some(relative) => relative.to_path_buf(),
            None => path.strip_prefix(&self.root).unwrap_or(path).to_path_buf(),
        }
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
        let message = err.message().trim_end().to_string();
        let help = unknown_key_help(&message);
        let error = ConfigError::at(at, message);
        match help {
            Some(help) => error.with_help(help),
            None => error,
        }
    })
}

/// "did you mean `query`?" for serde's "unknown field `qurey`, expected one of `sql`, `query`..."
/// (and the same for an unknown variant).
fn unknown_key_help(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (given, allowed) = rest.split_once('`')?;
    let allowed = allowed.split_once("expected ")?.1;
    let names: Vec<&str> = allowed.split('`').skip(1).step_by(2).collect();
    crate::words::closest(given, names).map(|name| format!("did you mean `{name}`?"))
}
