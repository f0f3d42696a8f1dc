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
    (
        "src/database",
        "crate::runtime",
        "runtimes reach databases; databases know no runtime",
    ),
    (
        "src/service.rs",
        "crate::database",
        "services run beside the database; cells carry their URLs",
    ),
    (
        "src/service.rs",
        "crate::engine",
        "the engine starts services; services know no run",
    ),
    (
        "src/scaffold",
        "crate::runtime",
        "init's files are written from what init read; the CLI runs processes",
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

/// How much of a file a rule reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    /// What comes before its `#[cfg(test)]` module.
    BeforeTests,
}

/// Every line of code (comments aside) of the Rust files below `module`, as (shown path, 1-based
/// line number, trimmed line), handed to `check`; the complaints it returns, `path:line: ...`.
fn scan(module: &str, part: Part, check: impl Fn(&str, &str) -> Option<String>) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join(module), &mut files);
    assert!(!files.is_empty(), "{module} holds no Rust file");
    let mut broken = Vec::new();
    for file in files {
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let code = match part {
            Part::Whole => text.as_str(),
            Part::BeforeTests => text.split("#[cfg(test)]").next().unwrap_or_default(),
        };
        for (number, line) in code.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            if let Some(why) = check(&shown, line) {
                broken.push(format!("{shown}:{}: {why}", number + 1));
            }
        }
    }
    broken
}

