//! `harness init`: finds the repository's Alembic projects (one member each when there are several),
//! what to install, which local interpreters the project allows and what its env.py reads, tries an
//! upgrade on a scratch SQLite database with the project's own Alembic, and writes a commented
//! harness.toml and the starter scenarios `fresh`, `roundtrip` and `partial`. Never overwrites a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{ExitStatus, Failure};
use super::{init_engines, init_retries};
use crate::adapters::{Graph, RefusedService};
use crate::config::{
    self, DatabaseSpec, EngineKind, ForeignUrls, Project, Requirements, RuntimeSpec,
};
use crate::engine::trial::{self, TrialOutcome, locked};
use crate::runtime::{self, Interpreter};
use crate::scaffold::engines::TargetEngines;
use crate::scaffold::python::{self, RequiresPython};
use crate::scaffold::{
    self, DetectedProject, PlannedFile, ProjectSetup, Revisions, ScaffoldError,
    env_py_version_table, member_name, relative_to,
};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// A runtime of the matrix, e.g. python:3.12; repeatable [default: the oldest and newest local
    /// Pythons the project's requires-python allows]
    #[arg(long = "runtime", value_name = "RUNTIME")]
    pub runtimes: Vec<String>,
    /// A database of the matrix, e.g. postgres:17 or sqlite; repeatable [default: the engines the
    /// project targets, read from its drivers, settings, compose files, CI services and
    /// migrations; SQLite when nothing names a server]
    #[arg(long = "database", value_name = "DATABASE")]
    pub databases: Vec<String>,
    /// A package to install besides the dependencies init finds, e.g. psycopg2-binary; repeatable
    #[arg(long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// A requirements file (relative to this folder) instead of the dependencies init finds;
    /// repeatable
    #[arg(long = "requirements", value_name = "FILE")]
    pub requirements: Vec<String>,
}

/// Minor versions of Python 3 init looks for on this machine.
const MINORS: std::ops::RangeInclusive<u32> = 7..=14;
/// The oldest Python 3 minor init picks on its own: older ones no longer get releases, and current
/// packages stop installing on them. An older one is taken only when nothing newer is allowed.
const OLDEST_SUPPORTED_MINOR: u32 = 10;
/// How many interpreters init tries, from each end, for an environment that installs.
const MAX_PYTHON_ATTEMPTS: usize = 3;

