//! Where the revision files are: the versions folders named by alembic.ini (`script_location`,
//! `version_locations`, `recursive_version_locations`), or a folder given directly, and the
//! revision files in them, chosen the way Alembic chooses them.

use std::path::{Path, PathBuf};

use super::LintError;
use super::ini::IniFile;

/// The folders lint reads, in the order Alembic would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDirs {
    pub dirs: Vec<PathBuf>,
    pub recursive: bool,
}

impl VersionDirs {
    /// A folder of revision files, given directly.
    pub fn folder(dir: impl Into<PathBuf>) -> Self {
        Self {
            dirs: vec![dir.into()],
            recursive: false,
        }
    }

    /// The folders an alembic.ini names. Relative paths resolve from `run_dir`, the folder Alembic
    /// runs in.
    pub fn from_ini(ini_path: &Path, run_dir: &Path) -> Result<Self, LintError> {
        let ini = IniFile::read(ini_path)?;
        Self::from_parsed(&ini, run_dir)
    }

    pub fn from_parsed(ini: &IniFile, run_dir: &Path) -> Result<Self, LintError> {
        let script_location = ini
            .get("alembic", "script_location")
            .filter(|value| !value.trim().is_empty())
            .ok_or_else(|| LintError::NoScriptLocation {
                ini: ini.path.clone(),
            })?;
        let script_dir = resolve(run_dir, &script_location);
        if !script_dir.is_dir() && script_location.contains(':') {
            return Err(LintError::PackageLocation {
                ini: ini.path.clone(),
                value: script_location,
            });
        }
        let dirs = Self::of_script_dir(Some(ini), &script_dir, run_dir);
        dirs.ensure_exist(Some(&ini.path))?;
        Ok(dirs)
    }

    /// The folders of a project whose script folder (the one holding env.py) is known: the
    /// `version_locations` of its alembic.ini, relative ones resolved from `run_dir`, else
    /// `script_dir/versions`. A `version_locations` holding a placeholder is not used. The folders
    /// may not exist; [`VersionDirs::ensure_exist`] says so.
    pub fn of_script_dir(ini: Option<&IniFile>, script_dir: &Path, run_dir: &Path) -> Self {
        let locations = ini.map(Self::locations).unwrap_or_default();
        let dirs = if locations.is_empty() || locations.iter().any(|l| IniFile::is_placeholder(l)) {
            vec![script_dir.join("versions")]
        } else {
            locations
                .iter()
                .map(|entry| resolve(run_dir, entry))
                .collect()
        };
        let recursive = ini
            .and_then(|ini| ini.get("alembic", "recursive_version_locations"))
            .is_some_and(|v| {
                matches!(
                    v.trim().to_lowercase().as_str(),
                    "true" | "1" | "yes" | "on"
                )
            });
        Self { dirs, recursive }
    }

    /// The entries of `version_locations`, interpolated and split the way Alembic splits them for
    /// the file's `path_separator`; empty when the file names none.
    pub fn locations(ini: &IniFile) -> Vec<String> {
        match ini.get("alembic", "version_locations") {
            Some(list) if !list.trim().is_empty() => {
                let separator = ini
                    .get("alembic", "path_separator")
                    .or_else(|| ini.get("alembic", "version_path_separator"));
                split_locations(&list, separator.as_deref())
            }
            _ => Vec::new(),
        }
    }

    /// An error naming the first folder that does not exist (and the alembic.ini that named it).
    pub fn ensure_exist(&self, ini: Option<&Path>) -> Result<(), LintError> {
        match self.dirs.iter().find(|dir| !dir.is_dir()) {
            Some(dir) => Err(LintError::MissingFolder {
                dir: dir.clone(),
                ini: ini.map(Path::to_path_buf),
            }),
            None => Ok(()),
        }
    }

    /// The revision files: `*.py` but `__init__.py` and editor lock files (`.#*`), sorted by path.
    pub fn files(&self) -> Result<Vec<PathBuf>, LintError> {
        let mut files = Vec::new();
        for dir in &self.dirs {
            let mut todo = vec![dir.clone()];
            while let Some(dir) = todo.pop() {
                let entries = std::fs::read_dir(&dir).map_err(|source| LintError::Io {
                    what: format!("cannot list {}", dir.display()),
                    source,
                })?;
                for entry in entries.filter_map(Result::ok) {
                    let name = entry.file_name();
                    let name = name.as_encoded_bytes();
                    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                    if is_dir {
                        if self.recursive && name != b"__pycache__" {
                            todo.push(entry.path());
                        }
                    } else if name.ends_with(b".py")
                        && !name.starts_with(b"__init__")
                        && !name.starts_with(b".#")
                    {
                        files.push(entry.path());
                    }
                }
            }
        }
        files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        files.dedup();
        Ok(files)
    }
}

/// `value` as a path: absolute as it is, relative from `run_dir`.
fn resolve(run_dir: &Path, value: &str) -> PathBuf {
    // `package:path`, which Alembic resolves by importing the package: the package's folder is
    // looked for where the project would import it from (the run folder or a folder above it, or
    // their src/).
    if let Some((package, path)) = package_path(value.trim()) {
        let relative: PathBuf = package.split('.').collect();
        for dir in run_dir.ancestors().take(5) {
            for base in [dir.to_path_buf(), dir.join("src")] {
                let folder = base.join(&relative);
                if folder.join("__init__.py").is_file() {
                    return folder.join(path);
                }
            }
        }
    }
    let path = Path::new(value.trim());
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        run_dir.join(path)
    }
}

