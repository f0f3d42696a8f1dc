//! `harness.toml`: the serde model and its conversion into a validated [`Config`], including loading
//! every scenario file of the scenarios folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{
    CellPattern, Config, ConfigError, DatabaseSpec, Matrix, Project, Requirements, RuntimeSpec,
    SourceFile, ToolKind, parse_toml, scenario,
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
    runtimes: BTreeMap<String, Spanned<RawRuntime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    tool: ToolKind,
    #[serde(default = "dot")]
    path: Spanned<String>,
    config: Option<Spanned<String>>,
    requirements: Option<Spanned<String>>,
    packages: Option<Vec<String>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    version_table: Option<String>,
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
    scenarios: String,
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
fn default_scenarios() -> String {
    "scenarios".to_string()
}
fn default_snapshots() -> String {
    "snapshots".to_string()
}

/// Parses and validates a harness.toml held in `file`.
pub(super) fn parse(file: &SourceFile) -> Result<Config, ConfigError> {
    let raw: RawHarness = parse_toml(file)?;
    let root = absolute(file.path().parent().unwrap_or(Path::new(".")));
    let at = |span: std::ops::Range<usize>| file.location(span.start);

    let project_dir = root.join(raw.project.path.get_ref());
    if !project_dir.is_dir() {
        return Err(ConfigError::at(
            at(raw.project.path.span()),
            format!(
                "the project folder `{}` does not exist",
                project_dir.display()
            ),
        )
        .with_help("`project.path` is relative to harness.toml's folder"));
    }
    let tool_config = match &raw.project.config {
        Some(config) => (project_dir.join(config.get_ref()), Some(config.span())),
        None => (project_dir.join("alembic.ini"), None),
    };
    if !tool_config.0.is_file() {
        let message = format!("no Alembic configuration at `{}`", tool_config.0.display());
        let help = "set `project.config` to the alembic.ini of the migration project (relative to `project.path`)";
        let error = match tool_config.1 {
            Some(span) => ConfigError::at(at(span), message),
            None => ConfigError::at(at(raw.project.path.span()), message),
        };
        return Err(error.with_help(help));
    }
    let requirements = match (&raw.project.requirements, &raw.project.packages) {
        (Some(req), _) => {
            let path = root.join(req.get_ref());
            if !path.is_file() {
                return Err(ConfigError::at(
                    at(req.span()),
                    format!("the requirements file `{}` does not exist", path.display()),
                )
                .with_help("`project.requirements` is relative to harness.toml's folder"));
            }
            Requirements::File(path)
        }
        (None, Some(packages)) => Requirements::Packages(packages.clone()),
        (None, None) => match project_dir.join("requirements.txt") {
            path if path.is_file() => Requirements::File(path),
            _ => Requirements::Packages(vec!["alembic".to_string()]),
        },
    };

    let mut runtime_paths = BTreeMap::new();
    for (key, runtime) in &raw.runtimes {
        let spec =
            RuntimeSpec::parse(key).map_err(|msg| ConfigError::at(at(runtime.span()), msg))?;
        if let Some(interpreter) = &runtime.get_ref().interpreter {
            runtime_paths.insert(spec.key(), root.join(interpreter));
        }
    }
    let runtime = |text: &Spanned<String>| -> Result<RuntimeSpec, ConfigError> {
        let mut spec = RuntimeSpec::parse(text.get_ref())
            .map_err(|msg| ConfigError::at(at(text.span()), msg))?;
        spec.interpreter = runtime_paths.get(&spec.key()).cloned();
        Ok(spec)
    };
    let database = |text: &Spanned<String>| -> Result<DatabaseSpec, ConfigError> {
        let spec = DatabaseSpec::parse(text.get_ref())
            .map_err(|msg| ConfigError::at(at(text.span()), msg))?;
        supported(&spec).map_err(|msg| {
            ConfigError::at(at(text.span()), msg)
                .with_help("use `sqlite`, or remove the entry for now")
        })?;
        Ok(spec)
    };

    let databases = unique(&raw.matrix.databases, database, "matrix.databases", file)?;
    let runtimes = unique(&raw.matrix.runtimes, runtime, "matrix.runtimes", file)?;
    if databases.is_empty() || runtimes.is_empty() {
        return Err(
            ConfigError::at(file.start(), "the matrix is empty").with_help(
                "list at least one entry in `matrix.databases` and one in `matrix.runtimes`",
            ),
        );
    }

    // Scenario files are read through the path as the user gave it, so messages show short paths.
    let shown_root = file.path().parent().unwrap_or(Path::new(""));
    let scenarios = load_scenarios(&shown_root.join(&raw.paths.scenarios))?;
    let scenarios_dir = root.join(&raw.paths.scenarios);
    let names: BTreeSet<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
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
            database: p.database.as_ref().map(&database).transpose()?,
            runtime: p.runtime.as_ref().map(&runtime).transpose()?,
        })
    };
    let include = raw
        .matrix
        .include
        .iter()
        .map(&pattern)
        .collect::<Result<Vec<_>, _>>()?;
    let exclude = raw
        .matrix
        .exclude
        .iter()
        .map(&pattern)
        .collect::<Result<Vec<_>, _>>()?;
    for (raw_entry, entry) in raw.matrix.include.iter().zip(&include) {
        if entry.scenario.is_none() || entry.database.is_none() || entry.runtime.is_none() {
            return Err(ConfigError::at(
                at(raw_entry.span()),
                "an include entry must name a whole cell",
            )
            .with_help("give `scenario`, `database` and `runtime`"));
        }
    }

    Ok(Config {
        file: file.path().to_path_buf(),
        root: root.clone(),
        project: Project {
            tool: raw.project.tool,
            dir: project_dir,
            tool_config: tool_config.0,
            requirements,
            env: raw.project.env,
            version_table: raw
                .project
                .version_table
                .unwrap_or_else(|| "alembic_version".to_string()),
        },
        matrix: Matrix {
            databases,
            runtimes,
            include,
            exclude,
        },
        scenarios,
        scenarios_dir,
        snapshots_dir: root.join(&raw.paths.snapshots),
    })
}

/// Engines this build can start. PostgreSQL and MariaDB land with their engine backends.
fn supported(spec: &DatabaseSpec) -> Result<(), String> {
    match spec.engine {
        super::EngineKind::Sqlite => Ok(()),
        _ => Err(format!(
            "database `{spec}` is not supported by this version of harness: only `sqlite` is"
        )),
    }
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

fn load_scenarios(dir: &Path) -> Result<Vec<scenario::Scenario>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        ConfigError::file(dir, format!("cannot read the scenarios folder: {err}"))
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
    if scenarios.is_empty() {
        return Err(ConfigError::file(dir, "no scenario files (*.toml) in the scenarios folder")
            .with_help("add one, e.g. scenarios/fresh.toml with `description = \"empty database to head\"`"));
    }
    scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(scenarios)
}

fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
