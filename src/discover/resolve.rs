//! One alembic.ini made into an [`AlembicProject`]: its `script_location` resolved the way Alembic
//! resolves it (`%(here)s`, else from the folder `alembic` runs in; `package:path` through the
//! package's folder), and when the file names no usable one, the folder beside it that holds
//! env.py, with a note saying so.

use std::path::{Path, PathBuf};

use super::{AlembicProject, DiscoverError, relative};
use crate::lint::{IniFile, VersionDirs};

/// Where the folder Alembic runs in comes from.
#[derive(Debug, Clone, Copy)]
pub(super) enum RunDir<'a> {
    /// The first of the ini's folder and the folders above it, up to `root`, from which
    /// script_location names a folder holding env.py.
    Search { root: &'a Path },
    /// Given by the configuration (`project.path` of harness.toml).
    Fixed(&'a Path),
}

impl RunDir<'_> {
    /// The folder paths in notes are relative to.
    fn base(&self) -> &Path {
        match self {
            RunDir::Search { root } => root,
            RunDir::Fixed(dir) => dir,
        }
    }
}

/// Resolves the project of `ini_path` (absolute). `script_location`, when given, is the folder
/// holding env.py as the configuration names it, and wins over the file's own value.
pub(super) fn resolve(
    ini_path: &Path,
    run_dir: RunDir<'_>,
    script_location: Option<&Path>,
    section: Option<&str>,
) -> Result<AlembicProject, DiscoverError> {
    let text = std::fs::read_to_string(ini_path).map_err(|source| DiscoverError::Io {
        what: format!("cannot read {}", ini_path.display()),
        source,
    })?;
    let ini_dir = ini_path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let ini = IniFile::parse(ini_path, &ini_dir, &text);
    let ini = match section {
        Some(name) => ini.as_section(name),
        None => ini,
    };
    let base = run_dir.base();
    let shown_ini = match section {
        Some(name) => format!("{} [{name}]", relative(base, ini_path)),
        None => relative(base, ini_path),
    };
    let mut notes = Vec::new();

    let located = match script_location {
        Some(dir) => {
            let run = fixed_or(run_dir, &ini_dir);
            Located::overridden(super::normalize(&run.join(dir)), run)
        }
        None => locate(&ini, &ini_dir, run_dir, &shown_ini, &mut notes)?,
    };

    let version_dirs =
        VersionDirs::of_script_dir(Some(&ini), &located.script_dir, &located.run_dir);
    let locations = VersionDirs::locations(&ini);
    if locations.iter().any(|l| IniFile::is_placeholder(l)) {
        notes.push(format!(
            "{shown_ini} names version_locations `{}`, a placeholder; reading {}/",
            locations.join(" "),
            relative(base, &located.script_dir.join("versions"))
        ));
    }
    let script_location_override = located
        .needs_override
        .then(|| relative(&located.run_dir, &located.script_dir));
    Ok(AlembicProject {
        ini: Some(ini_path.to_path_buf()),
        section: section.map(str::to_string),
        flask: super::uses_flask(&located.script_dir),
        run_dir: located.run_dir,
        script_dir: located.script_dir,
        script_location_override,
        version_dirs,
        notes,
    })
}

/// Where env.py is and where Alembic runs.
struct Located {
    script_dir: PathBuf,
    run_dir: PathBuf,
    /// Whether alembic.ini's own script_location cannot be used as it is.
    needs_override: bool,
}

impl Located {
    fn overridden(script_dir: PathBuf, run_dir: PathBuf) -> Self {
        Self {
            script_dir,
            run_dir,
            needs_override: true,
        }
    }
}

