//! `[project] services`: servers besides the database that the project connects to when it starts
//! (Redis for a cache, a rate limiter or a task queue), started once per run and handed to every
//! tool process as a URL variable (`${HARNESS_REDIS_URL}`).

use super::BackendChoice;

/// A kind of service the harness can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKind {
    Redis,
}

impl ServiceKind {
    pub const ALL: &[ServiceKind] = &[ServiceKind::Redis];

    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Redis => "redis",
        }
    }

    /// The variable `[project.env]` names the service's URL by.
    pub fn variable(self) -> &'static str {
        match self {
            ServiceKind::Redis => "HARNESS_REDIS_URL",
        }
    }

    /// The port the server listens on inside a container.
    pub fn port(self) -> u16 {
        match self {
            ServiceKind::Redis => 6379,
        }
    }

    /// The version of the official image when the entry names none.
    pub fn default_version(self) -> &'static str {
        match self {
            ServiceKind::Redis => "7",
        }
    }
}

/// One `services` entry (`redis`, `redis:7`) with its `[services.NAME]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub kind: ServiceKind,
    /// The image tag the entry names (`7` in `redis:7`), if any.
    pub version: Option<String>,
    /// `[services.NAME] backend`, overridden by `HARNESS_BACKEND_<NAME>`.
    pub backend: BackendChoice,
    /// `[services.NAME] image`, overridden by `HARNESS_IMAGE_<NAME>`.
    pub image: Option<String>,
}

impl ServiceSpec {
    /// `redis` or `redis:<tag>`.
    pub fn parse(text: &str) -> Option<Self> {
        let (name, version) = match text.trim().split_once(':') {
            Some((name, version)) if !version.trim().is_empty() => {
                (name, Some(version.trim().to_string()))
            }
            Some(_) => return None,
            None => (text.trim(), None),
        };
        let kind = ServiceKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name().eq_ignore_ascii_case(name))?;
        Some(Self {
            kind,
            version,
            backend: BackendChoice::Auto,
            image: None,
        })
    }

    /// The suffix of its variables: `REDIS` in `HARNESS_BACKEND_REDIS`.
    pub fn env_suffix(&self) -> String {
        self.kind.name().to_ascii_uppercase()
    }

    /// The image a container starts from: `HARNESS_IMAGE_<NAME>`, else `[services.NAME] image`,
    /// else the official image at the entry's version.
    pub fn image_reference(&self) -> String {
        self.image_over(
            std::env::var(format!("HARNESS_IMAGE_{}", self.env_suffix()))
                .ok()
                .filter(|image| !image.trim().is_empty()),
        )
    }

    /// The image, `variable` (the value of `HARNESS_IMAGE_<NAME>`) first.
    fn image_over(&self, variable: Option<String>) -> String {
        variable.or_else(|| self.image.clone()).unwrap_or_else(|| {
            format!(
                "{}:{}",
                self.kind.name(),
                self.version
                    .as_deref()
                    .unwrap_or(self.kind.default_version())
            )
        })
    }

    /// The backend: `HARNESS_BACKEND_<NAME>` over harness.toml.
    pub fn backend_choice(&self) -> Result<BackendChoice, BadBackend> {
        let variable = format!("HARNESS_BACKEND_{}", self.env_suffix());
        match std::env::var(&variable) {
            Ok(value) if !value.trim().is_empty() => match BackendChoice::parse(&value) {
                Some(BackendChoice::External) | None => Err(BadBackend { variable, value }),
                Some(choice) => Ok(choice),
            },
            _ => Ok(self.backend),
        }
    }
}

/// A `HARNESS_BACKEND_<NAME>` value that is not a service's backend.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{variable}=`{value}` is not a backend of a service (auto, container or local)")]
pub struct BadBackend {
    pub variable: String,
    pub value: String,
}

impl std::fmt::Display for ServiceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{}:{version}", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

/// The variables every service kind sets, whether or not the run has it.
pub fn variables() -> impl Iterator<Item = &'static str> {
    ServiceKind::ALL.iter().map(|kind| kind.variable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_names_a_known_service_and_maybe_its_version() {
        let redis = ServiceSpec::parse("redis").unwrap();
        assert_eq!(redis.kind, ServiceKind::Redis);
        assert_eq!(redis.to_string(), "redis");
        let seven = ServiceSpec::parse("Redis:7.2").unwrap();
        assert_eq!(seven.version.as_deref(), Some("7.2"));
        assert_eq!(seven.to_string(), "redis:7.2");
        assert_eq!(ServiceSpec::parse("rabbitmq"), None);
        assert_eq!(ServiceSpec::parse("redis:"), None);
    }

    #[test]
    fn the_image_is_the_variables_then_the_files_then_the_official_one() {
        let mut seven = ServiceSpec::parse("redis:7").unwrap();
        assert_eq!(seven.image_over(None), "redis:7");
        assert_eq!(
            ServiceSpec::parse("redis").unwrap().image_over(None),
            "redis:7"
        );
        seven.image = Some("mirror.example/redis:7".into());
        assert_eq!(seven.image_over(None), "mirror.example/redis:7");
        assert_eq!(seven.image_over(Some("local/redis".into())), "local/redis");
    }
}
