//! The trial upgrades `harness init` runs again after changing the setup: a project that opens its
//! own engine (pointed at the cell), a member whose migrations need the first project's chain
//! (`upgrade_first`), a project that starts from its models (`bootstrap = "models"`).

use std::path::Path;

use super::Failure;
use super::init::{
    generated_by_build, minor_number, outcome_line, secrets_named, shown_dir,
    submodule_not_imported,
};
use crate::adapters::RefusedService;
use crate::config::{self, DatabaseSpec, ForeignUrls, Project};
use crate::engine::trial::{self, Trial, TrialOutcome};
use crate::runtime::Interpreter;
use crate::scaffold::python;

/// What a trial runs with: the project as set up so far, the interpreter and the engines.
pub(super) struct Retry<'a> {
    pub project: &'a mut Project,
    pub python: &'a Interpreter,
    pub candidates: &'a [Vec<DatabaseSpec>],
}

impl Retry<'_> {
    /// The trial again, with the project as it is now.
    pub async fn trial(&self) -> Result<Trial, Failure> {
        Retry::once(self.project, self.python, self.candidates).await
    }

    /// A trial of `project` as it is.
    pub async fn once(
        project: &Project,
        python: &Interpreter,
        candidates: &[Vec<DatabaseSpec>],
    ) -> Result<Trial, Failure> {
        trial::trial(project, python, candidates)
            .await
            .map_err(|err| Failure::Environment(err.to_string()))
    }
}

/// The interpreters left out on the way to the one that runs the project, each with why.
pub(super) struct LeftOut {
    /// Its environment does not install the dependencies.
    pub unusable: Vec<(String, String)>,
    /// The trial stops importing a module this Python removed from its standard library.
    pub cannot_run: Vec<(String, String)>,
}

/// The newest of `attempts` (newest first) whose environment installs the dependencies and whose
/// standard library still has what the project imports, with its trial; the last is taken as it
/// is. Each environment built stays in the cache.
pub(super) async fn newest_that_runs(
    project: &Project,
    attempts: &[Interpreter],
    candidates: &[Vec<DatabaseSpec>],
) -> Result<(Interpreter, Trial, LeftOut), Failure> {
    let mut unusable: Vec<(String, String)> = Vec::new();
    let mut cannot_run: Vec<(String, String)> = Vec::new();
    for (index, python) in attempts.iter().enumerate() {
        let attempt = Retry::once(project, python, candidates).await?;
        let last = index + 1 == attempts.len();
        if !last && matches!(attempt.outcome(), TrialOutcome::Setup(_)) {
            let why = attempt
                .install_failure()
                .map(ToString::to_string)
                .unwrap_or_else(|| "the environment could not be prepared".into());
            eprintln!(
                "  note: Python {} cannot install the dependencies ({why}); trying Python {}",
                python.version,
                attempts[index + 1].version
            );
            unusable.push((python.minor(), why));
            continue;
        }
        // The project imports a module this Python no longer has in its standard library: an
        // older one that still has it is tried.
        if !last
            && let TrialOutcome::MissingModule { module, .. } = attempt.outcome()
            && let Some(removed) = removed_from_stdlib(module)
            && minor_number(python) >= removed
        {
            let why =
                format!("no `{module}`: removed from the standard library in Python 3.{removed}");
            eprintln!(
                "  note: Python {}: the project imports `{module}`, which Python 3.{removed} removed from the standard library; trying Python {}",
                python.version,
                attempts[index + 1].version
            );
            cannot_run.push((python.minor(), why));
            continue;
        }
        return Ok((
            python.clone(),
            attempt,
            LeftOut {
                unusable,
                cannot_run,
            },
        ));
    }
    Err(Failure::Environment("no Python was tried".into()))
}

/// The minor version of Python 3 that removed `module` (its top-level name) from the standard
/// library (PEP 594 and PEP 632), for the modules a project may still import.
fn removed_from_stdlib(module: &str) -> Option<u32> {
    const REMOVED: [(&str, u32); 25] = [
        ("distutils", 12),
        ("imp", 12),
        ("asynchat", 12),
        ("asyncore", 12),
        ("smtpd", 12),
        ("aifc", 13),
        ("audioop", 13),
        ("cgi", 13),
        ("cgitb", 13),
        ("chunk", 13),
        ("crypt", 13),
        ("imghdr", 13),
        ("mailcap", 13),
        ("msilib", 13),
        ("nis", 13),
        ("nntplib", 13),
        ("ossaudiodev", 13),
        ("pipes", 13),
        ("sndhdr", 13),
        ("spwd", 13),
        ("sunau", 13),
        ("telnetlib", 13),
        ("uu", 13),
        ("xdrlib", 13),
        ("lib2to3", 13),
    ];
    let top = module.split('.').next().unwrap_or(module);
    REMOVED
        .iter()
        .find(|(name, _)| *name == top)
        .map(|(_, minor)| *minor)
}

