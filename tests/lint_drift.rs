//! `harness drift` against real SQLite files: current, behind, no version table, unreachable,
//! unreachable servers (with the password kept out of every message), `--wait`, and read-only.
//! Real servers are in lint_drift_servers.rs.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection};

const PROJECT: &str = "examples/lint-fork-merge";

/// Creates a SQLite file; with `versions`, an alembic_version table holding them.
fn database(path: &Path, versions: Option<&[&str]>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS teams (id INTEGER PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        if let Some(versions) = versions {
            let mut sql = String::from(
                "DROP TABLE IF EXISTS alembic_version; CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);",
            );
            for version in versions {
                sql.push_str(&format!("INSERT INTO alembic_version VALUES ('{version}');"));
            }
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    });
}

fn drift(url: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["drift", PROJECT, "--database-url", url])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("harness runs")
}

fn text(output: &Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn url(path: &Path) -> String {
    format!("sqlite:///{}", path.display())
}

#[test]
fn a_database_at_the_head_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    database(&db, Some(&["023"]));
    let (code, stdout, _) = text(&drift(&url(&db), &[]));
    assert_eq!((code, stdout.as_str()), (0, "current\n"));
}

#[test]
fn a_database_stamped_at_the_fork_point_drifts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    database(&db, Some(&["018"]));
    let before = std::fs::read(&db).unwrap();
    let (code, stdout, stderr) = text(&drift(&url(&db), &[]));
    assert_eq!((code, stdout.as_str()), (1, "drift: db=018 expected=023\n"));
    assert!(stderr.contains("5 revisions to apply"), "{stderr}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "drift wrote to the database"
    );
}

#[test]
fn a_revision_the_files_do_not_know_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    database(&db, Some(&["024", "019"]));
    let (code, stdout, stderr) = text(&drift(&url(&db), &[]));
    assert_eq!(
        (code, stdout.as_str()),
        (1, "drift: db=019,024 expected=023\n")
    );
    assert!(stderr.contains("no migration file defines 024"), "{stderr}");
}

#[test]
fn no_version_table_has_its_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    database(&db, None);
    let (code, stdout, _) = text(&drift(&url(&db), &[]));
    assert_eq!(code, 4, "{stdout}");
    assert!(
        stdout.starts_with("no version table: alembic_version"),
        "{stdout}"
    );
    database(&db, Some(&["023"]));
    let (code, stdout, _) = text(&drift(&url(&db), &["--version-table", "schema_version"]));
    assert_eq!(code, 4, "{stdout}");
    assert!(
        stdout.starts_with("no version table: schema_version"),
        "{stdout}"
    );
}

#[test]
fn a_missing_database_file_is_an_environment_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nothing.sqlite");
    let (code, _, stderr) = text(&drift(&url(&db), &[]));
    assert_eq!(code, 3, "{stderr}");
    assert!(!db.exists(), "drift created the database file");
}

#[test]
fn passwords_never_reach_the_output() {
    // Nothing listens on port 1: the servers are unreachable (exit 3), and the messages name them.
    for url in [
        "postgresql+psycopg://app:hunter2@127.0.0.1:1/app",
        "mysql://root:hunter2@127.0.0.1:1/app?password=hunter2",
    ] {
        let (code, stdout, stderr) = text(&drift(url, &[]));
        assert_eq!(code, 3, "{stderr}");
        assert!(
            !stdout.contains("hunter2") && !stderr.contains("hunter2"),
            "{stdout}{stderr}"
        );
        assert!(stderr.contains(":***@"), "{stderr}");
    }
}

#[test]
fn wait_polls_until_the_database_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    database(&db, Some(&["021"]));
    let upgrader = {
        let db = db.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            database(&db, Some(&["023"]));
        })
    };
    let (code, stdout, stderr) = text(&drift(&url(&db), &["--wait", "30", "--interval", "1"]));
    upgrader.join().unwrap();
    assert_eq!((code, stdout.as_str()), (0, "current\n"), "{stderr}");
    assert!(
        stderr.contains("waiting: drift: db=021 expected=023"),
        "{stderr}"
    );

    let (code, stdout, _) = text(&drift(&url(&db), &["--wait", "0"]));
    assert_eq!((code, stdout.as_str()), (0, "current\n"));
    database(&db, Some(&["019"]));
    let (code, stdout, _) = text(&drift(&url(&db), &["--wait", "1", "--interval", "1"]));
    assert_eq!((code, stdout.as_str()), (1, "drift: db=019 expected=023\n"));
}

#[test]
fn a_password_with_a_slash_is_hidden_and_the_fix_is_named() {
    let (code, stdout, stderr) = text(&drift("postgresql://app:pa/ss@127.0.0.1:1/app", &[]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        !stdout.contains("pa/ss") && !stderr.contains("pa/ss"),
        "{stderr}"
    );
    assert!(stderr.contains("percent-encoded"), "{stderr}");
}

/// An alembic.ini kept inside the package its `script_location` names (`src/shop/alembic.ini`
/// with `shop:db/migrations`, as Netflix's dispatch has it), found from the folder harness.toml
/// names: drift reads the graph and compares.
#[test]
fn an_ini_inside_the_package_it_names_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"src/shop\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    );
    write(
        "src/shop/alembic.ini",
        "[alembic]\nscript_location = shop:db/migrations\n",
    );
    write("scenarios/fresh.toml", "description = \"x\"\n");
    write("src/shop/__init__.py", "");
    write("src/shop/db/migrations/env.py", "");
    write(
        "src/shop/db/migrations/versions/0001_teams.py",
        "revision = \"0001\"\ndown_revision = None\n",
    );
    let db = root.join("app.sqlite");
    database(&db, Some(&["0001"]));
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["drift", "--database-url", &url(&db)])
        .current_dir(root)
        .output()
        .expect("harness runs");
    let (code, stdout, stderr) = text(&output);
    assert_eq!((code, stdout.as_str()), (0, "current\n"), "{stderr}");
    // A deploy guard keeps the URL out of argv: DATABASE_URL (or HARNESS_DATABASE_URL) serves.
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("drift")
        .env_remove("HARNESS_DATABASE_URL")
        .env("DATABASE_URL", url(&db))
        .current_dir(root)
        .output()
        .expect("harness runs");
    let (code, stdout, stderr) = text(&output);
    assert_eq!((code, stdout.as_str()), (0, "current\n"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("drift")
        .env_remove("HARNESS_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .current_dir(root)
        .output()
        .expect("harness runs");
    let (code, _, stderr) = text(&output);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr
            .contains("no database to check: give --database-url URL, or set HARNESS_DATABASE_URL"),
        "{stderr}"
    );
}
