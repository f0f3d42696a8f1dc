//! setup.cfg, as setuptools reads it for installing: `[options] install_requires` and
//! `python_requires`, `[options.extras_require]`, and `[metadata] classifiers`. An INI reader of
//! its own, as small as those keys need.

use std::collections::BTreeMap;

use super::group::Group;

/// What a setup.cfg declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupCfg {
    /// `install_requires`, one specifier per entry; `None` when absent.
    pub install_requires: Option<Vec<String>>,
    /// `install_requires = file: requirements.txt`: the files, relative to setup.cfg's folder.
    pub install_requires_files: Vec<String>,
    pub python_requires: Option<String>,
    pub classifiers: Vec<String>,
    pub groups: Vec<Group>,
}

impl SetupCfg {
    pub fn parse(text: &str) -> Self {
        let sections = sections(text);
        let mut cfg = Self::default();
        if let Some(options) = sections.get("options") {
            if let Some(value) = options.get("install_requires") {
                match value.trim().strip_prefix("file:") {
                    Some(files) => {
                        cfg.install_requires_files = files
                            .split([',', '\n'])
                            .map(str::trim)
                            .filter(|f| !f.is_empty())
                            .map(str::to_string)
                            .collect();
                    }
                    None => cfg.install_requires = Some(entries(value)),
                }
            }
            cfg.python_requires = options
                .get("python_requires")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
        }
        if let Some(classifiers) = sections.get("metadata").and_then(|m| m.get("classifiers")) {
            cfg.classifiers = entries(classifiers);
        }
        if let Some(extras) = sections.get("options.extras_require") {
            cfg.groups = extras
                .iter()
                .map(|(name, value)| Group {
                    name: name.clone(),
                    specifiers: entries(value),
                })
                .collect();
        }
        cfg
    }
}

/// The non-empty lines of a multi-line value (a one-line value may list entries with `;`).
fn entries(value: &str) -> Vec<String> {
    let lines: Vec<&str> = value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [single] if !has_marker(single) => single
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect(),
        _ => lines.into_iter().map(str::to_string).collect(),
    }
}

/// Whether what follows a `;` is an environment marker (`; python_version < "3.11"`) rather
/// than another entry.
fn has_marker(entry: &str) -> bool {
    entry.split(';').skip(1).any(|after| {
        ["==", "!=", "<", ">", "~=", " in ", " not "]
            .iter()
            .any(|operator| after.contains(operator))
    })
}

/// Sections of keys (lowercase, as ConfigParser stores them) to values; an indented line continues
/// the value above it, whole-line `#`/`;` comments are skipped.
fn sections(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    let mut key: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with(['#', ';']) {
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t'])
            && let Some(key) = &key
            && let Some(value) = sections.get_mut(&section).and_then(|s| s.get_mut(key))
        {
            value.push('\n');
            value.push_str(trimmed);
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim().to_string();
            key = None;
            continue;
        }
        let Some(split) = trimmed.find(['=', ':']) else {
            key = None;
            continue;
        };
        let name = trimmed[..split].trim().to_ascii_lowercase();
        let value = trimmed[split + 1..].trim().to_string();
        sections
            .entry(section.clone())
            .or_default()
            .insert(name.clone(), value);
        key = Some(name);
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETUP_CFG: &str = "\
[metadata]
name = payroll
classifiers =
    Programming Language :: Python :: 3
    Programming Language :: Python :: 3.9
    Programming Language :: Python :: 3.10

[options]
packages = find:
python_requires = >=3.9
install_requires =
    # the web layer
    Flask>=2.3
    Flask-SQLAlchemy>=3.1
    psycopg2-binary; platform_system != \"Windows\"

[options.extras_require]
dev =
    pytest
database =
    alembic>=1.12

[flake8]
max-line-length = 100
";

    #[test]
    fn install_requires_extras_and_metadata() {
        let cfg = SetupCfg::parse(SETUP_CFG);
        assert_eq!(
            cfg.install_requires.as_deref().unwrap(),
            [
                "Flask>=2.3",
                "Flask-SQLAlchemy>=3.1",
                "psycopg2-binary; platform_system != \"Windows\""
            ]
        );
        assert_eq!(cfg.python_requires.as_deref(), Some(">=3.9"));
        assert_eq!(cfg.classifiers.len(), 3);
        let groups: Vec<(&str, usize)> = cfg
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.specifiers.len()))
            .collect();
        assert_eq!(groups, [("database", 1), ("dev", 1)]);
    }

    #[test]
    fn one_line_and_file_values() {
        let cfg = SetupCfg::parse("[options]\ninstall_requires = alembic; sqlalchemy\n");
        assert_eq!(
            cfg.install_requires.as_deref().unwrap(),
            ["alembic", "sqlalchemy"]
        );
        let cfg = SetupCfg::parse("[options]\ninstall_requires = tomli; python_version < '3.11'\n");
        assert_eq!(
            cfg.install_requires.as_deref().unwrap(),
            ["tomli; python_version < '3.11'"]
        );
        let cfg = SetupCfg::parse("[options]\ninstall_requires = file: requirements.in\n");
        assert_eq!(cfg.install_requires, None);
        assert_eq!(cfg.install_requires_files, ["requirements.in"]);
        assert_eq!(
            SetupCfg::parse("[metadata]\nname = x\n"),
            SetupCfg::default()
        );
    }
}
