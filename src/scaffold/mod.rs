//! `harness init`'s files: finds the Alembic project in a folder, and writes a commented
//! harness.toml and the starter scenarios (`fresh`, `roundtrip`, `partial`) from the revision graph
//! the tool itself reported. Never overwrites a file; runs no process.

mod templates;

use std::path::{Path, PathBuf};

use crate::adapters::Graph;

pub use templates::files;

/// Folders never searched for an alembic.ini.
const SKIPPED: &[&str] = &[
    "target",
    "node_modules",
    "venv",
    "__pycache__",
    "site-packages",
];

/// Why the files cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("no alembic.ini in {root} or the folders below it (two levels deep){found}")]
    NoProject { root: String, found: String },
    #[error("{} already exist{}: `harness init` never overwrites a file", .0.join(", "), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<String>),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The Alembic project found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The folder holding alembic.ini, relative to the root (`.` for the root itself), with `/`.
    pub project: String,
    /// A requirements file for the runtimes, relative to the root, when one exists.
    pub requirements: Option<String>,
}

/// One file to write, relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub text: String,
}

/// What the graph says about the starter scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revisions {
    /// `head`, or `heads` when the graph has several.
    pub target: &'static str,
    /// The revision before the (single) head, for `partial`.
    pub before_head: Option<String>,
}

impl Revisions {
    pub fn of(graph: &Graph) -> Self {
        let target = if graph.heads.len() > 1 {
            "heads"
        } else {
            "head"
        };
        let before_head = match graph.heads.as_slice() {
            [head] => graph
                .revisions
                .iter()
                .find(|r| &r.revision == head)
                .and_then(|r| {
                    let mut downs = r.down_revision.clone();
                    downs.sort();
                    downs.into_iter().next()
                }),
            _ => None,
        };
        Self {
            target,
            before_head,
        }
    }
}

/// Finds alembic.ini in `root`, else in the folders below it (two levels, in name order).
pub fn detect(root: &Path) -> Result<Detected, ScaffoldError> {
    let project = if root.join("alembic.ini").is_file() {
        Some(".".to_string())
    } else {
        let mut found = None;
        'search: for first in subfolders(root) {
            if first.join("alembic.ini").is_file() {
                found = Some(first);
                break;
            }
            for second in subfolders(&first) {
                if second.join("alembic.ini").is_file() {
                    found = Some(second);
                    break 'search;
                }
            }
        }
        found.map(|dir| relative(root, &dir))
    };
    let Some(project) = project else {
        let migrations = find_env_py(root)
            .map(|dir| {
                format!(
                    "; found Alembic's migrations folder {} but no alembic.ini beside it: the harness runs Alembic through its alembic.ini (`alembic init` writes one)",
                    relative(root, &dir)
                )
            })
            .unwrap_or_else(|| {
                "; run `harness init` in an Alembic project's root folder".to_string()
            });
        return Err(ScaffoldError::NoProject {
            root: root.display().to_string(),
            found: migrations,
        });
    };
    let project_dir = root.join(&project);
    let requirements = if project_dir.join("requirements.txt").is_file() {
        Some(if project == "." {
            "requirements.txt".to_string()
        } else {
            format!("{project}/requirements.txt")
        })
    } else if root.join("requirements.txt").is_file() {
        Some("requirements.txt".to_string())
    } else {
        None
    };
    Ok(Detected {
        project,
        requirements,
    })
}

/// Writes every file, or none when any of them exists.
pub fn write(root: &Path, files: &[PlannedFile]) -> Result<(), ScaffoldError> {
    let existing: Vec<String> = files
        .iter()
        .filter(|f| root.join(&f.path).exists())
        .map(|f| f.path.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(ScaffoldError::Exists(existing));
    }
    for file in files {
        let path = root.join(&file.path);
        let io = |source| ScaffoldError::Io {
            path: file.path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // create_new: a file that appeared since the check is still not overwritten.
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io)?;
        std::io::Write::write_all(&mut handle, file.text.as_bytes()).map_err(io)?;
    }
    Ok(())
}

fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !name.starts_with('.') && !SKIPPED.contains(&name.as_str())
        })
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

/// A folder (two levels deep at most) holding Alembic's env.py.
fn find_env_py(root: &Path) -> Option<PathBuf> {
    subfolders(root).into_iter().find_map(|first| {
        if first.join("env.py").is_file() {
            return Some(first);
        }
        subfolders(&first)
            .into_iter()
            .find(|second| second.join("env.py").is_file())
    })
}

fn relative(root: &Path, dir: &Path) -> String {
    let rel = dir.strip_prefix(root).unwrap_or(dir);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::Revision;

    fn graph(heads: &[&str], revisions: &[(&str, &[&str])]) -> Graph {
        Graph {
            heads: heads.iter().map(|h| h.to_string()).collect(),
            revisions: revisions
                .iter()
                .map(|(id, downs)| Revision {
                    revision: id.to_string(),
                    down_revision: downs.iter().map(|d| d.to_string()).collect(),
                    branch_labels: vec![],
                    path: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_revision_before_a_single_head() {
        let g = graph(&["c"], &[("c", &["b"]), ("b", &["a"]), ("a", &[])]);
        assert_eq!(
            Revisions::of(&g),
            Revisions {
                target: "head",
                before_head: Some("b".into())
            }
        );
        let single = graph(&["a"], &[("a", &[])]);
        assert_eq!(Revisions::of(&single).before_head, None);
        let forked = graph(&["b", "c"], &[("b", &["a"]), ("c", &["a"]), ("a", &[])]);
        assert_eq!(Revisions::of(&forked).target, "heads");
        assert_eq!(Revisions::of(&forked).before_head, None);
    }

    #[test]
    fn alembic_ini_is_found_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/db")).unwrap();
        std::fs::write(dir.path().join("app/db/alembic.ini"), "").unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "alembic\n").unwrap();
        assert_eq!(
            detect(dir.path()).unwrap(),
            Detected {
                project: "app/db".into(),
                requirements: Some("requirements.txt".into())
            }
        );
    }

    #[test]
    fn a_migrations_folder_without_alembic_ini_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::write(dir.path().join("migrations/env.py"), "").unwrap();
        let err = detect(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("migrations folder migrations but no alembic.ini"),
            "{err}"
        );
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("harness.toml"), "mine").unwrap();
        let files = vec![
            PlannedFile {
                path: "scenarios/fresh.toml".into(),
                text: "x".into(),
            },
            PlannedFile {
                path: "harness.toml".into(),
                text: "theirs".into(),
            },
        ];
        let err = write(dir.path(), &files).unwrap_err().to_string();
        assert_eq!(
            err,
            "harness.toml already exists: `harness init` never overwrites a file"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("harness.toml")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("scenarios").exists(), "nothing is written");
    }
}
