//! `harness.toml`: the serde model and its conversion into a validated [`Config`], including loading
//! every scenario file of the scenarios folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{
    BackendChoice, Bootstrap, CellPattern, Config, ConfigError, DatabaseSettings, DatabaseSpec,
    ForeignUrls, ImageFlavour, Kind, Matrix, Member, Project, Requirements, RuntimeBackend,
    RuntimeSettings, RuntimeSpec, SecretUrl, SourceFile, StepKind, ToolConfig, ToolKind,
    parse_toml, scenario,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHarness {
    project: RawProject,
    #[serde(default)]
    matrix: RawMatrix,
    #[serde(default)]
    paths: RawPaths,
    #[serde(default)]
    runtime: RawRuntimeSection,
    #[serde(default)]
    runtimes: BTreeMap<String, Spanned<RawRuntime>>,
    #[serde(default)]
    databases: BTreeMap<String, Spanned<RawDatabase>>,
    #[serde(default)]
    services: BTreeMap<String, Spanned<RawService>>,
    #[serde(default)]
    builtins: Vec<Spanned<String>>,
    #[serde(default)]
    members: Vec<Spanned<RawMember>>,
    #[serde(default)]
    lint: RawLint,
    models: Option<scenario::RawModels>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    backend: Option<Spanned<BackendChoice>>,
    image: Option<Spanned<String>>,
    flavour: Option<ImageFlavour>,
    bin_dir: Option<String>,
    url: Option<Spanned<String>>,
    #[serde(default)]
    allow_external: bool,
}

/// `[services.NAME]`: how a service of `[project] services` is started.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    backend: Option<Spanned<BackendChoice>>,
    image: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a folder holding harness.toml, or { name = \"...\", config = \"path/to/file.toml\" }"
)]
enum RawMember {
    Folder(String),
    Named { name: String, config: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    tool: ToolKind,
    #[serde(default = "dot")]
    path: Spanned<String>,
    config: Option<Spanned<String>>,
    requirements: Option<Spanned<OneOrMany>>,
    packages: Option<Vec<String>>,
    #[serde(default)]
    pythonpath: Vec<Spanned<String>>,
    script_location: Option<Spanned<String>>,
    section: Option<String>,
    #[serde(default)]
    foreign_urls: ForeignUrls,
    #[serde(default)]
    env: BTreeMap<String, String>,
    version_table: Option<String>,
    upgrade: Option<Spanned<Vec<String>>>,
    url_env: Option<String>,
    bootstrap: Option<Spanned<RawBootstrap>>,
    #[serde(default)]
    url_options: Vec<Spanned<String>>,
    #[serde(default)]
    upgrade_first: Vec<Spanned<String>>,
    #[serde(default)]
    services: Vec<Spanned<String>>,
}

/// `bootstrap = "models"` or `bootstrap = { command = [...] }`.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "\"models\", or a table { command = [\"program\", \"arg\"] }"
)]
enum RawBootstrap {
    Named(String),
    Command { command: Vec<String> },
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a file name, or a list of file names")]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(one) => vec![one.as_str()],
            OneOrMany::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLint {
    version_length: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    #[serde(default = "default_databases")]
    databases: Vec<Spanned<String>>,
    #[serde(default = "default_runtimes")]
    runtimes: Vec<Spanned<String>>,
    #[serde(default)]
    include: Vec<Spanned<RawPattern>>,
    #[serde(default)]
    exclude: Vec<Spanned<RawPattern>>,
}

impl Default for RawMatrix {
    fn default() -> Self {
        Self {
            databases: default_databases(),
            runtimes: default_runtimes(),
            include: vec![],
            exclude: vec![],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    scenario: Option<Spanned<String>>,
    database: Option<Spanned<String>>,
    runtime: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    #[serde(default = "default_scenarios")]
    scenarios: Spanned<String>,
    #[serde(default = "default_snapshots")]
    snapshots: String,
}

impl Default for RawPaths {
    fn default() -> Self {
        Self {
            scenarios: default_scenarios(),
            snapshots: default_snapshots(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntime {
    interpreter: Option<String>,
    image: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRuntimeSection {
    #[serde(default)]
    backend: RuntimeBackend,
    ca_bundle: Option<Spanned<String>>,
    add_drivers: Option<bool>,
}

fn dot() -> Spanned<String> {
    Spanned::new(0..0, ".".to_string())
}
fn default_databases() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "sqlite".to_string())]
}
fn default_runtimes() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "python:3".to_string())]
}
fn default_scenarios() -> Spanned<String> {
    Spanned::new(0..0, "scenarios".to_string())
}
fn default_snapshots() -> String {
    "snapshots".to_string()
}

/// Parses and validates a harness.toml held in `file`.
/// `[project]`'s tool: Alembic with its alembic.ini (or none, with `script_location`), or an
/// upgrade command.
fn tool_config(
    file: &SourceFile,
    project: &RawProject,
    project_dir: &Path,
) -> Result<ToolConfig, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    Ok(match project.tool {
        ToolKind::Alembic => {
            if let Some(upgrade) = &project.upgrade {
                return Err(ConfigError::at(
                    at(upgrade.span()),
                    "`upgrade` belongs to tool = \"command\"",
                )
                .with_help("Alembic projects are upgraded by Alembic itself; remove `upgrade`"));
            }
            let (path, span) = match &project.config {
                Some(config) => (project_dir.join(config.get_ref()), config.span()),
                None => (project_dir.join("alembic.ini"), project.path.span()),
            };
            if path.is_file() {
                ToolConfig::Alembic { ini: Some(path) }
            } else if project.config.is_none() && project.script_location.is_some() {
                // No alembic.ini: Alembic runs from an in-memory configuration.
                ToolConfig::Alembic { ini: None }
            } else {
                return Err(ConfigError::at(at(span), format!("no Alembic configuration at `{}`", path.display()))
                    .with_help("set `project.config` to the alembic.ini of the migration project (relative to `project.path`), or, for a project without one, `project.script_location` to the folder holding env.py"));
            }
        }
        ToolKind::Command => match &project.upgrade {
            Some(upgrade)
                if upgrade
                    .get_ref()
                    .first()
                    .is_some_and(|p| !p.trim().is_empty()) =>
            {
                ToolConfig::Command {
                    upgrade: upgrade.get_ref().clone(),
                    url_env: project
                        .url_env
                        .clone()
                        .unwrap_or_else(|| "DATABASE_URL".to_string()),
                }
            }
            Some(upgrade) => {
                return Err(ConfigError::at(
                    at(upgrade.span()),
                    "`upgrade` needs a program",
                ));
            }
            None => {
                return Err(ConfigError::file(file.path(), "tool = \"command\" needs `upgrade`, the command that upgrades a database")
                    .with_help("e.g. upgrade = [\"python\", \"scripts/upgrade.py\"]; the database URL is passed in DATABASE_URL (see `url_env`)"));
            }
        },
    })
}

/// `[project] url_options`: Alembic option names, for Alembic projects only.
fn check_url_options(file: &SourceFile, project: &RawProject) -> Result<(), ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    for option in &project.url_options {
        let text = option.get_ref();
        let bad = text.trim().is_empty() || text.contains(',') || text.split(':').count() > 2;
        if bad || project.tool != ToolKind::Alembic {
            return Err(ConfigError::at(
                at(option.span()),
                if bad {
                    format!("`{text}` is not an Alembic option name")
                } else {
                    "`url_options` belongs to tool = \"alembic\"".to_string()
                },
            )
            .with_help("name the option env.py reads the URL from, e.g. url_options = [\"url\"] for config.get_main_option(\"url\"), or \"section:key\" for get_section_option"));
        }
    }
    Ok(())
}

