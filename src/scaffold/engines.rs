//! Which database engines a project targets, read from its files for `harness init`: driver
//! dependencies, default URLs in settings, env.py and alembic.ini, compose files and CI services
//! (with the versions they pin), and dialect-specific code in the migrations. Reads files only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

/// A database family as init chooses engines for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Postgres,
    /// MySQL or MariaDB: the harness runs MariaDB for both.
    Mysql,
    Sqlite,
}

/// What kind of file said it: a pinned server image weighs more than a driver in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A compose file's or CI workflow's server image.
    Image,
    /// A URL written in the project's settings, env.py or alembic.ini.
    Url,
    /// A driver among the dependencies.
    Driver,
    /// A driver only an optional group (an extra) installs, or a server image a test, integration
    /// or example compose file names: the project may only talk to such a server, not keep its
    /// schema there.
    Weak,
    /// Code in a migration that only one engine accepts.
    Migration,
    /// Tests or settings that use SQLite.
    Tests,
}

/// One piece of evidence: the family, the major version when it pins one, and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub target: Target,
    pub source: Source,
    /// The major version an image pins (`17` for `postgres:17.5`); for MySQL images, whether it
    /// is MariaDB's is in `what`.
    pub major: Option<u32>,
    /// MariaDB rather than MySQL (an image named mariadb).
    pub mariadb: bool,
    /// What was seen and where: "image postgres:17.5 in docker-compose.yml:4".
    pub what: String,
}

/// The engines of a server family that `harness init` writes, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// A `matrix.databases` entry: `postgres:17`, `mariadb:11`, `sqlite`.
    pub entry: String,
    /// Why, in one sentence: the evidence that chose it.
    pub why: String,
    /// Said besides, e.g. that MySQL itself is not an engine of the harness.
    pub note: Option<String>,
}

/// Everything the files say about the project's engines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetEngines {
    pub evidence: Vec<Evidence>,
}

/// The PostgreSQL major written when nothing pins one.
pub const DEFAULT_POSTGRES: u32 = 17;
/// The MariaDB major written when nothing pins one.
pub const DEFAULT_MARIADB: u32 = 11;
/// How deep below the root files are read, and how many at most.
const MAX_DEPTH: usize = 6;
const MAX_FILES: usize = 20_000;
const MAX_FILE_BYTES: u64 = 512 * 1024;
/// Folders never read: dependencies, builds, caches, front ends.
const SKIPPED: [&str; 14] = [
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    "site-packages",
    "dist",
    "build",
    "__pycache__",
    ".mypy_cache",
    "target",
    "harness",
];

impl TargetEngines {
    /// Reads the repository at `root`: `packages` and `requirement_files` are the dependencies
    /// init found (files relative to `root`); `script_dir` holds env.py and the versions.
    pub fn detect(
        root: &Path,
        script_dir: &Path,
        packages: &[String],
        requirement_files: &[String],
    ) -> Self {
        let mut found = TargetEngines::default();
        for package in packages {
            found.driver(package, "the dependencies", Source::Driver);
        }
        for file in requirement_files {
            if let Ok(text) = std::fs::read_to_string(root.join(file)) {
                for line in text.lines() {
                    let line = line.split('#').next().unwrap_or("").trim();
                    if !line.is_empty() && !line.starts_with('-') {
                        found.driver(line, file, Source::Driver);
                    }
                }
            }
        }
        let files = walk(root);
        let scripts = absolute(script_dir);
        for path in &files {
            let rel = crate::discover::relative(root, path);
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            if is_compose(&name) || is_ci(&rel) {
                found.images(&text, &rel);
            }
            let in_migrations = absolute(path).starts_with(&scripts) && name.ends_with(".py");
            if in_migrations {
                found.migration(&text, &rel);
            }
            if is_settings(&name) {
                found.urls(&text, &rel, is_test(&rel));
            }
            if name == "pyproject.toml" || name == "setup.cfg" || name == "setup.py" {
                found.extras(&text, &rel);
            }
        }
        found
            .evidence
            .sort_by(|a, b| (a.target, a.source, &a.what).cmp(&(b.target, b.source, &b.what)));
        found.evidence.dedup();
        found
    }

    /// Whether anything names a server engine.
    pub fn has_server(&self) -> bool {
        self.evidence.iter().any(|e| e.target != Target::Sqlite)
    }

