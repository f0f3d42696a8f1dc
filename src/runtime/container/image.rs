//! Which image a runtime container starts from: `HARNESS_RUNTIME_IMAGE_<RUNTIME>`, else `image` in
//! `[runtimes."python:X"]`, else the official `python:X-slim`.

use crate::config::RuntimeSpec;

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
        let variable = format!("HARNESS_RUNTIME_IMAGE_{}", spec.env_suffix());
        if let Some(image) = env(&variable).filter(|v| !v.trim().is_empty()) {
            return Self {
                reference: image.trim().to_string(),
                origin: variable,
            };
        }
        if let Some(image) = &spec.image {
            return Self {
                reference: image.clone(),
                origin: "harness.toml".into(),
            };
        }
        Self {
            reference: format!("python:{}-slim", spec.version),
            origin: "default".into(),
        }
    }

    /// `(name, tag)` as the container library wants them.
    pub fn name_and_tag(&self) -> (String, String) {
        split_reference(&self.reference)
    }
}

/// `registry:5000/team/python:3.12` -> (`registry:5000/team/python`, `3.12`).
pub fn split_reference(reference: &str) -> (String, String) {
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(colon) => (
            reference[..last_slash + colon].to_string(),
            reference[last_slash + colon + 1..].to_string(),
        ),
        None => (reference.to_string(), "latest".to_string()),
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
