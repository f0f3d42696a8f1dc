//! `harness init`'s trial: the project's own Alembic, in the newest runtime's environment, reads
//! the revision graph and upgrades an empty database on each engine init chose (the first that
//! starts of each entry's candidates), so init writes down what works; and
//! the exact versions a uv.lock pins. Prints nothing: the CLI says what happened.

use std::path::Path;

use crate::adapters::traceback::error_line;
use crate::adapters::{Action, Alembic, Graph, RefusedService, ToolOutcome, ToolRun};
use crate::config::{self, Bootstrap, DatabaseSpec, EngineKind, Project, RuntimeSpec};
use crate::runtime::{self, CacheDir, Interpreter, PreparedRuntime, Session};

/// Why a trial could not run at all (not a failing project: that is a [`TrialOutcome`]).
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error(transparent)]
    Spec(#[from] config::SpecError),
    #[error("init's trial runs Alembic projects only")]
    NotAlembic,
    #[error(transparent)]
    Tool(#[from] crate::adapters::AdapterError),
    #[error(transparent)]
    Runtime(#[from] runtime::RuntimeError),
}

impl TrialError {
    /// Why the dependencies did not install, when that is what stopped it.
    pub fn install_failure(&self) -> Option<&runtime::InstallFailure> {
        match self {
            TrialError::Runtime(err) => err.install_failure(),
            _ => None,
        }
    }
}

/// Why the revision graph did not load: the tool's error as init says it, and whether it is a
/// setting the project lacks (an unset environment variable, a settings check).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct GraphError {
    pub message: String,
    pub missing_setting: bool,
}

/// How long init's trial upgrade may take on one engine, in seconds (`HARNESS_TRIAL_SECONDS`
/// overrides).
pub const TRIAL_SECONDS: u64 = 180;
/// What a trial upgrade on a scratch database showed.
#[derive(Debug, Clone)]
pub enum TrialOutcome {
    Passed,
    /// The project opened an engine on another database (shown redacted).
    Foreign(String),
    MissingModule {
        module: String,
        by: Option<String>,
    },
    /// The upgrade failed: the error line, and whether it is one the database's dialect raised
    /// (SQL it rejects, a type it cannot render), which another engine may not.
    Failed {
        line: String,
        dialect: bool,
        /// It stopped in the first revisions on a table none creates: the project creates its
        /// schema from its models (`bootstrap`).
        needs_bootstrap: bool,
        /// Settings fields a pydantic ValidationError said are required and missing.
        settings: Vec<String>,
        /// A service the project could not connect to when it started.
        refused: Option<RefusedService>,
    },
    /// The environment could not be prepared.
    Setup(std::sync::Arc<SetupError>),
    /// No engine of the entry's candidates started: why each did not.
    NoEngine(NotStarted),
}

/// A `matrix.databases` candidate that did not start, and why.
#[derive(Debug, Clone)]
pub struct Unstarted {
    pub entry: String,
    pub error: std::sync::Arc<crate::database::DatabaseError>,
}

/// Every candidate of an entry, none of which started (or the one that started but could not make
/// a database).
#[derive(Debug, Clone)]
pub struct NotStarted(pub Vec<Unstarted>);

impl std::fmt::Display for NotStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, unstarted) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            // A start error names its entry already.
            let why = unstarted.error.to_string();
            if why.starts_with(&unstarted.entry) {
                f.write_str(&why)?;
            } else {
                write!(f, "{}: {why}", unstarted.entry)?;
            }
        }
        Ok(())
    }
}

/// Why the trial's environment could not be prepared: its runtime, or a service the project needs.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Runtime(runtime::RuntimeError),
    #[error(transparent)]
    Service(crate::service::ServiceError),
}

impl SetupError {
    /// The error, then what to do about it on a `help:` line when there is advice.
    pub fn with_help(&self) -> String {
        match self {
            SetupError::Runtime(err) => err.with_help(),
            SetupError::Service(err) => err.to_string(),
        }
    }

    /// Why the dependencies did not install, when that is what failed.
    pub fn install_failure(&self) -> Option<&runtime::InstallFailure> {
        match self {
            SetupError::Runtime(err) => err.install_failure(),
            SetupError::Service(_) => None,
        }
    }
}