/// The script folder the file's `script_location` names, or the one beside the file.
fn locate(
    ini: &IniFile,
    ini_dir: &Path,
    run_dir: RunDir<'_>,
    shown_ini: &str,
    notes: &mut Vec<String>,
) -> Result<Located, DiscoverError> {
    let base = run_dir.base();
    let value = ini
        .get("alembic", "script_location")
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty());
    let runs = candidate_run_dirs(ini_dir, run_dir);
    let (failure, why) = match value {
        None => (
            DiscoverError::NoScriptLocation {
                ini: ini.path.clone(),
            },
            format!("{shown_ini} names no script_location"),
        ),
        Some(value) if IniFile::is_placeholder(&value) => (
            DiscoverError::Placeholder {
                ini: ini.path.clone(),
                value: value.clone(),
            },
            format!(
                "{shown_ini} names script_location `{value}`, a placeholder the application fills in"
            ),
        ),
        Some(value) => match package_location(&value) {
            Some((package, path)) => {
                let mut homes = runs.clone();
                if !homes.iter().any(|dir| dir == ini_dir) {
                    homes.push(ini_dir.to_path_buf());
                }
                // Or the folder holding the ini is the package itself, or inside it
                // (`src/app/alembic.ini` naming `app:migrations`, run from `src/app`).
                let enclosing = ini_dir
                    .ancestors()
                    .filter(|dir| dir.file_name().is_some_and(|name| name == package))
                    .map(Path::to_path_buf);
                if let Some(script_dir) = homes
                    .iter()
                    .filter_map(|dir| find_package(dir, package))
                    .chain(enclosing)
                    .find_map(|package_dir| {
                        let script_dir = super::normalize(&package_dir.join(path));
                        script_dir.join("env.py").is_file().then_some(script_dir)
                    })
                {
                    return Ok(Located {
                        script_dir,
                        run_dir: fixed_or(run_dir, ini_dir),
                        needs_override: false,
                    });
                }
                (
                    DiscoverError::PackageNotFound {
                        ini: ini.path.clone(),
                        value: value.clone(),
                        package: package.to_string(),
                        root: base.to_path_buf(),
                    },
                    format!(
                        "{shown_ini} names script_location `{value}`, a package not found in {}",
                        shown_dir(base, base)
                    ),
                )
            }
            None => {
                let path = Path::new(&value);
                let found = if path.is_absolute() {
                    let script_dir = super::normalize(path);
                    script_dir
                        .join("env.py")
                        .is_file()
                        .then(|| (script_dir, fixed_or(run_dir, ini_dir)))
                } else {
                    runs.iter().find_map(|dir| {
                        let script_dir = super::normalize(&dir.join(path));
                        script_dir
                            .join("env.py")
                            .is_file()
                            .then(|| (script_dir, dir.clone()))
                    })
                };
                if let Some((script_dir, run_dir)) = found {
                    return Ok(Located {
                        script_dir,
                        run_dir,
                        needs_override: false,
                    });
                }
                let tried = if path.is_absolute() {
                    vec![fixed_or(run_dir, ini_dir)]
                } else {
                    runs.clone()
                };
                let shown_tried = tried
                    .iter()
                    .map(|dir| shown_dir(base, dir))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    DiscoverError::Unresolved {
                        ini: ini.path.clone(),
                        value: value.clone(),
                        tried,
                    },
                    format!(
                        "{shown_ini} names script_location `{value}`, which holds no env.py from {shown_tried}"
                    ),
                )
            }
        },
    };
    let Some((script_dir, own)) = beside(ini_dir) else {
        return Err(failure);
    };
    let run = match run_dir {
        RunDir::Fixed(dir) => dir.to_path_buf(),
        // A script folder holding its own alembic.ini (Flask-Migrate's migrations/) is run from the
        // folder above it, where the application is.
        RunDir::Search { root } if own && ini_dir != root && ini_dir.starts_with(root) => ini_dir
            .parent()
            .map_or_else(|| ini_dir.to_path_buf(), Path::to_path_buf),
        RunDir::Search { .. } => ini_dir.to_path_buf(),
    };
    let what = if own {
        "env.py beside the file"
    } else {
        "env.py and versions/ beside the file"
    };
    let flask = if own && matches!(failure, DiscoverError::NoScriptLocation { .. }) {
        ", as Flask-Migrate does"
    } else {
        ""
    };
    notes.push(format!(
        "{why}; using {} ({what}){flask}",
        shown_dir(base, &script_dir)
    ));
    Ok(Located::overridden(script_dir, run))
}

/// The folders `alembic` could run in: the fixed one, or the ini's folder and those above it up
/// to the root.
fn candidate_run_dirs(ini_dir: &Path, run_dir: RunDir<'_>) -> Vec<PathBuf> {
    match run_dir {
        RunDir::Fixed(dir) => vec![dir.to_path_buf()],
        RunDir::Search { root } => {
            let mut dirs = vec![ini_dir.to_path_buf()];
            if ini_dir.starts_with(root) {
                dirs.extend(
                    ini_dir
                        .ancestors()
                        .skip(1)
                        .take_while(|dir| dir.starts_with(root))
                        .map(Path::to_path_buf),
                );
            }
            dirs
        }
    }
}

fn fixed_or(run_dir: RunDir<'_>, ini_dir: &Path) -> PathBuf {
    match run_dir {
        RunDir::Fixed(dir) => dir.to_path_buf(),
        RunDir::Search { .. } => ini_dir.to_path_buf(),
    }
}

/// The script folder beside an alembic.ini whose script_location is of no use: its own folder when
/// env.py is there (`true`), else the one child folder holding env.py and versions/ (`migrations/`
/// and `alembic/` first when several do).
fn beside(ini_dir: &Path) -> Option<(PathBuf, bool)> {
    if ini_dir.join("env.py").is_file() {
        return Some((ini_dir.to_path_buf(), true));
    }
    let mut children: Vec<PathBuf> = std::fs::read_dir(ini_dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| super::walk::walked(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .filter(|dir| dir.join("env.py").is_file() && dir.join("versions").is_dir())
        .collect();
    children.sort_by_key(|dir| {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let rank = match name.as_deref() {
            Some("migrations") => 0,
            Some("alembic") => 1,
            _ => 2,
        };
        (rank, dir.clone())
    });
    children.into_iter().next().map(|dir| (dir, false))
}

/// `myapp.db:migrations` -> (`myapp.db`, `migrations`): a dotted Python name before the colon (a
/// Windows drive letter is not one).
fn package_location(value: &str) -> Option<(&str, &str)> {
    let (package, path) = value.split_once(':')?;
    let identifier = |part: &str| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    let dotted = package.len() > 1 && package.split('.').all(identifier);
    let path = path.trim_start_matches(['/', '\\']);
    dotted.then_some((package, path))
}

/// The folder of a dotted package under `dir` or `dir/src`.
fn find_package(dir: &Path, package: &str) -> Option<PathBuf> {
    let relative: PathBuf = package.split('.').collect();
    [dir.join(&relative), dir.join("src").join(&relative)]
        .into_iter()
        .find(|candidate| candidate.is_dir())
}

/// A folder for a note: relative to `base`, with a trailing `/` (`./` for `base` itself).
fn shown_dir(base: &Path, dir: &Path) -> String {
    format!("{}/", relative(base, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_locations_are_dotted_names_before_a_colon() {
        assert_eq!(
            package_location("myapp:migrations"),
            Some(("myapp", "migrations"))
        );
        assert_eq!(
            package_location("myapp.db:alembic/x"),
            Some(("myapp.db", "alembic/x"))
        );
        assert_eq!(package_location("C:\\app\\migrations"), None);
        assert_eq!(package_location("migrations"), None);
        assert_eq!(package_location("my-app:migrations"), None);
    }
}
