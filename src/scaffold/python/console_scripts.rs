//! The console scripts a project installs (`[project.scripts]`, Poetry's scripts, setup.cfg's and
//! setup.py's `console_scripts`), and which of them drive Alembic themselves: a project that
//! migrates only through its own command. Reads files only.

use std::path::{Path, PathBuf};

/// A console script and the module its function lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleScript {
    pub name: String,
    /// `package.module` of `package.module:function`.
    pub module: String,
}

/// A console script whose package calls Alembic's commands, with the file that does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlembicWrapper {
    pub script: String,
    /// The file calling `command.upgrade`, relative to the root, with `/`.
    pub file: String,
}

/// The console scripts declared in `folder`'s packaging files.
pub fn console_scripts(folder: &Path) -> Vec<ConsoleScript> {
    let mut scripts = Vec::new();
    if let Ok(text) = std::fs::read_to_string(folder.join("pyproject.toml"))
        && let Ok(value) = text.parse::<toml::Table>()
    {
        let tables = [
            value.get("project").and_then(|p| p.get("scripts")),
            value
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.get("scripts")),
        ];
        for table in tables.into_iter().flatten() {
            if let Some(table) = table.as_table() {
                for (name, target) in table {
                    if let Some(target) = target.as_str() {
                        push(&mut scripts, name, target);
                    }
                }
            }
        }
    }
    for file in ["setup.cfg", "setup.py"] {
        if let Ok(text) = std::fs::read_to_string(folder.join(file)) {
            for line in text.lines() {
                // `name = package.module:function`, alone on a line (setup.cfg) or quoted
                // (setup.py's entry_points lists).
                let line = line.trim().trim_matches([',', '"', '\'']);
                if let Some((name, target)) = line.split_once('=') {
                    let target = target.trim().trim_matches([',', '"', '\'']);
                    if target.contains(':') && !target.contains(' ') {
                        push(&mut scripts, name.trim(), target);
                    }
                }
            }
        }
    }
    scripts.sort_by(|a, b| a.name.cmp(&b.name));
    scripts.dedup();
    scripts
}

fn push(scripts: &mut Vec<ConsoleScript>, name: &str, target: &str) {
    let Some((module, _function)) = target.split_once(':') else {
        return;
    };
    let valid = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    if valid(name) && valid(module) {
        scripts.push(ConsoleScript {
            name: name.to_string(),
            module: module.to_string(),
        });
    }
}

/// The scripts among `scripts` whose top-level package (under `root` or `root/src`) calls
/// Alembic's `command.upgrade`: the project's own migrate command.
pub fn alembic_wrappers(root: &Path, scripts: &[ConsoleScript]) -> Vec<AlembicWrapper> {
    let mut found = Vec::new();
    for script in scripts {
        let top = script.module.split('.').next().unwrap_or_default();
        let Some(package) = ["", "src"]
            .iter()
            .map(|base| root.join(base).join(top))
            .find(|dir| dir.join("__init__.py").is_file())
        else {
            continue;
        };
        // The script's own module migrates, or it is a command-line entry point (a `cli`, `manage`
        // or `db` module or script) of a package that does; a web server's `start` is neither.
        let own =
            super::module_locator::module_file(package.parent().unwrap_or(root), &script.module)
                .filter(|file| calls_upgrade(file));
        let names_a_cli = [script.name.as_str(), script.module.as_str()]
            .iter()
            .any(|name| {
                let lower = name.to_ascii_lowercase();
                ["cli", "manage", "db", "migrat", "admin"]
                    .iter()
                    .any(|word| lower.contains(word))
            });
        let file = own.or_else(|| {
            names_a_cli
                .then(|| first_upgrade_call(&package, 0))
                .flatten()
        });
        if let Some(file) = file {
            found.push(AlembicWrapper {
                script: script.name.clone(),
                file: crate::discover::relative(root, &file),
            });
        }
    }
    found
}

/// Whether a Python file calls Alembic's (or Flask-Migrate's) upgrade.
fn calls_upgrade(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|text| text.contains("command.upgrade("))
}

/// The first Python file below `dir` (four levels at most, in name order) that calls
/// `command.upgrade(`.
fn first_upgrade_call(dir: &Path, depth: usize) -> Option<PathBuf> {
    if depth > 4 {
        return None;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in &entries {
        if path.extension().is_some_and(|e| e == "py") && calls_upgrade(path) {
            return Some(path.clone());
        }
    }
    entries
        .iter()
        .filter(|p| {
            p.is_dir()
                && p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    !n.starts_with('.') && n != "tests" && n != "__pycache__"
                })
        })
        .find_map(|p| first_upgrade_call(p, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_console_script_whose_package_calls_alembic_is_the_projects_migrate_command() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"depot\"\n[project.scripts]\ndepot = \"depot.cli:main\"\nstart = \"depot.app:main\"\nother = \"tool.x:run\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("src/depot/db")).unwrap();
        std::fs::write(root.join("src/depot/__init__.py"), "").unwrap();
        std::fs::write(
            root.join("src/depot/db/migrate.py"),
            "from alembic import command\n\ndef up(cfg):\n    command.upgrade(cfg, 'head')\n",
        )
        .unwrap();
        let scripts = console_scripts(root);
        assert_eq!(scripts.len(), 3);
        let wrappers = alembic_wrappers(root, &scripts);
        assert_eq!(
            wrappers,
            [AlembicWrapper {
                script: "depot".into(),
                file: "src/depot/db/migrate.py".into()
            }]
        );
    }
}