    /// Whether the project itself uses SQLite (a default URL in its settings, not only a test's).
    pub fn uses_sqlite(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| e.target == Target::Sqlite && e.source == Source::Url)
    }

    /// Whether anything but weak evidence names `target` (a main dependency's driver, a URL in the
    /// settings, a CI or deployment image, dialect-specific migrations).
    pub fn strong(&self, target: Target) -> bool {
        self.evidence
            .iter()
            .any(|e| e.target == target && !matches!(e.source, Source::Weak | Source::Tests))
    }

    /// The first evidence for `target`, the strongest kind first.
    pub fn first(&self, target: Target) -> Option<&Evidence> {
        self.evidence.iter().find(|e| e.target == target)
    }

    /// The server engines to write, PostgreSQL first: the newest major an image pins, else the
    /// default; MySQL gets MariaDB, with a note.
    pub fn servers(&self) -> Vec<Chosen> {
        let mut chosen = Vec::new();
        if let Some(first) = self.first(Target::Postgres) {
            let pinned = self
                .evidence
                .iter()
                .filter(|e| e.target == Target::Postgres && e.major.is_some())
                .max_by_key(|e| e.major);
            let (major, why) = match pinned {
                Some(e) => (e.major.unwrap_or(DEFAULT_POSTGRES), e.what.clone()),
                None => (DEFAULT_POSTGRES, first.what.clone()),
            };
            chosen.push(Chosen {
                entry: format!("postgres:{major}"),
                why: self.with_more(Target::Postgres, &why),
                note: None,
            });
        }
        if let Some(first) = self.first(Target::Mysql) {
            let pinned = self
                .evidence
                .iter()
                .filter(|e| e.target == Target::Mysql && e.major.is_some())
                .max_by_key(|e| (e.mariadb, e.major));
            let (major, why, note) = match pinned {
                Some(e) if e.mariadb => (e.major.unwrap_or(DEFAULT_MARIADB), e.what.clone(), None),
                Some(e) => (
                    DEFAULT_MARIADB,
                    e.what.clone(),
                    Some(format!(
                        "the project targets MySQL {}: MySQL itself is not an engine of the harness yet, so its cells run on MariaDB {DEFAULT_MARIADB}",
                        e.major.unwrap_or_default()
                    )),
                ),
                None => (
                    DEFAULT_MARIADB,
                    first.what.clone(),
                    Some(format!(
                        "MySQL or MariaDB: the cells run on MariaDB {DEFAULT_MARIADB} (MySQL itself is not an engine of the harness yet)"
                    )),
                ),
            };
            chosen.push(Chosen {
                entry: format!("mariadb:{major}"),
                why: self.with_more(Target::Mysql, &why),
                note,
            });
        }
        chosen
    }

    /// `main`, then up to two more pieces of evidence for `target` of other kinds.
    fn with_more(&self, target: Target, main: &str) -> String {
        let mut kinds = Vec::new();
        let mut more = Vec::new();
        for evidence in self.evidence.iter().filter(|e| e.target == target) {
            if evidence.what == main {
                kinds.push(evidence.source);
            }
        }
        for evidence in self.evidence.iter().filter(|e| e.target == target) {
            if evidence.what != main && !kinds.contains(&evidence.source) && more.len() < 2 {
                kinds.push(evidence.source);
                more.push(evidence.what.as_str());
            }
        }
        if more.is_empty() {
            main.to_string()
        } else {
            format!("{main}; also {}", more.join("; "))
        }
    }

    fn push(&mut self, target: Target, source: Source, major: Option<u32>, what: String) {
        self.evidence.push(Evidence {
            target,
            source,
            major,
            mariadb: false,
            what,
        });
    }

    fn driver(&mut self, requirement: &str, file: &str, source: Source) {
        // A requirements file's line may go on with pip's options (`--hash=...`) or a `\`.
        let specifier = requirement
            .find(" -")
            .map_or(requirement, |at| &requirement[..at]);
        let specifier = specifier.trim().trim_end_matches('\\').trim();
        let Ok(requirement) = specifier.parse::<pep508_rs::Requirement>() else {
            return;
        };
        let name = requirement.name.to_string();
        let target = match crate::drivers::backend_of(&name) {
            Some(crate::drivers::Backend::Postgresql) => Target::Postgres,
            Some(crate::drivers::Backend::Mysql) => Target::Mysql,
            // aiosqlite names no server; SQLite's evidence is a URL.
            Some(crate::drivers::Backend::Sqlite) | None => return,
        };
        self.push(target, source, None, format!("the driver {name} in {file}"));
    }

    /// Server images in a compose file or CI workflow: `image: postgres:17.5`, `postgis/postgis:15-3.4`.
    fn images(&mut self, text: &str, file: &str) {
        let image = image_regex();
        let lower = file.to_ascii_lowercase();
        let source = if [
            "test",
            "example",
            "sample",
            "demo",
            "integration",
            "fixture",
        ]
        .iter()
        .any(|word| lower.contains(word))
            && !lower.starts_with(".github/")
        {
            Source::Weak
        } else {
            Source::Image
        };
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#') {
                continue;
            }
            for caps in image.captures_iter(line) {
                let name = caps[1].to_ascii_lowercase();
                let major = caps.get(2).and_then(|m| m.as_str().parse::<u32>().ok());
                let (target, mariadb) = match name.as_str() {
                    "postgres" | "postgresql" | "postgis" | "timescaledb" | "timescaledb-ha" => {
                        (Target::Postgres, false)
                    }
                    "mariadb" => (Target::Mysql, true),
                    "mysql" | "mysql-server" | "percona" => (Target::Mysql, false),
                    _ => continue,
                };
                // postgis/postgis:15-3.4 and timescale's pg15 tags pin PostgreSQL's major.
                let major = major.or_else(|| {
                    caps.get(3)
                        .and_then(|m| m.as_str().trim_start_matches("pg").parse().ok())
                });
                self.evidence.push(Evidence {
                    target,
                    source,
                    major,
                    mariadb,
                    what: format!(
                        "image {} in {file}:{}",
                        caps[0].trim().trim_matches(['"', '\'']),
                        number + 1
                    ),
                });
            }
        }
    }

    fn migration(&mut self, text: &str, file: &str) {
        const POSTGRES: [&str; 9] = [
            "dialects.postgresql",
            "dialects import postgresql",
            "JSONB",
            "postgresql_using",
            "postgresql_where",
            "postgresql_concurrently",
            "postgresql_ops",
            "postgresql.ARRAY",
            "postgresql.ENUM",
        ];
        const MYSQL: [&str; 3] = ["dialects.mysql", "dialects import mysql", "mysql.LONGTEXT"];
        if let Some(marker) = POSTGRES.iter().find(|m| text.contains(*m)) {
            let line = line_of(text, marker);
            self.push(
                Target::Postgres,
                Source::Migration,
                None,
                format!("PostgreSQL-specific code (`{marker}`) in {file}:{line}"),
            );
        }
        if let Some(marker) = MYSQL.iter().find(|m| text.contains(*m)) {
            let line = line_of(text, marker);
            self.push(
                Target::Mysql,
                Source::Migration,
                None,
                format!("MySQL-specific code (`{marker}`) in {file}:{line}"),
            );
        }
    }

    /// URLs written in a settings file: `postgresql+psycopg://...`, `sqlite:///app.db`.
    fn urls(&mut self, text: &str, file: &str, test: bool) {
        let url = url_regex();
        let mut seen = BTreeSet::new();
        let python = file.ends_with(".py");
        let mut in_docstring = false;
        for (number, line) in text.lines().enumerate() {
            // In Python, a URL in a comment or a docstring is an example, not a setting.
            if python {
                let quotes = line.matches("\"\"\"").count() + line.matches("'''").count();
                let was = in_docstring;
                if quotes % 2 == 1 {
                    in_docstring = !in_docstring;
                }
                if was || (quotes > 0 && !line.contains('=')) || line.trim_start().starts_with('#')
                {
                    continue;
                }
            }
            for caps in url.captures_iter(line) {
                let scheme = caps[1].to_ascii_lowercase();
                let target = match scheme.as_str() {
                    "postgresql" | "postgres" => Target::Postgres,
                    "mysql" | "mariadb" => Target::Mysql,
                    "sqlite" => Target::Sqlite,
                    _ => continue,
                };
                if !seen.insert(target) {
                    continue;
                }
                // A test's URL may be a data store the project talks to, not where it keeps its
                // schema, and a URL built from a template (`mariadb+pymysql://{user}{netloc}`) is
                // a connector's: weak evidence, for every engine.
                let whole_text = caps.get(0).map_or("", |m| m.as_str());
                let templated = whole_text.contains('{') || whole_text.contains("%s");
                // So is a URL in a connector's module (a data source the app reads from).
                let lower_file = file.to_ascii_lowercase();
                let connector = [
                    "connector",
                    "datasource",
                    "data_source",
                    "query_runner",
                    "integrations/",
                ]
                .iter()
                .any(|word| lower_file.contains(word));
                let source = if test {
                    Source::Tests
                } else if templated || connector {
                    Source::Weak
                } else {
                    Source::Url
                };
                let whole = caps.get(0).map_or("", |m| m.as_str());
                let start = caps
                    .get(1)
                    .map_or(0, |m| m.start() - caps.get(0).map_or(0, |w| w.start()));
                let shown =
                    crate::config::redact(whole[start..].trim_end_matches(['"', '\'', ',', ')']));
                let kind = if test { "a test's URL" } else { "the URL" };
                self.push(
                    target,
                    source,
                    None,
                    format!("{kind} {shown} in {file}:{}", number + 1),
                );
            }
        }
    }

    /// Drivers named in optional dependencies (`[project.optional-dependencies]`, extras_require):
    /// a project that offers a PostgreSQL extra runs on PostgreSQL.
    fn extras(&mut self, text: &str, file: &str) {
        let quoted = Regex::new(r#"["']([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:[<>=!~;].*?)?["']"#)
            .expect("a valid pattern");
        for caps in quoted.captures_iter(text) {
            self.driver(&caps[1], file, Source::Weak);
        }
    }
}

