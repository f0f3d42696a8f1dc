//! How to install and run a Python project's Alembic migrations, read from its files for `harness
//! init`: the dependencies to install, the folders to put on PYTHONPATH, the Python versions it
//! declares, and the environment variables env.py reads. Reads files only: runs no process, imports
//! nothing, writes nothing.

mod console_scripts;
mod declared_python;
mod dependencies;
mod entry_points;
mod env_py;
mod env_read;
mod group;
mod module_locator;
mod package_name;
mod pipfile;
mod poetry_constraint;
mod project_files;
mod pyproject;
mod python_file;
mod requirements_txt;
mod requires_python;
mod service_reads;
mod settings_class;
mod setup_cfg;
mod setup_py;
mod source_text;
mod stdlib;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use console_scripts::{alembic_wrappers, console_scripts};
pub use entry_points::plugin_group;
pub use env_read::{CellPart, EnvRead, is_secret};
pub use requires_python::RequiresPython;
pub use service_reads::redis_url_reads;

use declared_python::DeclaredPython;
use dependencies::Dependencies;
use env_py::EnvPy;
use module_locator::ancestors_within;
use project_files::ProjectFiles;

/// What a Python project needs for its migrations to run, in harness.toml's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PythonProject {
    /// Requirements files to install, relative to the root (`["requirements.txt"]`).
    pub requirements_files: Vec<String>,
    /// PEP 508 specifiers to install besides them (`["fastapi>=0.100", "alembic"]`); always
    /// names alembic, here or in the files.
    pub packages: Vec<String>,
    /// Folders to put on PYTHONPATH so that the project's own modules import without installing
    /// it, relative to the root: `src` for a src layout, `.` for a package at the root, the
    /// folder above the package otherwise.
    pub pythonpath: Vec<String>,
    /// The declared `requires-python` (Poetry's caret and tilde written as PEP 440), and the file
    /// it is in, relative to the root.
    pub requires_python: Option<(String, String)>,
    /// The minors the project names as the ones it runs on, with where (`.python-version`, the
    /// classifiers, the CI matrix).
    pub python_versions: Vec<(String, String)>,
    /// Variables env.py (or a project module it imports) reads that look like the database URL.
    pub url_variables: Vec<EnvRead>,
    /// Other variables read without a default: the user has to set them.
    pub required_variables: Vec<EnvRead>,
    /// Variables holding one part of the database URL (`DB_HOST`, `POSTGRES_PASSWORD`).
    pub part_variables: Vec<(EnvRead, CellPart)>,
    /// Alembic options env.py reads the URL from besides `sqlalchemy.url`.
    pub url_options: Vec<String>,
    /// For the user: which files were read, what was left out and why.
    pub notes: Vec<String>,
}

/// Reads the project in `root` whose Alembic scripts (env.py) are in `script_dir` (absolute, or
/// relative to `root`). Packaging files are looked for in every folder from the one above
/// `script_dir` up to `root`, the nearest first.
pub fn analyze(root: &Path, script_dir: &Path) -> PythonProject {
    let root = absolute(root);
    let script_dir = absolute(&root.join(script_dir));
    let folders: Vec<ProjectFiles> = ancestors_within(&root, &script_dir)
        .iter()
        .map(|folder| ProjectFiles::read(&root, folder))
        .collect();
    let dependencies = Dependencies::choose(&folders);
    let declared = DeclaredPython::find(&folders);
    let env_py = EnvPy::scan(&root, &script_dir, &dependencies.installed);

    let mut notes = dependencies.notes;
    notes.extend(folders.iter().flat_map(|f| f.notes.iter().cloned()));
    notes.extend(declared.notes);
    notes.extend(env_py.notes);
    PythonProject {
        requirements_files: dependencies.requirements_files,
        packages: dependencies.packages,
        pythonpath: env_py.pythonpath,
        requires_python: declared.requires_python,
        python_versions: declared.versions,
        url_variables: env_py.url_variables,
        required_variables: env_py.required_variables,
        part_variables: env_py.part_variables,
        url_options: env_py.url_options,
        notes,
    }
}

/// The variables a Flask app's configuration reads (`module`, imported from `base`, and the modules
/// of its own package it imports): URL-like ones, URL parts, and those read without a default.
pub fn flask_app_reads(
    root: &Path,
    base: &Path,
    module: &str,
) -> (Vec<EnvRead>, Vec<(EnvRead, CellPart)>, Vec<EnvRead>) {
    let scan = env_py::app_reads(&absolute(root), &absolute(base), module);
    (
        scan.url_variables,
        scan.part_variables,
        scan.required_variables,
    )
}

/// `path` made absolute without touching the file system (symbolic links are kept).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
