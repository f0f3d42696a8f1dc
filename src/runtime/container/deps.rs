//! The dependency image: the runtime's image with the project's requirements installed into a
//! virtual environment at [`VENV`], committed once per (image id, requirements) and tagged by that
//! key, so every cell and every later run starts from it without installing anything. A refresh
//! commits a new one under the same tag and removes the old one when nothing uses it.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::cached_image::{
    LABEL_BASE, LABEL_DEPS, LABEL_FREEZE, LABEL_REQUIREMENTS, LABEL_VERSION, record_use,
};
use super::freeze;
use super::idle_command;
use super::{CA_TARGET, ContainerOptions, LABEL_RUNTIME, RuntimeImage, VENV, passed_through};
use crate::config::{Requirements, RuntimeSpec};
use crate::docker::{Commit, ContainerSpec, ExecRequest, Mount, exec};
use crate::runtime::{
    CacheDir, Interpreter, Phase, PhaseSink, Prepared, Refresh, RuntimeError, discover,
    requirement_count,
};

/// Bump when what goes into a dependency image changes, so old ones are not reused.
const LAYOUT: &str = "harness-deps-1";
/// The repository prepared images are tagged in: `harness-deps/python-3.12:<key>`.
const REPOSITORY: &str = "harness-deps";
const LABEL_EXECUTABLE: &str = "dev.harness.python-executable";

/// A prepared image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepsImage {
    /// `harness-deps/python-3.12:<key>`.
    pub tag: String,
    /// The interpreter in the image (path inside the container).
    pub interpreter: Interpreter,
    /// The image's PATH, with the environment's `bin` first.
    pub path: String,
    /// The distributions installed in the image's environment (from its freeze label).
    pub packages: Vec<(String, String)>,
}

/// Returns the prepared image for `spec` from `base` with `requirements`, and whether it existed;
/// with `refresh` due, prepares it again even when it exists. Records its use in `cache`, and
/// tells `phases` what it does.
pub async fn prepare_image(
    spec: &RuntimeSpec,
    base: &RuntimeImage,
    requirements: &Requirements,
    options: &ContainerOptions,
    cache: &CacheDir,
    refresh: &Refresh,
    phases: &PhaseSink,
) -> Result<(DepsImage, bool), RuntimeError> {
    let docker = &options.docker;
    let requirements_text = requirements.key_text().map_err(|source| RuntimeError::Io {
        what: "cannot read the requirements files".into(),
        source,
    })?;
    // A missing base image is pulled when the installing container starts.
    let base_id = crate::docker::inspect_image(docker, &base.reference)
        .await
        .ok()
        .and_then(|image| image.id);
    let mut replaced = None;
    if let Some(id) = &base_id {
        let tag = tag_for(spec, &key(id, &requirements_text));
        if refresh.is_due(&tag) {
            replaced = crate::docker::inspect_image(docker, &tag)
                .await
                .ok()
                .and_then(|image| image.id);
        } else if let Some(found) = existing(spec, &tag, options, cache, phases).await {
            record_use(cache, &tag);
            return Ok((found, true));
        }
    }
    let built = build(
        spec,
        base,
        requirements,
        &requirements_text,
        options,
        phases,
    )
    .await?;
    refresh.built(&built.tag);
    record_use(cache, &built.tag);
    let now = crate::docker::inspect_image(docker, &built.tag)
        .await
        .ok()
        .and_then(|image| image.id);
    if let Some(old) = replaced.filter(|old| Some(old) != now.as_ref()) {
        // The tag moved to the new image; the old one goes unless a container still uses it
        // (`harness cache` lists it then).
        let removal = crate::docker::remove_image(docker, &old);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), removal).await;
    }
    Ok((built, false))
}

