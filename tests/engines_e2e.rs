//! End to end: the long-revision-id example (seed 004) on SQLite, PostgreSQL 13 and 17 (containers),
//! PostgreSQL 15 (local cluster) and MariaDB 11 (container), against its committed snapshots; and
//! after each run, nothing the run started is left.
//!
//! Needs a Docker engine and the images named by HARNESS_IMAGE_* (scripts/setup/20-engines.sh).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn example(variant: &str) -> PathBuf {
    common::example_copy("long_revision_id").join(variant)
}

/// Runs `harness run --check` in `dir`; returns (exit code, stdout, stderr, pid).
fn run(dir: &Path, extra: &[&str]) -> (i32, String, String, u32) {
    let child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["run", "--check"])
        .args(extra)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the harness binary starts");
    let pid = child.id();
    let out = child
        .wait_with_output()
        .expect("the harness binary finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        pid,
    )
}

fn line<'a>(stdout: &'a str, cell: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.starts_with(cell))
        .unwrap_or_else(|| panic!("no line for {cell} in:\n{stdout}"))
}

async fn assert_nothing_left_by(pid: u32) {
    let left = harness::database::leftovers().await;
    let containers: Vec<_> = left
        .containers
        .iter()
        .filter(|(_, p)| *p == Some(pid))
        .collect();
    let clusters: Vec<_> = left
        .clusters
        .iter()
        .filter(|(_, p)| *p == Some(pid))
        .collect();
    assert!(
        containers.is_empty() && clusters.is_empty(),
        "harness process {pid} left containers {containers:?} and clusters {clusters:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn the_long_revision_id_fails_on_postgres_and_mariadb_but_not_on_sqlite() {
    let (code, stdout, stderr, pid) = run(&example("broken"), &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let sqlite = line(&stdout, "upgrade/sqlite/python-3.12");
    assert!(
        sqlite.contains("passed") && !sqlite.contains("failed as expected"),
        "{sqlite}"
    );
    for postgres in ["postgres-13", "postgres-15", "postgres-17"] {
        let cell = line(&stdout, &format!("upgrade/{postgres}/python-3.12"));
        assert!(cell.contains("(matches)"), "{cell}");
        assert!(
            cell.contains("failed as expected")
                && cell.contains("value too long for type character varying(32)"),
            "{cell}"
        );
    }
    let mariadb = line(&stdout, "upgrade/mariadb-11/python-3.12");
    assert!(
        mariadb.contains("failed as expected")
            && mariadb.contains("Data too long for column 'version_num'"),
        "{mariadb}"
    );
    // The backends the matrix asks for, each started once.
    assert!(stderr.contains("engine postgres:15: local"), "{stderr}");
    for container in ["postgres:13", "postgres:17", "mariadb:11"] {
        assert!(
            stderr.contains(&format!("engine {container}: container")),
            "{stderr}"
        );
    }
    assert_nothing_left_by(pid).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn widening_the_version_column_first_passes_everywhere() {
    let (code, stdout, stderr, pid) = run(&example("fixed"), &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("5 cells: 5 passed, 0 failed"), "{stdout}");
    assert!(!stdout.contains("failed as expected"), "{stdout}");
    let snapshot =
        std::fs::read_to_string(example("fixed").join("snapshots/upgrade/postgres-17.snap"))
            .expect("the committed snapshot");
    assert!(snapshot.contains("column version_num character varying(255) not null"));
    assert!(snapshot.contains("row merge_notifications_into_activitylog_0915"));
    assert_nothing_left_by(pid).await;
}

/// `rows = { t = n }` counted with `SELECT COUNT(*) FROM "t"` on every engine, which MariaDB reads
/// as a string: the table name must be quoted the engine's way.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn row_counts_quote_table_names_the_engines_way() {
    let copy = tempfile::Builder::new()
        .prefix("harness-rows-")
        .tempdir()
        .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/long_revision_id");
    for entry in ["requirements.txt", "fixed"] {
        let status = Command::new("cp")
            .args(["-r"])
            .arg(root.join(entry))
            .arg(copy.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let dir = copy.path().join("fixed");
    let scenario = dir.join("scenarios/upgrade.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&scenario, format!("{text}rows = {{ activity_log = 0 }}\n")).unwrap();
    let (code, stdout, stderr, pid) = run(&dir, &["--database", "mariadb", "--database", "sqlite"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        line(&stdout, "upgrade/mariadb-11/python-3.12").contains("passed"),
        "{stdout}"
    );
    assert_nothing_left_by(pid).await;
}
