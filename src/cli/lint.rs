//! `harness lint`: the revision graph checked statically, reported for people, scripts or code
//! scanning. Also where the project's versions folders are found for `graph` and `drift`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{ExitStatus, Failure, GlobalArgs};
use crate::config;
use crate::discover::{self, AlembicProject, DiscoverError};
use crate::lint::{self, LintError, LintReport, VersionDirs, render};

pub(super) const LINT_EXIT_CODES: &str = "\
Exit codes:
  0  no error-level finding (warnings may be printed)
  1  at least one error-level finding
  2  bad usage, or no Alembic project where one was expected";

/// Which migration project to read.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// An alembic.ini, the folder holding it, a repository to search for one, or a folder of
    /// revision files [default: the project of harness.toml (here or in a folder above), else
    /// ./alembic.ini, else the one project found below this folder]
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Width of the version column (VARCHAR(N)): longer revision ids are findings [default:
    /// `[lint] version_length` of harness.toml, else 32]
    #[arg(long, value_name = "N")]
    pub version_length: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Grouped by finding code, coloured on a terminal
    Human,
    /// One JSON document
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
}

pub(super) fn execute(global: &GlobalArgs, args: LintArgs) -> Result<ExitStatus, Failure> {
    if args.version_length == Some(0) {
        return Err(Failure::Usage("--version-length must be at least 1".into()));
    }
    if args.format == LintFormat::Human
        && let Some(projects) = every_project(global, &args.project)?
    {
        return lint_each(&projects, args.version_length);
    }
    let (report, _) = analyze(global, &args.project, args.version_length)?;
    let base = working_dir();
    let text = match args.format {
        LintFormat::Human => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            render::human(&report, &base, colour)
        }
        LintFormat::Json => render::json(&report, &base),
        LintFormat::Sarif => render::sarif(&report, &base),
    };
    print!("{text}");
    let status = if report.has_errors() {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    };
    // The process ends next: freeing every file's parse results one by one would only delay it.
    std::mem::forget(report);
    Ok(status)
}

/// A project to lint in turn, by name: the project and harness.toml's settings, or why it has
/// none lint can read (a command tool with no Alembic files).
type LintTarget = (String, Result<(AlembicProject, Option<Configured>), String>);

/// Every project lint covers without PATH when there are several: harness.toml's own and its
/// members', or, without a harness.toml here or above, every project found below this folder.
/// `None` when there is one (or a PATH or `--config` names one).
fn every_project(
    global: &GlobalArgs,
    project: &ProjectArgs,
) -> Result<Option<Vec<LintTarget>>, Failure> {
    if project.path.is_some() || global.config.is_some() {
        return Ok(None);
    }
    let here = working_dir();
    let here_file = here.join(config::DEFAULT_FILE);
    if here_file.is_file() {
        let Ok(loaded) = config::Config::load(&here_file) else {
            return Ok(None);
        };
        if loaded.members.is_empty() {
            return Ok(None);
        }
        let mut all = Vec::new();
        let files =
            std::iter::once(here_file.clone()).chain(loaded.members.iter().map(|m| m.file.clone()));
        for file in files {
            let name = discover::relative(&here, &file);
            all.push(match configured_project(&file) {
                Ok((project, configured)) => (name, Ok((project, Some(configured)))),
                Err(failure) => (name, Err(failure.to_string())),
            });
        }
        return Ok(Some(all));
    }
    if discover::find_upward(&here, config::DEFAULT_FILE).is_some() {
        return Ok(None);
    }
    match local_projects(&here) {
        Ok(found) if found.len() > 1 => Ok(Some(
            found
                .into_iter()
                .map(|p| (discover::relative(&here, p.origin()), Ok((p, None))))
                .collect(),
        )),
        _ => Ok(None),
    }
}

/// Lints each project in turn, one report after the other under its name; fails when any has an
/// error-level finding.
fn lint_each(
    projects: &[LintTarget],
    version_length: Option<usize>,
) -> Result<ExitStatus, Failure> {
    let base = working_dir();
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut failed = false;
    println!("{} projects; each is linted in turn", projects.len());
    for (name, target) in projects {
        println!("\n== {name}");
        let (project, configured) = match target {
            Ok(found) => found,
            Err(why) => {
                let first = why.lines().next().unwrap_or_default();
                let here = format!("{}/", base.display());
                println!("not linted: {}", first.replace(&here, ""));
                continue;
            }
        };
        let dirs = checked(project)?;
        let length = version_length
            .or(configured.as_ref().and_then(|c| c.version_length))
            .unwrap_or(lint::DEFAULT_VERSION_LENGTH);
        let report = lint::analyze(&dirs, length).map_err(usage)?;
        if report.files.is_empty()
            && let Some(message) = revisions_below(&dirs)
        {
            println!("{message}");
            failed = true;
            continue;
        }
        print!("{}", render::human(&report, &base, colour));
        failed |= report.has_errors();
        std::mem::forget(report);
    }
    Ok(if failed {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    })
}