/// A module of the project's own package that its source folder lacks and its build writes (a
/// version file, build information): the project (`root`, its `pythonpath`) is installed in
/// develop mode, as its own setup does (`pip install -e`), and the trial runs again; the line is
/// added to `packages` (relative to harness.toml by `rel`) when that helps.
pub(super) async fn develop_install(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
    (root, pythonpath): (&Path, &[String]),
    packages: &mut Vec<String>,
    rel: &dyn Fn(&str) -> String,
) -> Result<(), Failure> {
    // A module of the project's own package that its source folder lacks is one its build
    // writes (a version file, build information): the project is then installed in develop
    // mode, as its own setup does (`pip install -e`), and tried again.
    let missing = match trial.outcome() {
        TrialOutcome::MissingModule { module, .. } => Some(module.clone()),
        TrialOutcome::Failed { line, .. } => submodule_not_imported(line),
        _ => None,
    };
    if let Some(module) = &missing
        && let Some(build) = generated_by_build(root, pythonpath, module)
        && !packages.iter().any(|p| *p == format!("-e {build}"))
    {
        let module = module.clone();
        let entry = format!("-e {}", root.join(&build).display());
        eprintln!(
            "  note: `{module}` is written by the project's build; installing {} in develop mode (pip install -e) and trying again",
            shown_dir(&build)
        );
        retry.project.requirements.packages.push(entry);
        let again = retry.trial().await?;
        let fixed = match again.outcome() {
            TrialOutcome::MissingModule { module: m, .. } => *m != module,
            TrialOutcome::Failed { line, .. } => {
                submodule_not_imported(line).as_ref() != Some(&module)
            }
            TrialOutcome::Setup(_) => false,
            _ => true,
        };
        if fixed {
            notes.push(format!(
                "`{module}` is a file the project's build writes: packages installs {} in develop mode (`-e`), which writes it into the checkout as the project's own setup does",
                shown_dir(&build)
            ));
            packages.push(format!("-e {}", rel(&build)));
            *trial = again;
        } else {
            retry.project.requirements.packages.pop();
            if let TrialOutcome::Setup(why) = again.outcome() {
                eprintln!(
                    "  note: the develop-mode install failed: {}",
                    why.with_help()
                );
            }
        }
    }
    Ok(())
}

/// Settings the trial's pydantic error says are missing: a secret gets a throwaway value (and a
/// value the project's own image sets, that value) in `env`, and the trial runs again; any other
/// is a line in `unset` for the owner to fill in.
pub(super) async fn required_settings(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    env: &mut Vec<(String, String, String)>,
    unset: &mut Vec<(String, String)>,
    image_env: &[crate::scaffold::image_env::ImageEnv],
) -> Result<(), Failure> {
    if let TrialOutcome::Failed { settings, line, .. } = trial.outcome()
        && (!settings.is_empty() || !secrets_named(line).is_empty())
    {
        let mut secrets = Vec::new();
        // A secret the error names outright ("SECRET_KEY is set to the insecure default"): any
        // value but the default serves.
        let mut fields = settings.clone();
        fields.extend(secrets_named(line));
        for field in fields {
            let name = field.to_ascii_uppercase();
            if env.iter().any(|(n, ..)| *n == name) || unset.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if python::is_secret(&name) {
                env.push((
                    name.clone(),
                    format!("${{{}}}", crate::runtime::RUN_SECRET),
                    format!(
                        "a secret the settings require (`{field}`, named by the trial's error): a random value, new each run"
                    ),
                ));
                retry
                    .project
                    .env
                    .insert(name.clone(), format!("${{{}}}", crate::runtime::RUN_SECRET));
                secrets.push(name);
            } else if let Some(set) = crate::scaffold::image_env::value_for(image_env, &name) {
                env.push((
                    name.clone(),
                    set.value.clone(),
                    format!(
                        "required by the settings (`{field}`, named by the trial's error); the value the project's image gives it ({}:{})",
                        set.file, set.line
                    ),
                ));
                retry.project.env.insert(name.clone(), set.value.clone());
                secrets.push(name);
            } else {
                unset.push((
                    name,
                    format!(
                        "the settings require `{field}` (the trial's validation error); only the project's owner knows its value"
                    ),
                ));
            }
        }
        if !secrets.is_empty() {
            eprintln!(
                "  note: the settings require {}: given (see harness.toml); trying again",
                secrets.join(", ")
            );
            *trial = retry.trial().await?;
        }
    }
    Ok(())
}

