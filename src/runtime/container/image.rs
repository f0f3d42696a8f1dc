//! Which image a runtime container starts from: `HARNESS_RUNTIME_IMAGE_<RUNTIME>`, else `image` in
//! `[runtimes."python:X"]`, else the official `python:X-slim`.

use crate::config::RuntimeSpec;
use crate::docker::{ImageRef, split_reference};

/// The base image of a runtime, and where that choice came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeImage {
    pub reference: String,
    /// `HARNESS_RUNTIME_IMAGE_PYTHON_3_12`, `harness.toml` or `default`.
    pub origin: String,
}

impl RuntimeImage {
    /// The configured image for `spec`, with `env` giving the environment (for tests).
    pub fn configured(spec: &RuntimeSpec, env: impl Fn(&str) -> Option<String>) -> Self {
        let chosen = ImageRef::choose(
            format!("HARNESS_RUNTIME_IMAGE_{}", spec.env_suffix()),
            env,
            spec.image.as_deref(),
            || format!("python:{}-slim", spec.version),
        );
        Self {
            reference: chosen.reference,
            origin: chosen.origin,
        }
    }

    /// `(name, tag)` as the container library wants them.
    pub fn name_and_tag(&self) -> (String, String) {
        split_reference(&self.reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_over_the_file_over_the_official_image() {
        let mut spec = RuntimeSpec::parse("python:3.12").unwrap();
        let default = RuntimeImage::configured(&spec, |_| None);
        assert_eq!(default.reference, "python:3.12-slim");
        assert_eq!(default.origin, "default");
        spec.image = Some("registry.example.com/team/python:3.12".into());
        assert_eq!(
            RuntimeImage::configured(&spec, |_| None).origin,
            "harness.toml"
        );
        let from_env = RuntimeImage::configured(&spec, |name| {
            (name == "HARNESS_RUNTIME_IMAGE_PYTHON_3_12")
                .then(|| "harness-local/python:3.12".into())
        });
        assert_eq!(from_env.reference, "harness-local/python:3.12");
        assert_eq!(
            from_env.name_and_tag(),
            ("harness-local/python".into(), "3.12".into())
        );
        assert_eq!(
            split_reference("localhost:5000/python"),
            ("localhost:5000/python".into(), "latest".into())
        );
    }
}
