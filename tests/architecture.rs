//! The dependency directions ARCHITECTURE.md states, held by reading the source: a module below
//! another never names it. A line that breaks one fails here with its file and line.

use std::path::{Path, PathBuf};

/// (the files of a module, a path they must not name, why).
const RULES: &[(&str, &str, &str)] = &[
    (
        "src/engine",
        "crate::report",
        "the engine builds outcomes; reports render them",
    ),
    (
        "src/report",
        "crate::engine",
        "reports read outcomes, never the engine",
    ),
    (
        "src/config",
        "crate::runtime",
        "the configuration is read before anything runs",
    ),
    (
        "src/process.rs",
        "crate::adapters",
        "processes know no migration tool",
    ),
    (
        "src/dialect",
        "crate::config",
        "dialects know SQL and URLs, not harness.toml",
    ),
];

fn rust_files(path: &Path, found: &mut Vec<PathBuf>) {
    if path.is_file() {
        found.push(path.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(path).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_names_one_it_must_not_depend_on() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    for (module, forbidden, why) in RULES {
        let mut files = Vec::new();
        rust_files(&root.join(module), &mut files);
        assert!(!files.is_empty(), "{module} holds no Rust file");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if !code.starts_with("//") && code.contains(forbidden) {
                    broken.push(format!(
                        "{}:{}: names {forbidden} ({why})",
                        file.strip_prefix(root).unwrap().display(),
                        number + 1
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// What the tool process says to the harness travels as records (src/adapters/protocol.rs), never
/// as marker lines in its output: no Rust file reads one, and only the protocol module reads the
/// records file.
#[test]
fn the_tool_process_is_read_through_its_records_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut broken = Vec::new();
    for file in files {
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("\"HARNESS-") {
                broken.push(format!(
                    "{shown}:{}: a marker line in a tool's output",
                    number + 1
                ));
            }
            if code.contains("read_records(") && shown != "src/adapters/protocol.rs" {
                broken.push(format!(
                    "{shown}:{}: reads the records outside adapters/protocol.rs",
                    number + 1
                ));
            }
        }
    }
    let entry = std::fs::read_to_string(root.join("src/adapters/alembic_entry.py")).unwrap();
    assert!(
        !entry.contains("HARNESS-"),
        "alembic_entry.py writes a marker line"
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// Every Docker call goes through src/docker: no other file names the Docker client's crates or
/// calls one of the client's methods.
#[test]
fn docker_is_called_only_from_src_docker() {
    const CALLS: &[&str] = &[
        ".inspect_image(",
        ".inspect_container(",
        ".list_images(",
        ".remove_image(",
        ".image_history(",
        ".commit_container(",
        ".create_container(",
        ".start_container(",
        ".remove_container(",
        ".create_network(",
        ".create_exec(",
        ".ping()",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut broken = Vec::new();
    for file in files {
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        if shown.starts_with("src/docker/") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let named = ["testcontainers", "bollard"]
                .iter()
                .find(|name| code.contains(*name));
            let called = CALLS.iter().find(|call| code.contains(*call));
            if let Some(what) = named.or(called) {
                broken.push(format!("{shown}:{}: {what} outside src/docker", number + 1));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// Knowledge a layer must not hold, outside its tests: (files, word, why).
const UNKNOWN: &[(&str, &str, &str)] = &[
    (
        "src/dialect",
        "version_num",
        "dialects know SQL, not a migration tool's tables",
    ),
    (
        "src/dialect",
        "alembic",
        "dialects know SQL, not a migration tool",
    ),
    (
        "src/docker",
        "postgres",
        "docker knows containers, not databases",
    ),
    (
        "src/docker",
        "mariadb",
        "docker knows containers, not databases",
    ),
    (
        "src/docker",
        "alembic",
        "docker knows containers, not migration tools",
    ),
];

#[test]
fn no_layer_holds_knowledge_that_belongs_to_another() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    for (module, word, why) in UNKNOWN {
        let mut files = Vec::new();
        rust_files(&root.join(module), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (number, line) in code.lines().enumerate() {
                let trimmed = line.trim_start();
                if !trimmed.starts_with("//") && trimmed.to_lowercase().contains(word) {
                    broken.push(format!(
                        "{}:{}: `{word}` ({why})",
                        file.strip_prefix(root).unwrap().display(),
                        number + 1
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// One driver table: the packages the harness installs or names for a driver are written in
/// src/drivers.rs only (tests aside).
#[test]
fn driver_packages_are_named_in_the_driver_table_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut broken = Vec::new();
    for file in files {
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        if shown == "src/drivers.rs" || shown.ends_with("/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for package in ["\"psycopg2-binary\"", "\"PyMySQL\"", "\"aiosqlite\""] {
                if line.contains(package) {
                    broken.push(format!("{shown}:{}: {package}", number + 1));
                }
            }
        }
    }
    for script in ["src/adapters/alembic_entry.py", "src/runtime/worker.py"] {
        let text = std::fs::read_to_string(root.join(script)).unwrap();
        let outside: String = match (text.find("# drivers: begin"), text.find("# drivers: end")) {
            (Some(begin), Some(end)) => format!("{}{}", &text[..begin], &text[end..]),
            _ => text.clone(),
        };
        for package in ["\"psycopg2-binary\"", "\"PyMySQL\"", "\"asyncpg\""] {
            if outside.contains(package) {
                broken.push(format!("{script}: {package} outside its drivers block"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
