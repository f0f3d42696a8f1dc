//! Shared by the CLI and end-to-end tests: running the real `harness` binary, building throwaway
//! projects from the examples, and filtering what varies between machines out of snapshots.
#![allow(dead_code)]

pub mod project;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every harness run sweeps what dead harness processes left when it starts, so a test that plants
/// such leftovers to check the sweep would have them swept by a sibling test's run first: the
/// tests of one binary that run the harness or plant leftovers take turns with this.
pub static SWEEPS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A copy of `examples/<name>` (made once per test binary, under target/), so a run that writes
/// `.snap.new` files or caches never touches the committed example.
pub fn example_copy(name: &str) -> PathBuf {
    static COPIES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tests".into());
    let target = repo().join("target/example-copies").join(binary).join(name);
    let mut done = COPIES.lock().unwrap_or_else(|e| e.into_inner());
    if !done.iter().any(|n| n == name) {
        std::fs::remove_dir_all(&target).ok();
        copy_dir(&repo().join("examples").join(name), &target);
        done.push(name.to_string());
    }
    target
}

/// The cells of a JSON report without what varies run to run (durations).
pub fn report_cells(path: &Path) -> Vec<serde_json::Value> {
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut cells = report["cells"].take();
    for cell in cells.as_array_mut().unwrap() {
        let cell = cell.as_object_mut().unwrap();
        cell.remove("duration_ms");
        cell.remove("tool_ms");
        for step in cell["steps"].as_array_mut().unwrap() {
            step.as_object_mut().unwrap().remove("duration_ms");
        }
    }
    cells.as_array().unwrap().clone()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The harness binary, started in `dir`, with CI and the GitHub Actions summary file unset (tests
/// set them where they mean it), on local interpreters (the runtime tests ask for containers).
pub fn harness(dir: &Path) -> Command {
    as_a_user(Path::new(env!("CARGO_BIN_EXE_harness")), dir)
}

/// `program` started in `dir` with the environment [`harness`] gives the harness binary (a
/// user's shell: no CI, local interpreters, no colour): for a harness installed elsewhere.
pub fn as_a_user(program: &Path, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env("HARNESS_RUNTIME_BACKEND", "local")
        .env_remove("CI")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("NO_COLOR", "1");
    command
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the harness binary starts");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Asserts an insta snapshot of `text` with [`filters`] for `project` applied.
pub fn snapshot(name: &str, project: &Path, text: String) {
    let filters = filters(project);
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Exit code, stdout and stderr in one text, for snapshots.
pub fn transcript((code, stdout, stderr): &(i32, String, String)) -> String {
    format!("exit code: {code}\n----- stdout -----\n{stdout}----- stderr -----\n{stderr}")
}

/// Filters for snapshots: durations, the project folder, the cache folder, interpreter paths.
pub fn filters(project: &Path) -> Vec<(String, String)> {
    let cache = harness::runtime::CacheDir::from_env()
        .root()
        .display()
        .to_string();
    vec![
        (
            regex_escape(&project.display().to_string()),
            "[PROJECT]".into(),
        ),
        (regex_escape(&cache), "[CACHE]".into()),
        (r"\d+\.\d{2}s".into(), "[TIME]".into()),
        (
            r"Python \d+\.\d+\.\d+ at \S+".into(),
            "Python [VERSION] at [INTERPRETER]".into(),
        ),
        (
            r"environment (reused from cache|created)".into(),
            "environment [READY]".into(),
        ),
        (
            r"python-3\.(\d+)\.\d+-[0-9a-f]{16}".into(),
            "python-3.$1.[PATCH]-[KEY]".into(),
        ),
        (
            r"3\.(\d+)\.\d+ \(\S+, found via (\w+)\)".into(),
            "3.$1.[PATCH] ([INTERPRETER], found via $2)".into(),
        ),
    ]
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A throwaway project: the league example copied into a temporary folder with a harness.toml,
/// the repository's scenarios, and no snapshots yet.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn league(runtimes: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("harness-test-")
            .tempdir()
            .unwrap();
        copy_dir(&repo().join("examples/league"), &dir.path().join("league"));
        copy_dir(&repo().join("scenarios"), &dir.path().join("scenarios"));
        let runtimes = runtimes
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect::<Vec<_>>()
            .join(", ");
        std::fs::write(
            dir.path().join("harness.toml"),
            format!(
                "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [{runtimes}]\n"
            ),
        )
        .unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).unwrap()
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path().join(relative).exists()
    }

    pub fn harness(&self) -> Command {
        harness(self.path())
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" || name.to_string_lossy().ends_with(".sqlite") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A migration appended to the league example's chain.
pub fn migration(revision: &str, down: &str, body: &str) -> String {
    format!(
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"{revision}\"\ndown_revision = \"{down}\"\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n"
    )
}

/// Runs git in `dir` with a test identity and no global or system configuration; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Release Test",
            "-c",
            "user.email=release-test@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
