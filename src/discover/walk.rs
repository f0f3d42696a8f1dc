//! The walk of a repository: every Alembic configuration file and every folder holding `env.py`
//! and `versions/`, a bounded number of levels down, skipping what is never a project's own code
//! (version control, virtual environments, installed packages, caches, build output).

use std::path::{Path, PathBuf};

use super::{DiscoverError, MAX_DEPTH};
use crate::lint::IniFile;

/// Folder names never walked into, besides hidden ones and `*.egg-info`.
const SKIPPED: &[&str] = &[
    "node_modules",
    "venv",
    "site-packages",
    "__pycache__",
    "target",
    "build",
    "dist",
];

/// What the walk found, each list sorted by path.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// alembic.ini files, and other `*.ini` files with an `[alembic]` section naming a
    /// script_location.
    pub inis: Vec<PathBuf>,
    /// Folders holding `env.py` and a `versions/` folder.
    pub script_dirs: Vec<PathBuf>,
}

/// Whether the walk goes into a folder called `name`.
pub(super) fn walked(name: &str) -> bool {
    !name.starts_with('.')
        && !name.ends_with(".egg-info")
        && !SKIPPED.contains(&name)
        && !is_template_folder(name)
}

/// A folder a project generator fills in (`{{cookiecutter.project_slug}}`, `{% if ... %}`,
/// `${name}`): a template of a project, not a project.
fn is_template_folder(name: &str) -> bool {
    name.contains("{{") || name.contains("{%") || name.contains("${") || name.contains("<%")
}

/// Walks `root` (absolute) and the folders below it, [`MAX_DEPTH`] levels at most. Only `root`
/// itself must be readable; a folder below it that cannot be listed is passed over.
pub(super) fn walk(root: &Path) -> Result<Found, DiscoverError> {
    let mut found = Found::default();
    let mut todo = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = todo.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(source) if depth == 0 => {
                return Err(DiscoverError::Io {
                    what: format!("cannot list {}", dir.display()),
                    source,
                });
            }
            Err(_) => continue,
        };
        let mut listing = Listing::default();
        for entry in entries.filter_map(Result::ok) {
            // Symbolic links are not followed: file_type() describes the link itself.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                if name == "versions" {
                    listing.versions = true;
                }
                if depth < MAX_DEPTH && walked(&name) {
                    listing.subfolders.push(entry.path());
                }
            } else if kind.is_file() {
                match name.as_str() {
                    "pyvenv.cfg" => listing.virtual_env = true,
                    "env.py" => listing.env_py = true,
                    _ if name.ends_with(".ini") => listing.inis.push(entry.path()),
                    _ => {}
                }
            }
        }
        if listing.virtual_env && depth > 0 {
            continue;
        }
        for ini in listing.inis {
            if is_alembic_config(&ini) {
                found.inis.push(ini);
            }
        }
        if listing.env_py && listing.versions {
            found.script_dirs.push(dir.clone());
        }
        todo.extend(listing.subfolders.into_iter().map(|sub| (sub, depth + 1)));
    }
    found.inis.sort();
    found.script_dirs.sort();
    Ok(found)
}

/// One folder's entries, as far as the walk cares.
#[derive(Default)]
struct Listing {
    subfolders: Vec<PathBuf>,
    inis: Vec<PathBuf>,
    env_py: bool,
    versions: bool,
    virtual_env: bool,
}

/// An alembic.ini whatever it holds; another `*.ini` only with an `[alembic]` section naming a
/// script_location (so pytest.ini, tox.ini, a logging config are passed over).
fn is_alembic_config(path: &Path) -> bool {
    if path.file_name().is_some_and(|name| name == "alembic.ini") {
        return true;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    if !text.contains("[alembic]") {
        return false;
    }
    let here = path.parent().unwrap_or(Path::new("."));
    IniFile::parse(path, here, &text)
        .get("alembic", "script_location")
        .is_some_and(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn relative(root: &Path, paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn finds_configs_six_levels_down_and_skips_what_is_not_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "a/b/c/d/e/f/alembic.ini", "");
        touch(root, "a/b/c/d/e/f/g/alembic.ini", "");
        touch(root, "db/migrate.ini", "[alembic]\nscript_location = m\n");
        touch(root, "db/pytest.ini", "[pytest]\naddopts = -q\n");
        touch(root, "db/logging.ini", "[alembic]\nsqlalchemy.url = x\n");
        for skipped in [
            ".git",
            ".venv",
            ".tox",
            "node_modules",
            "venv",
            "lib/site-packages/alembic/templates",
            "__pycache__",
            "target",
            "build",
            "dist",
            "app.egg-info",
        ] {
            touch(root, &format!("{skipped}/alembic.ini"), "");
        }
        touch(root, "env/pyvenv.cfg", "home = /usr/bin\n");
        touch(root, "env/alembic.ini", "");
        touch(root, "env2/alembic.ini", "");
        touch(root, "svc/migrations/env.py", "");
        std::fs::create_dir_all(root.join("svc/migrations/versions")).unwrap();
        touch(root, "svc/other/env.py", "");

        let found = walk(root).unwrap();
        assert_eq!(
            relative(root, &found.inis),
            [
                "a/b/c/d/e/f/alembic.ini",
                "db/migrate.ini",
                "env2/alembic.ini"
            ]
        );
        assert_eq!(relative(root, &found.script_dirs), ["svc/migrations"]);
    }

    #[test]
    fn an_unreadable_root_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere");
        let err = walk(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("cannot list {}", missing.display())),
            "{err}"
        );
    }
}
