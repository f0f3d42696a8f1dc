//! pip requirements files: which of a folder's files is the project's main list (and which are
//! development lists), and the package names a file installs, following `-r` includes.

use std::path::{Path, PathBuf};

use super::package_name::PackageName;

/// The main lists, in the order they are looked for, relative to a project folder.
pub const MAIN_FILES: &[&str] = &[
    "requirements.txt",
    "requirements/base.txt",
    "requirements/prod.txt",
    "requirements/production.txt",
    "requirements/requirements.txt",
    "requirements/main.txt",
];

/// Development and test lists: used only when a project has no other dependency list.
pub const DEV_FILES: &[&str] = &[
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements-test.txt",
    "requirements_test.txt",
    "test-requirements.txt",
    "requirements/dev.txt",
    "requirements/development.txt",
    "requirements/local.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
];

/// Includes nested deeper than this are not followed.
const MAX_INCLUDE_DEPTH: usize = 8;

/// What one requirements file installs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementsTxt {
    /// The names of the packages it names, its includes' too, in order.
    pub names: Vec<PackageName>,
    /// Lines that install something (a package, an include, a local path or a URL).
    pub entries: usize,
}

impl RequirementsTxt {
    /// Reads `path` and the files it includes; `None` when `path` itself cannot be read.
    pub fn read(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut file = Self::default();
        let mut visited = vec![path.to_path_buf()];
        file.add(path, &text, &mut visited, 0);
        Some(file)
    }

    fn add(&mut self, path: &Path, text: &str, visited: &mut Vec<PathBuf>, depth: usize) {
        let folder = path.parent().unwrap_or(Path::new("."));
        for line in logical_lines(text) {
            match Line::parse(&line) {
                Line::Package(name) => {
                    self.entries += 1;
                    if !self.names.contains(&name) {
                        self.names.push(name);
                    }
                }
                Line::Include(included) => {
                    self.entries += 1;
                    let included = folder.join(included);
                    if depth < MAX_INCLUDE_DEPTH && !visited.contains(&included) {
                        visited.push(included.clone());
                        if let Ok(text) = std::fs::read_to_string(&included) {
                            self.add(&included, &text, visited, depth + 1);
                        }
                    }
                }
                Line::Other => self.entries += 1,
                Line::Nothing => {}
            }
        }
    }
}

/// What one logical line of a requirements file is.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    Package(PackageName),
    Include(String),
    /// A local path, a URL without a name, an editable install of a folder.
    Other,
    /// Blank, a comment, or an option such as `--index-url`.
    Nothing,
}

impl Line {
    fn parse(line: &str) -> Self {
        let line = line.trim();
        if line.is_empty() {
            return Line::Nothing;
        }
        if let Some(rest) = line.strip_prefix("--requirement")
            && rest.starts_with(['=', ' ', '\t'])
        {
            return Line::Include(rest.trim_start_matches('=').trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("-r") {
            return Line::Include(rest.trim_start_matches('=').trim().to_string());
        }
        for flag in ["--editable", "-e"] {
            if let Some(rest) = line.strip_prefix(flag) {
                return Self::location(rest.trim_start_matches('=').trim());
            }
        }
        if line.starts_with('-') {
            return Line::Nothing;
        }
        // pip's options of one requirement (`--hash=...`) follow it.
        let specifier = line.find(" -").map_or(line, |at| &line[..at]).trim();
        match PackageName::of_specifier(specifier) {
            Some(name) => Line::Package(name),
            // `https://...`, `vendor/lib`, `git+ssh://...` name nothing but an `#egg=`; a
            // `name @ url` whose URL does not parse still names itself.
            None => match specifier.split_once(" @ ") {
                Some((name, _)) => PackageName::of_specifier(name)
                    .map_or_else(|| Self::location(line), Line::Package),
                None => Self::location(line),
            },
        }
    }

    /// A URL or path: named when it carries `#egg=name`.
    fn location(location: &str) -> Self {
        location
            .split_once("#egg=")
            .and_then(|(_, egg)| PackageName::of_specifier(egg))
            .map_or(Line::Other, Line::Package)
    }
}

/// The lines of a requirements file with `\` continuations joined and comments removed.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let line = strip_comment(raw);
        if let Some(continued) = line.strip_suffix('\\') {
            current.push_str(continued);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        lines.push(std::mem::take(&mut current));
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// A `#` at the start of a line or after whitespace starts a comment.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(file: &RequirementsTxt) -> Vec<&str> {
        file.names.iter().map(PackageName::as_str).collect()
    }

    #[test]
    fn packages_options_paths_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        std::fs::write(
            &path,
            "# pinned by pip-compile\n\
             --index-url https://pypi.example.org/simple\n\
             fastapi==0.111.0  # via -r requirements.in\n\
             SQLAlchemy[asyncio]>=2.0 ; python_version >= \"3.9\"\n\
             psycopg[binary]==3.1.19 \\\n    --hash=sha256:abc\n\
             -e .\n\
             ./vendor/shared-lib\n\
             git+https://example.org/acme/toolkit.git@v1#egg=acme-toolkit\n\
             mylib @ https://example.org/mylib-1.0.tar.gz\n\
             \n",
        )
        .unwrap();
        let file = RequirementsTxt::read(&path).unwrap();
        assert_eq!(
            names(&file),
            ["fastapi", "sqlalchemy", "psycopg", "acme-toolkit", "mylib"]
        );
        assert_eq!(file.entries, 7);
    }

    #[test]
    fn includes_are_followed_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("requirements")).unwrap();
        std::fs::write(
            dir.path().join("requirements/prod.txt"),
            "-r base.txt\ngunicorn\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("requirements/base.txt"),
            "--requirement=prod.txt\nDjango>=5\nalembic\n",
        )
        .unwrap();
        let file = RequirementsTxt::read(&dir.path().join("requirements/prod.txt")).unwrap();
        assert_eq!(names(&file), ["django", "alembic", "gunicorn"]);
    }

    #[test]
    fn a_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            RequirementsTxt::read(&dir.path().join("requirements.txt")),
            None
        );
    }

    #[test]
    fn only_comments_install_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        std::fs::write(&path, "# nothing yet\n\n--index-url https://x\n").unwrap();
        assert_eq!(RequirementsTxt::read(&path).unwrap().entries, 0);
    }
}