#[test]
fn no_module_names_one_it_must_not_depend_on() {
    let mut broken = Vec::new();
    for (module, forbidden, why) in RULES {
        broken.extend(scan(module, Part::Whole, |_, line| {
            line.contains(forbidden)
                .then(|| format!("names {forbidden} ({why})"))
        }));
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// What the tool process says to the harness travels as records (src/adapters/protocol.rs), never
/// as marker lines in its output: no Rust file reads one, and only the protocol module reads the
/// records file.
#[test]
fn the_tool_process_is_read_through_its_records_only() {
    let broken = scan("src", Part::Whole, |shown, line| {
        if line.contains("\"HARNESS-") {
            return Some("a marker line in a tool's output".into());
        }
        if !shown.starts_with("src/adapters/")
            && (line.contains("starts_with(\"harness: \")")
                || line.contains("contains(\"harness: \")"))
        {
            return Some("reads the entry point's `harness: ` lines outside src/adapters".into());
        }
        // Only the adapters read what a tool process printed; the engine, init and the reports
        // get typed outcomes and methods of ToolRun.
        if !shown.starts_with("src/adapters/")
            && (line.contains(".output.stdout") || line.contains(".output.stderr"))
        {
            return Some("reads a tool process's output outside src/adapters".into());
        }
        (line.contains("read_records(") && shown != "src/adapters/protocol.rs")
            .then(|| "reads the records outside adapters/protocol.rs".into())
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
    let broken = scan("src", Part::Whole, |shown, line| {
        if shown.starts_with("src/docker/") {
            return None;
        }
        let named = ["testcontainers", "bollard"]
            .iter()
            .find(|name| line.contains(*name));
        let called = CALLS.iter().find(|call| line.contains(*call));
        named
            .or(called)
            .map(|what| format!("{what} outside src/docker"))
    });
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
        "redis",
        "docker knows containers, not services",
    ),
    (
        "src/docker",
        "alembic",
        "docker knows containers, not migration tools",
    ),
];

#[test]
fn no_layer_holds_knowledge_that_belongs_to_another() {
    let mut broken = Vec::new();
    for (module, word, why) in UNKNOWN {
        broken.extend(scan(module, Part::BeforeTests, |_, line| {
            line.to_lowercase()
                .contains(word)
                .then(|| format!("`{word}` ({why})"))
        }));
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// One driver table: the packages the harness installs or names for a driver are written in
/// src/drivers.rs only (tests aside).
#[test]
fn driver_packages_are_named_in_the_driver_table_only() {
    let mut broken = scan("src", Part::BeforeTests, |shown, line| {
        if shown == "src/drivers.rs" || shown.ends_with("/tests.rs") {
            return None;
        }
        ["\"psycopg2-binary\"", "\"PyMySQL\"", "\"aiosqlite\""]
            .iter()
            .find(|package| line.contains(*package))
            .map(|package| package.to_string())
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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

/// The files of `module` (its top-level `.rs` files, `mod.rs` aside) each file names through
/// `super::name`, outside its tests.
fn sibling_edges(module: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(module);
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let stem = path.file_stem()?.to_str()?.to_string();
            let is_module = path.extension().is_some_and(|e| e == "rs") || path.is_dir();
            (is_module && stem != "mod").then_some(stem)
        })
        .collect();
    let edges = std::sync::Mutex::new(Vec::new());
    scan(module, Part::BeforeTests, |shown, line| {
        let from = shown
            .strip_prefix(&format!("{module}/"))?
            .split(['/', '.'])
            .next()?
            .to_string();
        for name in &names {
            let named = [format!("super::{name}::"), format!("super::{name}{{")]
                .iter()
                .any(|pattern| line.contains(pattern.as_str()))
                || line.contains(&format!("use super::{name};"));
            if named && *name != from && from != "mod" {
                let mut edges = edges.lock().unwrap();
                let edge = (from.clone(), name.clone());
                if !edges.contains(&edge) {
                    edges.push(edge);
                }
            }
        }
        None
    });
    edges.into_inner().unwrap()
}

/// A cycle among the files of `module`, as `a -> b -> a`, if there is one.
fn file_cycle(module: &str) -> Option<String> {
    let edges = sibling_edges(module);
    let nodes: Vec<&String> = edges.iter().map(|(from, _)| from).collect();
    for start in nodes {
        // Depth first from `start`, looking for a way back to it.
        let mut stack = vec![vec![start.clone()]];
        let mut seen: Vec<String> = Vec::new();
        while let Some(path) = stack.pop() {
            let last = path.last().unwrap().clone();
            for (_, to) in edges.iter().filter(|(from, _)| *from == last) {
                if to == start {
                    let mut cycle = path.clone();
                    cycle.push(to.clone());
                    return Some(cycle.join(" -> "));
                }
                if !seen.contains(to) {
                    seen.push(to.clone());
                    let mut next = path.clone();
                    next.push(to.clone());
                    stack.push(next);
                }
            }
        }
    }
    None
}

/// The files of every module name each other in one direction (a cell's phases, cell, checks,
/// plan and step, never reach back into each other; nor do a runtime's uv and venv, a database's
/// sweep and local cluster, or a scenario and its expectations).
#[test]
fn the_files_of_a_module_name_each_other_without_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut modules = Vec::new();
    let mut folders = vec![root.join("src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            if entry.path().is_dir() {
                folders.push(entry.path());
                modules.push(
                    entry
                        .path()
                        .strip_prefix(root)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    assert!(modules.len() > 10, "{modules:?}");
    let cycles: Vec<String> = modules
        .iter()
        .filter_map(|module| file_cycle(module).map(|cycle| format!("{module}: {cycle}")))
        .collect();
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
    // What the check reads: checks names step, and cell names checks.
    let edges = sibling_edges("src/engine");
    assert!(
        edges.contains(&("checks".to_string(), "step".to_string())),
        "{edges:?}"
    );
    assert!(
        edges.contains(&("cell".to_string(), "checks".to_string())),
        "{edges:?}"
    );
}

/// A module of the library is public only when something outside it (the binary, a test, a
/// benchmark) names it: the rest is `pub(crate)`, so the compiler reports what nothing uses.
#[test]
fn only_modules_named_from_outside_the_library_are_public() {
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    let mut outside = String::new();
    let mut files = Vec::new();
    for folder in ["tests", "benches", "src/main.rs"] {
        rust_files(Path::new(folder), &mut files);
    }
    for file in &files {
        outside.push_str(&std::fs::read_to_string(file).unwrap());
    }
    let public: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|name| name.trim_end_matches(';'))
        .collect();
    let crate_only = lib
        .lines()
        .filter(|l| l.starts_with("pub(crate) mod "))
        .count();
    assert!(public.len() > 5 && crate_only > 5, "{lib}");
    // This file names modules in its own rules; it does not make them public.
    let outside = outside.replace(&std::fs::read_to_string(file!()).unwrap(), "");
    let unnamed: Vec<&&str> = public
        .iter()
        .filter(|name| !outside.contains(&format!("harness::{name}")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "public modules nothing outside the library names (make them pub(crate)): {unnamed:?}"
    );
}

/// Errors stay typed across module boundaries: no function another module can call (`pub`,
/// `pub(crate)`, `pub(super)`) returns `Result<_, String>`. Private helpers may, inside one file.
#[test]
fn no_function_other_modules_call_returns_a_string_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut broken = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let lines: Vec<&str> = code.lines().collect();
        for (number, line) in lines.iter().enumerate() {
            let line = line.trim_start();
            if !(line.starts_with("pub ") || line.starts_with("pub(")) || !line.contains("fn ") {
                continue;
            }
            // The signature runs to the line that opens the body (or ends a trait's declaration).
            let mut signature = String::new();
            for next in &lines[number..] {
                signature.push_str(next.trim());
                if next.contains('{') || next.trim_end().ends_with(';') {
                    break;
                }
            }
            let returns = signature.split("->").nth(1).unwrap_or_default();
            let returns: String = returns.chars().filter(|c| !c.is_whitespace()).collect();
            if returns.starts_with("Result<") && returns.contains(",String>") {
                broken.push(format!(
                    "{}:{}: returns a String error",
                    file.strip_prefix(root).unwrap().display(),
                    number + 1
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