/// The trial on one `matrix.databases` entry.
#[derive(Debug)]
pub struct EngineTrial {
    /// The entry that ran (the first candidate that started).
    pub spec: DatabaseSpec,
    /// The tables with a `version_num` column the upgrade left: the version table(s) env.py
    /// really uses (it may name one in code).
    pub version_tables: Vec<String>,
    /// Candidates tried before it that did not start, with why.
    pub skipped: Vec<Unstarted>,
    pub outcome: TrialOutcome,
}

/// A trial's result: what happened on each engine, the Python that ran it, the revision graph.
#[derive(Debug)]
pub struct Trial {
    pub engines: Vec<EngineTrial>,
    pub python: String,
    /// The revision graph, or the error line of the tool's failure.
    pub graph: Result<Graph, GraphError>,
}

impl Trial {
    /// The outcome on the first engine: the one init reports first.
    pub fn outcome(&self) -> &TrialOutcome {
        &self.engines[0].outcome
    }

    /// Why the dependencies did not install, when the environment could not be prepared.
    pub fn install_failure(&self) -> Option<&runtime::InstallFailure> {
        match self.outcome() {
            TrialOutcome::Setup(err) => err.install_failure(),
            _ => None,
        }
    }
}

/// Prepares the newest runtime (with a driver for each server engine the requirements lack), reads
/// the revision graph and upgrades an empty database to the heads with the project's own Alembic,
/// on each entry: `candidates[i]` lists specs in order of preference, the first that starts runs.
pub async fn trial(
    project: &Project,
    interpreter: &Interpreter,
    candidates: &[Vec<DatabaseSpec>],
) -> Result<Trial, TrialError> {
    trial_through(project, interpreter, candidates, None).await
}

/// The project's own migrate command, run instead of Alembic's upgrade (Alembic still reads the
/// revision graph): `url_env` gets the cell's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Through {
    pub upgrade: Vec<String>,
    pub url_env: String,
}

/// [`trial`], the upgrade run `through` the project's own command when given.
pub async fn trial_through(
    project: &Project,
    interpreter: &Interpreter,
    candidates: &[Vec<DatabaseSpec>],
    through: Option<&Through>,
) -> Result<Trial, TrialError> {
    let spec = RuntimeSpec::parse(&format!("python:{}", interpreter.minor()))?;
    let cache = CacheDir::from_env();
    let engines: Vec<EngineKind> = candidates
        .iter()
        .filter_map(|c| c.first().map(|s| s.engine))
        .collect();
    let (requirements, _) =
        crate::engine::prepare::drivers_for(&project.requirements, project.tool, &engines);
    let all_setup = |why: SetupError| {
        let why = std::sync::Arc::new(why);
        Trial {
            engines: candidates
                .iter()
                .filter_map(|c| c.first())
                .map(|spec| EngineTrial {
                    spec: spec.clone(),
                    version_tables: Vec::new(),
                    skipped: Vec::new(),
                    outcome: TrialOutcome::Setup(why.clone()),
                })
                .collect(),
            python: interpreter.version.clone(),
            graph: Err(GraphError {
                message: "the environment could not be prepared".into(),
                missing_setting: false,
            }),
        }
    };
    let prepared: PreparedRuntime = match runtime::prepare(&spec, &requirements, &cache).await {
        Ok(prepared) => prepared,
        Err(err) => return Ok(all_setup(SetupError::Runtime(err))),
    };
    let config::ToolConfig::Alembic { ini } = &project.tool_config else {
        return Err(TrialError::NotAlembic);
    };
    let adapter = Alembic::new(&project.dir, ini.as_deref(), &project.process_env(), &cache)?;
    // The project's services, started for the trial alone (local runtimes, no network).
    let teardown = crate::docker::Teardown::new();
    let services = match crate::service::start_all(&project.services, None, false, &teardown).await
    {
        Ok(services) => services,
        Err(err) => {
            teardown.shutdown_all().await;
            return Ok(all_setup(SetupError::Service(err)));
        }
    };
    let mut graph = None;
    let mut results = Vec::new();
    for specs in candidates {
        let mut skipped = Vec::new();
        let mut started = None;
        for spec in specs {
            match crate::database::start(spec, None).await {
                Ok(engine) => {
                    started = Some((spec.clone(), engine));
                    break;
                }
                Err(err) => skipped.push(Unstarted {
                    entry: spec.to_string(),
                    error: std::sync::Arc::new(err),
                }),
            }
        }
        let Some((spec, engine)) = started else {
            results.push(EngineTrial {
                spec: specs[0].clone(),
                version_tables: Vec::new(),
                skipped: Vec::new(),
                outcome: TrialOutcome::NoEngine(NotStarted(skipped)),
            });
            continue;
        };
        let outcome = on_engine(
            project,
            &adapter,
            &prepared,
            (engine.as_ref(), &services),
            &mut graph,
            through,
        )
        .await;
        engine.shutdown().await;
        let (outcome, version_tables) = outcome?;
        results.push(EngineTrial {
            spec,
            version_tables,
            skipped,
            outcome,
        });
    }
    teardown.shutdown_all().await;
    Ok(Trial {
        engines: results,
        python: prepared.interpreter.version.clone(),
        graph: graph.unwrap_or_else(|| {
            Err(GraphError {
                message: "no engine started to read it with".into(),
                missing_setting: false,
            })
        }),
    })
}

