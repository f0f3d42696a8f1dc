//! Plugins a project finds through its own entry points: code that iterates an entry-point group
//! (`entry_points(group="app.plugins")`) the project's packaging declares. Such a group exists
//! only once the project is installed, so the project has to be (in develop mode) for its app to
//! load. Reads files only.

use std::path::Path;

/// An entry-point group the project both declares and loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginGroup {
    pub group: String,
    /// The packaging file declaring it, relative to the root, with `/`.
    pub declared_in: String,
    /// `file:line` of the code loading it, relative to the root.
    pub loaded_at: String,
}

/// The first entry-point group the packaging files at `root` declare (console and GUI scripts
/// aside) that the project's own Python code loads.
pub fn plugin_group(root: &Path) -> Option<PluginGroup> {
    let declared = declared_groups(root);
    if declared.is_empty() {
        return None;
    }
    let loading = regex::Regex::new(
        r#"(?:iter_)?entry_points\(\s*(?:group\s*=\s*)?["']([A-Za-z0-9_.\-]+)["']"#,
    )
    .expect("a valid pattern");
    for file in super::super::engines::walk(root) {
        if file.extension().is_none_or(|ext| ext != "py") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (index, line) in text.lines().enumerate() {
            for caps in loading.captures_iter(line) {
                if let Some((group, declared_in)) =
                    declared.iter().find(|(group, _)| *group == caps[1])
                {
                    return Some(PluginGroup {
                        group: group.clone(),
                        declared_in: declared_in.clone(),
                        loaded_at: format!(
                            "{}:{}",
                            crate::discover::relative(root, &file),
                            index + 1
                        ),
                    });
                }
            }
        }
    }
    None
}

/// The entry-point groups declared at `root`: pyproject.toml's `[project.entry-points.*]` and
/// Poetry's `plugins`, setup.cfg's `[options.entry_points]`, setup.py's `entry_points` keys.
fn declared_groups(root: &Path) -> Vec<(String, String)> {
    let scripts = ["console_scripts", "gui_scripts"];
    let mut groups: Vec<(String, String)> = Vec::new();
    let mut add = |group: &str, file: &str| {
        if !scripts.contains(&group) && !groups.iter().any(|(g, _)| g == group) {
            groups.push((group.to_string(), file.to_string()));
        }
    };
    if let Ok(text) = std::fs::read_to_string(root.join("pyproject.toml"))
        && let Ok(value) = text.parse::<toml::Table>()
    {
        let tables = [
            value.get("project").and_then(|p| p.get("entry-points")),
            value
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.get("plugins")),
        ];
        for table in tables.into_iter().flatten().filter_map(|t| t.as_table()) {
            for group in table.keys() {
                add(group, "pyproject.toml");
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("setup.cfg")) {
        let mut inside = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                inside = trimmed == "[options.entry_points]";
            } else if inside
                && !line.starts_with([' ', '\t'])
                && let Some((group, _)) = trimmed.split_once('=')
            {
                add(group.trim(), "setup.cfg");
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("setup.py"))
        && let Some(start) = text.find("entry_points")
    {
        // The keys of the dict after `entry_points=`: `"group": [` or `'group': [`.
        let key =
            regex::Regex::new(r#"["']([A-Za-z0-9_.\-]+)["']\s*:\s*\["#).expect("a valid pattern");
        let rest = &text[start..];
        let end = rest.find("\n)").unwrap_or(rest.len());
        for caps in key.captures_iter(&rest[..end]) {
            add(&caps[1], "setup.py");
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_the_packaging_declares_and_the_code_loads_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"vault\"\n[project.scripts]\nvault = \"vault.cli:main\"\n[project.entry-points.\"vault.plugins\"]\nemail = \"vault.plugins.email:EmailPlugin\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("vault")).unwrap();
        std::fs::write(
            root.join("vault/factory.py"),
            "from importlib.metadata import entry_points\n\n\ndef load():\n    for ep in entry_points(group=\"vault.plugins\"):\n        ep.load()\n",
        )
        .unwrap();
        assert_eq!(
            plugin_group(root),
            Some(PluginGroup {
                group: "vault.plugins".into(),
                declared_in: "pyproject.toml".into(),
                loaded_at: "vault/factory.py:5".into(),
            })
        );
        // Console scripts alone need no install to be loaded, and code loading another group
        // (a third party's) is not the project's.
        std::fs::write(
            root.join("vault/factory.py"),
            "import pkg_resources\nfor ep in pkg_resources.iter_entry_points('console_scripts'):\n    pass\nfor ep in pkg_resources.iter_entry_points('sqlalchemy.dialects'):\n    pass\n",
        )
        .unwrap();
        assert_eq!(plugin_group(root), None);
    }

    #[test]
    fn setup_py_and_setup_cfg_declare_groups_too() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("setup.py"),
            "from setuptools import setup\nsetup(\n    name='vault',\n    entry_points={\n        'console_scripts': ['vault = vault.cli:main'],\n        'vault.notifiers': ['mail = vault.mail:Mail'],\n    },\n)\n",
        )
        .unwrap();
        std::fs::write(
            root.join("setup.cfg"),
            "[options.entry_points]\nvault.issuers =\n    acme = vault.acme:Acme\n",
        )
        .unwrap();
        let groups: Vec<String> = declared_groups(root).into_iter().map(|(g, _)| g).collect();
        assert_eq!(groups, ["vault.issuers", "vault.notifiers"]);
    }
}