/// A project that opens its own engine on a URL of its own: its engines are pointed at the cell's
/// database (`foreign_urls = "redirect"`), and the trial runs again.
pub(super) async fn redirect_own_engine(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
) -> Result<(), Failure> {
    // (On any engine whose kind the URL names: a project whose default is its own SQLite file
    // opens it in the SQLite trial only. A server's URL built on a SQLite cell is no such case.)
    let foreign = trial.engines.iter().find_map(|ran| match &ran.outcome {
        TrialOutcome::Foreign(url) => {
            let scheme = url.split([':', '+']).next().unwrap_or_default();
            let family = crate::dialect::Family::from_scheme(&scheme.to_ascii_lowercase());
            let same = match crate::dialect::Family::of(ran.spec.engine) {
                None => scheme.eq_ignore_ascii_case("sqlite"),
                Some(engine) => family == Some(engine),
            };
            same.then(|| url.clone())
        }
        _ => None,
    });
    if let Some(url) = foreign {
        eprintln!(
            "  note: the project connects to {url} on its own; its engines are redirected to the cell's database, and the trial runs again"
        );
        notes.push(format!(
            "the project opens its own engine on {url} rather than the URL it is given; \
             foreign_urls = \"redirect\" points that engine at each cell's database"
        ));
        retry.project.foreign_urls = ForeignUrls::Redirect;
        *trial = retry.trial().await?;
    }
    Ok(())
}

/// A member whose migrations stop in their first revisions on a table none of them creates may
/// need the first project's schema (`core`): tried with its chain upgraded first; the
/// `upgrade_first` entries to write (relative to the member's harness.toml by `rel`).
pub(super) async fn chain_first(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
    root: &Path,
    core: Option<&Path>,
    rel: &dyn Fn(&str) -> String,
) -> Result<Vec<String>, Failure> {
    let mut upgrade_first = Vec::new();
    if let (
        TrialOutcome::Failed {
            line,
            needs_bootstrap: true,
            ..
        },
        Some(core),
    ) = (trial.outcome(), core)
    {
        let shown = core
            .strip_prefix(root)
            .unwrap_or(core)
            .display()
            .to_string();
        eprintln!(
            "  note: the upgrade from an empty database stops in its first revisions on a table none of them creates ({line}); trying with {shown}'s migrations first (upgrade_first)"
        );
        retry.project.upgrade_first = vec![core.to_path_buf()];
        let again = retry.trial().await?;
        if matches!(again.outcome(), TrialOutcome::Passed) {
            notes.push(format!(
                "the migrations need {shown}'s schema (an upgrade from an empty database stops with {line}): upgrade_first upgrades that chain to head before this one's, as the project's own upgrade does"
            ));
            upgrade_first.push(rel(&shown));
            *trial = again;
        } else {
            retry.project.upgrade_first = Vec::new();
            eprintln!(
                "  note: with {shown}'s migrations first, the upgrade did not reach head either: {}",
                outcome_line(again.outcome())
            );
        }
    }
    Ok(upgrade_first)
}

/// Migrations that stop in their first revisions on a table none of them creates start from a
/// schema the project makes from its models: tried with `bootstrap = "models"`; whether it is.
pub(super) async fn models_bootstrap(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
) -> Result<bool, Failure> {
    let mut bootstrap = false;
    if let TrialOutcome::Failed {
        line,
        needs_bootstrap: true,
        ..
    } = trial.outcome()
    {
        eprintln!(
            "  note: the upgrade from an empty database stops in its first revisions ({line}): they expect a schema none of them creates; trying a fresh install made from the models (bootstrap = \"models\")"
        );
        retry.project.bootstrap = Some(config::Bootstrap::Models { metadata: None });
        let again = retry.trial().await?;
        if matches!(again.outcome(), TrialOutcome::Passed) {
            notes.push(format!(
                "the migrations do not start from an empty database (an upgrade from one stops with {line}): the project creates its schema from its models and stamps it, so bootstrap = \"models\" starts each cell from such a fresh install"
            ));
            bootstrap = true;
            *trial = again;
        } else {
            retry.project.bootstrap = None;
            eprintln!(
                "  note: a fresh install from the models did not reach head either: {}",
                outcome_line(again.outcome())
            );
        }
    }
    Ok(bootstrap)
}

