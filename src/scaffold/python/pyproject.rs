//! pyproject.toml, as far as installing a project's dependencies goes: PEP 621's `[project]`
//! (Hatch, PDM, setuptools, flit), Poetry's `[tool.poetry]` converted to PEP 508, the optional
//! groups of each (extras, PEP 735 groups, Poetry groups, PDM and uv development lists), and the
//! Python versions declared. Reads text; never fails on a key it does not know.

use toml::{Table, Value};

use super::group::Group;
use super::package_name::PackageName;
use super::poetry_constraint;

/// PEP 735 group includes nested deeper than this are not followed.
const MAX_INCLUDE_DEPTH: usize = 8;

/// What a pyproject.toml says about installing the project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pyproject {
    /// The project's own name (`[project] name`, else `[tool.poetry] name`).
    pub name: Option<PackageName>,
    /// `[project] dependencies`, as written; `None` when absent.
    pub dependencies: Option<Vec<String>>,
    /// Requirements files `[project]`'s dynamic dependencies come from (setuptools'
    /// `[tool.setuptools.dynamic]`, Hatch's requirements_txt hook), relative to the file's folder.
    pub dependency_files: Vec<String>,
    /// `[project] dynamic` lists `dependencies`.
    pub dynamic_dependencies: bool,
    /// `[tool.poetry.dependencies]` as PEP 508, without `python` and optional entries; `None`
    /// when absent.
    pub poetry_dependencies: Option<Vec<String>>,
    /// Every optional group, in the order found.
    pub groups: Vec<Group>,
    /// `[project] requires-python`, as written.
    pub requires_python: Option<String>,
    /// Poetry's `python` dependency, as PEP 440.
    pub poetry_python: Option<String>,
    /// Trove classifiers of `[project]` and `[tool.poetry]`.
    pub classifiers: Vec<String>,
    /// What could not be converted, for the user.
    pub notes: Vec<String>,
}