fn image_regex() -> Regex {
    // An image reference: an optional registry/namespace, a name, and a tag whose leading number
    // is the major version. Only names of database servers are kept by the caller.
    Regex::new(
        r#"(?i)(?:^|[\s"'=:\-\[,])(?:[a-z0-9.\-]+/)*(postgres|postgresql|postgis|timescaledb-ha|timescaledb|mariadb|mysql-server|mysql|percona):(?:(\d+)[\w.\-]*|(?:latest-)?(pg\d+)[\w.\-]*|[\w.\-]+)"#,
    )
    .expect("a valid pattern")
}

fn url_regex() -> Regex {
    // The scheme starts a token: `example-sqlite://` (a made-up scheme in a docstring) is not one.
    Regex::new(
        r#"(?i)(?:^|[^\w.+\-])(postgresql|postgres|mysql|mariadb|sqlite)(?:\+[a-z0-9_]+)?://[^\s"'`]*"#,
    )
        .expect("a valid pattern")
}

fn line_of(text: &str, marker: &str) -> usize {
    text.lines()
        .position(|l| l.contains(marker))
        .map_or(1, |i| i + 1)
}

fn is_compose(name: &str) -> bool {
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

fn is_ci(rel: &str) -> bool {
    (rel.starts_with(".github/workflows/") && (rel.ends_with(".yml") || rel.ends_with(".yaml")))
        || rel == ".gitlab-ci.yml"
        || rel == ".circleci/config.yml"
        || rel == ".travis.yml"
        || rel == "tox.ini"
}

fn is_test(rel: &str) -> bool {
    rel.split('/').any(|part| {
        part == "tests"
            || part == "test"
            || part == "fixtures"
            || part.starts_with("test_")
            || part == "conftest.py"
    }) || rel.ends_with("_test.py")
        || rel == "pytest.ini"
        || rel == "tox.ini"
}

/// Files whose URLs say which engine the project runs on: Python modules, ini and config files,
/// environment templates. Documentation is left out: it names engines a project merely mentions.
fn is_settings(name: &str) -> bool {
    name.ends_with(".py")
        || name.ends_with(".ini")
        || name.ends_with(".cfg")
        || name.ends_with(".toml")
        || name.starts_with(".env")
        || name.ends_with(".env")
        || name.ends_with(".env.example")
        || name == "settings.yaml"
        || name == "settings.yml"
        || name == "config.yaml"
        || name == "config.yml"
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The files below `root` init reads for evidence, in a stable order.
pub(in crate::scaffold) fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().to_string();
            let path = entry.path();
            if kind.is_dir() {
                let keep = depth < MAX_DEPTH
                    && !SKIPPED.contains(&name.as_str())
                    && (!name.starts_with('.') || name == ".github" || name == ".circleci")
                    && !name.contains("{{");
                if keep {
                    stack.push((path, depth + 1));
                }
            } else if kind.is_file()
                && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
                && out.len() < MAX_FILES
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_compose_image_pins_the_major_version() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:17.5-alpine\n",
        );
        write(root.path(), "migrations/env.py", "");
        let found = TargetEngines::detect(root.path(), &root.path().join("migrations"), &[], &[]);
        let servers = found.servers();
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].entry, "postgres:17");
        assert!(
            servers[0]
                .why
                .contains("image postgres:17.5-alpine in docker-compose.yml:3"),
            "{servers:?}"
        );
        assert!(!found.uses_sqlite());
    }

    #[test]
    fn ci_services_drivers_urls_and_migrations_are_evidence() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            ".github/workflows/test.yml",
            "jobs:\n  t:\n    services:\n      pg:\n        image: postgis/postgis:15-3.4\n      my:\n        image: \"mysql:8.0\"\n",
        );
        write(
            root.path(),
            "app/settings.py",
            "URL = os.environ.get('DATABASE_URL', 'postgresql+psycopg://app:secret@localhost/app')\n",
        );
        write(
            root.path(),
            "migrations/versions/0001_a.py",
            "from sqlalchemy.dialects import postgresql\nsa.Column('d', postgresql.JSONB())\n",
        );
        write(
            root.path(),
            "tests/conftest.py",
            "URL = 'sqlite:///:memory:'\n",
        );
        let found = TargetEngines::detect(
            root.path(),
            &root.path().join("migrations"),
            &["psycopg[binary]>=3".into(), "PyMySQL".into()],
            &[],
        );
        let servers = found.servers();
        assert_eq!(servers[0].entry, "postgres:15");
        assert_eq!(servers[1].entry, "mariadb:11");
        assert!(servers[1].note.as_deref().unwrap().contains("MySQL 8"));
        assert!(
            !found.uses_sqlite(),
            "a test's SQLite URL alone is not a use: the trial decides"
        );
        assert!(found.first(Target::Sqlite).is_some());
        let whats: Vec<&str> = found.evidence.iter().map(|e| e.what.as_str()).collect();
        assert!(
            whats
                .iter()
                .any(|w| w.contains("migrations/versions/0001_a.py:1")),
            "{whats:?}"
        );
        assert!(
            whats
                .iter()
                .any(|w| w.contains("postgresql+psycopg://app:***@localhost/app")),
            "{whats:?}"
        );
        assert!(!whats.iter().any(|w| w.contains("secret")));
        assert!(
            !whats.iter().any(|w| w.contains("app/docs.py")),
            "a made-up scheme is no URL: {whats:?}"
        );
    }

    #[test]
    fn a_driver_pinned_with_hashes_in_a_requirements_file_is_evidence() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "requirements.txt",
            "alembic==1.13.3 \\\n    --hash=sha256:aa\npsycopg2-binary==2.9.10 \\\n    --hash=sha256:bb\n./vendor/lib\n",
        );
        let found = TargetEngines::detect(
            root.path(),
            &root.path().join("migrations"),
            &[],
            &["requirements.txt".into()],
        );
        let whats: Vec<&str> = found.evidence.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            whats,
            ["the driver psycopg2-binary in requirements.txt"],
            "{whats:?}"
        );
    }

    #[test]
    fn a_connectors_url_template_is_weak_evidence() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "app/connectors/mariadb.py",
            "url = f\"mariadb+pymysql://{user}{netloc}/{dbname}\"\n",
        );
        let found = TargetEngines::detect(root.path(), root.path(), &[], &[]);
        assert!(found.first(Target::Mysql).is_some());
        assert!(!found.strong(Target::Mysql), "{:?}", found.evidence);
        // A literal URL in a connector's module is a data source too.
        write(
            root.path(),
            "app/service/connectors/cloud_postgres_connector.py",
            "DIALECT = \"postgresql+pg8000://\"\n",
        );
        let found = TargetEngines::detect(root.path(), root.path(), &[], &[]);
        assert!(!found.strong(Target::Postgres), "{:?}", found.evidence);
    }

    #[test]
    fn a_sqlite_only_project_has_no_server() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "alembic.ini",
            "[alembic]\nsqlalchemy.url = sqlite:///app.db\n",
        );
        write(root.path(), "migrations/env.py", "");
        let found = TargetEngines::detect(root.path(), &root.path().join("migrations"), &[], &[]);
        assert!(!found.has_server());
        assert!(found.uses_sqlite());
        assert!(found.servers().is_empty());
    }

    #[test]
    fn mariadb_images_keep_their_major_and_commented_lines_are_ignored() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "compose.yaml",
            "services:\n  db:\n    image: mariadb:10.11\n  # old: image: postgres:9.6\n",
        );
        let found = TargetEngines::detect(root.path(), root.path(), &[], &[]);
        let servers = found.servers();
        assert_eq!(servers.len(), 1, "{servers:?}");
        assert_eq!(servers[0].entry, "mariadb:10");
        assert_eq!(servers[0].note, None);
    }

    #[test]
    fn template_folders_are_not_read() {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "{{cookiecutter.name}}/docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n",
        );
        let found = TargetEngines::detect(root.path(), root.path(), &[], &[]);
        assert!(found.evidence.is_empty(), "{:?}", found.evidence);
    }
}