pub(super) fn execute(args: InitArgs) -> Result<ExitStatus, Failure> {
    let root = std::env::current_dir()
        .map_err(|err| Failure::Environment(format!("cannot read the working folder: {err}")))?;
    if root.join(config::DEFAULT_FILE).exists() {
        return Err(scaffold_failure(ScaffoldError::Exists(vec![
            config::DEFAULT_FILE.to_string(),
        ])));
    }
    for file in &args.requirements {
        if !root.join(file).is_file() {
            return Err(Failure::Usage(format!(
                "--requirements {file}: no such file in {}",
                root.display()
            )));
        }
    }
    let detected = scaffold::detect(&root).map_err(scaffold_failure)?;
    for skipped in &detected.skipped {
        eprintln!("skipped {skipped}");
    }
    let projects: Vec<&DetectedProject> = detected.projects.iter().collect();
    if projects.len() > 1 {
        eprintln!(
            "found {} Alembic projects: {}; the first is harness.toml's own, the others are members",
            projects.len(),
            projects
                .iter()
                .map(|p| p
                    .ini
                    .clone()
                    .unwrap_or_else(|| format!("{}/", p.script_dir)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let mut files: Vec<PlannedFile> = Vec::new();
    let mut members = Vec::new();
    let mut problems = Vec::new();
    let mut setups = Vec::new();
    for (index, project) in projects.iter().enumerate() {
        let folder = if index == 0 {
            String::new()
        } else {
            format!("harness/{}", member_name(project, &members))
        };
        // A member's migrations may need the first project's schema (a plugin's, the core's).
        let core = projects
            .first()
            .filter(|_| index > 0)
            .and_then(|first| first.ini.as_deref())
            .map(|ini| {
                root.join(ini)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            });
        let (setup, revisions, problem) =
            tokio.block_on(plan(&root, &folder, project, core.as_deref(), &args))?;
        if index > 0 {
            members.push(folder.clone());
        }
        problems.extend(problem);
        setups.push((folder, setup, revisions));
    }
    for (index, (folder, setup, revisions)) in setups.iter_mut().enumerate() {
        if index == 0 {
            setup.members = members.clone();
        }
        files.extend(scaffold::files_in(folder, setup, revisions));
    }
    scaffold::write(&root, &files).map_err(scaffold_failure)?;
    for file in &files {
        println!("wrote {}", file.path.display());
    }
    for (_, setup, revisions) in &setups {
        if revisions.heads.len() > 1 {
            println!(
                "the revision graph of {} has several heads ({}): the cells of every scenario that upgrades to `head` fail until they are merged (`alembic merge heads`) or a scenario sets target = \"heads\" on purpose; `harness lint` shows the fork",
                setup.path,
                revisions.heads.join(", ")
            );
        }
        for (name, why) in setup
            .unset
            .iter()
            .filter(|(name, _)| !name.starts_with('#') && !setup.trial_passed)
        {
            println!("fill in {name} under [project.env] in harness.toml: {why}");
        }
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        return Ok(ExitStatus::Environment);
    }
    println!("next: `harness run` writes the first snapshots; commit them with the scenarios");
    Ok(ExitStatus::Success)
}

/// Works out one project's setup, checks it with a trial upgrade, and reads its revision graph.
/// A problem the user must fix is returned beside a setup that is still written.
async fn plan(
    root: &Path,
    folder: &str,
    detected: &DetectedProject,
    core: Option<&Path>,
    args: &InitArgs,
) -> Result<(ProjectSetup, Revisions, Option<String>), Failure> {
    let mut found = python::analyze(root, &root.join(&detected.script_dir));
    let ini = detected.ini.clone().unwrap_or_default();
    match &detected.ini {
        Some(ini) => eprintln!(
            "found {ini}{}: Alembic runs in {}",
            detected
                .section
                .as_ref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default(),
            shown_dir(&detected.run_dir)
        ),
        None => eprintln!(
            "found {}/ (env.py and versions/) and no alembic.ini: Alembic runs from an in-memory configuration in {}",
            detected.script_dir,
            shown_dir(&detected.run_dir)
        ),
    }
    for note in detected.notes.iter().chain(&found.notes) {
        eprintln!("  note: {note}");
    }
    // `package:path` in script_location or version_locations: Alembic imports the package to
    // find the folder, so its base folder goes on PYTHONPATH.
    if let Some(ini) = &detected.ini {
        for package in package_locations(&root.join(ini)) {
            let base = ["", "src"]
                .into_iter()
                .find(|base| root.join(base).join(&package).join("__init__.py").is_file());
            if let Some(base) = base {
                let entry = if base.is_empty() { "." } else { base }.to_string();
                if !found.pythonpath.contains(&entry) {
                    eprintln!(
                        "  note: alembic.ini names package `{package}` (`{package}:...`): {entry} goes on pythonpath so Alembic can import it"
                    );
                    found.pythonpath.push(entry);
                }
            }
        }
    }
    let (requirement_files, packages) = if args.requirements.is_empty() {
        (found.requirements_files.clone(), found.packages.clone())
    } else {
        (args.requirements.clone(), vec!["alembic".to_string()])
    };
    let mut packages = packages;
    for extra in &args.packages {
        if !packages.contains(extra) {
            packages.push(extra.clone());
        }
    }
    let pythons = choose_runtimes(&found, args).await?;
    let Some(mut newest) = pythons.last().cloned() else {
        return Err(Failure::Environment(
            "no Python interpreter to run the project with".into(),
        ));
    };
    // A uv.lock pins what the project really runs with: its versions, exported, replace the
    // ranges of pyproject.toml.
    let mut lock = None;
    let mut requirement_files = requirement_files;
    let scratch = tempfile::tempdir()
        .map_err(|err| Failure::Environment(format!("cannot create a scratch folder: {err}")))?;
    let mut trial_files: Vec<PathBuf> = requirement_files.iter().map(|f| root.join(f)).collect();
    let exported = if args.requirements.is_empty() {
        match locked(root, &root.join(&detected.script_dir), &newest).await {
            Ok(exported) => exported,
            Err(note) => {
                eprintln!("  note: {note}");
                None
            }
        }
    } else {
        None
    };
    if let Some((export, lock_path)) = exported {
        let (file, written) = use_lock(
            export,
            lock_path,
            (root, scratch.path()),
            &mut found,
            &mut packages,
        )?;
        requirement_files = Vec::new();
        trial_files = vec![file];
        lock = Some(written);
    }

    let crate::scaffold::project_env::ProjectEnv {
        mut env,
        mut unset,
        image_env,
    } = crate::scaffold::project_env::infer(root, detected, &mut found);
    let version_table = env_py_version_table(&root.join(&detected.script_dir));
    let run_dir = root.join(&detected.run_dir);
    let ini_path = root.join(&ini);
    let mut project = Project {
        tool: config::ToolKind::Alembic,
        dir: run_dir.clone(),
        tool_config: config::ToolConfig::Alembic {
            ini: detected.ini.as_ref().map(|_| ini_path.clone()),
        },
        requirements: Requirements {
            files: trial_files.clone(),
            packages: packages.clone(),
            dir: root.to_path_buf(),
        },
        env: env
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        version_table: Some(version_table.clone()),
        pythonpath: found.pythonpath.iter().map(|p| root.join(p)).collect(),
        script_location: detected
            .script_location
            .as_ref()
            .map(|location| run_dir.join(location)),
        section: detected.section.clone(),
        foreign_urls: ForeignUrls::Refuse,
        bootstrap: None,
        url_options: found.url_options.clone(),
        upgrade_first: Vec::new(),
        services: Vec::new(),
    };
    let base = if folder.is_empty() {
        String::new()
    } else {
        "../".repeat(folder.split('/').count())
    };
    let rel = |path: &str| -> String {
        if path == "." {
            if base.is_empty() {
                ".".into()
            } else {
                base.trim_end_matches('/').to_string()
            }
        } else {
            format!("{base}{path}")
        }
    };
    let targets = TargetEngines::detect(
        root,
        &root.join(&detected.script_dir),
        &packages,
        &requirement_files,
    );
    let wanted = if args.databases.is_empty() {
        init_engines::wanted(&targets)
    } else {
        init_engines::given(&args.databases).map_err(|err| Failure::Usage(err.to_string()))?
    };
    for want in &wanted {
        if !want.embedded_default && !want.only_if_it_passes {
            eprintln!("  engine {}: {}", want.specs[0], want.why);
        }
    }
    let candidates: Vec<Vec<DatabaseSpec>> = wanted.iter().map(|w| w.specs.clone()).collect();
    eprintln!(
        "  preparing Python {} with the project's dependencies (cached after the first time; a project with packages built from source can take minutes)",
        newest.version
    );
    // An app that loads its plugins from an entry-point group its packaging declares finds them
    // only once the project is installed: it is, in develop mode, as its own setup does.
    let mut plugin_note = None;
    if let Some(plugins) = python::plugin_group(root)
        && !packages.iter().any(|p| p.starts_with("-e "))
    {
        let line = format!(
            "the app loads plugins from the entry-point group `{}` ({}), which {} declares: packages installs the project in develop mode (`-e`), so the group exists",
            plugins.group, plugins.loaded_at, plugins.declared_in
        );
        eprintln!("  note: {line}");
        plugin_note = Some(line);
        project
            .requirements
            .packages
            .push(format!("-e {}", root.display()));
        packages.push(format!("-e {}", rel(".")));
    }
    // The newest Python whose environment installs the dependencies (three tries at most, newest
    // first); each environment built stays in the cache.
    let fixed = !args.runtimes.is_empty();
    let attempts: Vec<Interpreter> = if fixed {
        vec![newest.clone()]
    } else {
        pythons
            .iter()
            .rev()
            .take(MAX_PYTHON_ATTEMPTS)
            .cloned()
            .collect()
    };
    let (python, mut trial, left_out) =
        init_retries::newest_that_runs(&project, &attempts, &candidates).await?;
    newest = python;
    let init_retries::LeftOut {
        mut unusable,
        cannot_run,
    } = left_out;
    let mut notes: Vec<String> = plugin_note.into_iter().collect();
    let mut retry = init_retries::Retry {
        project: &mut project,
        python: &newest,
        candidates: &candidates,
    };
    init_retries::develop_install(
        &mut retry,
        &mut trial,
        &mut notes,
        (root, &found.pythonpath),
        &mut packages,
        &rel,
    )
    .await?;
    init_retries::redirect_own_engine(&mut retry, &mut trial, &mut notes).await?;
    let mut retry = init_retries::Retry {
        project: &mut project,
        python: &newest,
        candidates: &candidates,
    };
    init_retries::required_settings(&mut retry, &mut trial, &mut env, &mut unset, &image_env)
        .await?;
    let services =
        init_retries::services_needed(&mut retry, &mut trial, (&mut env, &mut notes), root).await?;
    let upgrade_first =
        init_retries::chain_first(&mut retry, &mut trial, &mut notes, root, core, &rel).await?;
    let bootstrap = init_retries::models_bootstrap(&mut retry, &mut trial, &mut notes).await?;
    let release_tag = if bootstrap {
        // The newest release tag at which the project's migrations already existed.
        let tag = crate::engine::tags(root, "*", 20).ok().and_then(|tags| {
            tags.into_iter().find(|tag| {
                tag.chars().any(|c| c.is_ascii_digit())
                    && exists_at(root, tag, &detected.script_dir)
            })
        });
        match &tag {
            Some(tag) => eprintln!(
                "  note: scenarios/from-release.toml upgrades an install of {tag} (its own code and models) with today's migrations"
            ),
            None => eprintln!(
                "  note: the repository has no release tag, so init writes no upgrade-from-a-release scenario; with tags, add one with from_ref = \"<tag>\" (see docs/scenarios.md) or run `harness run --from-tags '*'`"
            ),
        }
        tag
    } else {
        None
    };
    // env.py may name its version table in code ('{}_alembic_version'.format(name)): the table the
    // trial's upgrade really left is the one to watch.
    let mut version_table = version_table;
    if let Some(ran) = trial.engines.first()
        && matches!(ran.outcome, TrialOutcome::Passed)
        && !ran.version_tables.contains(&version_table)
        && let [only] = ran.version_tables.as_slice()
    {
        let line = format!(
            "the version table is `{only}`: the table with version_num the trial's upgrade left (env.py names it in code)"
        );
        eprintln!("  note: {line}");
        notes.push(line);
        version_table = only.clone();
    }
    let settled = init_engines::settle(&wanted, &trial.engines);
    for line in &settled.said {
        eprintln!("  note: {line}");
    }
    notes.extend(settled.notes.iter().cloned());
    let mut problem = trial_notes(
        &trial,
        &wanted,
        (&mut project, &mut notes),
        (root, folder, detected),
        &found.pythonpath,
    );
    let through = init_retries::own_command(
        &mut init_retries::Retry {
            project: &mut project,
            python: &newest,
            candidates: &candidates,
        },
        &mut trial,
        (&mut env, &mut notes),
        (root, &mut packages),
        &rel,
    )
    .await?;
    let installed = !matches!(trial.outcome(), TrialOutcome::Setup(_));
    let trial_passed = matches!(trial.outcome(), TrialOutcome::Passed);
    let python_version = trial.python.clone();
    let graph = graph_of(
        trial.graph,
        (&python_version, through.is_some()),
        (root, detected),
        (&mut notes, &mut problem),
    );
    let config_rel = ini
        .strip_prefix(&format!("{}/", detected.run_dir))
        .map(str::to_string)
        .unwrap_or_else(|| {
            if detected.run_dir == "." {
                ini.clone()
            } else {
                relative_to(&ini, &detected.run_dir)
            }
        });
    if let Some((spec, from)) = &found.requires_python {
        notes.push(format!("requires-python {spec} ({from})"));
    }
    notes.extend(detected.notes.iter().cloned());
    notes.extend(found.notes.iter().cloned());
    // The oldest Python whose environment installs them too (three tries at most, oldest first).
    let mut runtimes = vec![newest.clone()];
    if !fixed && installed {
        let engines: Vec<EngineKind> = candidates
            .iter()
            .filter_map(|c| c.first().map(|s| s.engine))
            .collect();
        let older: Vec<&Interpreter> = pythons
            .iter()
            .filter(|p| p.version != newest.version && minor_number(p) < minor_number(&newest))
            .take(MAX_PYTHON_ATTEMPTS)
            .collect();
        for python in older {
            match trial::prepare_only(&project, python, &engines).await {
                Ok(()) => {
                    runtimes.insert(0, python.clone());
                    break;
                }
                Err(err) => {
                    let why = err.install_failure().map_or_else(
                        || {
                            let text = err.to_string();
                            text.lines().next().unwrap_or_default().to_string()
                        },
                        ToString::to_string,
                    );
                    eprintln!(
                        "  note: Python {} cannot install the dependencies ({why})",
                        python.version
                    );
                    unusable.push((python.minor(), why));
                }
            }
        }
    } else if fixed {
        runtimes = pythons.clone();
    }
    for (mut left_out, as_) in [
        (unusable, "their environments do not install"),
        (cannot_run, "the project's code does not run there"),
    ] {
        if left_out.is_empty() {
            continue;
        }
        left_out.sort();
        notes.push(format!(
            "left out of the matrix, as {as_}: {}",
            left_out
                .iter()
                .map(|(minor, why)| format!("Python {minor} ({why})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let setup = ProjectSetup {
        path: rel(&detected.run_dir),
        config: (detected.ini.is_some() && config_rel != "alembic.ini").then_some(config_rel),
        script_location: detected.script_location.clone(),
        section: detected.section.clone(),
        requirements: match &lock {
            Some((name, ..)) => vec![name.clone()],
            None => requirement_files.iter().map(|f| rel(f)).collect(),
        },
        packages,
        pythonpath: found.pythonpath.iter().map(|p| rel(p)).collect(),
        env,
        unset,
        runtimes: runtimes
            .iter()
            .map(|i| format!("python:{}", i.minor()))
            .collect(),
        databases: settled.databases,
        notes,
        members: Vec::new(),
        redirect: project.foreign_urls == ForeignUrls::Redirect,
        version_table,
        lock,
        bootstrap,
        release_tag,
        url_options: found.url_options.clone(),
        upgrade_first,
        services,
        command: through.map(|through| (through.upgrade, through.url_env)),
        trial_passed,
    };
    Ok((setup, Revisions::of(&graph), problem))
}

/// What the trial found, said and added to the notes: each engine that passed, every other
/// engine's failure, and on the first engine what the project needs (its own engine redirected, a
/// module, a service); the problem that makes init exit 3 once the files are written, if any.
fn trial_notes(
    trial: &trial::Trial,
    wanted: &[init_engines::Wanted],
    (project, notes): (&mut Project, &mut Vec<String>),
    (root, folder, detected): (&Path, &str, &DetectedProject),
    pythonpath: &[String],
) -> Option<String> {
    let mut problem = None;
    for ran in &trial.engines {
        if matches!(ran.outcome, TrialOutcome::Passed) {
            let what = if project.bootstrap.is_some() {
                "fresh install from the models, then `alembic upgrade heads`,"
            } else {
                "`alembic upgrade heads`"
            };
            notes.push(format!(
                "a trial {what} on an empty {} database passed (Python {})",
                ran.spec, trial.python
            ));
        }
    }
    // Every other engine's failed trial is reported too (SQLite tried on approval is settled above).
    for (want, ran) in wanted.iter().zip(&trial.engines).skip(1) {
        if want.only_if_it_passes {
            continue;
        }
        let line = match &ran.outcome {
            TrialOutcome::Failed { line, .. } => line.clone(),
            TrialOutcome::NoEngine(why) => why.to_string(),
            _ => continue,
        };
        let line = line.lines().next().unwrap_or_default();
        eprintln!(
            "  note: the trial upgrade on an empty {} database failed: {line}",
            ran.spec
        );
        notes.push(format!(
            "a trial upgrade on an empty {} database failed: {line}",
            ran.spec
        ));
    }
    let first = &trial.engines[0];
    match &first.outcome {
        TrialOutcome::Passed | TrialOutcome::NoEngine(_) => {}
        TrialOutcome::Foreign(url) => {
            project.foreign_urls = ForeignUrls::Redirect;
            notes.push(format!(
                "the project opens its own engine on {url} rather than the URL it is given; \
                 foreign_urls = \"redirect\" points that engine at each cell's database"
            ));
            eprintln!(
                "  note: the project connects to {url} on its own; its engines are redirected to the cell's database"
            );
        }
        TrialOutcome::MissingModule { module, by }
            if module.contains('.')
                && pythonpath.iter().any(|p| {
                    root.join(p)
                        .join(module.split('.').next().unwrap_or(""))
                        .is_dir()
                }) =>
        {
            problem = Some(format!(
                "{}: env.py's imports fail: no module named `{module}`{}; its package is the project's own, on PYTHONPATH from its source folder, where `{module}` does not exist: a file the project generates when it is built or installed (a version file, build information)\n  help: generate it in the checkout before `harness run` (the project's build or develop step), or list a released version of the package in `packages` and drop its folder from `pythonpath`",
                shown_dir(&detected.run_dir),
                by.as_ref()
                    .map(|file| format!(", imported by {file}"))
                    .unwrap_or_default(),
            ));
        }
        TrialOutcome::MissingModule { module, by } => {
            let module = module.split('.').next().unwrap_or(module);
            problem = Some(format!(
                "{}: env.py's imports fail: no module named `{module}`{}\n  help: add the package that provides `{module}` to `packages` in {}harness.toml (or pass --package NAME to `harness init`), then `harness run`",
                shown_dir(&detected.run_dir),
                by.as_ref()
                    .map(|file| format!(", imported by {file}"))
                    .unwrap_or_default(),
                if folder.is_empty() {
                    String::new()
                } else {
                    format!("{folder}/")
                }
            ));
        }
        TrialOutcome::Failed { line, dialect, .. } => {
            let hint = if *dialect && first.spec.engine == EngineKind::Sqlite {
                " (SQLite's dialect refused it: a project that needs a server engine fails its SQLite cells; add \"postgres:17\" to the databases)"
            } else {
                ""
            };
            eprintln!(
                "  note: a trial upgrade on an empty {} database failed: {line}",
                first.spec
            );
            notes.push(format!(
                "a trial upgrade on an empty {} database failed: {line}{hint}",
                first.spec
            ));
        }
        TrialOutcome::Setup(why) => problem = Some(why.with_help()),
    }
    // A service the project connects to when it starts, other than Redis (a message broker), is
    // not one the harness runs: say so, with the address.
    if let TrialOutcome::Failed {
        line,
        refused: Some(RefusedService::Other),
        ..
    } = trial.outcome()
    {
        let text = format!(
            "the project connects to a service when it starts, which the harness does not run ({line}): run one where the cells can reach it and point the project's setting for it at that address under [project.env]"
        );
        eprintln!("  note: {text}");
        notes.push(text);
    }
    problem
}

/// The revision graph the trial read, said on the terminal, with a note when Alembic loads far
/// fewer revisions than the script folder holds files; when it did not load, the problem init
/// reports (unless one is known already) and an empty graph.
fn graph_of(
    graph: Result<Graph, trial::GraphError>,
    (python, through): (&str, bool),
    (root, detected): (&Path, &DetectedProject),
    (notes, problem): (&mut Vec<String>, &mut Option<String>),
) -> Graph {
    match graph {
        // Through the project's own command, the revisions Alembic loads on its own do not matter.
        Ok(graph) if through => graph,
        Ok(graph) => {
            eprintln!(
                "  Alembic (Python {}) reports {}, head {}",
                python,
                crate::report::words::plural(graph.revisions.len(), "revision"),
                if graph.heads.is_empty() {
                    "none (the versions folder is empty)".to_string()
                } else {
                    graph.heads.join(", ")
                }
            );
            let files = revision_files_below(&root.join(&detected.script_dir));
            if files > graph.revisions.len() + 2 && files >= graph.revisions.len() * 3 / 2 {
                let line = format!(
                    "Alembic loads {} revisions, but {} holds {files} revision files: the project adds the rest in code (an env.py or settings that set version_locations at run time, or a configuration of its own); cells and lint see only what Alembic loads here",
                    graph.revisions.len(),
                    shown_dir(&detected.script_dir)
                );
                eprintln!("  note: {line}");
                notes.push(line);
            }
            graph
        }
        Err(why) => {
            eprintln!(
                "  Alembic (Python {}) could not load the revision graph: {}",
                python,
                why.message.lines().next().unwrap_or(&why.message)
            );
            if problem.is_none() {
                let help = if why.missing_setting {
                    "\n  help: the project needs a setting only its owner knows: set it under [project.env] in harness.toml, then `harness run`"
                } else {
                    ""
                };
                *problem = Some(format!(
                    "{}: Alembic could not read the revision graph: {why}{help}",
                    shown_dir(&detected.run_dir)
                ));
            }
            Graph::default()
        }
    }
}

/// The versions a lock file pins (exported by uv) in place of pyproject.toml's ranges: written to
/// `requirements.lock.txt` in `scratch` for the trials (init writes it beside harness.toml), its
/// path dependencies put on `pythonpath`, alembic added to `packages` when the lock lacks it.
/// The scratch file, and (file name, text, lock file).
fn use_lock(
    export: runtime::LockExport,
    lock_path: String,
    (root, scratch): (&Path, &Path),
    found: &mut python::PythonProject,
    packages: &mut Vec<String>,
) -> Result<(PathBuf, (String, String, String)), Failure> {
    // Workspace members and path dependencies import from their source folders, as the
    // project itself does: never built or installed into the checkout.
    for dir in &export.paths {
        let Some(entry) = source_entry(root, dir) else {
            eprintln!(
                "  note: {lock_path} names {}, outside this folder: not installed",
                dir.display()
            );
            continue;
        };
        if !found.pythonpath.contains(&entry) {
            eprintln!(
                "  note: path dependency {entry} is imported from its source folder (pythonpath)"
            );
            found.pythonpath.push(entry);
        }
    }
    let text = export.text;
    let name = "requirements.lock.txt".to_string();
    let text = format!(
        "# The versions {lock_path} pins, exported by `harness init` (uv export --frozen --no-dev).\n# Export again after the lock changes.\n{text}"
    );
    let scratch_file = scratch.join(&name);
    std::fs::write(&scratch_file, &text).map_err(|err| {
        Failure::Environment(format!("cannot write {}: {err}", scratch_file.display()))
    })?;
    eprintln!("  note: exact versions from {lock_path}, written to {name}");
    packages.retain(|p| !found_packages_from_pyproject(found, p));
    let lists_alembic = text
        .lines()
        .any(|l| l.trim_start().to_ascii_lowercase().starts_with("alembic=="));
    if !lists_alembic && !packages.iter().any(|p| p == "alembic") {
        packages.push("alembic".into());
    }
    Ok((scratch_file, (name, text, lock_path)))
}

/// The packages an alembic.ini's `script_location` and `version_locations` name as
/// `package:path` (the form Alembic resolves by importing the package).
fn package_locations(ini: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(ini).unwrap_or_default();
    let mut packages = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !matches!(key.trim(), "script_location" | "version_locations") {
            continue;
        }
        for item in value.split([' ', ',']).map(str::trim) {
            let Some((package, _)) = item.split_once(':') else {
                continue;
            };
            let top = package.split('.').next().unwrap_or_default();
            let valid = !top.is_empty()
                && !item.contains("://")
                && !item.contains('%')
                && top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if valid && !packages.iter().any(|p| p == top) {
                packages.push(top.to_string());
            }
        }
    }
    packages
}

/// How many revision files the script folder holds at any depth (every versions folder, listed or
/// not).
fn revision_files_below(script_dir: &Path) -> usize {
    let none = crate::lint::VersionDirs {
        dirs: Vec::new(),
        recursive: false,
    };
    crate::lint::unlisted_revision_files(script_dir, &none)
        .iter()
        .map(|(_, count)| count)
        .sum()
}

/// The minor version number of an interpreter (12 for 3.12).
pub(super) fn minor_number(python: &Interpreter) -> u32 {
    python
        .version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// The variables named in an error line that look like secrets: upper-case names with SECRET,
/// KEY, TOKEN, SALT or PASSWORD (`SECRET_KEY is set to the insecure default`).
pub(super) fn secrets_named(line: &str) -> Vec<String> {
    let mut names: Vec<String> = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| {
            word.len() > 3
                && word.chars().any(|c| c.is_ascii_uppercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && python::is_secret(word)
        })
        .map(str::to_string)
        .collect();
    names.dedup();
    names
}

/// Whether `path` (relative to `root`) existed in the repository at `tag`.
fn exists_at(root: &Path, tag: &str, path: &str) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "-e", &format!("{tag}:./{path}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// One line saying what a trial outcome was.
pub(super) fn outcome_line(outcome: &TrialOutcome) -> String {
    match outcome {
        TrialOutcome::Passed => "it passed".into(),
        TrialOutcome::Foreign(url) => format!("the project opened its own engine on {url}"),
        TrialOutcome::MissingModule { module, .. } => format!("no module named `{module}`"),
        TrialOutcome::Failed { line, .. } => line.clone(),
        TrialOutcome::Setup(why) => why.to_string().lines().next().unwrap_or_default().into(),
        TrialOutcome::NoEngine(why) => why.to_string().lines().next().unwrap_or_default().into(),
    }
}

/// Whether `package` came from the main dependency list `found` read (rather than being added):
/// a lock file's export replaces that list.
fn found_packages_from_pyproject(found: &python::PythonProject, package: &str) -> bool {
    found.packages.iter().any(|p| p == package) && package != "alembic"
}

pub(super) fn shown_dir(dir: &str) -> String {
    if dir == "." {
        "this folder".into()
    } else {
        dir.to_string()
    }
}

/// The candidate runtimes, oldest first: those given, else the local Pythons the project's
/// requires-python allows (3.10 and newer when there are such), narrowed to the versions the
/// project names when this machine has some of them.
async fn choose_runtimes(
    found: &python::PythonProject,
    args: &InitArgs,
) -> Result<Vec<Interpreter>, Failure> {
    if !args.runtimes.is_empty() {
        let mut chosen = Vec::new();
        for text in &args.runtimes {
            let spec = RuntimeSpec::parse(text).map_err(|err| Failure::Usage(err.to_string()))?;
            let interpreter = runtime::find_interpreter(&spec)
                .await
                .map_err(|err| Failure::Environment(err.to_string()))?;
            chosen.push(interpreter);
        }
        return Ok(chosen);
    }
    let requires = match &found.requires_python {
        Some((text, from)) => Some(RequiresPython::parse(text).map_err(|why| {
            Failure::Usage(format!(
                "{from}: cannot read requires-python `{text}`: {why}\n  help: pass the interpreters with --runtime python:3.X"
            ))
        })?),
        None => None,
    };
    let mut local = Vec::new();
    for minor in MINORS {
        let Ok(spec) = RuntimeSpec::parse(&format!("python:3.{minor}")) else {
            continue;
        };
        if let Ok(interpreter) = runtime::find_interpreter(&spec).await {
            local.push(interpreter);
        }
    }
    let allowed_all: Vec<Interpreter> = local
        .iter()
        .filter(|i| requires.as_ref().is_none_or(|r| r.allows(&i.version)))
        .cloned()
        .collect();
    let supported: Vec<Interpreter> = allowed_all
        .iter()
        .filter(|i| {
            i.version
                .split('.')
                .nth(1)
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m >= OLDEST_SUPPORTED_MINOR)
        })
        .cloned()
        .collect();
    let allowed = if supported.is_empty() {
        allowed_all
    } else {
        supported
    };
    // The versions the project names (`.python-version`, classifiers, its CI matrix) come first:
    // when this machine has some of them, the matrix is made of those.
    let named: Vec<Interpreter> = allowed
        .iter()
        .filter(|i| {
            found
                .python_versions
                .iter()
                .any(|(minor, _)| *minor == i.minor())
        })
        .cloned()
        .collect();
    let allowed = if named.is_empty() {
        allowed
    } else {
        let mut sources: Vec<&str> = found
            .python_versions
            .iter()
            .map(|(_, from)| from.as_str())
            .collect();
        sources.sort_unstable();
        sources.dedup();
        eprintln!(
            "  note: Pythons {}: of those {} name{}, the ones this machine has (3.{OLDEST_SUPPORTED_MINOR} and newer when there is a choice)",
            named
                .iter()
                .map(|i| i.minor())
                .collect::<Vec<_>>()
                .join(", "),
            sources.join(", "),
            if sources.len() == 1 { "s" } else { "" }
        );
        named
    };
    match allowed.as_slice() {
        [] if local.is_empty() => Err(Failure::Environment(
            "no Python 3 interpreter found on this machine (uv, pyenv, PATH)\n  help: install one, or pass --runtime python:3.X with [runtimes.\"python:3.X\"] interpreter set afterwards".into(),
        )),
        [] => Err(Failure::Environment(format!(
            "the project requires Python {} ({}), and this machine has {}\n  help: install an allowed Python (pyenv, uv python install), or pass --runtime python:3.X",
            found.requires_python.as_ref().map(|(t, _)| t.as_str()).unwrap_or(""),
            found.requires_python.as_ref().map(|(_, f)| f.as_str()).unwrap_or(""),
            local
                .iter()
                .map(|i| i.version.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        all => Ok(all.to_vec()),
    }
}

fn scaffold_failure(err: ScaffoldError) -> Failure {
    match err {
        ScaffoldError::Io { .. } => Failure::Environment(err.to_string()),
        ScaffoldError::NoProject { .. } | ScaffoldError::Exists(_) => {
            Failure::Usage(err.to_string())
        }
    }
}

/// The folder, relative to `root`, that a local package at `dir` imports from: its `src` when it
/// has a src layout, else `dir` itself; `None` when `dir` is not inside `root`.
fn source_entry(root: &Path, dir: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    let base = if dir.join("src").is_dir() && !dir.join("src").join("__init__.py").is_file() {
        dir.join("src")
    } else {
        dir
    };
    base.starts_with(&root)
        .then(|| crate::discover::relative(&root, &base))
}

/// The folder (relative to `root`, holding pyproject.toml or setup.py) whose build writes
/// `module`: a dotted module of a package on `pythonpath` that the package's folder lacks.
pub(super) fn generated_by_build(
    root: &Path,
    pythonpath: &[String],
    module: &str,
) -> Option<String> {
    let top = module.split_once('.')?.0;
    let base = pythonpath
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.join(top).is_dir())?;
    let file = base.join(module.replace('.', "/"));
    if file.with_extension("py").exists() || file.is_dir() {
        return None;
    }
    let build = base
        .ancestors()
        .take_while(|dir| dir.starts_with(root))
        .find(|dir| dir.join("pyproject.toml").is_file() || dir.join("setup.py").is_file())?;
    Some(crate::discover::relative(root, build))
}

/// `pkg.name` from `ImportError: cannot import name 'name' from 'pkg'` (or "from partially
/// initialized module 'pkg'"), what `from . import name` raises when pkg/name.py does not exist;
/// [`generated_by_build`] then checks that the file really is absent.
pub(super) fn submodule_not_imported(line: &str) -> Option<String> {
    let rest = line.split("cannot import name '").nth(1)?;
    let (name, rest) = rest.split_once('\'')?;
    let rest = rest.trim_start().strip_prefix("from ")?;
    let rest = rest
        .strip_prefix("partially initialized module ")
        .unwrap_or(rest);
    let package = rest.strip_prefix('\'')?.split('\'').next()?;
    Some(format!("{package}.{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_an_error_names_are_found() {
        assert_eq!(
            secrets_named("RuntimeError: SECRET_KEY is set to the insecure default 'mysecretkey'"),
            ["SECRET_KEY"]
        );
        assert!(secrets_named("KeyError: 'url'").is_empty());
        assert!(secrets_named("ValueError: bad KEY").is_empty());
    }

    #[test]
    fn a_submodule_that_cannot_be_imported_is_named() {
        assert_eq!(
            submodule_not_imported("ImportError: cannot import name '_build_info' from partially initialized module 'prefect' (most likely due to a circular import) (/x/prefect/__init__.py)").as_deref(),
            Some("prefect._build_info")
        );
        assert_eq!(
            submodule_not_imported("ImportError: cannot import name 'UTC' from 'datetime' (/usr/lib/python3.10/datetime.py)").as_deref(),
            Some("datetime.UTC")
        );
        assert_eq!(submodule_not_imported("KeyError: 'DATABASE_URL'"), None);
    }

    #[test]
    fn a_module_is_generated_only_when_its_package_lacks_the_file() {
        let root = tempfile::tempdir().unwrap();
        let pkg = root.path().join("src/app");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(root.path().join("pyproject.toml"), "").unwrap();
        std::fs::write(pkg.join("models.py"), "").unwrap();
        let pythonpath = ["src".to_string()];
        assert_eq!(
            generated_by_build(root.path(), &pythonpath, "app._version").as_deref(),
            Some(".")
        );
        assert_eq!(
            generated_by_build(root.path(), &pythonpath, "app.models"),
            None
        );
        assert_eq!(
            generated_by_build(root.path(), &pythonpath, "other._version"),
            None
        );
        assert_eq!(generated_by_build(root.path(), &pythonpath, "app"), None);
    }
}