/// A project that connects to Redis when it starts: a Redis is started for the trial as a run
/// starts one (a container where a Docker engine answers and its image starts, else this
/// machine's redis-server), the variables the project reads its URL from get
/// `${HARNESS_REDIS_URL}`, and the trial runs again. The services to write, each with the backend
/// init had to choose (`None`: the default one started).
pub(super) async fn services_needed(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    (env, notes): (&mut Vec<(String, String, String)>, &mut Vec<String>),
    root: &Path,
) -> Result<Vec<(String, Option<&'static str>)>, Failure> {
    let TrialOutcome::Failed {
        line,
        refused: Some(RefusedService::Redis),
        ..
    } = trial.outcome()
    else {
        return Ok(Vec::new());
    };
    let line = line.clone();
    let reads = python::redis_url_reads(root);
    if reads.is_empty() {
        let text = format!(
            "the project connects to a Redis server when it starts ({line}), and no variable its code reads names that server's URL: point the project's setting for it at `${{HARNESS_REDIS_URL}}` under [project.env] and add services = [\"redis\"] (docs/configuration.md)"
        );
        eprintln!("  note: {text}");
        notes.push(text);
        return Ok(Vec::new());
    }
    let Some(mut spec) = config::ServiceSpec::parse("redis") else {
        return Ok(Vec::new());
    };
    let backend = match service_backend(&spec).await {
        Ok(backend) => backend,
        Err(why) => {
            let text = format!(
                "the project connects to a Redis server when it starts ({line}), and none could be started here ({why}): add services = [\"redis\"] where one can start (a Docker engine that pulls redis:7, or redis-server on PATH)"
            );
            eprintln!("  note: {text}");
            notes.push(text);
            return Ok(Vec::new());
        }
    };
    if let Some(choice) = backend {
        spec.backend = choice;
    }
    let variable = spec.kind.variable();
    let names: Vec<String> = reads.iter().map(|read| read.name.clone()).collect();
    for read in &reads {
        if env.iter().any(|(name, ..)| *name == read.name) {
            continue;
        }
        env.push((
            read.name.clone(),
            format!("${{{variable}}}"),
            format!(
                "the Redis server the run starts (read at {}:{})",
                read.file, read.line
            ),
        ));
        retry
            .project
            .env
            .insert(read.name.clone(), format!("${{{variable}}}"));
    }
    retry.project.services = vec![spec.clone()];
    eprintln!(
        "  note: the project connects to a Redis server when it starts: one is started for each run ({}), and the trial runs again",
        names.join(", ")
    );
    notes.push(format!(
        "the project connects to a Redis server when it starts ({line}): services = [\"redis\"] starts one for each run, and {} point at it",
        names.join(", ")
    ));
    *trial = retry.trial().await?;
    Ok(vec![(
        spec.to_string(),
        backend.map(crate::config::BackendChoice::name),
    )])
}

/// The backend a service starts with here: `None` for the default, `Local` when the default
/// (a container) does not start and this machine has the server; `Err` says why none starts.
async fn service_backend(
    spec: &config::ServiceSpec,
) -> Result<Option<crate::config::BackendChoice>, String> {
    let attempt = |spec: config::ServiceSpec| async move {
        let teardown = crate::docker::Teardown::new();
        let started = crate::service::start_all(&[spec], None, false, &teardown).await;
        teardown.shutdown_all().await;
        started.map(|_| ()).map_err(|err| err.why)
    };
    match attempt(spec.clone()).await {
        Ok(()) => Ok(None),
        Err(why) => {
            let explicit = std::env::var_os(format!("HARNESS_BACKEND_{}", spec.env_suffix()))
                .is_some_and(|value| !value.is_empty());
            if explicit || crate::service::local_binary(spec.kind).is_none() {
                return Err(why);
            }
            let local = config::ServiceSpec {
                backend: crate::config::BackendChoice::Local,
                ..spec.clone()
            };
            attempt(local)
                .await
                .map(|()| Some(crate::config::BackendChoice::Local))
                .map_err(|local| format!("{why}; {local}"))
        }
    }
}