/// `("pkg.sub", "path")` for `pkg.sub:path`; `None` for a path (a Windows drive letter included).
fn package_path(value: &str) -> Option<(&str, &str)> {
    let (package, path) = value.split_once(':')?;
    let identifier = |part: &str| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    (package.len() > 1 && package.split('.').all(identifier) && !path.starts_with('/'))
        .then_some((package, path))
}

/// Splits `version_locations` the way Alembic does for each `path_separator` setting; without one,
/// on spaces and commas (Alembic's legacy behaviour).
fn split_locations(list: &str, separator: Option<&str>) -> Vec<String> {
    let parts: Vec<&str> = match separator.map(str::trim) {
        Some("os") | Some(":") => list.split(':').collect(),
        Some(";") => list.split(';').collect(),
        Some("newline") => list.split('\n').collect(),
        Some("space") => list.split([' ', '\n']).collect(),
        _ => list.split([' ', ',', '\n']).collect(),
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_follow_the_setting() {
        assert_eq!(split_locations("a b,c", None), ["a", "b", "c"]);
        assert_eq!(split_locations("a b:c", Some("os")), ["a b", "c"]);
        assert_eq!(split_locations("a\nb c", Some("newline")), ["a", "b c"]);
        assert_eq!(split_locations("a;b", Some(";")), ["a", "b"]);
    }

    #[test]
    fn script_location_with_here_and_version_locations() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path();
        std::fs::create_dir_all(base.join("mig/versions")).unwrap();
        std::fs::create_dir_all(base.join("extra/sub")).unwrap();
        let ini = |text: &str| IniFile::parse(&base.join("alembic.ini"), base, text);

        let dirs = VersionDirs::from_parsed(
            &ini("[alembic]\nscript_location = %(here)s/mig\n"),
            Path::new("/elsewhere"),
        )
        .unwrap();
        assert_eq!(dirs.dirs, [base.join("mig/versions")]);

        let dirs = VersionDirs::from_parsed(
            &ini("[alembic]\nscript_location = mig\nversion_locations = mig/versions extra\nrecursive_version_locations = true\n"),
            base,
        )
        .unwrap();
        assert_eq!(dirs.dirs, [base.join("mig/versions"), base.join("extra")]);
        assert!(dirs.recursive);

        std::fs::write(base.join("extra/sub/a1_x.py"), "revision = 'a1'\n").unwrap();
        std::fs::write(base.join("extra/__init__.py"), "").unwrap();
        std::fs::write(base.join("extra/notes.txt"), "").unwrap();
        assert_eq!(dirs.files().unwrap(), [base.join("extra/sub/a1_x.py")]);

        let missing =
            VersionDirs::from_parsed(&ini("[alembic]\nscript_location = nowhere\n"), base);
        assert!(matches!(missing, Err(LintError::MissingFolder { .. })));
        let none = VersionDirs::from_parsed(&ini("[alembic]\nsqlalchemy.url = x\n"), base);
        assert!(matches!(none, Err(LintError::NoScriptLocation { .. })));
        let package =
            VersionDirs::from_parsed(&ini("[alembic]\nscript_location = app:migrations\n"), base);
        assert!(matches!(package, Err(LintError::PackageLocation { .. })));
    }

    #[test]
    fn a_known_script_folder_takes_version_locations_unless_they_are_placeholders() {
        let base = Path::new("/repo");
        let ini = |text: &str| IniFile::parse(&base.join("db/alembic.ini"), &base.join("db"), text);
        let script_dir = base.join("db/migrations");

        let plain = VersionDirs::of_script_dir(None, &script_dir, base);
        assert_eq!(plain.dirs, [base.join("db/migrations/versions")]);
        assert!(!plain.recursive);

        let listed = ini(
            "[alembic]\nversion_locations = %(here)s/a;shared/b\npath_separator = ;\nrecursive_version_locations = on\n",
        );
        let dirs = VersionDirs::of_script_dir(Some(&listed), &script_dir, base);
        assert_eq!(dirs.dirs, [base.join("db/a"), base.join("shared/b")]);
        assert!(dirs.recursive);
        assert_eq!(VersionDirs::locations(&listed), ["/repo/db/a", "shared/b"]);

        let template = ini("[alembic]\nversion_locations = {alembic_dir}/versions\n");
        let dirs = VersionDirs::of_script_dir(Some(&template), &script_dir, base);
        assert_eq!(dirs.dirs, [base.join("db/migrations/versions")]);
        assert!(matches!(
            dirs.ensure_exist(Some(Path::new("db/alembic.ini"))),
            Err(LintError::MissingFolder { .. })
        ));
    }
}

#[cfg(test)]
mod package_tests {
    use super::*;

    #[test]
    fn a_package_location_is_found_where_the_project_imports_it_from() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("src/depot/db");
        std::fs::create_dir_all(package.join("versions/core")).unwrap();
        std::fs::write(dir.path().join("src/depot/__init__.py"), "").unwrap();
        std::fs::write(package.join("__init__.py"), "").unwrap();
        assert_eq!(
            resolve(dir.path(), "depot.db:versions/core"),
            package.join("versions/core")
        );
        assert_eq!(
            resolve(dir.path(), "migrations/versions"),
            dir.path().join("migrations/versions")
        );
        assert_eq!(package_path("C:\\app"), None);
    }
}