fn key(base_id: &str, requirements: &str) -> String {
    let mut hash = Sha256::new();
    for part in [LAYOUT, base_id, requirements] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex(&hash.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tag_for(spec: &RuntimeSpec, key: &str) -> String {
    format!("{REPOSITORY}/{}:{key}", spec.id())
}

/// The prepared image `tag`, if it exists and carries the labels of a finished preparation. One
/// prepared before images recorded their distributions has them read from it (once per image).
async fn existing(
    spec: &RuntimeSpec,
    tag: &str,
    options: &ContainerOptions,
    cache: &CacheDir,
    phases: &PhaseSink,
) -> Option<DepsImage> {
    let image = crate::docker::inspect_image(&options.docker, tag)
        .await
        .ok()?;
    let labels = image.labels;
    let version = labels.get(LABEL_VERSION)?.clone();
    let executable = labels.get(LABEL_EXECUTABLE)?.clone();
    let path = image
        .env
        .iter()
        .find_map(|entry| entry.strip_prefix("PATH=").map(str::to_string))
        .unwrap_or_else(|| default_path().to_string());
    phases.tell(Phase::Reusing(Prepared::Image));
    let id = image.id.unwrap_or_else(|| tag.to_string());
    let labelled = labels
        .get(LABEL_FREEZE)
        .filter(|text| !text.trim().is_empty());
    let freeze = match labelled.cloned().or_else(|| freeze::kept(cache, &id)) {
        Some(text) => Some(text),
        None => {
            phases.tell(Phase::ReadingVersions);
            freeze::read(spec, tag, &id, options, cache).await
        }
    };
    let packages = freeze
        .map(|text| crate::runtime::venv::parse_freeze(&text))
        .unwrap_or_default();
    Some(DepsImage {
        tag: tag.to_string(),
        interpreter: Interpreter {
            path: executable.into(),
            version,
            source: "image",
        },
        path,
        packages,
    })
}

fn default_path() -> &'static str {
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

async fn build(
    spec: &RuntimeSpec,
    base: &RuntimeImage,
    requirements: &Requirements,
    requirements_text: &str,
    options: &ContainerOptions,
    phases: &PhaseSink,
) -> Result<DepsImage, RuntimeError> {
    let started = Instant::now();
    phases.tell(Phase::StartingContainer {
        image: base.reference.clone(),
    });
    let mut request = ContainerSpec {
        image: base.reference.clone(),
        cmd: idle_command(),
        labels: vec![(LABEL_RUNTIME.into(), spec.key())],
        ..ContainerSpec::default()
    };
    // Each file's folder, so `-r other.txt` and `-c constraints.txt` inside it resolve, and the
    // install folder when a package is a local path.
    for dir in requirements.read_dirs() {
        request.mounts.push(Mount::read_only(&dir, &dir));
    }
    if let Some(bundle) = &options.ca_bundle {
        request
            .mounts
            .push(Mount::read_only(bundle, Path::new(CA_TARGET)));
    }
    let container =
        crate::docker::start(&request)
            .await
            .map_err(|err| RuntimeError::Container {
                runtime: spec.key(),
                what: format!(
                    "cannot start a container from image {} (from {}): {err}",
                    base.reference, base.origin
                ),
                help: format!(
                    "check that the image exists (`docker image inspect {}`) or can be pulled; set \
             HARNESS_RUNTIME_IMAGE_{} or `image` in [runtimes.\"{}\"] to another image (locally \
             built images: scripts/setup/30-runtimes.sh, see docs/runtimes.md)",
                    base.reference,
                    spec.env_suffix(),
                    spec.key()
                ),
            })?;
    let id = container.id().to_string();
    options.teardown.register_container(&id);
    let preparing = Preparing {
        spec,
        base,
        options,
        id: &id,
        install_dir: requirements
            .has_local_paths()
            .then(|| requirements.dir.display().to_string()),
    };
    let result = install(&preparing, requirements, requirements_text, started, phases).await;
    container.remove().await;
    options.teardown.forget_container(&id);
    result
}

/// A preparation in progress: the container it runs in, and what it is for.
struct Preparing<'a> {
    spec: &'a RuntimeSpec,
    base: &'a RuntimeImage,
    options: &'a ContainerOptions,
    /// The container's id.
    id: &'a str,
    /// A local path among the packages (`-e .`) resolves from the install folder, mounted as is.
    install_dir: Option<String>,
}

impl Preparing<'_> {
    /// Runs `argv` in the container; the command as shown, and its output.
    async fn run(
        &self,
        argv: Vec<String>,
        env: Vec<(String, String)>,
    ) -> Result<(String, crate::process::Output), RuntimeError> {
        let shown = argv.join(" ");
        exec(
            &self.options.docker,
            self.id,
            ExecRequest {
                argv,
                env,
                dir: self.install_dir.as_deref(),
                user: None,
                stdin: None,
            },
        )
        .await
        .map_err(|err| RuntimeError::Container {
            runtime: self.spec.key(),
            what: format!(
                "cannot run `{shown}` in a container of image {}: {err}",
                self.base.reference
            ),
            help: "check that the Docker engine still runs".into(),
        })
        .map(|out| (shown, out))
    }

    /// The image's Python: its version and executable, which must be the runtime's.
    async fn python(&self) -> Result<(String, String), RuntimeError> {
        let (spec, base) = (self.spec, self.base);
        let probe = vec![
            "sh".to_string(),
            "-c".into(),
            format!(
                "exec \"$(command -v python3 || command -v python)\" -c '{}'",
                discover::PROBE
            ),
        ];
        let (_, out) = self.run(probe, Vec::new()).await?;
        let mut lines = out.stdout.lines();
        let version = lines.next().unwrap_or_default().trim().to_string();
        let executable = lines.next().unwrap_or_default().trim().to_string();
        if out.success() && discover::version_matches(&version, &spec.version) {
            return Ok((version, executable));
        }
        Err(RuntimeError::Container {
            runtime: spec.key(),
            what: if out.success() {
                format!(
                    "image {} holds Python {version}, not {}",
                    base.reference, spec.version
                )
            } else {
                format!(
                    "image {} has no working python3 ({}): {}",
                    base.reference,
                    out.status_text(),
                    out.tail(3)
                )
            },
            help: format!(
                "point HARNESS_RUNTIME_IMAGE_{} or `image` in [runtimes.\"{}\"] at an image with Python {} on PATH",
                spec.env_suffix(),
                spec.key(),
                spec.version
            ),
        })
    }

    /// The environment in VENV, made by `executable` and filled with the requirements; what it
    /// holds, as `pip list --format freeze` prints it (best effort).
    async fn environment(
        &self,
        executable: &str,
        requirements: &Requirements,
        phases: &PhaseSink,
    ) -> Result<String, RuntimeError> {
        let mut env = passed_through(|name| std::env::var(name).ok());
        env.extend(self.options.ca_env());
        env.push(("PIP_DISABLE_PIP_VERSION_CHECK".into(), "1".into()));
        env.push(("PIP_NO_CACHE_DIR".into(), "1".into()));
        env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
        let mut steps = vec![vec![
            executable.to_string(),
            "-m".into(),
            "venv".into(),
            VENV.into(),
        ]];
        let install_args = requirements.install_args();
        if !install_args.is_empty() {
            let mut install = vec![
                format!("{VENV}/bin/python"),
                "-m".into(),
                "pip".into(),
                "install".into(),
                "--quiet".into(),
            ];
            install.extend(install_args);
            steps.push(install);
        }
        for (n, step) in steps.into_iter().enumerate() {
            if n == 1 {
                phases.tell(Phase::InstallingRequirements {
                    requirements: requirement_count(requirements),
                    installer: "pip",
                });
            }
            let (shown, out) = self.run(step, env.clone()).await?;
            if !out.success() {
                return Err(RuntimeError::Setup {
                    runtime: self.spec.key(),
                    command: format!("{shown} (in a container of image {})", self.base.reference),
                    status: out.status_text(),
                    tail: out.tail(15),
                    failure: Box::new(crate::runtime::InstallFailure::of(&format!(
                        "{}\n{}",
                        out.stdout, out.stderr
                    ))),
                    named_at: None,
                });
            }
        }
        let list = vec![
            format!("{VENV}/bin/python"),
            "-m".into(),
            "pip".into(),
            "list".into(),
            "--format".into(),
            "freeze".into(),
        ];
        Ok(self
            .run(list, env)
            .await
            .ok()
            .filter(|(_, out)| out.success())
            .map(|(_, out)| out.stdout)
            .unwrap_or_default())
    }
}