/// `[project] bootstrap`: `"models"` (Alembic only) or `{ command = [...] }`.
fn bootstrap(file: &SourceFile, project: &RawProject) -> Result<Option<Bootstrap>, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    Ok(match &project.bootstrap {
        None => None,
        Some(spanned) => Some(match spanned.get_ref() {
            RawBootstrap::Named(name) if name == "models" => {
                if project.tool != ToolKind::Alembic {
                    return Err(ConfigError::at(
                        at(spanned.span()),
                        "`bootstrap = \"models\"` needs tool = \"alembic\": the models are env.py's target_metadata",
                    )
                    .with_help("give the project's own command instead: bootstrap = { command = [\"python\", \"-m\", \"app\", \"init-db\"] }"));
                }
                Bootstrap::Models { metadata: None }
            }
            RawBootstrap::Named(other) => {
                return Err(ConfigError::at(
                    at(spanned.span()),
                    format!("unknown bootstrap `{other}`"),
                )
                .with_help("write bootstrap = \"models\" (the models' tables created and stamped at head) or bootstrap = { command = [\"program\", \"arg\"] }"));
            }
            RawBootstrap::Command { command }
                if command.first().is_some_and(|p| !p.trim().is_empty()) =>
            {
                Bootstrap::Command(command.clone())
            }
            RawBootstrap::Command { .. } => {
                return Err(ConfigError::at(
                    at(spanned.span()),
                    "`bootstrap.command` needs a program",
                ));
            }
        }),
    })
}

/// `[project] requirements` and `packages`; without either, the project folder's
/// requirements.txt, else Alembic alone.
fn requirements_of(
    file: &SourceFile,
    project: &RawProject,
    root: &Path,
    project_dir: &Path,
) -> Result<Requirements, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    let mut requirements = Requirements::packages(Vec::new(), root.to_path_buf());
    if let Some(files) = &project.requirements {
        for name in files.get_ref().items() {
            let path = root.join(name);
            if !path.is_file() {
                return Err(ConfigError::at(
                    at(files.span()),
                    format!("the requirements file `{}` does not exist", path.display()),
                )
                .with_help("`project.requirements` is relative to harness.toml's folder"));
            }
            requirements.files.push(path);
        }
    }
    if let Some(packages) = &project.packages {
        requirements.packages = packages.clone();
    }
    if project.requirements.is_none() && project.packages.is_none() {
        match project_dir.join("requirements.txt") {
            path if path.is_file() => requirements.files.push(path),
            _ if project.tool == ToolKind::Alembic => {
                requirements.packages.push("alembic".to_string())
            }
            _ => {}
        }
    }
    Ok(requirements)
}

/// `[project] pythonpath`: folders that exist, relative to harness.toml's.
fn pythonpath_of(
    file: &SourceFile,
    project: &RawProject,
    root: &Path,
) -> Result<Vec<PathBuf>, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    let mut pythonpath = Vec::new();
    for entry in &project.pythonpath {
        let path = root.join(entry.get_ref());
        if !path.is_dir() {
            return Err(ConfigError::at(
                at(entry.span()),
                format!("the folder `{}` does not exist", path.display()),
            )
            .with_help("`project.pythonpath` lists folders relative to harness.toml's folder, put first on PYTHONPATH"));
        }
        pythonpath.push(path);
    }
    Ok(pythonpath)
}

/// `[project] script_location`: a folder holding env.py, for Alembic projects only.
fn script_location_of(
    file: &SourceFile,
    project: &RawProject,
    project_dir: &Path,
) -> Result<Option<PathBuf>, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    Ok(match &project.script_location {
        Some(location) if project.tool == ToolKind::Alembic => {
            let path = project_dir.join(location.get_ref());
            if !path.join("env.py").is_file() {
                return Err(ConfigError::at(
                    at(location.span()),
                    format!("no env.py in `{}`", path.display()),
                )
                .with_help("`project.script_location` is the folder holding env.py, relative to `project.path`"));
            }
            Some(path)
        }
        Some(location) => {
            return Err(ConfigError::at(
                at(location.span()),
                "`script_location` belongs to tool = \"alembic\"",
            ));
        }
        None => None,
    })
}

/// `[project] upgrade_first`: the folders (relative to harness.toml's) of the Alembic projects whose
/// chains run before this one's, each holding its alembic.ini.
fn upgrade_first_of(
    file: &SourceFile,
    project: &RawProject,
    root: &Path,
) -> Result<Vec<PathBuf>, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    let mut dirs = Vec::new();
    for folder in &project.upgrade_first {
        if project.tool != ToolKind::Alembic {
            return Err(ConfigError::at(
                at(folder.span()),
                "`upgrade_first` belongs to tool = \"alembic\"",
            ));
        }
        let dir = absolute(&root.join(folder.get_ref()));
        if !dir.join("alembic.ini").is_file() {
            return Err(ConfigError::at(
                at(folder.span()),
                format!("no alembic.ini in `{}`", dir.display()),
            )
            .with_help("each entry of `upgrade_first` is the folder of another Alembic project (where its alembic.ini is), relative to harness.toml's folder"));
        }
        dirs.push(dir);
    }
    Ok(dirs)
}

