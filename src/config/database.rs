//! Per-entry database settings from `[databases."postgres:17"]` in harness.toml: which backend
//! provides the engine (container, local server, external server) and how. Validated here; the
//! environment overrides (`HARNESS_IMAGE_<ENTRY>`, `HARNESS_BACKEND_<ENTRY>`) are read when the
//! engine starts, not here.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

pub use crate::dialect::redact;

/// Which backend provides a server engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A container if a Docker engine answers, else a local server of that major version.
    #[default]
    Auto,
    /// A container started from the configured image.
    Container,
    /// An ephemeral cluster started from server binaries found on this machine (PostgreSQL only).
    Local,
    /// A server the user already runs (`url`), with one scratch database per cell.
    External,
}

impl BackendChoice {
    pub fn name(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Container => "container",
            BackendChoice::Local => "local",
            BackendChoice::External => "external",
        }
    }

    /// Parses the value of `backend` or `HARNESS_BACKEND_<ENTRY>`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(BackendChoice::Auto),
            "container" => Some(BackendChoice::Container),
            "local" => Some(BackendChoice::Local),
            "external" => Some(BackendChoice::External),
            _ => None,
        }
    }
}

/// How the server in an image is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFlavour {
    /// The official `postgres` / `mariadb` / `mysql` images: their entrypoint initialises the server
    /// from environment variables (POSTGRES_PASSWORD, MARIADB_ROOT_PASSWORD, ...).
    Official,
    /// A plain Debian system with the server packages installed and no entrypoint: the harness
    /// initialises a data folder and starts the server with a command of its own.
    Debian,
}

impl ImageFlavour {
    pub fn name(self) -> &'static str {
        match self {
            ImageFlavour::Official => "official",
            ImageFlavour::Debian => "debian",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "official" => Some(ImageFlavour::Official),
            "debian" => Some(ImageFlavour::Debian),
            _ => None,
        }
    }
}

/// A server URL that may hold a password: never shown in full.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The settings of one `matrix.databases` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DatabaseSettings {
    pub backend: BackendChoice,
    /// The container image (`postgres:17` by default for `postgres:17`).
    pub image: Option<String>,
    /// How to start the server in the image; read from the image's `dev.harness.flavour` label
    /// when not given, else `official`.
    pub flavour: Option<ImageFlavour>,
    /// Where a local server's binaries are (`initdb`, `postgres`).
    pub bin_dir: Option<PathBuf>,
    /// An external server's URL (a maintenance database the harness may connect to).
    pub url: Option<SecretUrl>,
    /// External servers are used only when this is set.
    pub allow_external: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "postgresql://app:s3cret@db:5432/postgres",
        "postgresql://app:***@db:5432/postgres"
    )]
    #[case("mysql://root:p@ss@host/x", "mysql://root:***@host/x")]
    #[case("postgresql://app@db/postgres", "postgresql://app@db/postgres")]
    #[case(
        "postgresql://db/postgres?password=x",
        "postgresql://db/postgres?password=***"
    )]
    #[case("not a url", "not a url")]
    fn redacts_passwords(#[case] url: &str, #[case] shown: &str) {
        assert_eq!(redact(url), shown);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let url = SecretUrl::new("postgresql://u:hunter2@h/d");
        assert!(!format!("{url:?} {url}").contains("hunter2"));
    }
}
