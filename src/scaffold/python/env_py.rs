//! What Alembic's env.py needs to import and run: the folders its project imports come from
//! (for PYTHONPATH), and the environment variables it, and the project modules it names, read.

use std::path::{Path, PathBuf};

use super::env_read::{CellPart, EnvRead, EnvReads};
use super::module_locator::{ModuleLocator, module_file};
use super::package_name::PackageName;
use super::project_files::slashed;
use super::python_file::PythonFile;
use super::stdlib::is_stdlib;

/// Imported by every env.py and always installed: never the project's own.
const MIGRATION_MODULES: &[&str] = &["alembic", "sqlalchemy", "sqlmodel"];

/// What scanning env.py found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvPy {
    pub pythonpath: Vec<String>,
    pub url_variables: Vec<EnvRead>,
    pub required_variables: Vec<EnvRead>,
    pub part_variables: Vec<(EnvRead, CellPart)>,
    /// Alembic options env.py reads a URL from besides `sqlalchemy.url` (`url`, `section:key`).
    pub url_options: Vec<String>,
    pub notes: Vec<String>,
}

impl EnvPy {
    /// Scans `script_dir/env.py`, then the project modules it imports (one level).
    /// `installed` names the dependencies, whose modules are not looked for in the project.
    pub fn scan(root: &Path, script_dir: &Path, installed: &[PackageName]) -> Self {
        let mut scan = Self::default();
        let relative = |path: &Path| slashed(path.strip_prefix(root).unwrap_or(path));
        let env_py = script_dir.join("env.py");
        let Ok(source) = std::fs::read_to_string(&env_py) else {
            scan.notes.push(format!(
                "{} could not be read: its imports and environment variables are not known",
                relative(&env_py)
            ));
            return scan;
        };
        let parsed = PythonFile::parse(&source);
        scan.url_options = url_options(&source);
        for option in &scan.url_options {
            scan.notes.push(format!(
                "env.py reads the URL from the Alembic option `{option}`: url_options sets it to the cell's"
            ));
        }
        let mut reads = EnvReads::default();
        reads.add(&relative(&env_py), &parsed.reads);

        let locator = ModuleLocator::new(root, script_dir);
        let mut followed: Vec<PathBuf> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for import in &parsed.imports {
            let top = import.module.split('.').next().unwrap_or("");
            if is_stdlib(top)
                || MIGRATION_MODULES.contains(&top)
                || installed.iter().any(|name| name.provides_module(top))
            {
                continue;
            }
            let Some((folder, folder_relative)) = locator.locate(top) else {
                if !unknown.iter().any(|u| u.starts_with(&format!("`{top}`"))) {
                    unknown.push(format!("`{top}` (line {})", import.line));
                }
                continue;
            };
            if !scan.pythonpath.iter().any(|p| p == folder_relative) {
                scan.pythonpath.push(folder_relative.to_string());
            }
            let submodules = import
                .names
                .iter()
                .map(|name| module_file(folder, &format!("{}.{name}", import.module)));
            for file in std::iter::once(module_file(folder, &import.module))
                .chain(submodules)
                .flatten()
            {
                if file != env_py && !followed.contains(&file) {
                    followed.push(file);
                }
            }
        }

        // Revision files import the project too (helpers, models, enums): their top-level
        // modules need the same PYTHONPATH, though their variables are not env.py's.
        for file in revision_files(script_dir) {
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            for import in PythonFile::parse(&source).imports {
                let top = import.module.split('.').next().unwrap_or("");
                if top.is_empty()
                    || is_stdlib(top)
                    || MIGRATION_MODULES.contains(&top)
                    || installed.iter().any(|name| name.provides_module(top))
                {
                    continue;
                }
                if let Some((_, folder_relative)) = locator.locate(top)
                    && !scan.pythonpath.iter().any(|p| p == folder_relative)
                {
                    scan.notes.push(format!(
                        "{} imports `{top}`: its folder goes on PYTHONPATH",
                        relative(&file)
                    ));
                    scan.pythonpath.push(folder_relative.to_string());
                }
            }
        }

        let flask_app = parsed.imports.iter().any(|import| {
            import.module == "flask" && import.names.iter().any(|n| n == "current_app")
        });
        if flask_app {
            scan.notes.push(
                "env.py takes its engine from the Flask app (Flask-Migrate's `current_app`): the variables are read from the module that makes the app, and the modules of its package it imports"
                    .to_string(),
            );
        }

        // Further down: what those modules import of the project (a config module importing a
        // settings package whose `__init__` re-exports its modules), breadth first, two more
        // levels, settings and configuration modules first at each level.
        let mut level = followed.clone();
        for _ in 0..FOLLOW_DEPTH {
            let mut next_level = Vec::new();
            for file in &level {
                let Ok(source) = std::fs::read_to_string(file) else {
                    continue;
                };
                for next in project_imports(&PythonFile::parse(&source), file, &locator) {
                    if next != env_py && !followed.contains(&next) && !next_level.contains(&next) {
                        next_level.push(next);
                    }
                }
            }
            next_level.sort_by_key(|file| !says_settings(file));
            next_level.truncate(MAX_FOLLOWED.saturating_sub(followed.len()));
            followed.extend(next_level.iter().cloned());
            level = next_level;
        }
        let mut read = vec![relative(&env_py)];
        for file in &followed {
            if let Ok(source) = std::fs::read_to_string(file) {
                reads.add(&relative(file), &PythonFile::parse(&source).reads);
                read.push(relative(file));
            }
        }
        scan.notes.push(format!(
            "read for imports and environment variables: {}",
            read.join(", ")
        ));
        if !unknown.is_empty() {
            scan.notes.push(format!(
                "env.py imports {}, which no dependency list names and no folder of the project holds: it must come with another package, or be added to `packages`",
                unknown.join(", ")
            ));
        }
        scan.url_variables = reads.url;
        scan.required_variables = reads.required;
        scan.part_variables = reads.parts;
        scan
    }
}

