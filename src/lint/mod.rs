//! Static analysis of an Alembic revision graph: finds the versions folders, parses every revision
//! file with a Python parser (never imports or runs it), builds the graph and reports findings.
//! Needs no database and no Python. Also home of the graph renderings and the drift check, which
//! compare the same graph with other things.

mod checks;
pub mod drift;
mod finding;
mod graph;
mod ini;
pub mod render;
mod revision_file;
mod suggest;
mod version_dirs;

use std::path::{Path, PathBuf};

pub use checks::describe_branch;
pub use finding::{Code, Finding, Severity};
pub use graph::{Revision, RevisionGraph};
pub use ini::IniFile;
pub use revision_file::{Assigned, FileProblem, Position, RevisionFile};
pub use suggest::Suggester;
pub use version_dirs::VersionDirs;

/// The width of Alembic's `alembic_version.version_num` column unless a project widened it.
pub const DEFAULT_VERSION_LENGTH: usize = 32;

/// Why lint could not start: the project's layout, not its revisions (those are findings).
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{}: no `script_location` in the [alembic] section", ini.display())]
    NoScriptLocation { ini: PathBuf },
    #[error("{}: script_location `{value}` names a Python package; lint reads folders only", ini.display())]
    PackageLocation { ini: PathBuf, value: String },
    #[error("the versions folder {} does not exist", dir.display())]
    MissingFolder { dir: PathBuf, ini: Option<PathBuf> },
    #[error("{}: not an alembic.ini, a folder holding one, or a folder of revision files", path.display())]
    NotAProject { path: PathBuf },
}

impl LintError {
    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            LintError::Io { .. } => None,
            LintError::NoScriptLocation { .. } => {
                Some("set `script_location`, or pass the versions folder itself".into())
            }
            LintError::PackageLocation { .. } => {
                Some("pass the versions folder itself: `harness lint path/to/versions`".into())
            }
            LintError::MissingFolder { ini: Some(ini), .. } => Some(format!(
                "check `script_location` / `version_locations` in {}",
                ini.display()
            )),
            LintError::MissingFolder { ini: None, .. } => None,
            LintError::NotAProject { .. } => Some(
                "pass an alembic.ini, the folder it is in, or a versions folder; or run where harness.toml is".into(),
            ),
        }
    }
}

/// Everything lint found out about a project.
#[derive(Debug, Clone)]
pub struct LintReport {
    pub dirs: VersionDirs,
    /// Every revision file, sorted by path.
    pub files: Vec<RevisionFile>,
    pub graph: RevisionGraph,
    /// Sorted by code, then file and position.
    pub findings: Vec<Finding>,
}

impl LintReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity() == severity)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// The head revision ids, sorted.
    pub fn heads(&self) -> Vec<String> {
        self.graph
            .heads()
            .into_iter()
            .map(|h| self.graph.id(h).to_string())
            .collect()
    }
}

/// The versions folders of whatever `path` is: an alembic.ini, a folder holding one, an Alembic
/// script folder (holding `versions/`), or a folder of revision files.
pub fn locate(path: &Path) -> Result<VersionDirs, LintError> {
    if path.is_file() {
        let run_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        return VersionDirs::from_ini(path, &run_dir);
    }
    if !path.is_dir() {
        return Err(LintError::NotAProject {
            path: path.to_path_buf(),
        });
    }
    let ini = path.join("alembic.ini");
    if ini.is_file() {
        return VersionDirs::from_ini(&ini, path);
    }
    let versions = path.join("versions");
    if path.join("env.py").is_file() && versions.is_dir() {
        return Ok(VersionDirs::folder(versions));
    }
    let has_python = std::fs::read_dir(path)
        .map_err(|source| LintError::Io {
            what: format!("cannot list {}", path.display()),
            source,
        })?
        .filter_map(Result::ok)
        .any(|entry| entry.file_name().to_string_lossy().ends_with(".py"));
    if has_python {
        Ok(VersionDirs::folder(path))
    } else {
        Err(LintError::NotAProject {
            path: path.to_path_buf(),
        })
    }
}

/// Reads and parses the files, on every core.
pub fn read_files(paths: &[PathBuf]) -> Vec<RevisionFile> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = paths.len().div_ceil(threads).max(64);
    if paths.len() <= chunk {
        let mut buffer = Vec::new();
        return paths
            .iter()
            .map(|p| RevisionFile::read_into(p, &mut buffer))
            .collect();
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut buffer = Vec::new();
                    part.iter()
                        .map(|p| RevisionFile::read_into(p, &mut buffer))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Lints the revision files of `dirs`; ids longer than `version_length` are findings.
pub fn analyze(dirs: &VersionDirs, version_length: usize) -> Result<LintReport, LintError> {
    let paths = dirs.files()?;
    let files = read_files(&paths);
    let graph = RevisionGraph::build(&files);
    let findings = checks::check(&files, &graph, version_length);
    Ok(LintReport {
        dirs: dirs.clone(),
        files,
        graph,
        findings,
    })
}
