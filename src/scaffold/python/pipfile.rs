//! Pipfile (Pipenv): its `[packages]` as PEP 508 and `[dev-packages]` as an optional group.
//! Pipfile.lock is never read.

use toml::{Table, Value};

use super::group::Group;

/// What a Pipfile declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipfile {
    pub packages: Vec<String>,
    pub groups: Vec<Group>,
    pub python_version: Option<String>,
    pub notes: Vec<String>,
}

impl Pipfile {
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let document: Table = toml::from_str(text)?;
        let mut pipfile = Self::default();
        if let Some(packages) = document.get("packages").and_then(Value::as_table) {
            pipfile.packages = pipfile.specifiers(packages);
        }
        if let Some(dev) = document.get("dev-packages").and_then(Value::as_table) {
            let specifiers = pipfile.specifiers(dev);
            pipfile.groups.push(Group {
                name: "dev-packages".to_string(),
                specifiers,
            });
        }
        pipfile.python_version = document
            .get("requires")
            .and_then(|r| r.get("python_version"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(pipfile)
    }

    fn specifiers(&mut self, packages: &Table) -> Vec<String> {
        let mut specifiers = Vec::new();
        for (name, value) in packages {
            let (version, extras) = match value {
                Value::String(version) => (version.as_str(), Vec::new()),
                Value::Table(entry) => {
                    if let Some(kind) = ["git", "path", "file", "editable"]
                        .into_iter()
                        .find(|k| entry.contains_key(*k))
                    {
                        self.notes.push(format!(
                            "Pipfile package `{name}` comes from a {kind} and is not installed; add it to `packages` if env.py needs it"
                        ));
                        continue;
                    }
                    let extras = entry
                        .get("extras")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .into_iter()
                        .filter(|e| !e.is_empty())
                        .collect();
                    (
                        entry.get("version").and_then(Value::as_str).unwrap_or("*"),
                        extras,
                    )
                }
                _ => continue,
            };
            let mut spec = name.clone();
            for extras in extras {
                spec.push_str(&format!("[{extras}]"));
            }
            if version.trim() != "*" {
                spec.push_str(version.trim());
            }
            specifiers.push(spec);
        }
        specifiers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_and_dev_packages() {
        let pipfile = Pipfile::parse(
            r#"
[[source]]
url = "https://index.example.org/simple"
verify_ssl = true
name = "main"

[packages]
flask = "*"
sqlalchemy = {version = ">=2.0", extras = ["asyncio"]}
alembic = "==1.13.1"
shared = {path = "./shared", editable = true}

[dev-packages]
pytest = "*"

[requires]
python_version = "3.11"
"#,
        )
        .unwrap();
        assert_eq!(
            pipfile.packages,
            ["alembic==1.13.1", "flask", "sqlalchemy[asyncio]>=2.0"]
        );
        assert_eq!(pipfile.groups[0].specifiers, ["pytest"]);
        assert_eq!(pipfile.python_version.as_deref(), Some("3.11"));
        assert!(pipfile.notes[0].contains("`shared` comes from a path"));
    }
}
