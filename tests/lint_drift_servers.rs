//! `harness drift` against real servers: a local PostgreSQL 15 cluster, PostgreSQL 17 and MariaDB 11
//! in containers (the images named by HARNESS_IMAGE_*, from scripts/setup/20-engines.sh). Each is
//! read through the URL the migration tool gets (SQLAlchemy's form, with the driver where there is
//! one): no version table, behind, current, a schema-qualified table, a table that is not a version
//! table, a wrong password (kept out of the output); and nothing is written.

use std::process::Command;
use std::sync::Arc;

use harness::config::{BackendChoice, DatabaseSpec};
use harness::database::{self, CellDatabase, Engine};

const PROJECT: &str = "examples/lint-fork-merge";

fn drift(url: &str, extra: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["drift", PROJECT, "--database-url", url])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("harness runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every table of the cell database and every row of the version table, to show drift wrote
/// nothing.
async fn contents(engine: &Arc<dyn Engine>, db: &CellDatabase, tables_sql: &str) -> String {
    let tables = engine.query(db, tables_sql).await.expect("tables");
    let versions = engine
        .query(db, "SELECT version_num FROM alembic_version ORDER BY 1")
        .await
        .map(|rows| format!("{rows:?}"))
        .unwrap_or_else(|_| "no version table".into());
    format!("{tables:?} {versions}")
}

/// The URL with another password (`user:password@` is the URL's user info).
fn with_wrong_password(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (info, host) = rest.split_once('@').unwrap();
    let (user, password) = info.split_once(':').unwrap();
    (
        format!("{scheme}://{user}:not-{password}@{host}"),
        format!("not-{password}"),
    )
}

/// `checks_password`: the server asks for a password (a local cluster does; the test images may
/// trust loopback connections).
async fn check(spec: DatabaseSpec, tables_sql: &str, schema: Option<&str>, checks_password: bool) {
    let engine = database::start(&spec, None)
        .await
        .unwrap_or_else(|err| panic!("{spec}: {err}"));
    let db = engine.create().await.expect("a database");
    let url = db.url.clone();
    eprintln!("{spec}: {}", harness::drift::redact(&url));
    let execute = |sql: &'static str| {
        let engine = engine.clone();
        let db = &db;
        async move {
            engine
                .execute(db, sql)
                .await
                .unwrap_or_else(|err| panic!("{sql}: {err}"))
        }
    };
    execute("CREATE TABLE teams (id INT PRIMARY KEY)").await;

    let (code, stdout, stderr) = drift(&url, &[]);
    assert_eq!(code, 4, "{spec}: {stdout}{stderr}");
    assert!(
        stdout.starts_with("no version table: alembic_version"),
        "{stdout}"
    );

    execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)").await;
    execute("INSERT INTO alembic_version VALUES ('018')").await;
    let before = contents(&engine, &db, tables_sql).await;
    let (code, stdout, stderr) = drift(&url, &[]);
    assert_eq!(
        (code, stdout.as_str()),
        (1, "drift: db=018 expected=023\n"),
        "{spec}: {stderr}"
    );
    assert!(stderr.contains("5 revisions to apply"), "{stderr}");
    assert_eq!(
        contents(&engine, &db, tables_sql).await,
        before,
        "{spec}: drift wrote"
    );

    execute("UPDATE alembic_version SET version_num = '023'").await;
    let (code, stdout, stderr) = drift(&url, &[]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "current\n"),
        "{spec}: {stderr}"
    );
    // A table that is not a version table: read once, not retried by --wait, exit 3.
    let (code, _, stderr) = drift(&url, &["--version-table", "teams", "--wait", "600"]);
    assert_eq!(code, 3, "{spec}: {stderr}");
    assert!(stderr.contains("cannot read the version table"), "{stderr}");
    assert!(!stderr.contains("waiting:"), "{stderr}");
    let schema = schema.map(str::to_string).unwrap_or_else(|| {
        // MariaDB's schema is the database the URL names.
        url.rsplit('/').next().unwrap().to_string()
    });
    {
        let qualified = format!("{schema}.alembic_version");
        let (code, stdout, stderr) = drift(&url, &["--version-table", &qualified]);
        assert_eq!(
            (code, stdout.as_str()),
            (0, "current\n"),
            "{spec}: {stderr}"
        );
        let (code, stdout, _) = drift(&url, &["--version-table", "elsewhere.alembic_version"]);
        assert_eq!(code, 4, "{stdout}");
    }

    if checks_password {
        let (wrong, password) = with_wrong_password(&url);
        let (code, stdout, stderr) = drift(&wrong, &[]);
        assert_eq!(code, 3, "{spec}: {stdout}{stderr}");
        assert!(
            stderr.contains("password authentication failed"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(&password) && !stdout.contains(&password),
            "{stdout}{stderr}"
        );
    }

    drop(db);
    let warnings = engine.shutdown().await;
    assert!(warnings.is_empty(), "{warnings:?}");
}

const POSTGRES_TABLES: &str = "SELECT table_name FROM information_schema.tables \
     WHERE table_schema = 'public' ORDER BY 1";
const MARIADB_TABLES: &str = "SELECT table_name FROM information_schema.tables \
     WHERE table_schema = DATABASE() ORDER BY 1";

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn postgres_15_as_a_local_cluster() {
    let mut spec = DatabaseSpec::parse("postgres:15").expect("entry");
    spec.settings.backend = BackendChoice::Local;
    check(spec, POSTGRES_TABLES, Some("public"), true).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn postgres_17_in_a_container() {
    let spec = DatabaseSpec::parse("postgres:17").expect("entry");
    check(spec, POSTGRES_TABLES, Some("public"), false).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn mariadb_11_in_a_container() {
    let spec = DatabaseSpec::parse("mariadb:11").expect("entry");
    check(spec, MARIADB_TABLES, None, false).await;
}