/// How many project modules env.py's scan reads at most.
const MAX_FOLLOWED: usize = 60;

/// How many levels of imports below env.py's own the scan follows.
const FOLLOW_DEPTH: usize = 2;

/// Whether a module's path says it holds settings (`settings`, `config`, `conf`).
fn says_settings(file: &Path) -> bool {
    let text = file.to_string_lossy().to_ascii_lowercase();
    ["settings", "config", "conf"]
        .iter()
        .any(|word| text.contains(word))
}

/// The project's module files `parsed` (the file `file`) imports: absolute imports the locator
/// finds in the project, and relative ones from the file's own package; for a package's
/// `__init__`, its relative imports of its own modules too.
fn project_imports(parsed: &PythonFile, file: &Path, locator: &ModuleLocator) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut take = |folder: &Path, module: &str, names: &[String]| {
        let own = (!module.is_empty())
            .then(|| module_file(folder, module))
            .flatten();
        let submodules = names.iter().filter_map(|name| {
            let dotted = if module.is_empty() {
                name.clone()
            } else {
                format!("{module}.{name}")
            };
            module_file(folder, &dotted)
        });
        found.extend(own.into_iter().chain(submodules));
    };
    for import in &parsed.imports {
        let top = import.module.split('.').next().unwrap_or("");
        if let Some((folder, _)) = locator.locate(top) {
            take(folder, &import.module, &import.names);
        }
    }
    for (level, import) in &parsed.relative_imports {
        let mut folder = file.parent().map(Path::to_path_buf);
        for _ in 1..*level {
            folder = folder.and_then(|f| f.parent().map(Path::to_path_buf));
        }
        if let Some(folder) = folder {
            take(&folder, &import.module, &import.names);
        }
    }
    found
}

/// The Python files under `script_dir/versions` (and its subfolders), sorted.
fn revision_files(script_dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![script_dir.join("versions")];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                if entry.file_name() != "__pycache__" {
                    todo.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "py") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The Alembic options env.py reads a URL from besides `sqlalchemy.url`:
/// `config.get_main_option("url")` gives `url`, `get_section_option("db", "dsn")` gives `db:dsn`
/// (a section given by a variable: the option alone); only names that say URL or database.
pub fn url_options(source: &str) -> Vec<String> {
    let main =
        regex::Regex::new(r#"get_main_option\(\s*["']([^"']+)["']"#).expect("a valid pattern");
    let section = regex::Regex::new(
        r#"get_section_option\(\s*(?:["']([^"']+)["']|[^,()]+)\s*,\s*["']([^"']+)["']"#,
    )
    .expect("a valid pattern");
    let url_like = |key: &str| {
        let lower = key.to_ascii_lowercase();
        lower != "sqlalchemy.url"
            && ["url", "uri", "dsn", "database", "db"]
                .iter()
                .any(|word| lower.split(['.', '_', '-']).any(|part| part == *word))
    };
    let mut found: Vec<String> = Vec::new();
    for caps in main.captures_iter(source) {
        if url_like(&caps[1]) {
            found.push(caps[1].to_string());
        }
    }
    for caps in section.captures_iter(source) {
        if url_like(&caps[2]) {
            found.push(match caps.get(1) {
                Some(name) => format!("{}:{}", name.as_str(), &caps[2]),
                None => caps[2].to_string(),
            });
        }
    }
    found.sort();
    found.dedup();
    found
}

/// What a Flask app's module and the project modules it imports (one level, absolute imports of
/// its own top package) read: the variables its configuration reads, which env.py, taking its
/// engine from `current_app`, never names. `base` is the folder the module imports from.
pub fn app_reads(root: &Path, base: &Path, module: &str) -> EnvPy {
    let mut scan = EnvPy::default();
    let relative = |path: &Path| slashed(path.strip_prefix(root).unwrap_or(path));
    let Some(start) = module_file(base, module) else {
        return scan;
    };
    let Ok(source) = std::fs::read_to_string(&start) else {
        return scan;
    };
    let top = module.split('.').next().unwrap_or(module);
    let parsed = PythonFile::parse(&source);
    let mut reads = EnvReads::default();
    reads.add(&relative(&start), &parsed.reads);
    let mut followed: Vec<PathBuf> = Vec::new();
    for import in &parsed.imports {
        if import.module.split('.').next() != Some(top) {
            continue;
        }
        let submodules = import
            .names
            .iter()
            .map(|name| module_file(base, &format!("{}.{name}", import.module)));
        for file in std::iter::once(module_file(base, &import.module))
            .chain(submodules)
            .flatten()
        {
            if file != start && !followed.contains(&file) {
                followed.push(file);
            }
        }
    }
    for file in &followed {
        if let Ok(source) = std::fs::read_to_string(file) {
            reads.add(&relative(file), &PythonFile::parse(&source).reads);
        }
    }
    scan.url_variables = reads.url;
    scan.required_variables = reads.required;
    scan.part_variables = reads.parts;
    scan
}

#[cfg(test)]
mod option_tests {
    use super::url_options;

    #[test]
    fn custom_url_options_are_found_and_sqlalchemy_url_is_not() {
        let source = "url = config.get_main_option('url')\nother = config.get_main_option(\"sqlalchemy.url\")\nlevel = config.get_main_option('log_level')\ndsn = config.get_section_option('db', 'dsn')\nx = config.get_section_option(config.config_ini_section, \"database_url\")\n";
        assert_eq!(url_options(source), ["database_url", "db:dsn", "url"]);
    }
}
