//! `harness init`'s trial: the project's own Alembic, in the newest runtime's environment, reads
//! the revision graph and upgrades an empty SQLite database, so init writes down what works; and
//! the exact versions a uv.lock pins. Prints nothing: the CLI says what happened.

use std::path::Path;

use crate::adapters::traceback::{error_line, importing_file, missing_module};
use crate::adapters::{Action, Alembic, Graph};
use crate::config::{self, DatabaseSpec, Project, RuntimeSpec};
use crate::runtime::{self, CacheDir, Interpreter, PreparedRuntime, Session};

/// Why a trial could not run at all (not a failing project: that is a [`TrialOutcome`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TrialError(pub String);

/// How long init's trial upgrade on SQLite may take, in seconds (`HARNESS_TRIAL_SECONDS` overrides).
pub const TRIAL_SECONDS: u64 = 180;
/// What a trial upgrade on a scratch SQLite database showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrialOutcome {
    Passed,
    /// The project opened an engine on another database (shown redacted).
    Foreign(String),
    MissingModule {
        module: String,
        by: Option<String>,
    },
    Failed(String),
    /// The environment could not be prepared.
    Setup(String),
}

/// A trial's result: what happened, the Python that ran it, the revision graph.
#[derive(Debug)]
pub struct Trial {
    pub outcome: TrialOutcome,
    pub python: String,
    /// The revision graph, or the error line of the tool's failure.
    pub graph: Result<Graph, String>,
}

/// Prepares the newest runtime, reads the revision graph and upgrades an empty SQLite database to
/// the heads with the project's own Alembic.
pub async fn trial(project: &Project, interpreter: &Interpreter) -> Result<Trial, TrialError> {
    let spec =
        RuntimeSpec::parse(&format!("python:{}", interpreter.minor())).map_err(TrialError)?;
    let cache = CacheDir::from_env();
    let prepared: PreparedRuntime =
        match runtime::prepare(&spec, &project.requirements, &cache).await {
            Ok(prepared) => prepared,
            Err(err) => {
                return Ok(Trial {
                    outcome: TrialOutcome::Setup(match err.help() {
                        Some(help) => format!("{err}\n  help: {help}"),
                        None => err.to_string(),
                    }),
                    python: interpreter.version.clone(),
                    graph: Err("the environment could not be prepared".into()),
                });
            }
        };
    let config::ToolConfig::Alembic { ini } = &project.tool_config else {
        unreachable!("init writes Alembic projects")
    };
    let adapter = Alembic::new(&project.dir, ini.as_deref(), &project.process_env(), &cache)
        .map_err(|err| TrialError(err.to_string()))?;
    let sqlite = DatabaseSpec::parse("sqlite").map_err(TrialError)?;
    let engine = crate::database::start(&sqlite, None)
        .await
        .map_err(|err| TrialError(err.to_string()))?;
    let database = engine
        .create()
        .await
        .map_err(|err| TrialError(err.to_string()))?;
    let session = Session::new(&prepared, Some(&database), "init");
    let graph = adapter.graph(&session).await.map_err(|err| {
        let text = err.to_string();
        match missing_module(&text) {
            Some(module) => format!(
                "no module named `{module}`{}\n  help: add the package that provides `{module}` to `packages` in harness.toml (or, for the project's own code, its folder to `pythonpath`)",
                importing_file(&text, &project.dir)
                    .map(|file| format!(", imported by {file}"))
                    .unwrap_or_default()
            ),
            // Raised in the project's own code (a module that builds an Alembic configuration
            // of its own, a settings check): where, so the owner knows what to look at.
            None => match importing_file(&text, &project.dir) {
                Some(file) => format!("{}, raised from {file}", error_line(&text)),
                None => error_line(&text),
            },
        }
    });
    // A project that waits for a server of its own (a settings module connecting at import) would
    // hold init forever: the trial is stopped, and its process killed, after a while.
    let limit = std::env::var("HARNESS_TRIAL_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(TRIAL_SECONDS);
    let upgrade = tokio::time::timeout(
        std::time::Duration::from_secs(limit),
        adapter.run(&session, &Action::Upgrade("heads".into())),
    )
    .await;
    session.close().await;
    drop(database);
    engine.shutdown().await;
    let output = match upgrade {
        Ok(output) => output.map_err(|err| TrialError(err.to_string()))?,
        Err(_) => {
            return Ok(Trial {
                outcome: TrialOutcome::Failed(format!(
                    "it did not finish within {} s (the project may be waiting for a server or a prompt of its own); `harness run` shows where it stops",
                    limit
                )),
                python: prepared.interpreter.version.clone(),
                graph,
            });
        }
    };
    let text = format!("{}\n{}", output.stdout, output.stderr);
    let outcome = if output.success() {
        TrialOutcome::Passed
    } else if let Some(url) = text
        .lines()
        .find_map(|l| l.strip_prefix("HARNESS-FOREIGN-URL "))
    {
        TrialOutcome::Foreign(url.trim().to_string())
    } else if let Some(module) = missing_module(&text) {
        TrialOutcome::MissingModule {
            by: importing_file(&text, &project.dir),
            module,
        }
    } else {
        TrialOutcome::Failed(error_line(&text))
    };
    Ok(Trial {
        outcome,
        python: prepared.interpreter.version.clone(),
        graph,
    })
}

/// The requirements uv.lock pins, when the project has one (beside a pyproject.toml, in a folder
/// from the migrations' parent up to the root) and uv can be had, with the local folders it names
/// instead of versions; and the lock's path.
pub async fn locked(
    root: &Path,
    script_dir: &Path,
    python: &Interpreter,
) -> Result<Option<(runtime::LockExport, String)>, String> {
    let dir = script_dir
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root))
        .find(|dir| dir.join("uv.lock").is_file() && dir.join("pyproject.toml").is_file());
    let Some(dir) = dir else {
        return Ok(None);
    };
    let lock_path = crate::discover::relative(root, &dir.join("uv.lock"));
    let cache = CacheDir::from_env();
    let uv = match runtime::UvLookup::from_env()
        .find(&cache, &python.path)
        .await
    {
        Ok(runtime::Installer::Uv(uv)) => uv,
        _ => return Err(format!("{lock_path} is not used: no uv to export it with")),
    };
    match uv.export_lock(dir).await {
        Ok(export) if !export.text.trim().is_empty() => Ok(Some((export, lock_path))),
        Ok(_) => Ok(None),
        Err(why) => Err(format!(
            "{lock_path} could not be exported ({why}); the ranges of pyproject.toml are used"
        )),
    }
}
