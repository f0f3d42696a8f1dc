//! A step runs at most once: when the warm tool worker dies while a step's child runs, the cell is
//! an infrastructure error that says so, with the worker's last stderr lines, and the step is never
//! run again as a new process (on engines whose DDL is not transactional that would apply a
//! half-applied migration twice).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Project, migration};

/// A revision that notes each start of its upgrade in `marker`, creates a table, then waits long
/// enough for the test to kill the worker.
fn slow_project(databases: &str, marker: &Path) -> Project {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "harness.toml",
        &format!(
            "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[project.env]\nSTEP_MARKER = \"{}\"\n\n[matrix]\ndatabases = [{databases}]\nruntimes = [\"python:3.12\"]\n",
            marker.display()
        ),
    );
    project.write(
        "league/migrations/versions/0007_slow.py",
        &migration(
            "0007",
            "0006",
            "    import os, time\n    with open(os.environ[\"STEP_MARKER\"], \"a\") as marker:\n        marker.write(\"started\\n\")\n    op.create_table(\"slow\", sa.Column(\"id\", sa.Integer, primary_key=True))\n    time.sleep(60)",
        ),
    );
    project
}

/// The pid of the warm worker `harness` started: its child whose command line runs the worker
/// script.
fn worker_of(harness: u32) -> Option<i32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // `pid (comm) state ppid ...`: the fields after the last `)`.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(harness) && String::from_utf8_lossy(&cmdline).contains("tool_worker") {
            return Some(pid);
        }
    }
    None
}

/// Runs `fresh` on `databases`, kills the worker once `steps` upgrades have started, and checks
/// what a user sees: each such cell an error naming the worker, the step run once.
fn kill_the_worker_mid_step(databases: &str, steps: usize, extra_env: &[(&str, &str)]) {
    let marker_dir = tempfile::tempdir().unwrap();
    let marker = marker_dir.path().join("starts");
    let project = slow_project(databases, &marker);
    let mut command = Command::new(env!("CARGO_BIN_EXE_harness"));
    command
        .current_dir(project.path())
        .args(["run", "fresh", "--jobs", "2"])
        .env("HARNESS_RUNTIME_BACKEND", "local")
        .env_remove("HARNESS_NO_WORKER")
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("harness starts");
    let started = Instant::now();
    let count = || {
        std::fs::read_to_string(&marker)
            .map(|text| text.lines().count())
            .unwrap_or(0)
    };
    while count() < steps {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("its output");
            panic!(
                "the run ended before its slow upgrades started:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the slow upgrades never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let worker = worker_of(child.id()).expect("the run has a warm worker");
    // SAFETY: kill(2) on a process of this test's own child.
    unsafe {
        libc::kill(worker, libc::SIGKILL);
    }
    let out = child.wait_with_output().expect("harness ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the run waited for the killed step"
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("the warm tool worker stopped while")
            && stdout.contains("the database state is unknown, so the step is not run again"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("the warm tool worker stopped during step 1, `upgrade"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Running migration 0006 -> 0007"),
        "the step's own output is kept: {stdout}"
    );
    let errors = if steps == 1 {
        "1 error".to_string()
    } else {
        format!("{steps} errors")
    };
    assert!(stdout.contains(&errors), "{stdout}");
    assert_eq!(
        count(),
        steps,
        "a step ran again after its worker died:\n{stdout}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_worker_killed_mid_step_on_sqlite_is_an_error_and_the_step_never_runs_twice() {
    kill_the_worker_mid_step("\"sqlite\"", 1, &[]);
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a MariaDB image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_worker_killed_mid_step_on_mariadb_and_sqlite_never_runs_the_step_twice() {
    kill_the_worker_mid_step(
        "\"mariadb:11\", \"sqlite\"",
        2,
        &[("HARNESS_BACKEND_MARIADB_11", "container")],
    );
}
