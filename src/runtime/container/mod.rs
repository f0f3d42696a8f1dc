//! Runtime containers: the migration tool runs in a container made from the runtime's image, with
//! the project's dependencies installed once per (image, requirements) into a committed image
//! ([`deps`]), one container per cell started from it ([`cell`]), and commands run in it through
//! the Docker API ([`crate::docker::exec`]); the prepared images an engine holds, for `harness
//! cache` ([`cached_image`]). See docs/runtimes.md.

mod cached_image;
mod cell;
mod deps;
mod freeze;
mod image;

use std::path::PathBuf;
use std::sync::Arc;

pub use cached_image::LABEL_DEPS;
pub use cached_image::{CachedImage, ImagesUnlisted, cached_images};
pub use cell::{CellContainer, ContainerGone};
pub use deps::{DepsImage, prepare_image};
pub use image::RuntimeImage;

use crate::docker::Docker;

use crate::docker::Teardown;

/// Where the dependencies live inside a prepared image.
pub const VENV: &str = "/opt/harness/venv";
/// Where the CA bundle is mounted when `runtime.ca_bundle` is set.
pub const CA_TARGET: &str = "/etc/harness/ca-bundle.crt";
/// The label naming the cell a runtime container serves.
pub const LABEL_CELL: &str = "dev.harness.cell";
/// The label naming the runtime of a runtime container (`python:3.12`).
pub const LABEL_RUNTIME: &str = "dev.harness.runtime";

/// What every runtime container of a run shares.
#[derive(Clone)]
pub struct ContainerOptions {
    pub docker: Docker,
    /// Folders mounted read-only at the same path (the project, the tool entry points).
    pub read_only: Vec<PathBuf>,
    /// The run's network, when the run's database containers are on one.
    pub network: Option<String>,
    /// A CA bundle on this machine, mounted and pointed at by pip, uv and requests.
    pub ca_bundle: Option<PathBuf>,
    /// Containers are registered here so an interrupted run removes them.
    pub teardown: Arc<Teardown>,
}

impl std::fmt::Debug for ContainerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerOptions")
            .field("read_only", &self.read_only)
            .field("network", &self.network)
            .field("ca_bundle", &self.ca_bundle)
            .finish_non_exhaustive()
    }
}

impl ContainerOptions {
    /// The variables that make pip, uv and requests trust the CA bundle, when one is set.
    pub fn ca_env(&self) -> Vec<(String, String)> {
        if self.ca_bundle.is_none() {
            return Vec::new();
        }
        [
            "PIP_CERT",
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
        ]
        .iter()
        .map(|name| (name.to_string(), CA_TARGET.to_string()))
        .collect()
    }
}

/// A runtime ready to run containers: the prepared image and what its containers share.
#[derive(Debug, Clone)]
pub struct ContainerRuntime {
    pub base: RuntimeImage,
    pub deps: DepsImage,
    pub options: ContainerOptions,
}

/// Index and proxy settings of this machine that package installers read: passed into the
/// container that installs the dependencies when they are set.
pub const PASSED_THROUGH: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_TRUSTED_HOST",
    "PIP_DEFAULT_TIMEOUT",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
];

/// The pass-through variables set on this machine.
pub fn passed_through(env: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    PASSED_THROUGH
        .iter()
        .filter_map(|name| {
            env(name)
                .filter(|v| !v.is_empty())
                .map(|v| (name.to_string(), v))
        })
        .collect()
}

/// `harness-<pid>-<nonce>`: unique per run, used for the network and container names.
pub fn run_name() -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_micros());
    format!("harness-{}-{nonce}", std::process::id())
}

/// Keeps a container that sleeps until it is removed; stops at once on SIGTERM.
pub(super) fn idle_command() -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_variables_that_are_set_pass_through() {
        let env = |name: &str| match name {
            "HTTPS_PROXY" => Some("http://proxy.internal:3128".to_string()),
            "PIP_INDEX_URL" => Some("https://index.internal/simple".to_string()),
            "NO_PROXY" => Some(String::new()),
            _ => None,
        };
        let passed = passed_through(env);
        assert_eq!(
            passed,
            vec![
                (
                    "HTTPS_PROXY".to_string(),
                    "http://proxy.internal:3128".to_string()
                ),
                (
                    "PIP_INDEX_URL".to_string(),
                    "https://index.internal/simple".to_string()
                ),
            ]
        );
    }
}
