//! Run-wide runtime settings from `[runtime]` in harness.toml: where the migration tool runs
//! (runtime containers or local interpreters) and the CA bundle handed to runtime containers.
//! Validated here; `HARNESS_RUNTIME_BACKEND` is read when runtimes are prepared, not here.

use std::path::PathBuf;

use serde::Deserialize;

/// Where the migration tool runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeBackend {
    /// Runtime containers if a Docker engine answers, else local interpreters.
    #[default]
    Auto,
    /// A runtime container per cell, from the runtime's image with the dependencies installed.
    Container,
    /// An interpreter found on this machine, with a cached virtual environment.
    Local,
}

impl RuntimeBackend {
    pub fn name(self) -> &'static str {
        match self {
            RuntimeBackend::Auto => "auto",
            RuntimeBackend::Container => "container",
            RuntimeBackend::Local => "local",
        }
    }

    /// Parses the value of `backend` or `HARNESS_RUNTIME_BACKEND`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(RuntimeBackend::Auto),
            "container" => Some(RuntimeBackend::Container),
            "local" => Some(RuntimeBackend::Local),
            _ => None,
        }
    }
}

/// `[runtime]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeSettings {
    pub backend: RuntimeBackend,
    /// A CA bundle on this machine to mount into runtime containers, with pip, uv and requests
    /// pointed at it (for networks behind a TLS-intercepting proxy). Off when `None`.
    pub ca_bundle: Option<PathBuf>,
    /// `add_drivers = false`: a server engine whose driver the requirements lack is not given one;
    /// its cells fail naming the package to add. By default the harness adds it and says so.
    pub keep_drivers_out: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_parse_case_insensitively() {
        assert_eq!(
            RuntimeBackend::parse(" Container "),
            Some(RuntimeBackend::Container)
        );
        assert_eq!(RuntimeBackend::parse("local"), Some(RuntimeBackend::Local));
        assert_eq!(RuntimeBackend::parse("auto"), Some(RuntimeBackend::Auto));
        assert_eq!(RuntimeBackend::parse("docker"), None);
    }
}
