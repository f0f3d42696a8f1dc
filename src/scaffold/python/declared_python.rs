//! The Python versions a project declares: `requires-python` (PEP 621), else Poetry's `python`
//! dependency, else `python_requires` (setup.cfg, setup.py), else Pipfile's `python_version`; and
//! the `Programming Language :: Python :: 3.X` classifiers, checked against it.

use super::project_files::ProjectFiles;
use super::requires_python::RequiresPython;

const CLASSIFIER: &str = "Programming Language :: Python :: ";

/// The declared constraint and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredPython {
    /// (the specifier, the file relative to the root).
    pub requires_python: Option<(String, String)>,
    /// The minor versions the project names as the ones it runs on (`3.11`), each with where:
    /// `.python-version`, the classifiers, a CI workflow's `python-version` matrix.
    pub versions: Vec<(String, String)>,
    pub notes: Vec<String>,
}

impl DeclaredPython {
    /// The first declaration of the nearest folder that has one.
    pub fn find(folders: &[ProjectFiles]) -> Self {
        let mut declared = Self::default();
        let found = folders.iter().find_map(|files| {
            declaration(files).map(|(spec, name)| (files, spec, files.path(name)))
        });
        let classifiers_of = found
            .as_ref()
            .map(|(files, _, _)| *files)
            .or_else(|| folders.first());
        let versions = classifiers_of.map(classifier_versions).unwrap_or_default();
        declared.versions = named_versions(folders, &versions);
        let Some((_, spec, file)) = found else {
            if !versions.is_empty() {
                declared.notes.push(format!(
                    "no requires-python declared; the classifiers name Python {}",
                    versions.join(", ")
                ));
            }
            return declared;
        };
        match RequiresPython::parse(&spec) {
            Ok(requires) => {
                let excluded: Vec<&str> = versions
                    .iter()
                    .map(String::as_str)
                    .filter(|v| !requires.allows(v))
                    .collect();
                if !excluded.is_empty() {
                    declared.notes.push(format!(
                        "the classifiers name Python {}, which requires-python `{spec}` ({file}) excludes",
                        excluded.join(", ")
                    ));
                }
            }
            Err(why) => declared.notes.push(format!("{file}: {why}")),
        }
        declared.requires_python = Some((spec, file));
        declared
    }
}

/// One folder's declaration, in the documented order, with the file it is in.
fn declaration(files: &ProjectFiles) -> Option<(String, &'static str)> {
    let pyproject = files.pyproject.as_ref();
    if let Some(spec) = pyproject.and_then(|p| p.requires_python.clone()) {
        return Some((spec, "pyproject.toml"));
    }
    if let Some(spec) = pyproject.and_then(|p| p.poetry_python.clone()) {
        return Some((spec, "pyproject.toml"));
    }
    if let Some(spec) = files
        .setup_cfg
        .as_ref()
        .and_then(|c| c.python_requires.clone())
    {
        return Some((spec, "setup.cfg"));
    }
    if let Some(spec) = files
        .setup_py
        .as_ref()
        .and_then(|s| s.python_requires.clone())
    {
        return Some((spec, "setup.py"));
    }
    let pipfile = files
        .pipfile
        .as_ref()
        .and_then(|p| p.python_version.clone());
    pipfile.map(|version| (format!("=={version}.*"), "Pipfile"))
}

/// The `3.X` versions the folder's classifiers name, in order, once each.
/// The minors `.python-version` (the nearest folder's), the classifiers and the CI workflows' matrix
/// name, each once, with where.
fn named_versions(folders: &[ProjectFiles], classifiers: &[String]) -> Vec<(String, String)> {
    let mut named: Vec<(String, String)> = Vec::new();
    let mut add = |minor: String, from: String| {
        if !named.iter().any(|(m, _)| *m == minor) {
            named.push((minor, from));
        }
    };
    if let Some(files) = folders
        .iter()
        .find(|files| files.folder.join(".python-version").is_file())
        && let Ok(text) = std::fs::read_to_string(files.folder.join(".python-version"))
    {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Some(minor) = minor_of(line) {
                add(minor, files.path(".python-version"));
            }
        }
    }
    for version in classifiers {
        add(version.clone(), "the classifiers".into());
    }
    let root = folders.last().map(|f| f.folder.clone());
    if let Some(workflows) = root.map(|r| r.join(".github/workflows"))
        && let Ok(entries) = std::fs::read_dir(&workflows)
    {
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        // `python-version: [...]`, `python-version: "3.12"`, and a matrix include's `python:
        // "3.10"`.
        let matrix = regex::Regex::new(
            r#"python(?:-version)?\s*:\s*(\[[^\]]*\]|["']?3\.[0-9][0-9.]*["']?)"#,
        )
        .expect("a valid pattern");
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            for caps in matrix.captures_iter(&text) {
                for item in caps[1].trim_matches(['[', ']']).split(',') {
                    if let Some(minor) = minor_of(item.trim().trim_matches(['"', '\''])) {
                        add(minor, format!(".github/workflows/{name}"));
                    }
                }
            }
        }
    }
    named
}

/// `3.11` from `3.11`, `3.11.4`, `python-3.11`, `cpython@3.11`; `None` for anything else.
fn minor_of(text: &str) -> Option<String> {
    let start = text.find("3.")?;
    let mut parts = text[start..].split('.');
    let major = parts.next()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (major == "3" && !minor.is_empty()).then(|| format!("3.{minor}"))
}

fn classifier_versions(files: &ProjectFiles) -> Vec<String> {
    let pyproject = files.pyproject.iter().flat_map(|p| &p.classifiers);
    let setup_cfg = files.setup_cfg.iter().flat_map(|c| &c.classifiers);
    let setup_py = files.setup_py.iter().flat_map(|s| &s.classifiers);
    let mut versions: Vec<String> = Vec::new();
    for classifier in pyproject.chain(setup_cfg).chain(setup_py) {
        let Some(version) = classifier.trim().strip_prefix(CLASSIFIER) else {
            continue;
        };
        let is_minor = version.split('.').count() == 2
            && version
                .split('.')
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if is_minor && !versions.iter().any(|v| v == version) {
            versions.push(version.to_string());
        }
    }
    versions
}

#[cfg(test)]
mod named_tests {
    use super::*;

    #[test]
    fn python_version_files_classifiers_and_ci_matrices_name_versions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".python-version"), "3.11.4\n").unwrap();
        std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
        std::fs::write(
            root.join(".github/workflows/test.yml"),
            "jobs:\n  t:\n    strategy:\n      matrix:\n        python-version: [\"3.12\", '3.13']\n        include:\n          - python: \"3.10\"\n",
        )
        .unwrap();
        let files = ProjectFiles::read(root, root);
        let named = named_versions(&[files], &["3.9".to_string()]);
        let minors: Vec<&str> = named.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(minors, ["3.11", "3.9", "3.12", "3.13", "3.10"]);
        assert_eq!(named[0].1, ".python-version");
        assert_eq!(named[4].1, ".github/workflows/test.yml");
    }
}
