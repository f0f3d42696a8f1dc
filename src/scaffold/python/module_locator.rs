//! Where a project's own modules import from: the folders that would have to be on PYTHONPATH for
//! `import app` to work without installing the project (a src layout, the root, a folder above the
//! migrations), and the file a dotted module name is.

use std::path::{Path, PathBuf};

use super::project_files::slashed;

/// Folders, nearest to the migrations first, that a top-level module may sit in.
#[derive(Debug, Clone)]
pub struct ModuleLocator {
    /// (absolute folder, its path relative to the root: `.`, `src`, `backend`).
    folders: Vec<(PathBuf, String)>,
}

impl ModuleLocator {
    /// Every folder from the one above `script_dir` up to `root`, each preceded by its `src`
    /// (the folder Alembic runs in is usually the nearest, and its imports resolve there first).
    pub fn new(root: &Path, script_dir: &Path) -> Self {
        let mut folders = Vec::new();
        for folder in ancestors_within(root, script_dir) {
            for candidate in [folder.join("src"), folder.clone()] {
                let relative = match candidate.strip_prefix(root) {
                    Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
                    Ok(rel) => slashed(rel),
                    Err(_) => continue,
                };
                folders.push((candidate, relative));
            }
        }
        Self { folders }
    }

    /// The folder (absolute, and relative to the root) holding `top` as a package or a module.
    pub fn locate(&self, top: &str) -> Option<(&Path, &str)> {
        self.folders
            .iter()
            .find(|(folder, _)| is_module(folder, top))
            .map(|(folder, relative)| (folder.as_path(), relative.as_str()))
    }
}

/// The folders from `script_dir`'s parent up to `root`, both included; just `root` when
/// `script_dir` is not inside it.
pub fn ancestors_within(root: &Path, script_dir: &Path) -> Vec<PathBuf> {
    if !script_dir.starts_with(root) || script_dir == root {
        return vec![root.to_path_buf()];
    }
    script_dir
        .ancestors()
        .skip(1)
        .take_while(|folder| folder.starts_with(root))
        .map(Path::to_path_buf)
        .collect()
}

/// The file of `dotted` (`app.core.config`) under `folder`: `app/core/config.py` or
/// `app/core/config/__init__.py`.
pub fn module_file(folder: &Path, dotted: &str) -> Option<PathBuf> {
    let mut path = folder.to_path_buf();
    for part in dotted.split('.') {
        if part.is_empty() {
            return None;
        }
        path.push(part);
    }
    let module = path.with_extension("py");
    if module.is_file() {
        return Some(module);
    }
    let package = path.join("__init__.py");
    package.is_file().then_some(package)
}

/// `folder/name.py`, or a folder `folder/name` that is a package: one with `__init__.py`, or a
/// namespace package holding Python files or packages.
fn is_module(folder: &Path, name: &str) -> bool {
    if folder.join(format!("{name}.py")).is_file() {
        return true;
    }
    let package = folder.join(name);
    if package.join("__init__.py").is_file() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(&package) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        let path = entry.path();
        path.extension().is_some_and(|e| e == "py") || path.join("__init__.py").is_file()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, file: &str) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn src_layout_root_package_and_a_folder_above_the_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "src/inventory/__init__.py");
        touch(root, "settings.py");
        touch(root, "services/billing/ledger/models.py");
        touch(root, "services/billing/migrations/env.py");
        let locator = ModuleLocator::new(root, &root.join("services/billing/migrations"));
        let located = |name: &str| locator.locate(name).map(|(_, rel)| rel.to_string());
        assert_eq!(located("inventory").as_deref(), Some("src"));
        assert_eq!(located("settings").as_deref(), Some("."));
        assert_eq!(
            located("ledger").as_deref(),
            Some("services/billing"),
            "a namespace package"
        );
        assert_eq!(located("missing"), None);
    }

    #[test]
    fn the_nearest_folder_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "app/__init__.py");
        touch(root, "backend/app/__init__.py");
        let locator = ModuleLocator::new(root, &root.join("backend/migrations"));
        assert_eq!(locator.locate("app").map(|(_, rel)| rel), Some("backend"));
    }

    #[test]
    fn module_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "app/core/config.py");
        touch(root, "app/models/__init__.py");
        assert_eq!(
            module_file(root, "app.core.config"),
            Some(root.join("app/core/config.py"))
        );
        assert_eq!(
            module_file(root, "app.models"),
            Some(root.join("app/models/__init__.py"))
        );
        assert_eq!(module_file(root, "app.missing"), None);
    }

    #[test]
    fn ancestors_stop_at_the_root() {
        let root = Path::new("/repo");
        assert_eq!(
            ancestors_within(root, Path::new("/repo/backend/db/migrations")),
            [
                Path::new("/repo/backend/db"),
                Path::new("/repo/backend"),
                Path::new("/repo")
            ]
        );
        assert_eq!(
            ancestors_within(root, Path::new("/elsewhere/migrations")),
            [root]
        );
        assert_eq!(ancestors_within(root, root), [root]);
    }
}
