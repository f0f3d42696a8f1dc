//! An image reference and where it was chosen: an environment variable, harness.toml, or the
//! official default. Database engines and runtime containers choose theirs the same way.

/// A chosen image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub reference: String,
    /// The variable's name (`HARNESS_IMAGE_POSTGRES_17`), `harness.toml` or `default`.
    pub origin: String,
}

impl ImageRef {
    /// `variable` (read through `env`) when set, else `configured`, else `default`.
    pub fn choose(
        variable: String,
        env: impl Fn(&str) -> Option<String>,
        configured: Option<&str>,
        default: impl FnOnce() -> String,
    ) -> Self {
        if let Some(image) = env(&variable).filter(|v| !v.trim().is_empty()) {
            return Self {
                reference: image.trim().to_string(),
                origin: variable,
            };
        }
        match configured {
            Some(image) => Self {
                reference: image.to_string(),
                origin: "harness.toml".into(),
            },
            None => Self {
                reference: default(),
                origin: "default".into(),
            },
        }
    }
}

/// `registry:5000/team/python:3.12` -> (`registry:5000/team/python`, `3.12`); no tag is `latest`.
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
    fn the_variable_over_the_file_over_the_default() {
        let none = |_: &str| None;
        let set = |name: &str| (name == "X").then(|| " team/pg:17 ".to_string());
        let chosen = ImageRef::choose("X".into(), set, Some("file/pg:17"), || "pg:17".into());
        assert_eq!(
            (chosen.reference.as_str(), chosen.origin.as_str()),
            ("team/pg:17", "X")
        );
        let chosen = ImageRef::choose("X".into(), none, Some("file/pg:17"), || "pg:17".into());
        assert_eq!(chosen.origin, "harness.toml");
        let chosen = ImageRef::choose("X".into(), none, None, || "pg:17".into());
        assert_eq!(
            (chosen.reference.as_str(), chosen.origin.as_str()),
            ("pg:17", "default")
        );
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        assert_eq!(
            split_reference("registry:5000/team/python:3.12"),
            ("registry:5000/team/python".into(), "3.12".into())
        );
        assert_eq!(
            split_reference("registry:5000/team/python"),
            ("registry:5000/team/python".into(), "latest".into())
        );
        assert_eq!(
            split_reference("postgres"),
            ("postgres".into(), "latest".into())
        );
    }
}
