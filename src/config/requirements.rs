//! What is installed into each runtime's environment: requirements files, package specifiers and
//! local paths (the project itself), and the folder the installer runs in.

use std::path::{Path, PathBuf};

/// What is installed into each runtime's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    /// Requirements files (pip format), absolute, installed with `-r`.
    pub files: Vec<PathBuf>,
    /// Package specifiers and installer arguments (`alembic`, `-e .`, `psycopg2-binary`).
    pub packages: Vec<String>,
    /// The folder the installer runs in: a relative path in `packages` resolves from here
    /// (harness.toml's folder).
    pub dir: PathBuf,
}

impl Requirements {
    /// Where `package` is named: `requirements.txt:3` (relative to harness.toml's folder), or
    /// `packages` in harness.toml; `None` when neither names it (a dependency of a dependency).
    pub fn where_named(&self, package: &str) -> Option<String> {
        let normal = |name: &str| name.trim().to_ascii_lowercase().replace(['_', '.'], "-");
        let wanted = normal(package);
        let names = |spec: &str| {
            let name: String = spec
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            normal(&name) == wanted
        };
        for file in &self.files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            if let Some(line) = text.lines().position(names) {
                let shown = file.strip_prefix(&self.dir).unwrap_or(file);
                return Some(format!("{}:{}", shown.display(), line + 1));
            }
        }
        self.packages
            .iter()
            .any(|spec| names(spec))
            .then(|| "`packages` in harness.toml".to_string())
    }

    /// A file a develop-mode install (`-e path` in `packages`) writes into the checkout, which the
    /// checkout lacks: its build's version file (`[tool.setuptools_scm] version_file` or
    /// `write_to`, hatch-vcs's `version-file`, versioningit's `[tool.versioningit.write]` `file`
    /// or `path`). A fresh checkout has none of them even when an
    /// environment of the same requirements is cached, so that environment must be built again.
    pub fn missing_build_output(&self) -> Option<PathBuf> {
        self.packages.iter().find_map(|entry| {
            let path = entry
                .strip_prefix("-e ")
                .or_else(|| entry.strip_prefix("--editable "))?
                .trim();
            let project = self.dir.join(path);
            let text = std::fs::read_to_string(project.join("pyproject.toml")).ok()?;
            let value = text.parse::<toml::Table>().ok()?;
            let tool = value.get("tool")?;
            let scm = tool.get("setuptools_scm");
            let versioningit = tool.get("versioningit").and_then(|v| v.get("write"));
            let written = [
                versioningit.and_then(|w| w.get("file")),
                versioningit.and_then(|w| w.get("path")),
                scm.and_then(|t| t.get("version_file")),
                scm.and_then(|t| t.get("write_to")),
                tool.get("hatch")
                    .and_then(|h| h.get("build"))
                    .and_then(|b| b.get("hooks"))
                    .and_then(|h| h.get("vcs"))
                    .and_then(|v| v.get("version-file")),
            ];
            written
                .into_iter()
                .flatten()
                .filter_map(|file| file.as_str())
                .map(|file| project.join(file))
                .find(|file| !file.exists())
        })
    }

    /// One requirements file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self {
            files: vec![path],
            packages: Vec::new(),
            dir,
        }
    }

    /// Package specifiers, installed from `dir`.
    pub fn packages(packages: Vec<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            files: Vec::new(),
            packages,
            dir: dir.into(),
        }
    }

    /// The installer's arguments, one `-r FILE` per file, then the packages (an entry holding a
    /// space, such as `-e .`, is split into its words).
    pub fn install_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for file in &self.files {
            args.push("-r".to_string());
            args.push(file.display().to_string());
        }
        for package in &self.packages {
            if package.starts_with('-') {
                args.extend(package.split_whitespace().map(str::to_string));
            } else {
                args.push(package.trim().to_string());
            }
        }
        args
    }

    /// True when an entry of `packages` is a local path (`.`, `./lib`, `-e .`): the environment
    /// then depends on the folder it was installed from.
    pub fn has_local_paths(&self) -> bool {
        self.packages.iter().any(|package| {
            let last = package.split_whitespace().last().unwrap_or("");
            last.starts_with('.') || last.starts_with('/')
        })
    }

    /// The text an environment's cache key is computed from: every file's content (and the files
    /// it includes with `-r`/`-c`), the packages, and the install folder when a package is a local
    /// path.
    pub fn key_text(&self) -> std::io::Result<String> {
        let mut text = String::new();
        let mut seen = Vec::new();
        for file in &self.files {
            append_file(file, &mut text, &mut seen, 0)?;
        }
        for package in &self.packages {
            text.push_str(package);
            text.push('\n');
        }
        if self.has_local_paths() {
            text.push_str(&format!("# installed from {}\n", self.dir.display()));
        }
        Ok(text)
    }

    /// Folders the installer reads: each file's folder, and the install folder when a package is
    /// a local path (mounted into the container that installs them).
    pub fn read_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        if self.has_local_paths() {
            dirs.push(self.dir.clone());
        }
        dirs.sort();
        dirs.dedup();
        dirs
    }
}

