//! `harness lint`: the revision graph checked statically, reported for people, scripts or code
//! scanning. Also where the project's versions folders are found for `graph` and `drift`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{ExitStatus, Failure, GlobalArgs};
use crate::config;
use crate::lint::{self, LintError, LintReport, VersionDirs, render};

pub(super) const LINT_EXIT_CODES: &str = "\
Exit codes:
  0  no error-level finding (warnings may be printed)
  1  at least one error-level finding
  2  bad usage, or no Alembic project where one was expected";

/// Which migration project to read.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// An alembic.ini, the folder holding it, or a folder of revision files [default: the project
    /// of harness.toml, else ./alembic.ini]
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
    /// Width of the version column (VARCHAR(N)): longer revision ids are findings
    #[arg(long, value_name = "N", default_value_t = lint::DEFAULT_VERSION_LENGTH)]
    pub version_length: usize,
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
    if args.version_length == 0 {
        return Err(Failure::Usage("--version-length must be at least 1".into()));
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

/// Lints the selected project; also returns the version table harness.toml names, if one was used.
pub(super) fn analyze(
    global: &GlobalArgs,
    project: &ProjectArgs,
    version_length: usize,
) -> Result<(LintReport, Option<String>), Failure> {
    let (dirs, version_table) = version_dirs(global, project)?;
    let report = lint::analyze(&dirs, version_length).map_err(usage)?;
    Ok((report, version_table))
}

/// The versions folders of the selected project, and the version table of harness.toml's project
/// when harness.toml was used.
pub(super) fn version_dirs(
    global: &GlobalArgs,
    project: &ProjectArgs,
) -> Result<(VersionDirs, Option<String>), Failure> {
    if let Some(path) = &project.path {
        return Ok((lint::locate(path).map_err(usage)?, None));
    }
    let harness_file = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_FILE));
    if global.config.is_some() || harness_file.is_file() {
        let config = config::Config::load(&harness_file)?;
        let (ini, run_dir, version_table) = alembic_project(&config)?;
        let dirs = VersionDirs::from_ini(&ini, &run_dir).map_err(usage)?;
        return Ok((dirs, Some(version_table)));
    }
    if Path::new("alembic.ini").is_file() {
        return Ok((lint::locate(Path::new(".")).map_err(usage)?, None));
    }
    Err(Failure::Usage(
        "no harness.toml and no alembic.ini in this folder\n  help: pass the project: `harness lint path/to/alembic.ini` (or its folder, or a versions folder)".into(),
    ))
}

/// What lint needs of harness.toml's project: alembic.ini, the folder Alembic runs in, and the
/// version table. The one place that knows the configuration's shape.
fn alembic_project(config: &config::Config) -> Result<(PathBuf, PathBuf, String), Failure> {
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
            "{}: the project uses tool = \"command\", which has no revision files to read\n  help: pass an Alembic project: `harness lint path/to/alembic.ini`",
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
