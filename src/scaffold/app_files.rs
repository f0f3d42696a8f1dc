//! What `harness init` reads from a project's files besides its dependencies: the Flask app env.py
//! takes its engine from, the version table env.py names, and names for workspace members. Reads
//! files only.

use std::path::{Path, PathBuf};

use super::DetectedProject;

/// A member's folder name: the project folder's last component, made unique.
pub fn member_name(project: &DetectedProject, taken: &[String]) -> String {
    let base: String = project
        .section
        .as_deref()
        .or_else(|| {
            project
                .run_dir
                .rsplit('/')
                .find(|part| !part.is_empty() && *part != ".")
        })
        .unwrap_or("project")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.ends_with(&format!("/{name}"))) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// `path` relative to `base` (both relative to the root, with `/`).
pub fn relative_to(path: &str, base: &str) -> String {
    let path: Vec<&str> = path.split('/').collect();
    let base: Vec<&str> = base.split('/').filter(|p| *p != ".").collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; base.len() - common];
    out.extend(&path[common..]);
    out.join("/")
}

/// `FLASK_APP` for a Flask project: from `.flaskenv`/`.env`, else the package whose `__init__.py`
/// defines `create_app`; `None` when Flask finds the app itself (`app.py`, `wsgi.py`).
pub fn flask_app(root: &Path, run_dir: &Path) -> Option<(String, String, Option<String>)> {
    for dir in [run_dir, root] {
        for name in [".flaskenv", ".env"] {
            if let Ok(text) = std::fs::read_to_string(dir.join(name))
                && let Some(value) = text.lines().find_map(|line| {
                    line.trim()
                        .strip_prefix("FLASK_APP=")
                        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
                })
            {
                return Some((value, format!("FLASK_APP in {name}"), None));
            }
        }
    }
    if run_dir.join("app.py").is_file() || run_dir.join("wsgi.py").is_file() {
        return None;
    }
    // Flask's own search looks in the working folder only: name the module for it, importable
    // from the root (which then goes on PYTHONPATH).
    for name in ["wsgi", "app"] {
        if root.join(format!("{name}.py")).is_file() {
            return Some((name.to_string(), format!("{name}.py at the root"), None));
        }
    }
    let packages = python_packages(root);
    for package in &packages {
        for name in ["wsgi", "app"] {
            if root.join(package).join(format!("{name}.py")).is_file() {
                let module = format!("{}.{name}", package.replace('/', "."));
                return Some((module, format!("{package}/{name}.py"), None));
            }
        }
    }
    // Where the app is really made: a module defining `create_app` or assigning `Flask(...)`, in
    // a package at the root, in src/, or nested below them (an app folder such as
    // `backend/app`), nearest to the run folder first.
    for (base, package) in nested_packages(root, run_dir) {
        let dir = root.join(&base).join(&package);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let defines = text.contains("def create_app")
                || text.lines().any(|line| {
                    let line = line.trim_start();
                    line.starts_with("app = Flask(") || line.starts_with("app=Flask(")
                });
            if defines {
                let stem = file.file_stem()?.to_string_lossy().into_owned();
                let dotted = package.replace('/', ".");
                let module = if stem == "__init__" {
                    dotted
                } else {
                    format!("{dotted}.{stem}")
                };
                let shown = format!(
                    "{}{package}/{stem}.py makes the app",
                    if base == "." {
                        String::new()
                    } else {
                        format!("{base}/")
                    }
                );
                return Some((module, shown, Some(base)));
            }
        }
    }
    None
}

/// Packages (folders holding `__init__.py`) up to three levels down, each with the folder it
/// imports from (relative to the root, `.` for the root): the run folder and the folders above it
/// up to the root, then `src/`; the nearest base first, shallow packages before nested ones.
fn nested_packages(root: &Path, run_dir: &Path) -> Vec<(String, String)> {
    let mut bases: Vec<PathBuf> = run_dir
        .ancestors()
        .take_while(|dir| dir.starts_with(root))
        .map(Path::to_path_buf)
        .collect();
    bases.push(root.join("src"));
    let mut found = Vec::new();
    for base in bases {
        // A folder that is itself a package imports from the folder above it.
        if base.join("__init__.py").is_file() {
            continue;
        }
        let base_rel = match base.strip_prefix(root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => continue,
        };
        let mut level: Vec<String> = Vec::new();
        let mut frontier = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for prefix in &frontier {
                let Ok(entries) = std::fs::read_dir(base.join(prefix)) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().join("__init__.py").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| {
                        !name.starts_with('.')
                            && !matches!(name.as_str(), "tests" | "test" | "migrations" | "alembic")
                    })
                    .collect();
                names.sort();
                for name in names {
                    let path = if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}/{name}")
                    };
                    level.push(path.clone());
                    next.push(path);
                }
            }
            frontier = next;
        }
        for package in level {
            if !found.iter().any(|(b, p)| *b == base_rel && *p == package) {
                found.push((base_rel.clone(), package));
            }
        }
    }
    found
}

/// Python packages (folders holding `__init__.py`) at the root and in `src/`, as paths relative
/// to the root (`app`, `src/app`), sorted.
fn python_packages(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for base in ["", "src"] {
        let Ok(entries) = std::fs::read_dir(root.join(base)) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join("__init__.py").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.') && name != "tests" && name != "migrations")
            .collect();
        names.sort();
        found.extend(names.into_iter().map(|name| {
            if base.is_empty() {
                name
            } else {
                format!("{base}/{name}")
            }
        }));
    }
    found
}

/// The version table env.py configures (`version_table="..."`, or `version_table=NAME` with
/// `NAME = "..."` at the start of a line of env.py), else Alembic's default.
pub fn env_py_version_table(script_dir: &Path) -> String {
    let text = std::fs::read_to_string(script_dir.join("env.py")).unwrap_or_default();
    version_table_in(&text).unwrap_or_else(|| "alembic_version".to_string())
}

fn version_table_in(text: &str) -> Option<String> {
    let at = text
        .find("version_table=")
        .or_else(|| text.find("version_table ="))?;
    let value = text[at..].split_once('=')?.1.trim_start();
    if let Some(name) = quoted(value) {
        return Some(name);
    }
    let name: String = value
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() {
        return None;
    }
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name.as_str())?.trim_start();
        let rest = rest.strip_prefix(':').map_or(rest, |annotated| {
            annotated.split_once('=').map_or("", |(_, v)| v)
        });
        let rest = rest.trim_start().strip_prefix('=').unwrap_or(rest);
        quoted(rest.trim_start())
    })
}

/// The text of a string literal at the start of `value`.
fn quoted(value: &str) -> Option<String> {
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let name = value[1..].split(quote).next()?;
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::version_table_in;

    #[test]
    fn the_version_table_is_read_from_a_literal_or_a_module_constant() {
        let literal = "context.configure(connection=c, version_table='app_versions')";
        assert_eq!(version_table_in(literal).as_deref(), Some("app_versions"));
        let constant = "VERSION_TABLE_OLD = 'x'\nVERSION_TABLE = \"alembic_version_ee\"\n\ncontext.configure(\n    version_table=VERSION_TABLE,\n)";
        assert_eq!(
            version_table_in(constant).as_deref(),
            Some("alembic_version_ee")
        );
        let annotated = "TABLE: str = 'tracing_versions'\ncontext.configure(version_table = TABLE)";
        assert_eq!(
            version_table_in(annotated).as_deref(),
            Some("tracing_versions")
        );
        assert_eq!(
            version_table_in("context.configure(version_table=settings.table)"),
            None
        );
        assert_eq!(version_table_in("context.configure(connection=c)"), None);
    }
}