/// Appends `path`'s text, then the text of every file it includes (`-r`, `-c`,
/// `--requirement`, `--constraint`), relative to its folder.
fn append_file(
    path: &Path,
    text: &mut String,
    seen: &mut Vec<PathBuf>,
    depth: usize,
) -> std::io::Result<()> {
    if depth > 8 || seen.iter().any(|p| p == path) {
        return Ok(());
    }
    seen.push(path.to_path_buf());
    let content = std::fs::read_to_string(path)?;
    text.push_str(&content);
    text.push('\n');
    let dir = path.parent().unwrap_or(Path::new("."));
    for line in content.lines() {
        let line = line.trim();
        let included = ["-r", "-c", "--requirement", "--constraint"]
            .iter()
            .find_map(|flag| {
                let rest = line.strip_prefix(flag)?;
                // pip reads `-rbase.txt` as `-r base.txt`, as any short option.
                let rest = rest
                    .strip_prefix('=')
                    .or_else(|| rest.starts_with([' ', '\t']).then_some(rest))
                    .or_else(|| (flag.len() == 2).then_some(rest))?;
                Some(rest.trim())
            })
            .filter(|name| !name.is_empty());
        if let Some(name) = included {
            let name = name.split_whitespace().next().unwrap_or(name);
            let included = dir.join(name);
            if included.is_file() {
                append_file(&included, text, seen, depth + 1)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_file_a_develop_install_writes_is_missed_in_a_fresh_checkout() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("master");
        std::fs::create_dir_all(project.join("pkg")).unwrap();
        std::fs::write(
            project.join("pyproject.toml"),
            "[tool.setuptools_scm]\nversion_file = \"pkg/_version.py\"\n",
        )
        .unwrap();
        let requirements = Requirements {
            files: Vec::new(),
            packages: vec!["alembic".into(), "-e master".into()],
            dir: dir.path().to_path_buf(),
        };
        assert_eq!(
            requirements.missing_build_output(),
            Some(project.join("pkg/_version.py"))
        );
        std::fs::write(project.join("pkg/_version.py"), "version = '1'\n").unwrap();
        assert_eq!(requirements.missing_build_output(), None);
        // versioningit writes its file from `[tool.versioningit.write]` (Prefect's build info).
        std::fs::write(
            project.join("pyproject.toml"),
            "[tool.versioningit.write]\nmethod = { module = \"tools\", value = \"write\" }\npath = \"pkg/_build_info.py\"\n",
        )
        .unwrap();
        assert_eq!(
            requirements.missing_build_output(),
            Some(project.join("pkg/_build_info.py"))
        );
    }

    #[test]
    fn install_args_split_flags_and_keep_files_first() {
        let mut req = Requirements::file("/p/requirements.txt");
        req.packages = vec!["alembic".into(), "-e .".into()];
        assert_eq!(
            req.install_args(),
            ["-r", "/p/requirements.txt", "alembic", "-e", "."]
        );
        assert!(req.has_local_paths());
        assert!(!Requirements::packages(vec!["alembic".into()], "/p").has_local_paths());
    }

    #[test]
    fn the_key_follows_included_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.txt"), "sqlalchemy==2.0\n").unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "-r base.txt\n-c constraints.txt\nalembic\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("constraints.txt"), "alembic<2\n").unwrap();
        let req = Requirements::file(dir.path().join("requirements.txt"));
        let before = req.key_text().unwrap();
        assert!(before.contains("sqlalchemy==2.0") && before.contains("alembic<2"));
        std::fs::write(dir.path().join("base.txt"), "sqlalchemy==2.1\n").unwrap();
        assert_ne!(
            before,
            req.key_text().unwrap(),
            "an edited include changes the key"
        );
    }

    #[test]
    fn attached_short_options_include_files_too() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.txt"), "sqlalchemy==2.0\n").unwrap();
        std::fs::write(dir.path().join("pins.txt"), "alembic<2\n").unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "-rbase.txt\n-cpins.txt\n",
        )
        .unwrap();
        let text = Requirements::file(dir.path().join("requirements.txt"))
            .key_text()
            .unwrap();
        assert!(
            text.contains("sqlalchemy==2.0") && text.contains("alembic<2"),
            "{text}"
        );
    }

    #[test]
    fn a_local_path_ties_the_key_to_its_folder() {
        let a = Requirements::packages(vec!["-e .".into()], "/a");
        let b = Requirements::packages(vec!["-e .".into()], "/b");
        assert_ne!(a.key_text().unwrap(), b.key_text().unwrap());
    }

    #[test]
    fn a_package_is_found_at_its_line_or_in_packages() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("requirements.txt");
        std::fs::write(&file, "# pinned\nalembic==1.13.3\nSQLAlchemy_Utilz==9.9\n").unwrap();
        let requirements = Requirements {
            files: vec![file],
            packages: vec!["psycopg2-binary>=2.9".into()],
            dir: dir.path().to_path_buf(),
        };
        assert_eq!(
            requirements.where_named("sqlalchemy-utilz").as_deref(),
            Some("requirements.txt:3")
        );
        assert_eq!(
            requirements.where_named("psycopg2_binary").as_deref(),
            Some("`packages` in harness.toml")
        );
        assert_eq!(requirements.where_named("greenlet"), None);
        assert_eq!(requirements.where_named("alembic-utils"), None);
    }
}
