//! alembic.ini read the way Python's ConfigParser reads it, as far as lint needs: sections,
//! `key = value` and `key: value`, indented continuation lines, whole-line comments, and `%(name)s`
//! interpolation with Alembic's `here` (the file's folder).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::LintError;

/// The parsed file.
#[derive(Debug, Clone)]
pub struct IniFile {
    pub path: PathBuf,
    here: String,
    sections: HashMap<String, HashMap<String, String>>,
}

impl IniFile {
    pub fn read(path: &Path) -> Result<Self, LintError> {
        let text = std::fs::read_to_string(path).map_err(|source| LintError::Io {
            what: format!("cannot read {}", path.display()),
            source,
        })?;
        let here = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Self::parse(path, &here, &text))
    }

    pub fn parse(path: &Path, here: &Path, text: &str) -> Self {
        let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut section: Option<String> = None;
        let mut last_key: Option<String> = None;
        for line in text.lines() {
            let trimmed = line.trim();
            let indented = line.starts_with([' ', '\t']);
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                if trimmed.is_empty() {
                    last_key = None;
                }
                continue;
            }
            if indented
                && let (Some(section), Some(key)) = (&section, &last_key)
                && let Some(value) = sections.get_mut(section).and_then(|s| s.get_mut(key))
            {
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if let Some(name) = trimmed
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            {
                section = Some(name.trim().to_string());
                sections.entry(name.trim().to_string()).or_default();
                last_key = None;
                continue;
            }
            let Some(split) = trimmed.find(['=', ':']) else {
                continue;
            };
            let key = trimmed[..split].trim().to_lowercase();
            let value = trimmed[split + 1..].trim().to_string();
            if let Some(section) = &section {
                sections
                    .entry(section.clone())
                    .or_default()
                    .insert(key.clone(), value);
                last_key = Some(key);
            }
        }
        Self {
            path: path.to_path_buf(),
            here: here.display().to_string(),
            sections,
        }
    }

    /// The sections besides `[alembic]` that name a `script_location`: configurations Alembic
    /// runs with `alembic -n NAME` (one file, several migration projects), sorted.
    pub fn named_sections(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .sections
            .iter()
            .filter(|(name, values)| {
                *name != "alembic" && *name != "DEFAULT" && values.contains_key("script_location")
            })
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// This file as Alembic reads it with `-n name`: that section's values stand for `[alembic]`.
    pub fn as_section(&self, name: &str) -> Self {
        let mut copy = self.clone();
        if let Some(values) = self.sections.get(name) {
            copy.sections.insert("alembic".to_string(), values.clone());
        }
        copy
    }

    /// Whether an (interpolated) value is a placeholder a template leaves for the application to
    /// fill in rather than a usable value: `{alembic_dir}`, `${NAME}`, `{{ cookiecutter.x }}`, or a
    /// `%(name)s` no key of the file gives a value to.
    pub fn is_placeholder(value: &str) -> bool {
        let braces = value
            .find('{')
            .is_some_and(|open| value[open + 1..].contains('}'));
        let unresolved = value
            .find("%(")
            .is_some_and(|open| value[open + 2..].contains(")s"));
        braces || unresolved
    }

    /// The value of `key` in `section` (or DEFAULT), interpolated.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let raw = self.raw(section, &key.to_lowercase())?;
        Some(self.interpolate(section, raw, 0))
    }

    fn raw(&self, section: &str, key: &str) -> Option<&str> {
        self.sections
            .get(section)
            .and_then(|s| s.get(key))
            .or_else(|| self.sections.get("DEFAULT").and_then(|s| s.get(key)))
            .map(String::as_str)
    }

    fn interpolate(&self, section: &str, raw: &str, depth: usize) -> String {
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
            } else if let Some((name, after)) = rest
                .strip_prefix("%(")
                .and_then(|r| r.split_once(")s"))
                .filter(|(name, _)| !name.contains('%'))
            {
                let name = name.to_lowercase();
                match self.raw(section, &name) {
                    Some(value) if depth < 10 => {
                        out.push_str(&self.interpolate(section, value, depth + 1));
                    }
                    _ if name == "here" => out.push_str(&self.here),
                    _ => out.push_str(&rest[..rest.len() - after.len()]),
                }
                rest = after;
            } else {
                out.push('%');
                rest = &rest[1..];
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_continuations_and_interpolation() {
        let ini = IniFile::parse(
            Path::new("alembic.ini"),
            Path::new("/p"),
            "# comment\n[DEFAULT]\nbase = db\n[alembic]\nScript_Location = %(here)s/%(base)s\n\
             version_locations = %(here)s/a\n    %(here)s/b\n; x\nformat = 100%% %(missing)s\n",
        );
        assert_eq!(
            ini.get("alembic", "script_location").as_deref(),
            Some("/p/db")
        );
        assert_eq!(
            ini.get("alembic", "version_locations").as_deref(),
            Some("/p/a\n/p/b")
        );
        assert_eq!(
            ini.get("alembic", "format").as_deref(),
            Some("100% %(missing)s")
        );
        assert_eq!(ini.get("alembic", "nothing"), None);
        let multi = IniFile::parse(
            Path::new("alembic.ini"),
            Path::new("/p"),
            "[alembic]\nfile_template = x\n[tenant]\nscript_location = t\n[core]\nscript_location = c\n[loggers]\nkeys = root\n",
        );
        assert_eq!(multi.named_sections(), ["core", "tenant"]);
        assert_eq!(
            multi
                .as_section("core")
                .get("alembic", "script_location")
                .as_deref(),
            Some("c")
        );
    }

    #[test]
    fn placeholders_are_told_from_values() {
        for value in [
            "{alembic_dir}",
            "%(here)s/{name}/migrations",
            "${MIGRATIONS_DIR}",
            "{{ cookiecutter.project_slug }}/migrations",
            "%(migrations_dir)s",
        ] {
            assert!(IniFile::is_placeholder(value), "{value}");
        }
        for value in [
            "migrations",
            "/srv/app/alembic",
            "myapp:migrations",
            "db/{",
            "100%",
        ] {
            assert!(!IniFile::is_placeholder(value), "{value}");
        }
    }
}
