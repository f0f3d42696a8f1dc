//! Finding the Alembic migration projects of a repository, laid out the way real repositories lay
//! them out: alembic.ini deep in a monorepo, Flask-Migrate's `migrations/alembic.ini`, template
//! files whose script_location the application fills in, env.py without any alembic.ini. Reads
//! files only; runs nothing and writes nothing.

mod error;
mod resolve;
mod walk;

use std::path::{Component, Path, PathBuf};

pub use error::DiscoverError;
use resolve::RunDir;

use crate::lint::VersionDirs;

/// How many folder levels below the root are searched.
pub const MAX_DEPTH: usize = 6;

/// One Alembic migration project found in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlembicProject {
    /// alembic.ini, absolute; `None` when the project has none (env.py and versions/ found by
    /// walking).
    pub ini: Option<PathBuf>,
    /// The section of the ini file that configures this project when it is not `[alembic]`
    /// (`alembic -n NAME`: one file, several projects).
    pub section: Option<String>,
    /// The folder Alembic must run in (relative script_location values resolve from it), absolute.
    pub run_dir: PathBuf,
    /// The folder holding env.py (the resolved script_location), absolute.
    pub script_dir: PathBuf,
    /// `Some` when the harness must set script_location itself because alembic.ini does not name
    /// a usable one (none, a placeholder, or one resolving nowhere): `script_dir` relative to
    /// `run_dir`, with `/`.
    pub script_location_override: Option<String>,
    /// The versions folders, as lint reads them (they may not exist yet).
    pub version_dirs: VersionDirs,
    /// Whether env.py takes its engine from a Flask application (imports flask or flask_migrate,
    /// or uses current_app).
    pub flask: bool,
    /// What was inferred, for people: one sentence each.
    pub notes: Vec<String>,
}

impl AlembicProject {
    /// The project of one alembic.ini, found the way [`find_projects`] finds it: Alembic's run
    /// folder is searched from the file's folder up to `root`.
    pub fn from_ini(ini: &Path, root: &Path) -> Result<Self, DiscoverError> {
        let root = absolute(root);
        resolve::resolve(&absolute(ini), RunDir::Search { root: &root }, None, None)
    }

    /// The project a configuration names: alembic.ini, the folder Alembic runs in, and optionally
    /// the folder holding env.py (relative to `run_dir`, or absolute), which wins over the file's
    /// script_location.
    #[cfg(test)]
    pub fn configured(
        ini: &Path,
        run_dir: &Path,
        script_location: Option<&Path>,
    ) -> Result<Self, DiscoverError> {
        Self::configured_section(ini, run_dir, script_location, None)
    }

    /// [`AlembicProject::configured`] for the section `section` of the file (`alembic -n`).
    pub fn configured_section(
        ini: &Path,
        run_dir: &Path,
        script_location: Option<&Path>,
        section: Option<&str>,
    ) -> Result<Self, DiscoverError> {
        let run_dir = absolute(run_dir);
        resolve::resolve(
            &absolute(ini),
            RunDir::Fixed(&run_dir),
            script_location,
            section,
        )
    }

    /// A project harness.toml names without an alembic.ini: its script folder and run folder.
    pub fn without_ini(script_dir: &Path, run_dir: &Path) -> Self {
        let script_dir = absolute(script_dir);
        let env_py = std::fs::read_to_string(script_dir.join("env.py")).unwrap_or_default();
        AlembicProject {
            ini: None,
            section: None,
            run_dir: absolute(run_dir),
            version_dirs: VersionDirs::of_script_dir(None, &script_dir, run_dir),
            script_location_override: Some(relative(run_dir, &script_dir)),
            flask: flask_env_py(&env_py),
            notes: Vec::new(),
            script_dir,
        }
    }

    /// The file or folder that names this project to a person or to `harness lint`: alembic.ini,
    /// else the script folder.
    pub fn origin(&self) -> &Path {
        self.ini.as_deref().unwrap_or(&self.script_dir)
    }
}

/// Every Alembic project in `root` and the folders below it ([`MAX_DEPTH`] levels), sorted by
/// script folder. A script folder reached from several ini files is one project, named by the file
/// closest to the root. Without any ini file, the folders holding env.py and versions/ are the
/// projects. An ini file that names no usable script folder is an error, as is finding nothing.
pub fn find_projects(root: &Path) -> Result<Vec<AlembicProject>, DiscoverError> {
    find_projects_skipping(root).map(|(projects, _)| projects)
}