/// `[project] services` with their `[services.NAME]` tables.
fn services_of(
    file: &SourceFile,
    project: &RawProject,
    tables: &BTreeMap<String, Spanned<RawService>>,
) -> Result<Vec<super::ServiceSpec>, ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    let known = || {
        super::ServiceKind::ALL
            .iter()
            .map(|kind| format!("\"{}\"", kind.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut services: Vec<super::ServiceSpec> = Vec::new();
    for entry in &project.services {
        let Some(mut spec) = super::ServiceSpec::parse(entry.get_ref()) else {
            return Err(ConfigError::at(
                at(entry.span()),
                format!("`{}` is not a service the harness can start", entry.get_ref()),
            )
            .with_help(format!(
                "the services are {} (optionally with the image's tag: \"redis:7\"); a database goes in [matrix] databases",
                known()
            )));
        };
        if services.iter().any(|seen| seen.kind == spec.kind) {
            return Err(ConfigError::at(
                at(entry.span()),
                format!("`{}` is listed twice in `services`", spec.kind.name()),
            ));
        }
        if let Some(table) = tables.get(spec.kind.name()) {
            let table = table.get_ref();
            if let Some(backend) = &table.backend {
                if *backend.get_ref() == BackendChoice::External {
                    return Err(ConfigError::at(
                        at(backend.span()),
                        "a service has no external backend",
                    )
                    .with_help("use auto, container or local"));
                }
                spec.backend = *backend.get_ref();
            }
            if let Some(image) = &table.image {
                if !is_image_reference(image.get_ref()) {
                    return Err(ConfigError::at(
                        at(image.span()),
                        format!("`{}` is not an image reference", image.get_ref()),
                    ));
                }
                spec.image = Some(image.get_ref().trim().to_string());
            }
        }
        services.push(spec);
    }
    for (name, table) in tables {
        if !services.iter().any(|spec| spec.kind.name() == name) {
            return Err(ConfigError::at(
                at(table.span()),
                format!("[services.{name}] configures a service `services` does not list"),
            )
            .with_help(format!(
                "list it under [project] (services = [\"{name}\"]), or remove the table; the services are {}",
                known()
            )));
        }
    }
    Ok(services)
}

pub(super) fn parse(file: &SourceFile) -> Result<Config, ConfigError> {
    let raw: RawHarness = parse_toml(file)?;
    let root = absolute(file.path().parent().unwrap_or(Path::new(".")));
    let project = ProjectParts::read(file, &raw, &root)?;
    let version_length = version_length_of(file, &raw.lint)?;
    let entries = EntrySettings::read(file, &raw, &root)?;
    let ca_bundle = ca_bundle_of(file, &raw.runtime, &root)?;
    let databases = unique(
        &raw.matrix.databases,
        |text| entries.database(text),
        "matrix.databases",
        file,
    )?;
    let runtimes = unique(
        &raw.matrix.runtimes,
        |text| entries.runtime(text),
        "matrix.runtimes",
        file,
    )?;
    if databases.is_empty() || runtimes.is_empty() {
        return Err(
            ConfigError::at(file.start(), "the matrix is empty").with_help(
                "list at least one entry in `matrix.databases` and one in `matrix.runtimes`",
            ),
        );
    }

    // Scenario files are read through the path as the user gave it, so messages show short paths.
    let shown_root = file.path().parent().unwrap_or(Path::new(""));
    let scenarios_path = raw.paths.scenarios.get_ref();
    let scenarios_dir = shown_root.join(scenarios_path);
    // Built-ins alone need no scenarios folder.
    let mut scenarios = if !raw.builtins.is_empty() && !scenarios_dir.exists() {
        Vec::new()
    } else {
        load_scenarios(
            &scenarios_dir,
            file.location(raw.paths.scenarios.span().start),
        )?
    };
    let models = scenario::models_options(file, raw.models.unwrap_or_default())?;
    add_builtins(file, &raw.builtins, &models, &mut scenarios)?;
    check_scenarios(&scenarios, raw.project.tool)?;
    if project.bootstrap.is_some() {
        check_bootstrapped(&scenarios)?;
    }
    let names: BTreeSet<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let (include, exclude) = patterns_of(file, &raw.matrix, &entries, &names)?;
    let members = members_of(file, &raw.members, shown_root)?;
    Ok(Config {
        members,
        label: None,
        file: file.path().to_path_buf(),
        root: root.clone(),
        project: project.into_project(raw.project, models.metadata.clone()),
        matrix: Matrix {
            databases,
            runtimes,
            include,
            exclude,
        },
        runtime: RuntimeSettings {
            backend: raw.runtime.backend,
            ca_bundle,
            keep_drivers_out: raw.runtime.add_drivers == Some(false),
        },
        scenarios,
        scenarios_dir: root.join(scenarios_path),
        snapshots_dir: root.join(&raw.paths.snapshots),
        lint: super::LintSettings { version_length },
    })
}

/// `[project]` (and the `[services.NAME]` tables its `services` configure), checked.
struct ProjectParts {
    dir: PathBuf,
    tool_config: ToolConfig,
    bootstrap: Option<Bootstrap>,
    requirements: super::Requirements,
    pythonpath: Vec<PathBuf>,
    script_location: Option<PathBuf>,
    upgrade_first: Vec<PathBuf>,
    services: Vec<super::ServiceSpec>,
}

impl ProjectParts {
    fn read(file: &SourceFile, raw: &RawHarness, root: &Path) -> Result<Self, ConfigError> {
        let project = &raw.project;
        // `path = "."` (the default) is the root itself: tracebacks are matched against this text.
        let dir: PathBuf = root
            .join(project.path.get_ref())
            .components()
            .filter(|part| *part != std::path::Component::CurDir)
            .collect();
        if !dir.is_dir() {
            return Err(ConfigError::at(
                file.location(project.path.span().start),
                format!("the project folder `{}` does not exist", dir.display()),
            )
            .with_help("`project.path` is relative to harness.toml's folder"));
        }
        let tool_config = tool_config(file, project, &dir)?;
        check_url_options(file, project)?;
        let bootstrap = bootstrap(file, project)?;
        let requirements = requirements_of(file, project, root, &dir)?;
        let pythonpath = pythonpath_of(file, project, root)?;
        let script_location = script_location_of(file, project, &dir)?;
        let upgrade_first = upgrade_first_of(file, project, root)?;
        let services = services_of(file, project, &raw.services)?;
        check_env_references(file, &project.env, &services)?;
        Ok(Self {
            dir,
            tool_config,
            bootstrap,
            requirements,
            pythonpath,
            script_location,
            upgrade_first,
            services,
        })
    }

    /// The project, `[models] metadata` naming what `bootstrap = "models"` creates.
    fn into_project(self, raw: RawProject, metadata: Option<String>) -> Project {
        Project {
            tool: raw.tool,
            dir: self.dir,
            tool_config: self.tool_config,
            requirements: self.requirements,
            env: raw.env,
            pythonpath: self.pythonpath,
            script_location: self.script_location,
            section: raw
                .section
                .filter(|s| !s.trim().is_empty() && s != "alembic"),
            foreign_urls: raw.foreign_urls,
            url_options: raw
                .url_options
                .iter()
                .map(|o| o.get_ref().clone())
                .collect(),
            upgrade_first: self.upgrade_first,
            services: self.services,
            bootstrap: self.bootstrap.map(|b| match b {
                Bootstrap::Models { .. } => Bootstrap::Models { metadata },
                other => other,
            }),
            version_table: match raw.version_table {
                Some(name) if name.is_empty() => None,
                Some(name) => Some(name),
                None if raw.tool == ToolKind::Alembic => Some("alembic_version".to_string()),
                None => None,
            },
        }
    }
}

/// `[lint] version_length`.
fn version_length_of(file: &SourceFile, lint: &RawLint) -> Result<Option<usize>, ConfigError> {
    match &lint.version_length {
        Some(length) if *length.get_ref() == 0 => Err(ConfigError::at(
            file.location(length.span().start),
            "`lint.version_length` must be at least 1",
        )),
        Some(length) => Ok(Some(*length.get_ref())),
        None => Ok(None),
    }
}

/// `[runtime] ca_bundle`, which must name a file.
fn ca_bundle_of(
    file: &SourceFile,
    runtime: &RawRuntimeSection,
    root: &Path,
) -> Result<Option<PathBuf>, ConfigError> {
    let Some(path) = &runtime.ca_bundle else {
        return Ok(None);
    };
    let full = root.join(path.get_ref());
    if !full.is_file() {
        return Err(ConfigError::at(
            file.location(path.span().start),
            format!("the CA bundle `{}` does not exist", full.display()),
        )
        .with_help("`runtime.ca_bundle` names a PEM file on this machine, e.g. /etc/ssl/certs/ca-certificates.crt; remove it to mount none"));
    }
    Ok(Some(full))
}

/// What `[runtimes."..."]` and `[databases."..."]` add to the matrix's entries.
struct EntrySettings<'f> {
    file: &'f SourceFile,
    runtime_paths: BTreeMap<String, PathBuf>,
    runtime_images: BTreeMap<String, String>,
    databases: Vec<(DatabaseSpec, DatabaseSettings)>,
}

impl<'f> EntrySettings<'f> {
    fn read(file: &'f SourceFile, raw: &RawHarness, root: &Path) -> Result<Self, ConfigError> {
        let at = |span: std::ops::Range<usize>| file.location(span.start);
        let mut runtime_paths = BTreeMap::new();
        let mut runtime_images = BTreeMap::new();
        for (key, runtime) in &raw.runtimes {
            let spec = RuntimeSpec::parse(key)
                .map_err(|msg| ConfigError::at(at(runtime.span()), msg.to_string()))?;
            if let Some(interpreter) = &runtime.get_ref().interpreter {
                runtime_paths.insert(spec.key(), root.join(interpreter));
            }
            if let Some(image) = &runtime.get_ref().image {
                if !is_image_reference(image.get_ref()) {
                    return Err(ConfigError::at(
                        at(image.span()),
                        format!("`{}` is not an image name", image.get_ref()),
                    )
                    .with_help("write an image reference such as `python:3.12-slim` or `registry.example.com/team/python:3.12`"));
                }
                runtime_images.insert(spec.key(), image.get_ref().trim().to_string());
            }
        }
        let mut databases: Vec<(DatabaseSpec, DatabaseSettings)> = Vec::new();
        for (key, raw_db) in &raw.databases {
            let spec = DatabaseSpec::parse(key).map_err(|msg| {
                ConfigError::at(at(raw_db.span()), format!("[databases.\"{key}\"]: {msg}"))
            })?;
            let settings = database_settings_of(&spec, raw_db, root, &at)?;
            let listed = raw.matrix.databases.iter().chain(
                raw.matrix
                    .include
                    .iter()
                    .filter_map(|p| p.get_ref().database.as_ref()),
            );
            let mut listed = listed.filter_map(|text| DatabaseSpec::parse(text.get_ref()).ok());
            if !listed.any(|other| other == spec) {
                return Err(ConfigError::at(
                    at(raw_db.span()),
                    format!("[databases.\"{key}\"] configures an entry the matrix does not list"),
                )
                .with_help(format!(
                    "add \"{key}\" to `matrix.databases`, or fix the key (it must match an entry)"
                )));
            }
            databases.push((spec, settings));
        }
        Ok(Self {
            file,
            runtime_paths,
            runtime_images,
            databases,
        })
    }

    fn runtime(&self, text: &Spanned<String>) -> Result<RuntimeSpec, ConfigError> {
        let mut spec = RuntimeSpec::parse(text.get_ref()).map_err(|msg| {
            ConfigError::at(self.file.location(text.span().start), msg.to_string())
        })?;
        spec.interpreter = self.runtime_paths.get(&spec.key()).cloned();
        spec.image = self.runtime_images.get(&spec.key()).cloned();
        Ok(spec)
    }

    fn database(&self, text: &Spanned<String>) -> Result<DatabaseSpec, ConfigError> {
        let mut spec = DatabaseSpec::parse(text.get_ref()).map_err(|msg| {
            ConfigError::at(self.file.location(text.span().start), msg.to_string())
        })?;
        if let Some((_, settings)) = self.databases.iter().find(|(s, _)| *s == spec) {
            spec.settings = settings.clone();
        }
        Ok(spec)
    }
}

/// `[matrix] include` and `exclude`, each entry naming known scenarios; an include a whole cell.
fn patterns_of(
    file: &SourceFile,
    matrix: &RawMatrix,
    entries: &EntrySettings<'_>,
    names: &BTreeSet<&str>,
) -> Result<(Vec<CellPattern>, Vec<CellPattern>), ConfigError> {
    let at = |span: std::ops::Range<usize>| file.location(span.start);
    let pattern = |raw: &Spanned<RawPattern>| -> Result<CellPattern, ConfigError> {
        let p = raw.get_ref();
        if p.scenario.is_none() && p.database.is_none() && p.runtime.is_none() {
            return Err(
                ConfigError::at(at(raw.span()), "an include/exclude entry names nothing")
                    .with_help("give at least one of `scenario`, `database`, `runtime`"),
            );
        }
        if let Some(scenario) = &p.scenario
            && !names.contains(scenario.get_ref().as_str())
        {
            return Err(ConfigError::at(
                at(scenario.span()),
                format!("unknown scenario `{}`", scenario.get_ref()),
            )
            .with_help(format!(
                "scenarios: {}",
                names.iter().copied().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(CellPattern {
            scenario: p.scenario.as_ref().map(|s| s.get_ref().clone()),
            database: p
                .database
                .as_ref()
                .map(|text| entries.database(text))
                .transpose()?,
            runtime: p
                .runtime
                .as_ref()
                .map(|text| entries.runtime(text))
                .transpose()?,
        })
    };
    let include = matrix
        .include
        .iter()
        .map(&pattern)
        .collect::<Result<Vec<_>, _>>()?;
    let exclude = matrix
        .exclude
        .iter()
        .map(&pattern)
        .collect::<Result<Vec<_>, _>>()?;
    for (raw_entry, entry) in matrix.include.iter().zip(&include) {
        if entry.scenario.is_none() || entry.database.is_none() || entry.runtime.is_none() {
            return Err(ConfigError::at(
                at(raw_entry.span()),
                "an include entry must name a whole cell",
            )
            .with_help("give `scenario`, `database` and `runtime`"));
        }
    }
    Ok((include, exclude))
}

/// `members`: each a folder holding harness.toml or `{ name, config }`, with a unique name.
fn members_of(
    file: &SourceFile,
    raw: &[Spanned<RawMember>],
    shown_root: &Path,
) -> Result<Vec<Member>, ConfigError> {
    let mut members: Vec<Member> = Vec::new();
    for member in raw {
        let at = file.location(member.span().start);
        let (name, path) = match member.get_ref() {
            RawMember::Folder(folder) => {
                let name = Path::new(folder)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                (name, shown_root.join(folder).join(super::DEFAULT_FILE))
            }
            RawMember::Named { name, config } => (name.clone(), shown_root.join(config)),
        };
        if !path.is_file() {
            return Err(ConfigError::at(at, format!("no configuration at `{}`", path.display()))
                .with_help("a member is a folder holding harness.toml, or { name, config } naming the file"));
        }
        if name.is_empty() || name.contains(['/', ':']) || members.iter().any(|m| m.name == name) {
            return Err(ConfigError::at(
                at,
                format!("member name `{name}` is empty, holds `/` or `:`, or is used twice"),
            )
            .with_help("name it with { name = \"...\", config = \"...\" }"));
        }
        members.push(Member { name, file: path });
    }
    Ok(members)
}

/// Every `${NAME}` in `[project.env]` names a cell variable or one this process has.
fn check_env_references(
    file: &SourceFile,
    env: &BTreeMap<String, String>,
    services: &[super::ServiceSpec],
) -> Result<(), ConfigError> {
    const CELL: &[&str] = &[
        "DATABASE_URL",
        "HARNESS_DATABASE_URL",
        "HARNESS_SQLITE_PATH",
        "HARNESS_DATABASE_HOST",
        "HARNESS_DATABASE_PORT",
        "HARNESS_DATABASE_USER",
        "HARNESS_DATABASE_PASSWORD",
        "HARNESS_DATABASE_NAME",
        "HARNESS_DATABASE_ENGINE",
        "HARNESS_DATABASE_DIALECT",
        super::env_vars::CELL_DIR,
        super::env_vars::RUN_SECRET,
    ];
    for (name, value) in env {
        for var in super::env_vars::references(value) {
            let at = || {
                file.text
                    .find(value.as_str())
                    .map_or_else(|| file.start(), |offset| file.location(offset))
            };
            if let Some(kind) = super::ServiceKind::ALL
                .iter()
                .find(|kind| kind.variable() == var)
            {
                if services.iter().any(|spec| spec.kind == *kind) {
                    continue;
                }
                return Err(ConfigError::at(
                    at(),
                    format!(
                        "[project.env] {name} uses ${{{var}}}, which only a run with the service `{}` sets",
                        kind.name()
                    ),
                )
                .with_help(format!(
                    "add services = [\"{}\"] under [project]: the harness starts one for the run",
                    kind.name()
                )));
            }
            if !CELL.contains(&var) && std::env::var_os(var).is_none() {
                return Err(ConfigError::at(
                    at(),
                    format!("[project.env] {name} uses ${{{var}}}, which is not set"),
                )
                .with_help(format!(
                    "the cell's variables are {}; other names come from the environment (write $$ for a literal $)",
                    CELL.join(", ")
                )));
            }
        }
    }
    Ok(())
}

fn is_image_reference(text: &str) -> bool {
    !text.trim().is_empty() && !text.trim().contains(char::is_whitespace)
}

/// Validates one `[databases."..."]` table.
fn database_settings_of(
    spec: &DatabaseSpec,
    raw: &Spanned<RawDatabase>,
    root: &Path,
    at: &dyn Fn(std::ops::Range<usize>) -> super::Location,
) -> Result<DatabaseSettings, ConfigError> {
    let table = raw.get_ref();
    let here = at(raw.span());
    if spec.engine == super::EngineKind::Sqlite {
        return Err(
            ConfigError::at(here, "`sqlite` has no settings: it is a file per cell")
                .with_help("remove the [databases.\"sqlite\"] table"),
        );
    }
    let backend = match (&table.backend, &table.url) {
        (Some(backend), _) => *backend.get_ref(),
        (None, Some(_)) => BackendChoice::External,
        (None, None) => BackendChoice::Auto,
    };
    let backend_at = table
        .backend
        .as_ref()
        .map_or_else(|| here.clone(), |b| at(b.span()));
    if backend == BackendChoice::External {
        let Some(url) = &table.url else {
            return Err(
                ConfigError::at(backend_at, "the external backend needs `url`")
                    .with_help("set `url = \"postgresql://user:password@host:5432/postgres\"`"),
            );
        };
        if !table.allow_external {
            return Err(ConfigError::at(
                at(url.span()),
                format!(
                    "refusing to use the external server at {}: `allow_external` is not set",
                    super::redact(url.get_ref())
                ),
            )
            .with_help(
                "set `allow_external = true` to let the harness create (and drop) one scratch \
                 database per cell on that server; it never writes to a database it did not create",
            ));
        }
    } else if let Some(url) = &table.url {
        return Err(ConfigError::at(
            at(url.span()),
            format!(
                "`url` is only used by the external backend, not `{}`",
                backend.name()
            ),
        )
        .with_help("remove `url`, or set `backend = \"external\"`"));
    }
    if backend == BackendChoice::Local && spec.engine != super::EngineKind::Postgres {
        return Err(ConfigError::at(
            backend_at,
            format!("no local backend for `{spec}`: only PostgreSQL can run as a local server"),
        )
        .with_help("use `backend = \"container\"` or an external server"));
    }
    if let Some(image) = &table.image
        && !matches!(backend, BackendChoice::Auto | BackendChoice::Container)
    {
        return Err(ConfigError::at(
            at(image.span()),
            format!(
                "`image` is only used by containers, not the `{}` backend",
                backend.name()
            ),
        ));
    }
    if let Some(image) = &table.image
        && (image.get_ref().trim().is_empty() || image.get_ref().contains(char::is_whitespace))
    {
        return Err(ConfigError::at(
            at(image.span()),
            format!("`{}` is not an image name", image.get_ref()),
        )
        .with_help(
            "write an image reference such as `postgres:17` or `registry.example.com/pg:17`",
        ));
    }
    Ok(DatabaseSettings {
        backend,
        image: table.image.as_ref().map(|i| i.get_ref().clone()),
        flavour: table.flavour,
        bin_dir: table.bin_dir.as_ref().map(|dir| root.join(dir)),
        url: table
            .url
            .as_ref()
            .map(|u| SecretUrl::new(u.get_ref().clone())),
        allow_external: table.allow_external,
    })
}

fn unique<T: PartialEq>(
    items: &[Spanned<String>],
    convert: impl Fn(&Spanned<String>) -> Result<T, ConfigError>,
    what: &str,
    file: &SourceFile,
) -> Result<Vec<T>, ConfigError> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        let value = convert(item)?;
        if out.contains(&value) {
            return Err(ConfigError::at(
                file.location(item.span().start),
                format!("`{}` is listed twice in {what}", item.get_ref()),
            ));
        }
        out.push(value);
    }
    Ok(out)
}

/// The scenario files of `dir`; `at` is where the configuration names that folder (its start when
/// the default is used), which an unreadable folder is reported at.
fn load_scenarios(dir: &Path, at: super::Location) -> Result<Vec<scenario::Scenario>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        ConfigError::at(
            at,
            format!(
                "cannot read the scenarios folder `{}`: {err}",
                dir.display()
            ),
        )
        .with_help("create it, or set `paths.scenarios` in harness.toml")
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.is_file())
        .collect();
    files.sort();
    let mut scenarios: Vec<scenario::Scenario> = Vec::new();
    for path in files {
        let scenario = scenario::load(&path)?;
        if let Some(other) = scenarios.iter().find(|s| s.name == scenario.name) {
            return Err(ConfigError::file(
                &path,
                format!(
                    "scenario name `{}` is also used by {}",
                    scenario.name,
                    other.file.display()
                ),
            ));
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

/// Adds the built-in scenarios switched on in harness.toml, and `fresh` when a scenario converges
/// with it and no file defines it.
fn add_builtins(
    file: &SourceFile,
    builtins: &[Spanned<String>],
    models: &scenario::ModelsOptions,
    scenarios: &mut Vec<scenario::Scenario>,
) -> Result<(), ConfigError> {
    for builtin in builtins {
        let at = file.location(builtin.span().start);
        let name = builtin.get_ref().as_str();
        if scenarios.iter().any(|s| s.name == name) {
            continue; // a file of that name defines it
        }
        let mut scenario = scenario::Scenario::builtin_fresh(at.clone());
        match name {
            "fresh" => {}
            "roundtrip" => {
                scenario.name = name.to_string();
                scenario.kind = Kind::Roundtrip;
                scenario.description =
                    "Upgrade to head, downgrade to base, upgrade to head again (built in).".into();
                scenario.expect.base.converges_with = Some("fresh".into());
            }
            "stepwise" => {
                scenario.name = name.to_string();
                scenario.kind = Kind::Stepwise;
                scenario.description = "Upgrade one revision at a time (built in).".into();
                scenario.snapshot.enabled = false;
            }
            "locks" => {
                scenario.name = name.to_string();
                scenario.kind = Kind::Locks;
                scenario.description = "Each revision traced on a database of 10,000 rows a table: no rewrite, ACCESS EXCLUSIVE at most 200 ms, no write blocked over 2 s (built in).".into();
                scenario.snapshot.enabled = false;
                scenario.rows = Some(10_000);
                scenario.expect.base.locks = crate::config::LockLimits {
                    max_exclusive_ms: Some(200),
                    max_write_block_ms: Some(2000),
                    forbid_rewrites: true,
                    allow: Vec::new(),
                };
            }
            "rolling" => {
                scenario.name = name.to_string();
                scenario.kind = Kind::Rolling;
                scenario.description = "A rolling deploy from the newest release tag: its models read and write the upgraded database (built in).".into();
                scenario.snapshot.enabled = false;
                scenario.expect.base.converges_with = None;
                scenario.models = models.clone();
            }
            "models" | "stairway" | "fork-order" => {
                scenario.name = name.to_string();
                let (kind, description) = match name {
                    "models" => (
                        Kind::Models,
                        "The models match the schema the migrations build (built in).",
                    ),
                    "stairway" => (
                        Kind::Stairway,
                        "Each revision upgraded, downgraded one step and upgraded again (built in).",
                    ),
                    _ => (
                        Kind::ForkOrder,
                        "Each fork's branches applied in every order (built in).",
                    ),
                };
                scenario.kind = kind;
                scenario.description = description.into();
                scenario.snapshot.enabled = false;
                scenario.models = models.clone();
            }
            other => {
                return Err(
                    ConfigError::at(at, format!("unknown built-in scenario `{other}`")).with_help(
                        "allowed: fresh, roundtrip, stepwise, models, stairway, fork-order, locks, rolling",
                    ),
                );
            }
        }
        scenarios.push(scenario);
    }
    // A scenario that expects its upgrade to fail converges with nothing.
    let needs_fresh = scenarios.iter().any(|s| {
        (s.expect.base.converges_with.as_deref() == Some("fresh")
            && !s.expect.base.expects_failure())
            || s.expect.base.diverges_from.as_deref() == Some("fresh")
            || s.expect.refs.iter().any(|(name, _)| name == "fresh")
    });
    if needs_fresh && !scenarios.iter().any(|s| s.name == "fresh") {
        scenarios.push(scenario::Scenario::builtin_fresh(file.start()));
    }
    if scenarios.is_empty() {
        return Err(ConfigError::file(file.path(), "no scenarios: the scenarios folder holds no *.toml file and no built-in is switched on")
            .with_help("add scenarios/<name>.toml, or `builtins = [\"fresh\", \"roundtrip\"]` in harness.toml"));
    }
    scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

/// With `bootstrap`, a cell starts at the heads (a fresh install made the project's way): a
/// scenario's first upgrade to an older revision would do nothing and test nothing.
fn check_bootstrapped(scenarios: &[scenario::Scenario]) -> Result<(), ConfigError> {
    for scenario in scenarios {
        if scenario.from_ref.is_some() || scenario.kind != Kind::Custom {
            continue;
        }
        let leading = scenario.steps.iter().map_while(|step| match &step.kind {
            StepKind::Upgrade(rev) => Some((step, rev)),
            _ => None,
        });
        for (step, rev) in leading {
            if !matches!(rev.value.as_str(), "head" | "heads") {
                return Err(ConfigError::at(
                    step.at.clone(),
                    format!(
                        "`upgrade {}` does nothing here: with `bootstrap`, every cell starts at the heads, from a fresh install made the project's way",
                        rev.value
                    ),
                )
                .with_help("to test an upgrade from an older state, set `from_ref` to a release (its state is built by the bootstrap with that release's code), or run `harness run --from-tags`; a scenario without steps tests the fresh install"));
            }
        }
    }
    Ok(())
}

/// Cross-scenario checks: referenced scenarios exist; the tool supports the steps used.
fn check_scenarios(scenarios: &[scenario::Scenario], tool: ToolKind) -> Result<(), ConfigError> {
    for scenario in scenarios {
        for (name, at) in &scenario.expect.refs {
            if !scenarios.iter().any(|s| &s.name == name) {
                let known = scenarios
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(
                    ConfigError::at(at.clone(), format!("unknown scenario `{name}`"))
                        .with_help(format!("scenarios: {known}")),
                );
            }
        }
        if scenario.kind != Kind::Locks && scenario.expect.base.locks.is_set() {
            return Err(ConfigError::file(
                &scenario.file,
                "`max_exclusive_ms`, `max_write_block_ms`, `rewrites` and `allow` belong to kind = \"locks\"",
            )
            .with_help("set kind = \"locks\" in this scenario, or remove those keys from [expect]"));
        }
        if tool == ToolKind::Alembic && scenario.upgrade_command.is_some() {
            return Err(ConfigError::file(&scenario.file, "`upgrade_command` belongs to projects with tool = \"command\"")
                .with_help("an Alembic project is always upgraded by Alembic; use `target` to choose the revision"));
        }
        if tool == ToolKind::Command {
            for step in &scenario.steps {
                if matches!(
                    step.kind,
                    StepKind::Upgrade(_) | StepKind::Downgrade(_) | StepKind::Stamp(_)
                ) {
                    return Err(ConfigError::at(step.at.clone(), format!("`{}` needs a tool that knows revisions", step.kind.label()))
                        .with_help("with tool = \"command\", build the starting state with `sql`, `sql_file` or `command` steps"));
                }
            }
            if scenario.target.value != "head" {
                return Err(ConfigError::at(
                    scenario.target.at.clone(),
                    "with tool = \"command\" the target can only be `head`",
                )
                .with_help("the upgrade command always goes to its own latest state"));
            }
            if scenario.kind != Kind::Custom {
                return Err(ConfigError::file(
                    &scenario.file,
                    format!(
                        "the built-in `{}` needs a tool that knows revisions (alembic)",
                        scenario.kind.name()
                    ),
                ));
            }
            if scenario.from_ref.is_some() || scenario.interrupt.is_some() {
                return Err(ConfigError::file(
                    &scenario.file,
                    "`from_ref` and `interrupt` need a tool that knows revisions (alembic)",
                ));
            }
        }
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_alone_need_no_scenarios_folder_and_the_project_folder_has_no_dot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        let path = dir.path().join("harness.toml");
        let text =
            "builtins = [\"models\", \"stairway\"]\n[project]\ntool = \"alembic\"\npath = \".\"\n";
        let config = parse(&SourceFile::new(&path, text.to_string())).unwrap();
        let names: Vec<&str> = config.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["models", "stairway"]);
        assert_eq!(config.project.dir, absolute(dir.path()));
    }

    /// Found by tests/hostile_input.rs: the error named the missing folder but not the file that
    /// names it.
    #[test]
    fn an_unreadable_scenarios_folder_is_reported_where_the_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        let path = dir.path().join("harness.toml");
        let text = "[project]\ntool = \"alembic\"\n\n[paths]\nscenarios = \"'scenarios\"\n";
        let error = parse(&SourceFile::new(&path, text.to_string())).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "{}:5:13: cannot read the scenarios folder `",
                path.display()
            )),
            "{message}"
        );
        assert!(message.contains("'scenarios`"), "{message}");
        // Without `paths.scenarios`, the default folder is reported at the file's start.
        let text = "[project]\ntool = \"alembic\"\n";
        let error = parse(&SourceFile::new(&path, text.to_string())).unwrap_err();
        assert!(
            error.to_string().starts_with(&format!(
                "{}:1:1: cannot read the scenarios folder",
                path.display()
            )),
            "{error}"
        );
    }

    #[test]
    fn services_name_known_servers_and_their_url_needs_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        std::fs::create_dir(dir.path().join("scenarios")).unwrap();
        let path = dir.path().join("harness.toml");
        let parse_with = |project: &str, rest: &str| {
            let text =
                format!("builtins = [\"fresh\"]\n[project]\ntool = \"alembic\"\n{project}\n{rest}");
            parse(&SourceFile::new(&path, text))
        };
        let config = parse_with(
            "services = [\"redis:7\"]\nenv = { APP_REDIS_URL = \"${HARNESS_REDIS_URL}\" }",
            "[services.redis]\nbackend = \"local\"\n",
        )
        .unwrap();
        let [redis] = config.project.services.as_slice() else {
            panic!("{:?}", config.project.services)
        };
        assert_eq!(redis.to_string(), "redis:7");
        assert_eq!(redis.backend, BackendChoice::Local);
        assert_eq!(redis.version.as_deref(), Some("7"));
        let error = parse_with("services = [\"rabbitmq\"]", "")
            .unwrap_err()
            .to_string();
        assert!(error.contains("harness.toml:4:"), "{error}");
        assert!(
            error.contains("`rabbitmq` is not a service the harness can start"),
            "{error}"
        );
        let error = parse_with("", "[services.redis]\nbackend = \"local\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("[services.redis] configures a service `services` does not list"),
            "{error}"
        );
        let error = parse_with("env = { APP_REDIS_URL = \"${HARNESS_REDIS_URL}\" }", "")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("only a run with the service `redis` sets")
                && error.contains("add services = [\"redis\"]"),
            "{error}"
        );
        let error = parse_with(
            "services = [\"redis\"]",
            "[services.redis]\nbackend = \"external\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("a service has no external backend"),
            "{error}"
        );
    }

    #[test]
    fn bootstrap_is_models_or_a_command_and_bad_values_point_at_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        let path = dir.path().join("harness.toml");
        let parse_with = |line: &str| {
            let text = format!(
                "builtins = [\"models\"]\n[project]\ntool = \"alembic\"\n{line}\n[models]\nmetadata = \"app.models:Base.metadata\"\n"
            );
            parse(&SourceFile::new(&path, text))
        };
        let config = parse_with("bootstrap = \"models\"").unwrap();
        assert_eq!(
            config.project.bootstrap,
            Some(Bootstrap::Models {
                metadata: Some("app.models:Base.metadata".into())
            })
        );
        let config = parse_with("bootstrap = { command = [\"app\", \"init-db\"] }").unwrap();
        assert_eq!(
            config.project.bootstrap,
            Some(Bootstrap::Command(vec!["app".into(), "init-db".into()]))
        );
        let error = parse_with("bootstrap = \"modles\"")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(":4:13: unknown bootstrap `modles`"),
            "{error}"
        );
        let error = parse_with("bootstrap = { command = [] }")
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs a program"), "{error}");
    }

    #[test]
    fn upgrade_first_names_folders_of_other_alembic_projects() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        std::fs::create_dir_all(dir.path().join("core/migration")).unwrap();
        std::fs::write(dir.path().join("core/migration/alembic.ini"), "[alembic]\n").unwrap();
        std::fs::create_dir(dir.path().join("scenarios")).unwrap();
        let path = dir.path().join("harness.toml");
        let parse_with = |lines: &str| {
            let text = format!("builtins = [\"fresh\"]\n[project]\n{lines}\n");
            parse(&SourceFile::new(&path, text))
        };
        let config =
            parse_with("tool = \"alembic\"\nupgrade_first = [\"core/migration\"]").unwrap();
        assert_eq!(
            config.project.upgrade_first,
            vec![absolute(&dir.path().join("core/migration"))]
        );
        let chain = config.project.chain(&config.project.upgrade_first[0]);
        assert_eq!(
            chain.tool_config,
            ToolConfig::Alembic {
                ini: Some(config.project.upgrade_first[0].join("alembic.ini"))
            }
        );
        let error = parse_with("tool = \"alembic\"\nupgrade_first = [\"core\"]")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(":4:18: no alembic.ini in")
                && error.contains("relative to harness.toml's folder"),
            "{error}"
        );
        let error = parse_with(
            "tool = \"command\"\nupgrade = [\"migrate\"]\nupgrade_first = [\"core/migration\"]",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("`upgrade_first` belongs to tool = \"alembic\""),
            "{error}"
        );
    }

    #[test]
    fn an_upgrade_to_an_older_revision_after_bootstrap_is_refused_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\n").unwrap();
        std::fs::create_dir(dir.path().join("scenarios")).unwrap();
        let path = dir.path().join("harness.toml");
        let write = |steps: &str| {
            std::fs::write(
                dir.path().join("scenarios/partial.toml"),
                format!("description = \"x\"\n{steps}"),
            )
            .unwrap();
        };
        let parse_with = |bootstrap: &str| {
            let text = format!("[project]\ntool = \"alembic\"\n{bootstrap}\n");
            parse(&SourceFile::new(&path, text))
        };
        write("[[steps]]\nupgrade = \"0003\"\n");
        let error = parse_with("bootstrap = \"models\"")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("partial.toml:2:1")
                && error.contains("`upgrade 0003` does nothing here"),
            "{error}"
        );
        assert!(
            parse_with("").is_ok(),
            "without bootstrap it is a real upgrade"
        );
        // After a downgrade, an upgrade to an older revision is a real step.
        write("[[steps]]\ndowngrade = \"0002\"\n\n[[steps]]\nupgrade = \"0003\"\n");
        assert!(parse_with("bootstrap = \"models\"").is_ok());
    }
}