/// A project that fails under plain Alembic may migrate through a console script of its own that
/// calls Alembic's `command.upgrade`: the trial runs again through it, as the project's files run
/// it, and when that reaches head, the cells do too (`tool = "command"`); else init names it.
pub(super) async fn own_command(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    (env, notes): (&mut Vec<(String, String, String)>, &mut Vec<String>),
    (root, packages): (&Path, &mut Vec<String>),
    rel: &dyn Fn(&str) -> String,
) -> Result<Option<trial::Through>, Failure> {
    let plain_alembic_failed =
        matches!(trial.outcome(), TrialOutcome::Failed { dialect: false, .. })
            || trial.graph.is_err();
    let mut through = None;
    if plain_alembic_failed {
        let wrappers = python::alembic_wrappers(root, &python::console_scripts(root));
        if let Some(wrapper) = wrappers.first() {
            // The way the project's own files run it, with the variable they give the URL in: the
            // trial runs again through it, and when that reaches head, so do the cells.
            let command = crate::scaffold::documented::upgrade_command(root, &wrapper.script);
            let variable = crate::scaffold::documented::url_variable(root);
            let mut tried = None;
            if let (Some(command), Some(variable)) = (&command, &variable) {
                let attempt = trial::Through {
                    upgrade: command.what.clone(),
                    url_env: variable.what.clone(),
                };
                let develop = !packages.iter().any(|p| p.starts_with("-e "));
                if develop {
                    retry
                        .project
                        .requirements
                        .packages
                        .push(format!("-e {}", root.display()));
                }
                let said = format!(
                    "`{}` ({}:{}, and {} other places), with the URL in {} ({}:{})",
                    command.what.join(" "),
                    command.file,
                    command.line,
                    command.places - 1,
                    variable.what,
                    variable.file,
                    variable.line
                );
                eprintln!(
                    "  note: the project migrates through its own command, `{}` ({} calls Alembic's command.upgrade); trying it as its files run it: {said}",
                    wrapper.script, wrapper.file
                );
                // A command keeping state in a home folder of its own (`PREFECT_HOME`) keeps it
                // in the cell's folder, not under the user's home.
                let home = format!(
                    "{}_HOME",
                    wrapper.script.to_ascii_uppercase().replace('-', "_")
                );
                let home = (crate::scaffold::documented::mentions(root, &home)
                    && !env.iter().any(|(n, ..)| *n == home))
                .then_some(home);
                if let Some(home) = &home {
                    retry
                        .project
                        .env
                        .insert(home.clone(), format!("${{{}}}", crate::runtime::CELL_DIR));
                }
                let again = trial::trial_through(
                    retry.project,
                    retry.python,
                    retry.candidates,
                    Some(&attempt),
                )
                .await
                .map_err(|err| Failure::Environment(err.to_string()))?;
                if matches!(again.outcome(), TrialOutcome::Passed) {
                    if let Some(home) = home {
                        env.push((
                            home,
                            format!("${{{}}}", crate::runtime::CELL_DIR),
                            format!(
                                "`{}` keeps its state there, else under the user's home: the cell's own folder",
                                wrapper.script
                            ),
                        ));
                    }
                    notes.push(format!(
                        "plain Alembic fails here; the project migrates through its own command, run as its files run it: {said}. tool = \"command\" runs it in every cell"
                    ));
                    if develop {
                        packages.push(format!("-e {}", rel(".")));
                    }
                    through = Some(attempt);
                    *trial = again;
                } else {
                    if develop {
                        retry.project.requirements.packages.pop();
                    }
                    if let Some(home) = &home {
                        retry.project.env.remove(home);
                    }
                    let why = match again.outcome() {
                        TrialOutcome::Failed { line, .. } => line.clone(),
                        TrialOutcome::NoEngine(why) => why.to_string(),
                        TrialOutcome::Setup(err) => err.to_string(),
                        TrialOutcome::Foreign(url) => format!("it connected to {url} on its own"),
                        TrialOutcome::MissingModule { module, .. } => {
                            format!("no module named `{module}`")
                        }
                        TrialOutcome::Passed => String::new(),
                    };
                    eprintln!("  note: through the project's command the trial failed too: {why}");
                    tried = Some(format!(
                        "; run as its files run it ({said}) the trial failed too: {why}"
                    ));
                }
            }
            if through.is_none() {
                let line = format!(
                    "the project has its own migrate command, `{}` ({} calls Alembic's command.upgrade){}: when env.py only runs inside it, set tool = \"command\", upgrade = [\"{}\", ...] with the arguments that upgrade a database, url_env to the variable it reads the URL from, and \"-e .\" in packages so the script is installed (docs/configuration.md)",
                    wrapper.script,
                    wrapper.file,
                    tried.unwrap_or_default(),
                    wrapper.script
                );
                eprintln!("  note: {line}");
                notes.push(line);
            }
        }
    }
    Ok(through)
}
