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