/// Prepares `interpreter`'s environment for the project (a driver added for each of `engines` the
/// requirements lack), as a run will: `Err` says why the dependencies did not install
/// ([`TrialError::install_failure`]).
pub async fn prepare_only(
    project: &Project,
    interpreter: &Interpreter,
    engines: &[EngineKind],
) -> Result<(), TrialError> {
    let spec = RuntimeSpec::parse(&format!("python:{}", interpreter.minor()))?;
    let (requirements, _) =
        crate::engine::prepare::drivers_for(&project.requirements, project.tool, engines);
    runtime::prepare(&spec, &requirements, &CacheDir::from_env()).await?;
    Ok(())
}

/// One engine's trial: a fresh database, the graph (read once, on the first engine), the upgrade.
async fn on_engine(
    project: &Project,
    adapter: &Alembic,
    prepared: &PreparedRuntime,
    (engine, services): (&dyn crate::database::Engine, &crate::service::Services),
    graph: &mut Option<Result<Graph, GraphError>>,
    through: Option<&Through>,
) -> Result<(TrialOutcome, Vec<String>), TrialError> {
    let database = match engine.create().await {
        Ok(database) => database.with_services(services),
        Err(err) => {
            let unstarted = Unstarted {
                entry: engine.spec().to_string(),
                error: std::sync::Arc::new(err),
            };
            return Ok((
                TrialOutcome::NoEngine(NotStarted(vec![unstarted])),
                Vec::new(),
            ));
        }
    };
    let session = Session::new(prepared, Some(&database), "init");
    if graph.is_none() {
        *graph = Some(
            adapter
                .graph(&session)
                .await
                .map_err(|err| graph_error(&err, project)),
        );
    }
    // A project that waits for a server of its own (a settings module connecting at import) would
    // hold init forever: the trial is stopped, and its process killed, after a while.
    let limit = std::env::var("HARNESS_TRIAL_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(TRIAL_SECONDS);
    // The version tables the chains left, which are not the project's.
    let mut chain_tables: Vec<String> = Vec::new();
    let upgrade = tokio::time::timeout(
        std::time::Duration::from_secs(limit),
        upgrade_sequence(
            (project, adapter, through),
            &session,
            (engine, &database),
            &mut chain_tables,
        ),
    )
    .await;
    session.close().await;
    let mut version_tables = version_tables(engine, &database).await;
    version_tables.retain(|table| !chain_tables.contains(table));
    drop(database);
    let run = match upgrade {
        Ok(run) => run?,
        Err(_) => {
            return Ok((
                TrialOutcome::Failed {
                    line: format!(
                        "it did not finish within {limit} s (the project may be waiting for a server or a prompt of its own); `harness run` shows where it stops"
                    ),
                    dialect: false,
                    needs_bootstrap: false,
                    settings: Vec::new(),
                    refused: None,
                },
                version_tables,
            ));
        }
    };
    let outcome = classify(&run, project, graph);
    Ok((outcome, version_tables))
}

/// Why the revision graph did not load, as init says it: a module and who imported it, or the
/// error's line and the project's file it was raised from.
fn graph_error(err: &crate::adapters::AdapterError, project: &Project) -> GraphError {
    let text = err.to_string();
    let missing_setting = matches!(
        err,
        crate::adapters::AdapterError::Failed {
            missing_setting: true,
            ..
        }
    );
    let message = match err.module_not_found() {
        Some(module) => format!(
            "no module named `{module}`{}\n  help: add the package that provides `{module}` to `packages` in harness.toml (or, for the project's own code, its folder to `pythonpath`)",
            err.raised_from(&project.dir)
                .map(|file| format!(", imported by {file}"))
                .unwrap_or_default()
        ),
        // Raised in the project's own code (a module that builds an Alembic
        // configuration of its own, a settings check): where, so the owner knows what to
        // look at.
        None => match err.raised_from(&project.dir) {
            Some(file) => format!("{}, raised from {file}", error_line(&text)),
            None => error_line(&text),
        },
    };
    GraphError {
        message,
        missing_setting,
    }
}

/// A trial's sequence on the cell's database: the chains of `upgrade_first` (upgraded, or stamped
/// after a bootstrap), the bootstrap, then the upgrade to the heads (through the project's own
/// command when given). The version tables the chains left go to `chain_tables`.
async fn upgrade_sequence(
    (project, adapter, through): (&Project, &Alembic, Option<&Through>),
    session: &Session<'_>,
    (engine, database): (&dyn crate::database::Engine, &crate::database::CellDatabase),
    chain_tables: &mut Vec<String>,
) -> Result<ToolRun, crate::adapters::AdapterError> {
    // The chains this project's migrations need (`upgrade_first`) go to their heads first:
    // stamped after a bootstrap, which made their tables, upgraded otherwise.
    let chain_action = match &project.bootstrap {
        None => Action::Upgrade("heads".into()),
        Some(_) => Action::Stamp(vec!["heads".into()]),
    };
    let mut chains = Vec::new();
    for dir in &project.upgrade_first {
        let chain = project.chain(dir);
        let ini = match &chain.tool_config {
            crate::config::ToolConfig::Alembic { ini } => ini.clone(),
            crate::config::ToolConfig::Command { .. } => None,
        };
        chains.push(Alembic::new(
            &chain.dir,
            ini.as_deref(),
            &chain.process_env(),
            &CacheDir::from_env(),
        )?);
    }
    if project.bootstrap.is_none() && !chains.is_empty() {
        for chain in &chains {
            let run = chain.run(session, &chain_action).await?;
            if !run.success() {
                return Ok(run);
            }
        }
        *chain_tables = version_tables(engine, database).await;
    }
    // A project that creates its schema from its models starts from that fresh install.
    let started = match &project.bootstrap {
        None => None,
        Some(Bootstrap::Models { metadata }) => Some(
            adapter
                .run(
                    session,
                    &Action::Bootstrap {
                        metadata: metadata.clone(),
                    },
                )
                .await,
        ),
        Some(Bootstrap::Command(argv)) => Some(
            crate::adapters::run_program(argv, &project.dir, session, &project.process_env(), &[])
                .await
                .map(ToolRun::plain),
        ),
    };
    match started {
        Some(Ok(output)) if !output.success() => return Ok(output),
        Some(Err(err)) => return Err(err),
        Some(Ok(_)) if !chains.is_empty() => {
            let before = version_tables(engine, database).await;
            for chain in &chains {
                let run = chain.run(session, &chain_action).await?;
                if !run.success() {
                    return Ok(run);
                }
            }
            *chain_tables = version_tables(engine, database).await;
            chain_tables.retain(|table| !before.contains(table));
        }
        Some(Ok(_)) => {}
        None => {}
    }
    match through {
        Some(through) => crate::adapters::run_program(
            &through.upgrade,
            &project.dir,
            session,
            &project.process_env(),
            std::slice::from_ref(&through.url_env),
        )
        .await
        .map(ToolRun::plain),
        None => adapter.run(session, &Action::Upgrade("heads".into())).await,
    }
}

/// How the trial's last process ended, in init's terms.
fn classify(
    run: &ToolRun,
    project: &Project,
    graph: &Option<Result<Graph, GraphError>>,
) -> TrialOutcome {
    match (&run.outcome, run.module_not_found()) {
        (ToolOutcome::Succeeded, _) => TrialOutcome::Passed,
        (ToolOutcome::ForeignUrl { url }, _) => TrialOutcome::Foreign(url.clone()),
        // A project's own command writes no records: its traceback names the module.
        (ToolOutcome::MissingModule { .. } | ToolOutcome::Failed { .. }, Some(module)) => {
            TrialOutcome::MissingModule {
                by: run.importing_file(&project.dir),
                module,
            }
        }
        _ => TrialOutcome::Failed {
            line: run.failure_line(),
            dialect: run.dialect_refused(),
            settings: run.missing_fields(),
            refused: run.refused_service(),
            needs_bootstrap: project.bootstrap.is_none()
                && graph
                    .as_ref()
                    .and_then(|g| g.as_ref().ok())
                    .and_then(|g| missing_table_at_base(run, g))
                    .is_some(),
        },
    }
}

/// The tables of a trial's database that have a `version_num` column, sorted.
async fn version_tables(
    engine: &dyn crate::database::Engine,
    database: &crate::database::CellDatabase,
) -> Vec<String> {
    let sql =
        crate::dialect::Dialect::of(engine.spec().engine).tables_with_column_sql("version_num");
    let mut tables: Vec<String> = engine
        .query(database, &sql)
        .await
        .map(|rows| {
            rows.into_iter()
                .filter_map(|row| row.into_iter().next())
                .collect()
        })
        .unwrap_or_default();
    tables.sort();
    tables.dedup();
    tables
}

/// When an upgrade from an empty database stopped in the base revision or its child on a table
/// that does not exist: which revision, as a phrase ("the base revision 0001", "0002, right after
/// the base revision 0001,"). Such a project creates its schema from its models and stamps it.
pub fn missing_table_at_base(run: &ToolRun, graph: &Graph) -> Option<BaseStop> {
    const MISSING: [&str; 4] = [
        "no such table",
        "NoSuchTableError",
        "doesn't exist",
        "UndefinedTable",
    ];
    let error = run.exception_line()?;
    let missing = MISSING.iter().any(|m| error.contains(m))
        || (error.contains("relation \"") && error.contains("does not exist"));
    // PostgreSQL: a revision that catches the error of one of its statements (a legacy schema's
    // column "might exist") leaves its transaction aborted, and the next statement says only that.
    let aborted = error.contains("InFailedSqlTransaction")
        || error.contains("current transaction is aborted");
    if !missing && !aborted {
        return None;
    }
    let stopped = run.stopped_in()?;
    if stopped.direction != "upgrade" {
        return None;
    }
    let to = stopped.revision.as_str();
    let from = match stopped.down_revision.as_slice() {
        [] => "",
        [one] => one.as_str(),
        _ => return None,
    };
    let is_base = |id: &str| {
        graph
            .revisions
            .iter()
            .any(|r| r.revision == id && r.down_revision.is_empty())
    };
    let which = if from.is_empty() {
        format!("the base revision {to}")
    } else if is_base(from) && missing {
        format!("{to}, right after the base revision {from},")
    } else {
        return None;
    };
    Some(BaseStop {
        which,
        caught: !missing,
    })
}

/// Where an upgrade from an empty database stopped in its first revisions, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseStop {
    /// `the base revision 0001`, or `0002, right after the base revision 0001,`.
    pub which: String,
    /// The revision caught the error of one of its statements and went on in an aborted
    /// transaction: what failed is not known, only that the revision expects an older schema.
    pub caught: bool,
}

