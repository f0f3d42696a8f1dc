//! A password given in an external server's URL (percent-encoded) and in `[project.env]` (raw), with
//! `@`, `%`, `/` and `?` in it, never appears in anything a run shows or writes, even when the
//! project's own migration prints the URL it connected to and the variable in its traceback.

mod common;

use std::sync::Arc;

use harness::config::{BackendChoice, DatabaseSpec};
use harness::database::{self, Engine};

const PASSWORD: &str = "Sup3r@S3cr%t/x?y";
const ENCODED: &str = "Sup3r%40S3cr%25t%2Fx%3Fy";

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn a_servers_password_never_appears_in_any_output() {
    // The "external" server: a local cluster, with a role whose password has every awkward
    // character.
    let mut local = DatabaseSpec::parse("postgres:15").expect("entry");
    local.settings.backend = BackendChoice::Local;
    let cluster: Arc<dyn Engine> = database::start(&local, None)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let probe = cluster.create().await.expect("a database");
    cluster
        .execute(
            &probe,
            &format!("CREATE ROLE keeper LOGIN CREATEDB PASSWORD '{PASSWORD}'"),
        )
        .await
        .expect("the role");
    let address = probe
        .url
        .split_once('@')
        .and_then(|(_, rest)| rest.rsplit_once('/'))
        .map(|(host, _)| host.to_string())
        .expect("host:port");

    let project = common::Project::league(&["python:3.12"]);
    project.write(
        "harness.toml",
        &format!(
            "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[project.env]\nAPP_SECRET = \"{PASSWORD}\"\n\n\
             [matrix]\ndatabases = [\"postgres:15\"]\nruntimes = [\"python:3.12\"]\n\n[runtime]\nbackend = \"local\"\n\n\
             [databases.\"postgres:15\"]\nbackend = \"external\"\nallow_external = true\n\
             url = \"postgresql://keeper:{ENCODED}@{address}/postgres\"\n"
        ),
    );
    // The project's own failure prints the URL it was given and the variable.
    project.write(
        "league/migrations/versions/0007_leak.py",
        "import os\n\nrevision = \"0007\"\ndown_revision = \"0006\"\nbranch_labels = None\ndepends_on = None\n\n\n\
         def upgrade():\n    print(\"connecting to\", os.environ[\"DATABASE_URL\"])\n    \
         raise RuntimeError(\"cannot migrate \" + os.environ[\"DATABASE_URL\"] + \" with \" + os.environ[\"APP_SECRET\"])\n\n\n\
         def downgrade():\n    pass\n",
    );
    let reports = project.path().join("reports");
    let summary = project.path().join("summary.md");
    let out = common::run(
        project
            .harness()
            .args(["run"])
            .arg(format!(
                "--report=json={}",
                reports.join("r.json").display()
            ))
            .arg(format!(
                "--report=junit={}",
                reports.join("r.xml").display()
            ))
            .arg(format!(
                "--report=markdown={}",
                reports.join("r.md").display()
            ))
            .env("GITHUB_STEP_SUMMARY", &summary),
    );
    assert_eq!(out.0, 1, "the upgrade fails: {}", common::transcript(&out));
    assert!(
        out.1.contains("cannot migrate postgresql://keeper:***@"),
        "the project's words are kept, its secret is not:\n{}",
        out.1
    );
    let mut shown = vec![
        ("stdout".to_string(), out.1.clone()),
        ("stderr".to_string(), out.2.clone()),
    ];
    for dir in [reports.as_path(), &project.path().join("snapshots")] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            shown.push((
                entry.path().display().to_string(),
                std::fs::read_to_string(entry.path()).unwrap_or_default(),
            ));
        }
    }
    shown.push((
        "step summary".into(),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    ));
    assert!(shown.len() >= 6, "{shown:?}");
    for (name, text) in &shown {
        for secret in [PASSWORD, ENCODED] {
            assert!(!text.contains(secret), "{name} shows the password:\n{text}");
        }
    }
    drop(probe);
    cluster.shutdown().await;
}
