//! Static analysis of an Alembic revision graph: finds the versions folders, parses every revision
//! file with a Python parser (never imports or runs it), builds the graph and reports findings.
//! Needs no database and no Python. Also home of the graph renderings; the drift check, which
//! compares the graph with a live database, is `crate::drift`.

mod checks;
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
pub use revision_file::{Assigned, FileProblem, Position, ReadBuffer, RevisionFile};
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

/// How many files a thread reads and parses at a time: small enough that the threads finish
/// together when the machine slows one of them down, large enough that handing out work costs
/// nothing.
const BATCH: usize = 32;

/// Reads and parses the files, on every core (the calling thread included); the result is in the
/// order of `paths`. Threads take the next batch when done with one, so a thread that the machine
/// slows down does not hold up the others.
pub fn read_files(paths: &[PathBuf]) -> Vec<RevisionFile> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(paths.len().div_ceil(BATCH));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut buffer = ReadBuffer::default();
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= paths.len() {
                return done;
            }
            let batch = &paths[start..(start + BATCH).min(paths.len())];
            done.push((start, read_batch(batch, &mut buffer)));
        }
    };
    let mut batches = if threads <= 1 {
        work()
    } else {
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut batches = work();
            for helper in helpers {
                batches.extend(
                    helper
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            batches
        })
    };
    batches.sort_unstable_by_key(|(start, _)| *start);
    let mut files = Vec::with_capacity(paths.len());
    for (_, batch) in batches {
        files.extend(batch);
    }
    files
}

/// A batch is read whole before any of it is parsed: the parser then runs with its code and data
/// still in the caches, which the system calls of reading would otherwise evict.
fn read_batch(paths: &[PathBuf], buffer: &mut ReadBuffer) -> Vec<RevisionFile> {
    buffer.clear();
    let read: Vec<_> = paths.iter().map(|path| buffer.read(path)).collect();
    paths
        .iter()
        .zip(read)
        .map(|(path, read)| RevisionFile::from_read(path, read.map(|range| buffer.get(range))))
        .collect()
}

/// Lints the revision files of `dirs`; ids longer than `version_length` are findings.
/// Revision files below `script_dir` (any depth, five levels at most) that the versions folders
/// `dirs` do not hold, grouped by folder: the chains a project adds in code (an env.py that sets
/// `version_locations` at run time). Each folder relative to `script_dir`, with its file count.
pub fn unlisted_revision_files(script_dir: &Path, dirs: &VersionDirs) -> Vec<(String, usize)> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if depth < 5 && !name.starts_with('.') && name != "__pycache__" {
                    walk(&path, depth + 1, out);
                }
            } else if name.ends_with(".py")
                && name != "env.py"
                && name != "__init__.py"
                && std::fs::read_to_string(&path).is_ok_and(|text| {
                    text.lines()
                        .any(|l| l.starts_with("revision =") || l.starts_with("revision: str ="))
                })
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(script_dir, 0, &mut files);
    let mut folders: Vec<(String, usize)> = Vec::new();
    for file in files {
        let listed = dirs.dirs.iter().any(|dir| {
            if dirs.recursive {
                file.starts_with(dir)
            } else {
                file.parent() == Some(dir.as_path())
            }
        });
        if listed {
            continue;
        }
        let folder = file
            .parent()
            .and_then(|p| p.strip_prefix(script_dir).ok())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        match folders.iter_mut().find(|(f, _)| *f == folder) {
            Some((_, count)) => *count += 1,
            None => folders.push((folder, 1)),
        }
    }
    folders.sort();
    folders
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_files_the_versions_folders_do_not_hold_are_counted_per_folder() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path();
        for (folder, name) in [
            ("versions", "a.py"),
            ("versions/sqlite", "b.py"),
            ("versions/sqlite", "c.py"),
            ("versions/postgres", "d.py"),
        ] {
            std::fs::create_dir_all(script.join(folder)).unwrap();
            std::fs::write(
                script.join(folder).join(name),
                "revision = \"x\"\ndown_revision = None\n",
            )
            .unwrap();
        }
        std::fs::write(script.join("env.py"), "revision = 1\n").unwrap();
        let dirs = VersionDirs {
            dirs: vec![script.join("versions")],
            recursive: false,
        };
        assert_eq!(
            unlisted_revision_files(script, &dirs),
            [
                ("versions/postgres".to_string(), 1),
                ("versions/sqlite".to_string(), 2)
            ]
        );
    }

    #[test]
    fn files_come_back_in_the_order_given_whatever_thread_read_them() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..BATCH * 5 + 7)
            .map(|n| {
                let path = dir.path().join(format!("{n:04}_x.py"));
                std::fs::write(&path, format!("revision = 'r{n}'\n")).unwrap();
                path
            })
            .collect();
        let mut shuffled = paths.clone();
        shuffled.reverse();
        shuffled.push(dir.path().join("missing.py"));
        let files = read_files(&shuffled);
        assert_eq!(files.len(), shuffled.len());
        for (file, path) in files.iter().zip(&shuffled) {
            assert_eq!(&file.path, path);
        }
        let n = paths.len() - 1;
        assert_eq!(files[0].revision.as_ref().unwrap().value, format!("r{n}"));
        assert!(files.last().unwrap().revision.is_none());
    }
}