/// Lints the selected project; also returns the version table harness.toml names, if one was used.
/// `version_length` given on the command line wins over harness.toml's `[lint] version_length`.
pub(super) fn analyze(
    global: &GlobalArgs,
    project: &ProjectArgs,
    version_length: Option<usize>,
) -> Result<(LintReport, Option<String>), Failure> {
    let (dirs, configured) = version_dirs(global, project)?;
    let version_length = version_length
        .or(configured.as_ref().and_then(|c| c.version_length))
        .unwrap_or(lint::DEFAULT_VERSION_LENGTH);
    let version_table = configured.map(|c| c.version_table);
    let report = lint::analyze(&dirs, version_length).map_err(usage)?;
    if report.files.is_empty()
        && let Some(message) = revisions_below(&dirs)
    {
        return Err(Failure::Usage(message));
    }
    Ok((report, version_table))
}

/// For versions folders that hold no revision file themselves: the subfolders that do (an env.py
/// that picks its versions folder at run time, one per database), as an error saying which to pass.
fn revisions_below(dirs: &VersionDirs) -> Option<String> {
    let mut found = Vec::new();
    for dir in &dirs.dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut subfolders: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "__pycache__"))
            .filter(|p| {
                std::fs::read_dir(p).is_ok_and(|mut files| {
                    files.any(|f| f.is_ok_and(|f| f.path().extension().is_some_and(|e| e == "py")))
                })
            })
            .collect();
        subfolders.sort();
        found.extend(subfolders);
    }
    if found.is_empty() {
        return None;
    }
    let base = working_dir();
    let shown: Vec<String> = found
        .iter()
        .map(|p| p.strip_prefix(&base).unwrap_or(p).display().to_string())
        .collect();
    Some(format!(
        "the versions folder holds no revision file, but {} below it do{}: each is a revision graph of its own (an env.py that picks its versions folder at run time, one per database)\n  help: lint one: `harness lint {}`",
        shown.join(", "),
        if shown.len() == 1 { "es" } else { "" },
        shown[0]
    ))
}

/// The versions folders of the selected project, and the version table of harness.toml's project
/// when harness.toml was used. What was inferred about the project is printed to stderr as notes.
///
/// Without PATH: `--config`, else ./harness.toml, else the projects of this folder (./alembic.ini,
/// else those found below it) unless a harness.toml above names the same one or none was found.
pub(super) fn version_dirs(
    global: &GlobalArgs,
    project: &ProjectArgs,
) -> Result<(VersionDirs, Option<Configured>), Failure> {
    if let Some(path) = &project.path {
        return Ok((dirs_of_path(path)?, None));
    }
    let here_file = Path::new(config::DEFAULT_FILE);
    if let Some(file) = global
        .config
        .as_deref()
        .or(here_file.is_file().then_some(here_file))
    {
        let (project, configured) = configured_project(file)?;
        return Ok((checked(&project)?, Some(configured)));
    }
    let here = working_dir();
    let local = local_projects(&here);
    if let Some(file) = discover::find_upward(&here, config::DEFAULT_FILE) {
        let configured = configured_project(&file);
        // A project of this folder that harness.toml does not name is the one meant (an example
        // inside a repository whose root has a harness.toml of its own).
        let use_config = match (&local, &configured) {
            (Err(_), _) => true,
            (Ok(found), Ok((project, _))) => {
                found.iter().all(|p| p.script_dir == project.script_dir)
            }
            (Ok(_), Err(_)) => false,
        };
        if use_config {
            let (project, configured) = configured?;
            return Ok((checked(&project)?, Some(configured)));
        }
    }
    let project = only(local.map_err(discover_usage)?, &here)?;
    Ok((checked(&project)?, None))
}

/// What lint takes from harness.toml besides the project.
pub(super) struct Configured {
    pub version_table: String,
    pub version_length: Option<usize>,
}

/// The project harness.toml names, and its version table and lint settings.
fn configured_project(file: &Path) -> Result<(AlembicProject, Configured), Failure> {
    let config = config::Config::load(file)?;
    let project = match alembic_project(&config) {
        Ok((Some(ini), run_dir, _)) => AlembicProject::configured_section(
            &ini,
            &run_dir,
            config.project.script_location.as_deref(),
            config.project.section.as_deref(),
        )
        .map_err(discover_usage)?,
        Ok((None, run_dir, _)) => match &config.project.script_location {
            Some(script_dir) => AlembicProject::without_ini(script_dir, &run_dir),
            None => {
                return Err(Failure::Usage(format!(
                    "{}: the project names neither alembic.ini nor script_location",
                    config.file.display()
                )));
            }
        },
        // A command tool around Alembic files: the one Alembic project of its folder.
        Err(err) => match discover::find_projects(&config.project.dir) {
            Ok(mut found) if found.len() == 1 => found.remove(0),
            _ => return Err(err),
        },
    };
    let version_table = config
        .project
        .version_table
        .clone()
        .unwrap_or_else(|| "alembic_version".to_string());
    Ok((
        project,
        Configured {
            version_table,
            version_length: config.lint.version_length,
        },
    ))
}