impl Pyproject {
    /// Reads the text of a pyproject.toml; the error is TOML's, with its line and column.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let document: Table = toml::from_str(text)?;
        let mut pyproject = Self::default();
        if let Some(project) = table(&document, &["project"]) {
            pyproject.read_project(project);
        }
        if let Some(poetry) = table(&document, &["tool", "poetry"]) {
            pyproject.read_poetry(poetry);
        }
        pyproject.read_dynamic_files(&document);
        if let Some(groups) = table(&document, &["dependency-groups"]) {
            for name in groups.keys() {
                let specifiers = dependency_group(groups, name, 0);
                pyproject.add_group(name, specifiers);
            }
        }
        if let Some(groups) = table(&document, &["tool", "pdm", "dev-dependencies"]) {
            for (name, value) in groups {
                pyproject.add_group(name, strings(value));
            }
        }
        if let Some(dev) =
            table(&document, &["tool", "uv"]).and_then(|uv| uv.get("dev-dependencies"))
        {
            pyproject.add_group("dev", strings(dev));
        }
        Ok(pyproject)
    }

    fn read_project(&mut self, project: &Table) {
        self.name = project
            .get("name")
            .and_then(Value::as_str)
            .map(PackageName::new);
        self.dependencies = project.get("dependencies").map(strings);
        self.dynamic_dependencies = project
            .get("dynamic")
            .is_some_and(|d| strings(d).iter().any(|s| s == "dependencies"));
        self.requires_python = project
            .get("requires-python")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(classifiers) = project.get("classifiers") {
            self.classifiers.extend(strings(classifiers));
        }
        if let Some(extras) = project
            .get("optional-dependencies")
            .and_then(Value::as_table)
        {
            for (name, value) in extras {
                self.add_group(name, strings(value));
            }
        }
    }

    fn read_poetry(&mut self, poetry: &Table) {
        if self.name.is_none() {
            self.name = poetry
                .get("name")
                .and_then(Value::as_str)
                .map(PackageName::new);
        }
        if let Some(classifiers) = poetry.get("classifiers") {
            self.classifiers.extend(strings(classifiers));
        }
        let mut optional = Vec::new();
        if let Some(dependencies) = poetry.get("dependencies").and_then(Value::as_table) {
            let mut required = Vec::new();
            for (name, value) in dependencies {
                if name == "python" {
                    self.poetry_python = value.as_str().and_then(|c| self.poetry_python(c));
                    continue;
                }
                match self.poetry_dependency(name, value) {
                    Some(PoetryEntry::Required(spec)) => required.push(spec),
                    Some(PoetryEntry::Optional(spec)) => optional.push(spec),
                    None => {}
                }
            }
            self.poetry_dependencies = Some(required);
        }
        if let Some(extras) = poetry.get("extras").and_then(Value::as_table) {
            for (extra, names) in extras {
                let wanted: Vec<PackageName> = strings(names)
                    .iter()
                    .filter_map(|n| PackageName::of_specifier(n))
                    .collect();
                let specifiers = optional
                    .iter()
                    .filter(|spec| {
                        PackageName::of_specifier(spec).is_some_and(|n| wanted.contains(&n))
                    })
                    .cloned()
                    .collect();
                self.add_group(extra, specifiers);
            }
        }
        let mut groups: Vec<(String, &Table)> = Vec::new();
        if let Some(dev) = poetry.get("dev-dependencies").and_then(Value::as_table) {
            groups.push(("dev".to_string(), dev));
        }
        if let Some(named) = poetry.get("group").and_then(Value::as_table) {
            for (name, group) in named {
                if let Some(dependencies) = group.get("dependencies").and_then(Value::as_table) {
                    groups.push((name.clone(), dependencies));
                }
            }
        }
        for (name, dependencies) in groups {
            let specifiers = dependencies
                .iter()
                .filter_map(|(dep, value)| match self.poetry_dependency(dep, value)? {
                    PoetryEntry::Required(spec) | PoetryEntry::Optional(spec) => Some(spec),
                })
                .collect();
            self.add_group(&name, specifiers);
        }
    }

    /// Poetry's python constraint as PEP 440; of a union (`~2.7 || ^3.6`), the last alternative.
    fn poetry_python(&mut self, constraint: &str) -> Option<String> {
        match poetry_constraint::to_pep440(constraint) {
            Ok(pep440) => Some(pep440),
            Err(why) => {
                let last = constraint.rsplit('|').next().unwrap_or("").trim();
                match poetry_constraint::to_pep440(last) {
                    Ok(pep440) if constraint.contains('|') => {
                        self.notes.push(format!(
                            "Poetry's python constraint `{constraint}` is a union: its last alternative `{last}` is used"
                        ));
                        Some(pep440)
                    }
                    _ => {
                        self.notes
                            .push(format!("Poetry's python constraint is not used: {why}"));
                        None
                    }
                }
            }
        }
    }

    /// One `[tool.poetry.dependencies]` entry as PEP 508; `None` (with a note) when it is not
    /// installed from an index.
    fn poetry_dependency(&mut self, name: &str, value: &Value) -> Option<PoetryEntry> {
        let (constraint, extras, markers, optional) = match value {
            Value::String(constraint) => (constraint.as_str(), Vec::new(), None, false),
            Value::Table(entry) => {
                if let Some(kind) = ["git", "path", "url"]
                    .into_iter()
                    .find(|k| entry.contains_key(*k))
                {
                    let location = entry.get(kind).and_then(Value::as_str).unwrap_or("");
                    self.notes.push(format!(
                        "Poetry dependency `{name}` comes from {kind} `{location}` and is not installed; add it to `packages` (`{name} @ ...`) if env.py needs it"
                    ));
                    return None;
                }
                (
                    entry.get("version").and_then(Value::as_str).unwrap_or("*"),
                    entry.get("extras").map(strings).unwrap_or_default(),
                    entry.get("markers").and_then(Value::as_str),
                    entry
                        .get("optional")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                )
            }
            _ => {
                self.notes.push(format!(
                    "Poetry dependency `{name}` has several constraints: installed without a version"
                ));
                ("*", Vec::new(), None, false)
            }
        };
        let version = poetry_constraint::to_pep440(constraint).unwrap_or_else(|why| {
            self.notes.push(format!(
                "Poetry dependency `{name}` is installed without a version: {why}"
            ));
            String::new()
        });
        let mut spec = name.to_string();
        if !extras.is_empty() {
            spec.push_str(&format!("[{}]", extras.join(",")));
        }
        spec.push_str(&version);
        if let Some(markers) = markers {
            spec.push_str(&format!("; {markers}"));
        }
        Some(if optional {
            PoetryEntry::Optional(spec)
        } else {
            PoetryEntry::Required(spec)
        })
    }

    fn read_dynamic_files(&mut self, document: &Table) {
        let setuptools = table(document, &["tool", "setuptools", "dynamic"])
            .and_then(|d| d.get("dependencies"))
            .and_then(Value::as_table)
            .and_then(|d| d.get("file"));
        let hatch = table(
            document,
            &["tool", "hatch", "metadata", "hooks", "requirements_txt"],
        )
        .and_then(|h| h.get("files"));
        for files in [setuptools, hatch].into_iter().flatten() {
            self.dependency_files.extend(strings(files));
        }
    }

    /// Adds a group, merged with one of the same name; references to the project itself (`myapp[db]`
    /// inside an extra) are dropped.
    fn add_group(&mut self, name: &str, specifiers: Vec<String>) {
        let own = self.name.clone();
        let specifiers = specifiers
            .into_iter()
            .filter(|s| !s.starts_with('-'))
            .filter(|s| own.is_none() || PackageName::of_specifier(s) != own)
            .collect::<Vec<_>>();
        match self.groups.iter_mut().find(|g| g.name == name) {
            Some(group) => group.specifiers.extend(specifiers),
            None => self.groups.push(Group {
                name: name.to_string(),
                specifiers,
            }),
        }
    }
}