/// [`find_projects`], where an alembic.ini that does not resolve (a plugin's broken or template
/// configuration) is skipped, and returned with why, when another one does: one broken file does
/// not hide the repository's projects. When none resolves, its error is the result.
pub fn find_projects_skipping(
    root: &Path,
) -> Result<(Vec<AlembicProject>, Vec<DiscoverError>), DiscoverError> {
    let root = absolute(root);
    let found = walk::walk(&root)?;
    let mut inis = found.inis;
    inis.sort_by_key(|ini| (ini.components().count(), ini.clone()));
    let mut projects: Vec<AlembicProject> = Vec::new();
    let mut skipped: Vec<DiscoverError> = Vec::new();
    for ini in &inis {
        for section in sections_of(ini) {
            let project = match resolve::resolve(
                ini,
                RunDir::Search { root: &root },
                None,
                section.as_deref(),
            ) {
                Ok(project) => project,
                Err(err) => {
                    skipped.push(err);
                    continue;
                }
            };
            if !projects.iter().any(|p| p.script_dir == project.script_dir) {
                projects.push(project);
            }
        }
    }
    if projects.is_empty() && !skipped.is_empty() && found.script_dirs.is_empty() {
        return Err(skipped.remove(0));
    }
    if projects.is_empty() {
        projects = found
            .script_dirs
            .iter()
            .filter_map(|dir| without_ini(dir, &root))
            .collect();
    }
    if projects.is_empty() {
        return Err(match skipped.into_iter().next() {
            Some(err) => err,
            None => DiscoverError::NoProject { root },
        });
    }
    projects.sort_by(|a, b| a.script_dir.cmp(&b.script_dir));
    Ok((projects, skipped))
}

/// `file_name` in `start` or the nearest folder above it, as git and cargo find their files. The
/// search stops at the repository's root (the folder holding `.git`).
pub fn find_upward(start: &Path, file_name: &str) -> Option<PathBuf> {
    for dir in absolute(start).ancestors() {
        let candidate = dir.join(file_name);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// `path` relative to `base`, with `/` (`.` for `base` itself); absolute when it is not below it.
pub fn relative(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// The configurations of one ini file: `[alembic]` (`None`), unless it names no script_location
/// and other sections do (`alembic -n core`, `-n tenant`): then each of those.
fn sections_of(ini: &Path) -> Vec<Option<String>> {
    let Ok(text) = std::fs::read_to_string(ini) else {
        return vec![None];
    };
    let here = ini.parent().unwrap_or(Path::new("/"));
    let parsed = crate::lint::IniFile::parse(ini, here, &text);
    let named = parsed.named_sections();
    if named.is_empty() || parsed.get("alembic", "script_location").is_some() {
        vec![None]
    } else {
        named.into_iter().map(Some).collect()
    }
}

/// A script folder no ini file names: a project when its env.py is Alembic's.
fn without_ini(dir: &Path, root: &Path) -> Option<AlembicProject> {
    let env_py = std::fs::read_to_string(dir.join("env.py")).ok()?;
    if !env_py.contains("context.configure") && !env_py.contains("alembic") {
        return None;
    }
    let location = relative(root, dir);
    Some(AlembicProject {
        ini: None,
        section: None,
        run_dir: root.to_path_buf(),
        script_dir: dir.to_path_buf(),
        script_location_override: Some(location.clone()),
        version_dirs: VersionDirs::folder(dir.join("versions")),
        flask: flask_env_py(&env_py),
        notes: vec![format!(
            "no alembic.ini names {location}/ (env.py and versions/); script_location must be set to it"
        )],
    })
}

/// Whether the env.py of `script_dir` takes its engine from a Flask application.
fn uses_flask(script_dir: &Path) -> bool {
    std::fs::read_to_string(script_dir.join("env.py")).is_ok_and(|text| flask_env_py(&text))
}

fn flask_env_py(text: &str) -> bool {
    ["import flask", "from flask", "flask_migrate", "current_app"]
        .iter()
        .any(|needle| text.contains(needle))
}

/// `path` made absolute against the working folder, without `.` and `..` components.
fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Removes `.` components and folds `name/..`, without asking the file system (as Alembic's
/// `os.path` joins do).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests;