/// The projects of the working folder: its own alembic.ini, else those found below it.
fn local_projects(here: &Path) -> Result<Vec<AlembicProject>, DiscoverError> {
    let ini = here.join("alembic.ini");
    if ini.is_file() {
        Ok(vec![AlembicProject::from_ini(&ini, here)?])
    } else {
        discover::find_projects(here)
    }
}

/// The versions folders of a PATH argument: an alembic.ini (or a folder holding one), an Alembic
/// script folder, a repository holding one project, or a folder of revision files.
fn dirs_of_path(path: &Path) -> Result<VersionDirs, Failure> {
    let ini = if path.is_file() {
        Some(path.to_path_buf())
    } else {
        Some(path.join("alembic.ini")).filter(|ini| ini.is_file())
    };
    if let Some(ini) = ini {
        let ini = std::path::absolute(&ini).unwrap_or(ini);
        let here = working_dir();
        let root = match ini.parent() {
            Some(dir) if !ini.starts_with(&here) => dir.to_path_buf(),
            _ => here,
        };
        let project = AlembicProject::from_ini(&ini, &root).map_err(discover_usage)?;
        return checked(&project);
    }
    let script_folder = path.join("env.py").is_file() && path.join("versions").is_dir();
    if path.is_dir() && !script_folder {
        match discover::find_projects(path) {
            Ok(projects) => return checked(&only(projects, path)?),
            // A folder of revision files holds no project: lint::locate reads it as one.
            Err(DiscoverError::NoProject { .. }) => {}
            Err(err) => return Err(discover_usage(err)),
        }
    }
    lint::locate(path).map_err(usage)
}

/// The one project of those found in `dir` (named on stderr unless its alembic.ini is in the
/// working folder); several are a usage error that lists them.
fn only(mut projects: Vec<AlembicProject>, dir: &Path) -> Result<AlembicProject, Failure> {
    let here = working_dir();
    if projects.len() == 1 {
        let project = projects.remove(0);
        if project.origin().parent() != Some(here.as_path()) {
            eprintln!(
                "note: found {}",
                discover::relative(&here, project.origin())
            );
        }
        return Ok(project);
    }
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let commands: Vec<String> = projects
        .iter()
        .map(|p| format!("    harness lint {}", discover::relative(&here, p.origin())))
        .collect();
    Err(Failure::Usage(format!(
        "{} Alembic projects in {}; lint reads one at a time\n  help: pass one of them:\n{}",
        projects.len(),
        dir.display(),
        commands.join("\n")
    )))
}

/// The project's versions folders once they are known to exist; its notes go to stderr.
fn checked(project: &AlembicProject) -> Result<VersionDirs, Failure> {
    for note in &project.notes {
        eprintln!("note: {note}");
    }
    let unlisted = lint::unlisted_revision_files(&project.script_dir, &project.version_dirs);
    if !unlisted.is_empty() {
        eprintln!(
            "note: revision files below {} that the versions folders lint reads do not hold: {}; the project lists them in code (env.py setting version_locations, or its own configuration): lint each with `harness lint <folder>`",
            discover::relative(&working_dir(), &project.script_dir),
            unlisted
                .iter()
                .map(|(folder, count)| format!("{folder}/ ({count})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    project
        .version_dirs
        .ensure_exist(project.ini.as_deref())
        .map_err(usage)?;
    Ok(project.version_dirs.clone())
}

fn discover_usage(err: DiscoverError) -> Failure {
    let help = match &err {
        DiscoverError::NoProject { .. } => format!(
            "{}; or pass the project: `harness lint path/to/alembic.ini` (or the folder holding env.py)",
            err.help()
        ),
        _ => err.help(),
    };
    Failure::Usage(format!("{err}\n  help: {help}"))
}

/// What lint needs of harness.toml's project: alembic.ini, the folder Alembic runs in, and the
/// version table. The one place that knows the configuration's shape.
fn alembic_project(config: &config::Config) -> Result<(Option<PathBuf>, PathBuf, String), Failure> {
    match &config.project.tool_config {
        config::ToolConfig::Alembic { ini } => Ok((
            ini.clone(),
            config.project.dir.clone(),
            config
                .project
                .version_table
                .clone()
                .unwrap_or_else(|| "alembic_version".to_string()),
        )),
        config::ToolConfig::Command { .. } => Err(Failure::Usage(format!(
            "{}: the project uses tool = \"command\" and its folder holds no single Alembic project to read\n  help: pass an Alembic project: `harness lint path/to/alembic.ini`",
            config.file.display()
        ))),
    }
}

pub(super) fn usage(err: LintError) -> Failure {
    match err.help() {
        Some(help) => Failure::Usage(format!("{err}\n  help: {help}")),
        None => Failure::Usage(err.to_string()),
    }
}

/// Paths in reports are shown relative to this folder.
pub(super) fn working_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// A one-line warning for commands that use the graph without reporting findings.
pub(super) fn warn_if_errors(report: &LintReport) {
    let errors = report.count(lint::Severity::Error);
    if errors > 0 {
        eprintln!(
            "warning: the migration files have {errors} lint error{}; run `harness lint` for details",
            if errors == 1 { "" } else { "s" }
        );
    }
}