async fn install(
    preparing: &Preparing<'_>,
    requirements: &Requirements,
    requirements_text: &str,
    started: Instant,
    phases: &PhaseSink,
) -> Result<DepsImage, RuntimeError> {
    let Preparing {
        spec,
        base,
        options,
        id,
        ..
    } = *preparing;
    let docker = &options.docker;
    let (version, executable) = preparing.python().await?;
    let freeze = preparing
        .environment(&executable, requirements, phases)
        .await?;
    let image = crate::docker::inspect_image(docker, &base.reference)
        .await
        .map_err(|err| RuntimeError::Container {
            runtime: spec.key(),
            what: format!("cannot inspect image {}: {err}", base.reference),
            help: "check that the Docker engine still runs".into(),
        })?;
    let base_id = image.id.unwrap_or_else(|| base.reference.clone());
    let base_path = image
        .env
        .iter()
        .find_map(|entry| entry.strip_prefix("PATH=").map(str::to_string))
        .unwrap_or_else(|| default_path().to_string());
    let key = key(&base_id, requirements_text);
    let tag = tag_for(spec, &key);
    let (repo, tag_name) = crate::docker::split_reference(&tag);
    let path = format!("{VENV}/bin:{base_path}");
    let labels = HashMap::from([
        (LABEL_DEPS.to_string(), "true".to_string()),
        (LABEL_RUNTIME.to_string(), spec.key()),
        (LABEL_BASE.to_string(), base.reference.clone()),
        (LABEL_VERSION.to_string(), version.clone()),
        (LABEL_EXECUTABLE.to_string(), executable.clone()),
        (LABEL_FREEZE.to_string(), freeze.clone()),
        (
            LABEL_REQUIREMENTS.to_string(),
            crate::runtime::venv::requirements_hash(requirements_text),
        ),
    ]);
    phases.tell(Phase::Committing);
    let comment = format!(
        "harness: {} with the project's requirements, prepared in {:.1}s",
        base.reference,
        started.elapsed().as_secs_f64()
    );
    crate::docker::commit(
        docker,
        Commit {
            container: id,
            repo: &repo,
            tag: &tag_name,
            comment: &comment,
            labels,
            env: vec![format!("PATH={path}"), format!("VIRTUAL_ENV={VENV}")],
            cmd: idle_command(),
        },
    )
    .await
    .map_err(|err| RuntimeError::Container {
        runtime: spec.key(),
        what: format!("cannot commit the prepared image {tag}: {err}"),
        help: "check the Docker engine's free disk space".into(),
    })?;
    Ok(DepsImage {
        tag,
        interpreter: Interpreter {
            path: executable.into(),
            version,
            source: "image",
        },
        path,
        packages: crate::runtime::venv::parse_freeze(&freeze),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_the_image_and_the_requirements() {
        let a = key("sha256:aaa", "alembic==1.13.3");
        assert_eq!(a, key("sha256:aaa", "alembic==1.13.3"));
        assert_ne!(a, key("sha256:bbb", "alembic==1.13.3"));
        assert_ne!(a, key("sha256:aaa", "alembic==1.14.0"));
        assert_eq!(a.len(), 16);
        let spec = RuntimeSpec::parse("python:3.12").unwrap();
        assert_eq!(tag_for(&spec, &a), format!("harness-deps/python-3.12:{a}"));
    }
}
