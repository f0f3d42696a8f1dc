//! Where the migration tool runs: a local interpreter found on the machine with one cached virtual
//! environment per (interpreter, requirements), or a runtime container per cell started from an
//! image prepared once per (image, requirements). Adapters run every process through a
//! [`Session`], the same way for both backends.

mod cache;
mod cached_venv;
pub mod container;
mod discover;
mod folders;
mod install_failure;
mod invocation;
mod local;
mod phase;
mod refresh;
mod session;
mod uv;
mod venv;
mod watched;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

pub use cache::{CacheDir, human_size};
pub use cached_venv::{CachedVenv, DiskUsage, cached_venvs, other_usage};
pub use discover::{Interpreter, find_interpreter};
pub use install_failure::InstallFailure;
pub use invocation::{
    CELL_DIR, Invocation, Program, RUN_SECRET, expand as expand_env, records_dir,
    references as env_references, remove_shared_cell_dir, run_secret, shared_cell_dir,
};
pub use local::LocalEnv;
pub use phase::{Phase, PhaseSink, Prepared, requirement_count};
pub use refresh::Refresh;
pub use session::Session;
pub use uv::{ExportError, Installer, LockExport, Uv, UvLookup, UvSource};
pub use venv::{PreparedVenv, installed, prepare_venv, prepare_venv_refreshing, prepare_venv_with};

use crate::config::{Requirements, RuntimeBackend, RuntimeSpec};
use container::{ContainerOptions, ContainerRuntime, RuntimeImage};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("no interpreter found for {runtime}; looked in:\n{}", looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    NotFound {
        runtime: String,
        looked: Vec<String>,
    },
    #[error(
        "setting up the environment for {runtime} failed: `{command}` ended with {status}\n{tail}"
    )]
    Setup {
        runtime: String,
        command: String,
        status: String,
        tail: String,
        /// Why, read from the installer's whole output.
        failure: Box<InstallFailure>,
        /// Where the requirements name the package that failed (`requirements.txt:3`).
        named_at: Option<Box<str>>,
    },
    #[error("{runtime}: {what}")]
    Container {
        runtime: String,
        what: String,
        help: String,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The warm worker stopped while a step's child ran: the step is not run again.
    #[error(
        "the warm tool worker stopped while `{command}` ran (its child, process {pid}, was stopped with it): the database state is unknown, so the step is not run again{}{}",
        lines_after("the worker's last stderr lines", worker_stderr),
        lines_after("the step's output so far", &last_lines(step_stderr, 12))
    )]
    WorkerLost {
        command: String,
        pid: i32,
        worker_stderr: Vec<String>,
        step_stderr: String,
    },
}

/// `title:` and the lines, indented, on lines of their own; nothing when there are none.
fn lines_after(title: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let body: String = lines.iter().map(|line| format!("\n    | {line}")).collect();
    format!("\n  {title}:{body}")
}