impl BaseStop {
    /// What the revision needs, as a sentence's predicate.
    pub fn needs(&self) -> &'static str {
        if self.caught {
            "runs its statements in a transaction a caught error left aborted (the revision expects a schema an empty database does not have)"
        } else {
            "needs a table no earlier revision creates"
        }
    }
}

/// The requirements uv.lock pins, when the project has one (beside a pyproject.toml, in a folder
/// from the migrations' parent up to the root) and uv can be had, with the local folders it names
/// instead of versions; and the lock's path.
pub async fn locked(
    root: &Path,
    script_dir: &Path,
    python: &Interpreter,
) -> Result<Option<(runtime::LockExport, String)>, LockUnused> {
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
        _ => return Err(LockUnused::NoUv { lock: lock_path }),
    };
    match uv.export_lock(dir).await {
        Ok(export) if !export.text.trim().is_empty() => Ok(Some((export, lock_path))),
        Ok(_) => Ok(None),
        Err(why) => Err(LockUnused::NotExported {
            lock: lock_path,
            why,
        }),
    }
}

/// Why a project's lock file is not what init installs from.
#[derive(Debug, thiserror::Error)]
pub enum LockUnused {
    #[error("{lock} is not used: no uv to export it with")]
    NoUv { lock: String },
    #[error("{lock} could not be exported ({why}); the ranges of pyproject.toml are used")]
    NotExported {
        lock: String,
        why: runtime::ExportError,
    },
}
