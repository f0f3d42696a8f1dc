//! The matrix's axis values as written in harness.toml (`sqlite`, `postgres:17`, `python:3.12`), parsed
//! into typed specs with the stable id fragments used in cell ids and snapshot file names.

use std::fmt;
use std::path::PathBuf;

use super::DatabaseSettings;

pub use crate::dialect::EngineKind;

/// One entry of `matrix.databases`. Two specs are the same entry when engine and version match;
/// the settings say how the engine is provided, not which one it is.
#[derive(Debug, Clone)]
pub struct DatabaseSpec {
    pub engine: EngineKind,
    /// The engine version (`17` in `postgres:17`); SQLite has none: it is the library linked in.
    pub version: Option<String>,
    /// From `[databases."postgres:17"]`.
    pub settings: DatabaseSettings,
}

impl PartialEq for DatabaseSpec {
    fn eq(&self, other: &Self) -> bool {
        self.engine == other.engine && self.version == other.version
    }
}

impl Eq for DatabaseSpec {}

impl std::hash::Hash for DatabaseSpec {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.engine.hash(state);
        self.version.hash(state);
    }
}

/// Why a `matrix.databases` or `matrix.runtimes` entry is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(
        "unknown database engine `{0}`; allowed: sqlite, postgres:<version>, mariadb:<version>, mysql:<version>"
    )]
    UnknownEngine(String),
    #[error("`sqlite` takes no version: it is the SQLite library the harness is built with")]
    SqliteVersion,
    #[error("`{0}` needs a version, e.g. `{0}:16`")]
    NoVersion(String),
    #[error("version `{0}` may hold only letters, digits, `.` and `-`")]
    BadVersion(String),
    #[error("unknown runtime `{0}`; allowed: python:<version>, e.g. python:3.12")]
    UnknownRuntime(String),
    #[error("runtime `{0}` needs a version made of numbers, e.g. python:3.12")]
    RuntimeVersion(String),
}

impl DatabaseSpec {
    /// Parses `sqlite`, `postgres:17`, `mariadb:11`, `mysql:8`.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let (name, version) = match text.split_once(':') {
            Some((name, version)) => (name, Some(version)),
            None => (text, None),
        };
        let engine = match name {
            "sqlite" => EngineKind::Sqlite,
            "postgres" | "postgresql" => EngineKind::Postgres,
            "mariadb" => EngineKind::Mariadb,
            "mysql" => EngineKind::Mysql,
            other => return Err(SpecError::UnknownEngine(other.to_string())),
        };
        match (engine, version) {
            (EngineKind::Sqlite, Some(_)) => Err(SpecError::SqliteVersion),
            (EngineKind::Sqlite, None) => Ok(Self {
                engine,
                version: None,
                settings: DatabaseSettings::default(),
            }),
            (_, None) | (_, Some("")) => Err(SpecError::NoVersion(name.to_string())),
            (_, Some(version)) if !is_id_safe(version) => {
                Err(SpecError::BadVersion(version.to_string()))
            }
            (_, Some(version)) => Ok(Self {
                engine,
                version: Some(version.to_string()),
                settings: DatabaseSettings::default(),
            }),
        }
    }

    /// The major version: `17` for `postgres:17.2`, `11` for `mariadb:11.4`.
    pub fn major(&self) -> Option<&str> {
        self.version
            .as_deref()
            .map(|v| v.split(['.', '-']).next().unwrap_or(v))
    }

    /// The suffix of this entry's environment variables: `POSTGRES_17`, `MARIADB_11_4`.
    pub fn env_suffix(&self) -> String {
        self.id()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// The id fragment used in cell ids and snapshot names: `sqlite`, `postgres-17`.
    pub fn id(&self) -> String {
        match &self.version {
            Some(version) => format!("{}-{version}", self.engine.name()),
            None => self.engine.name().to_string(),
        }
    }
}

impl fmt::Display for DatabaseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{}:{version}", self.engine.name()),
            None => f.write_str(self.engine.name()),
        }
    }
}

/// One entry of `matrix.runtimes`: a language and a version prefix (`python:3.12`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuntimeSpec {
    /// The version as written: `3.12` matches any 3.12.x.
    pub version: String,
    /// An explicit interpreter from `[runtimes."python:3.12"]`.
    pub interpreter: Option<PathBuf>,
    /// The runtime container image from `[runtimes."python:3.12"] image`.
    pub image: Option<String>,
}

impl RuntimeSpec {
    /// Parses `python:3.12` (also `python3.12`).
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let version = text
            .strip_prefix("python:")
            .or_else(|| text.strip_prefix("python"))
            .ok_or_else(|| SpecError::UnknownRuntime(text.to_string()))?;
        let valid = !version.is_empty()
            && version
                .split('.')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            return Err(SpecError::RuntimeVersion(text.to_string()));
        }
        Ok(Self {
            version: version.to_string(),
            interpreter: None,
            image: None,
        })
    }

    /// The key used in harness.toml and messages: `python:3.12`.
    pub fn key(&self) -> String {
        format!("python:{}", self.version)
    }

    /// The id fragment used in cell ids: `python-3.12`.
    pub fn id(&self) -> String {
        format!("python-{}", self.version)
    }

    /// The suffix of this runtime's environment variables: `PYTHON_3_12`.
    pub fn env_suffix(&self) -> String {
        format!("PYTHON_{}", self.version.replace('.', "_"))
    }
}

impl fmt::Display for RuntimeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

fn is_id_safe(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("sqlite", "sqlite")]
    #[case("postgres:17", "postgres-17")]
    #[case("postgresql:13", "postgres-13")]
    #[case("mariadb:11.4", "mariadb-11.4")]
    fn database_ids(#[case] text: &str, #[case] id: &str) {
        assert_eq!(DatabaseSpec::parse(text).unwrap().id(), id);
    }

    #[rstest]
    #[case("postgres:17", Some("17"), "POSTGRES_17")]
    #[case("mariadb:11.4", Some("11"), "MARIADB_11_4")]
    #[case("sqlite", None, "SQLITE")]
    fn majors_and_env_suffixes(
        #[case] text: &str,
        #[case] major: Option<&str>,
        #[case] suffix: &str,
    ) {
        let spec = DatabaseSpec::parse(text).unwrap();
        assert_eq!(spec.major(), major);
        assert_eq!(spec.env_suffix(), suffix);
    }

    #[rstest]
    #[case("oracle:19", "unknown database engine")]
    #[case("postgres", "needs a version")]
    #[case("sqlite:3", "takes no version")]
    #[case("postgres:1/7", "only letters")]
    fn bad_databases(#[case] text: &str, #[case] message: &str) {
        let err = DatabaseSpec::parse(text).unwrap_err().to_string();
        assert!(err.contains(message), "{err}");
    }

    #[rstest]
    #[case("python:3.12", "python-3.12")]
    #[case("python3.10", "python-3.10")]
    #[case("python:3", "python-3")]
    fn runtime_ids(#[case] text: &str, #[case] id: &str) {
        assert_eq!(RuntimeSpec::parse(text).unwrap().id(), id);
    }

    #[rstest]
    #[case("ruby:3.2")]
    #[case("python:")]
    #[case("python:3.x")]
    #[case("python:3..1")]
    fn bad_runtimes(#[case] text: &str) {
        assert!(RuntimeSpec::parse(text).is_err());
    }
}