/// The last `count` non-empty lines of `text`.
fn last_lines(text: &str, count: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(count)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

impl RuntimeError {
    /// The same error, saying where `requirements` name the package that failed to install.
    fn located_in(self, requirements: &Requirements) -> Self {
        match self {
            RuntimeError::Setup {
                runtime,
                command,
                status,
                tail,
                failure,
                named_at: None,
            } => {
                let named_at = failure
                    .package()
                    .and_then(|package| requirements.where_named(package))
                    .map(String::into_boxed_str);
                RuntimeError::Setup {
                    runtime,
                    command,
                    status,
                    tail,
                    failure,
                    named_at,
                }
            }
            other => other,
        }
    }

    /// Why the dependencies did not install, when that is what failed.
    pub fn install_failure(&self) -> Option<&InstallFailure> {
        match self {
            RuntimeError::Setup { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// The error, then what to do about it on a `help:` line when there is advice.
    pub fn with_help(&self) -> String {
        match self.help() {
            Some(help) => format!("{self}\n  help: {help}"),
            None => self.to_string(),
        }
    }

    pub fn help(&self) -> Option<String> {
        match self {
            RuntimeError::NotFound { runtime, .. } => Some(format!(
                "install that Python (pyenv, uv or your package manager), set `[runtimes.\"{runtime}\"] interpreter = \"/path/to/python\"` in harness.toml, or remove it from matrix.runtimes"
            )),
            RuntimeError::Setup {
                failure, named_at, ..
            } => Some(match named_at {
                Some(at) => format!("{} (it is named at {at})", failure.help()),
                None => failure.help(),
            }),
            RuntimeError::Container { help, .. } => Some(help.clone()),
            RuntimeError::Io { .. } => None,
            RuntimeError::WorkerLost { .. } => Some(
                "a worker that stops is not expected: its last lines above say why; run again, or with --no-worker to run each tool process on its own"
                    .into(),
            ),
        }
    }
}

/// How a prepared runtime runs processes.
#[derive(Debug, Clone)]
pub enum Backend {
    Local(LocalEnv),
    Container(Arc<ContainerRuntime>),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Local(_) => "local",
            Backend::Container(_) => "container",
        }
    }
}

/// A runtime ready to run the migration tool: its interpreter and where its processes run.
#[derive(Debug, Clone)]
pub struct PreparedRuntime {
    pub spec: RuntimeSpec,
    /// The interpreter: on this machine, or inside the image (`source` is `image`).
    pub interpreter: Interpreter,
    pub backend: Backend,
    /// Whether the environment (or the prepared image) came from the cache.
    pub reused: bool,
    pub setup_time: Duration,
    /// The distributions installed in its environment, as (name, version) (empty when unknown).
    pub packages: Vec<(String, String)>,
}

impl PreparedRuntime {
    /// The base image a container runtime starts from (`None` for a local interpreter).
    pub fn image(&self) -> Option<&RuntimeImage> {
        match &self.backend {
            Backend::Local(_) => None,
            Backend::Container(container) => Some(&container.base),
        }
    }

    /// The python that runs the tool, for messages.
    pub fn python_display(&self) -> String {
        match &self.backend {
            Backend::Local(local) => local.python.display().to_string(),
            Backend::Container(container) => format!(
                "{}/bin/python in {}",
                container::VENV,
                container.base.reference
            ),
        }
    }
}

/// The backend for this run: `HARNESS_RUNTIME_BACKEND` over harness.toml.
pub fn backend_choice(configured: RuntimeBackend) -> Result<RuntimeBackend, RuntimeError> {
    match std::env::var("HARNESS_RUNTIME_BACKEND") {
        Ok(value) if !value.trim().is_empty() => {
            RuntimeBackend::parse(&value).ok_or_else(|| RuntimeError::Container {
                runtime: "runtime".into(),
                what: format!("HARNESS_RUNTIME_BACKEND=`{value}` is not a runtime backend"),
                help: "use auto, container or local".into(),
            })
        }
        _ => Ok(configured),
    }
}

/// Finds the interpreter for `spec` and builds (or reuses) its local environment.
pub async fn prepare(
    spec: &RuntimeSpec,
    requirements: &Requirements,
    cache: &CacheDir,
) -> Result<PreparedRuntime, RuntimeError> {
    prepare_refreshing(
        spec,
        requirements,
        cache,
        &Refresh::off(),
        &PhaseSink::none(),
    )
    .await
}

/// [`prepare`], building the environment again when `refresh` says it is due, and telling
/// `phases` what it does.
pub async fn prepare_refreshing(
    spec: &RuntimeSpec,
    requirements: &Requirements,
    cache: &CacheDir,
    refresh: &Refresh,
    phases: &PhaseSink,
) -> Result<PreparedRuntime, RuntimeError> {
    let started = std::time::Instant::now();
    phases.tell(Phase::FindingInterpreter);
    let interpreter = discover::find_interpreter_remembered(spec, cache, refresh.is_on()).await?;
    let (venv, reused) = prepare_venv(spec, &interpreter, requirements, cache, refresh, phases)
        .await
        .map_err(|err| err.located_in(requirements))?;
    let packages = installed(&venv);
    Ok(PreparedRuntime {
        spec: spec.clone(),
        interpreter,
        backend: Backend::Local(LocalEnv::new(venv.join("bin").join("python"), venv)),
        reused,
        setup_time: started.elapsed(),
        packages,
    })
}

/// Resolves the image for `spec` and builds (or reuses) its prepared image; with `refresh` due,
/// builds it again and moves its tag to the new one. Its use is recorded in `cache`; `phases` is
/// told what it does.
pub async fn prepare_container(
    spec: &RuntimeSpec,
    requirements: &Requirements,
    options: ContainerOptions,
    cache: &CacheDir,
    refresh: &Refresh,
    phases: &PhaseSink,
) -> Result<PreparedRuntime, RuntimeError> {
    let started = std::time::Instant::now();
    let base = RuntimeImage::configured(spec, |name| std::env::var(name).ok());
    let (deps, reused) =
        container::prepare_image(spec, &base, requirements, &options, cache, refresh, phases)
            .await
            .map_err(|err| err.located_in(requirements))?;
    Ok(PreparedRuntime {
        spec: spec.clone(),
        interpreter: deps.interpreter.clone(),
        packages: deps.packages.clone(),
        backend: Backend::Container(Arc::new(ContainerRuntime {
            base,
            deps,
            options,
        })),
        reused,
        setup_time: started.elapsed(),
    })
}
