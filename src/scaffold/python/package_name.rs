//! A distribution's name compared the way pip compares them (PEP 503: case-insensitive, `-`, `_`
//! and `.` alike), read from the start of a PEP 508 specifier, and the module names it is imported
//! by.

use std::fmt;

/// Distributions imported under another name than their own (normalised name, module).
const MODULES: &[(&str, &str)] = &[
    ("attrs", "attr"),
    ("beautifulsoup4", "bs4"),
    ("cx-oracle", "cx_oracle"),
    ("django-environ", "environ"),
    ("google-cloud-sql-python-connector", "google"),
    ("mysql-connector-python", "mysql"),
    ("mysqlclient", "mysqldb"),
    ("pillow", "pil"),
    ("pyjwt", "jwt"),
    ("pyyaml", "yaml"),
    ("python-dateutil", "dateutil"),
    ("python-decouple", "decouple"),
    ("python-dotenv", "dotenv"),
    ("python-jose", "jose"),
    ("setuptools", "pkg_resources"),
];

/// A normalised distribution name (`sqlalchemy`, `psycopg2-binary`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageName(String);

impl PackageName {
    /// `name` normalised: lowercase, every run of `-`, `_`, `.` as one `-`.
    pub fn new(name: &str) -> Self {
        let mut normal = String::with_capacity(name.len());
        for c in name.trim().chars() {
            if matches!(c, '-' | '_' | '.') {
                if !normal.ends_with('-') {
                    normal.push('-');
                }
            } else {
                normal.push(c.to_ascii_lowercase());
            }
        }
        Self(normal)
    }

    /// The name of a PEP 508 specifier: `SQLAlchemy[asyncio]>=2.0` → `sqlalchemy`; `None` when the
    /// text is not one.
    pub fn of_specifier(specifier: &str) -> Option<Self> {
        specifier
            .trim()
            .parse::<pep508_rs::Requirement>()
            .ok()
            .map(|requirement| Self::new(requirement.name.as_ref()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this distribution is likely what `import <module>` loads.
    pub fn provides_module(&self, module: &str) -> bool {
        let module = module.to_ascii_lowercase();
        if Self::new(&module) == *self {
            return true;
        }
        if MODULES
            .iter()
            .any(|(name, imported)| *name == self.0 && *imported == module)
        {
            return true;
        }
        // psycopg2-binary, psycopg-binary: the binary wheels of a module of the plain name.
        let stripped = self
            .0
            .strip_suffix("-binary")
            .or_else(|| self.0.strip_prefix("python-"))
            .unwrap_or(&self.0);
        Self::new(stripped) == Self::new(&module)
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(PackageName::new("SQLAlchemy").as_str(), "sqlalchemy");
        assert_eq!(
            PackageName::new("Flask_SQLAlchemy"),
            PackageName::new("flask-sqlalchemy")
        );
        assert_eq!(
            PackageName::new("zope..interface").as_str(),
            "zope-interface"
        );
        assert_eq!(PackageName::new("a-_.b").as_str(), "a-b");
    }

    #[test]
    fn the_name_of_a_specifier() {
        let name = |s: &str| PackageName::of_specifier(s).map(|n| n.to_string());
        assert_eq!(
            name("SQLAlchemy[asyncio]>=2.0").as_deref(),
            Some("sqlalchemy")
        );
        assert_eq!(name("alembic==1.13.3").as_deref(), Some("alembic"));
        assert_eq!(
            name("  psycopg2-binary ; python_version<'3.13'").as_deref(),
            Some("psycopg2-binary")
        );
        assert_eq!(
            name("mylib @ git+https://example.org/mylib.git").as_deref(),
            Some("mylib")
        );
        assert_eq!(name("Alembic~=1.13").as_deref(), Some("alembic"));
        assert_eq!(name(">=1.0"), None);
        assert_eq!(name(""), None);
    }

    #[test]
    fn modules_a_distribution_provides() {
        assert!(PackageName::new("psycopg2-binary").provides_module("psycopg2"));
        assert!(PackageName::new("python-dotenv").provides_module("dotenv"));
        assert!(PackageName::new("PyYAML").provides_module("yaml"));
        assert!(PackageName::new("pydantic-settings").provides_module("pydantic_settings"));
        assert!(PackageName::new("Flask-SQLAlchemy").provides_module("flask_sqlalchemy"));
        assert!(PackageName::new("mysqlclient").provides_module("MySQLdb"));
        assert!(!PackageName::new("sqlalchemy").provides_module("app"));
    }
}