enum PoetryEntry {
    Required(String),
    /// `optional = true`: installed only through an extra.
    Optional(String),
}

/// The table at `path`, when every step is a table.
fn table<'a>(document: &'a Table, path: &[&str]) -> Option<&'a Table> {
    path.iter()
        .try_fold(document, |t, key| t.get(*key).and_then(Value::as_table))
}

/// The strings of an array (or a single string); anything else is skipped.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A PEP 735 group's specifiers, `{include-group = "..."}` entries expanded.
fn dependency_group(groups: &Table, name: &str, depth: usize) -> Vec<String> {
    let Some(Value::Array(items)) = groups.get(name) else {
        return Vec::new();
    };
    let mut specifiers = Vec::new();
    for item in items {
        match item {
            Value::String(spec) => specifiers.push(spec.clone()),
            Value::Table(include) if depth < MAX_INCLUDE_DEPTH => {
                if let Some(other) = include.get("include-group").and_then(Value::as_str) {
                    specifiers.extend(dependency_group(groups, other, depth + 1));
                }
            }
            _ => {}
        }
    }
    specifiers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group<'a>(pyproject: &'a Pyproject, name: &str) -> &'a [String] {
        &pyproject
            .groups
            .iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("no group {name} in {:?}", pyproject.groups))
            .specifiers
    }

    #[test]
    fn pep_621_with_extras_and_groups() {
        let pyproject = Pyproject::parse(
            r#"
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "Inventory-Service"
requires-python = ">=3.10"
dependencies = ["fastapi>=0.100", "sqlalchemy[asyncio]>=2.0", "pydantic-settings"]
classifiers = ["Programming Language :: Python :: 3.11", "Framework :: FastAPI"]

[project.optional-dependencies]
postgres = ["asyncpg>=0.29"]
all = ["inventory_service[postgres]", "uvloop"]

[dependency-groups]
test = ["pytest>=8"]
dev = [{include-group = "test"}, "ruff"]

[tool.uv]
dev-dependencies = ["mypy"]
"#,
        )
        .unwrap();
        assert_eq!(pyproject.name, Some(PackageName::new("inventory-service")));
        assert_eq!(
            pyproject.dependencies.as_deref().unwrap(),
            [
                "fastapi>=0.100",
                "sqlalchemy[asyncio]>=2.0",
                "pydantic-settings"
            ]
        );
        assert_eq!(pyproject.requires_python.as_deref(), Some(">=3.10"));
        assert_eq!(pyproject.classifiers.len(), 2);
        assert_eq!(group(&pyproject, "postgres"), ["asyncpg>=0.29"]);
        assert_eq!(
            group(&pyproject, "all"),
            ["uvloop"],
            "the self-reference is dropped"
        );
        assert_eq!(group(&pyproject, "dev"), ["pytest>=8", "ruff", "mypy"]);
        assert_eq!(pyproject.poetry_dependencies, None);
    }

    #[test]
    fn poetry_dependencies_are_converted() {
        let pyproject = Pyproject::parse(
            r#"
[tool.poetry]
name = "ledger"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
Flask = "^3.0.2"
sqlalchemy = { version = "~2.0", extras = ["asyncio", "mypy"] }
alembic = "*"
psycopg2-binary = { version = "2.9.9", optional = true }
pymysql = { version = ">=1.1", optional = true, markers = "sys_platform != 'win32'" }
requests = ">= 2.31, < 3"
tomli = { version = "^2.0", markers = "python_version < '3.11'" }
internal-auth = { git = "https://example.org/acme/internal-auth.git", tag = "v2" }
shared = { path = "../shared", develop = true }
numpy = [
  { version = "^1.26", python = ">=3.9" },
  { version = "^2.0", python = ">=3.12" },
]

[tool.poetry.extras]
postgres = ["psycopg2-binary"]
db = ["pymysql"]

[tool.poetry.group.dev.dependencies]
pytest = "^8.0"

[tool.poetry.dev-dependencies]
black = "^24.1"
"#,
        )
        .unwrap();
        assert_eq!(pyproject.poetry_python.as_deref(), Some(">=3.10,<4"));
        // In name order: TOML tables are read unordered.
        assert_eq!(
            pyproject.poetry_dependencies.as_deref().unwrap(),
            [
                "Flask>=3.0.2,<4",
                "alembic",
                "numpy",
                "requests>=2.31,<3",
                "sqlalchemy[asyncio,mypy]>=2.0,<2.1",
                "tomli>=2.0,<3; python_version < '3.11'",
            ]
        );
        assert_eq!(group(&pyproject, "postgres"), ["psycopg2-binary==2.9.9"]);
        assert_eq!(
            group(&pyproject, "db"),
            ["pymysql>=1.1; sys_platform != 'win32'"]
        );
        assert_eq!(
            group(&pyproject, "dev"),
            ["black>=24.1,<25", "pytest>=8.0,<9"]
        );
        let notes = pyproject.notes.join("\n");
        assert!(notes.contains("`internal-auth` comes from git"), "{notes}");
        assert!(
            notes.contains("`shared` comes from path `../shared`"),
            "{notes}"
        );
        assert!(notes.contains("`numpy` has several constraints"), "{notes}");
    }

    #[test]
    fn a_poetry_python_union_uses_its_last_alternative() {
        let pyproject =
            Pyproject::parse("[tool.poetry.dependencies]\npython = \"~2.7 || ^3.8\"\n").unwrap();
        assert_eq!(pyproject.poetry_python.as_deref(), Some(">=3.8,<4"));
        assert!(
            pyproject.notes[0].contains("union"),
            "{:?}",
            pyproject.notes
        );
    }

    #[test]
    fn dynamic_dependencies_from_files() {
        let pyproject = Pyproject::parse(
            r#"
[project]
name = "billing"
dynamic = ["dependencies", "version"]

[tool.setuptools.dynamic]
dependencies = { file = ["requirements.in"] }

[tool.pdm.dev-dependencies]
lint = ["ruff", "-e file:///${PROJECT_ROOT}/tools"]
"#,
        )
        .unwrap();
        assert!(pyproject.dynamic_dependencies);
        assert_eq!(pyproject.dependencies, None);
        assert_eq!(pyproject.dependency_files, ["requirements.in"]);
        assert_eq!(group(&pyproject, "lint"), ["ruff"]);
    }

    #[test]
    fn broken_toml_names_the_line() {
        let err = Pyproject::parse("[project]\nname = \n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
