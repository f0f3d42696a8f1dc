//! Every incident of the seeds, reproduced by an example, is caught — and each check can fail:
//! pointed at the broken variant without the expectation that documents the incident, the run fails
//! with the cause in the report. Also the built-in roundtrip and stepwise kinds, and data loss.
//! Real Alembic (or the project's own scripts) in real Python, on SQLite; the server-engine cells of
//! these examples run in the root matrix test and in tests/engines_*.rs.

mod common;

use std::path::Path;

use common::{Project, copy_dir, harness, migration, repo, run, transcript};

/// A copy of an example folder, run on SQLite only.
fn example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("harness-seed-")
        .tempdir()
        .unwrap();
    copy_dir(&repo().join("examples").join(name), dir.path());
    dir
}

fn sqlite_run(dir: &Path, config: Option<&str>) -> (i32, String, String) {
    let mut command = harness(dir);
    if let Some(config) = config {
        command.args(["--config", config]);
    }
    run(command.args(["run", "--quiet", "--database", "sqlite", "--jobs", "2"]))
}

/// The report line of a cell.
fn line<'a>(stdout: &'a str, id: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{id} ")))
        .unwrap_or("")
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} holds {from:?}");
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn tenant_upgrade_missing_tables_are_caught_by_convergence() {
    let dir = example("tenant-upgrade");
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "differs from `fresh` as expected (tables only in `fresh`: audit_log, sessions)"
        ),
        "{}",
        out.1
    );

    // Without the expectation that documents the incident, the run fails and names the tables.
    edit(
        dir.path(),
        "scenarios/tenant-upgrade.toml",
        "diverges_from = \"fresh\"\n",
        "",
    );
    edit(
        dir.path(),
        "scenarios/tenant-upgrade.toml",
        "tables_exclude = [\"sessions\", \"audit_log\"]\n",
        "",
    );
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        line(&out.1, "tenant-upgrade/sqlite/python-3.12").contains(" failed ")
            && out.1.contains("the schema differs from `fresh` on the same database and runtime (tables only in `fresh`: audit_log, sessions)"),
        "{}",
        out.1
    );
    assert!(
        out.1.contains("table sessions (removed)"),
        "the diff shows the missing table:\n{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn schema_sql_tables_outside_the_version_table_break_the_shipped_runner() {
    let dir = example("schema-sql-runner");
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1
            .contains("failed as expected: sqlite3.OperationalError: table tokens already exists"),
        "{}",
        out.1
    );

    edit(
        dir.path(),
        "scenarios/schema-sql-partial.toml",
        "fails_with = \"table tokens already exists\"",
        "",
    );
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        line(&out.1, "schema-sql-partial/sqlite/python-3.12").contains(" failed "),
        "{}",
        out.1
    );
    assert!(out.1.contains("table tokens already exists"), "{}", out.1);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_chain_with_two_heads_fails_from_the_fork_point_and_the_merge_fixes_it() {
    let dir = example("forked-chain");
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let out = sqlite_run(dir.path(), Some("harness.two-heads.toml"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1.contains("Multiple head revisions are present"),
        "{}",
        out.1
    );

    edit(
        dir.path(),
        "scenarios-two-heads/stamped-at-fork.toml",
        "fails_with = \"Multiple head revisions are present\"",
        "",
    );
    // Without the expected failure, that scenario's cells fail without running: the graph has two
    // heads. The rest of the run goes on.
    let out = sqlite_run(dir.path(), Some("harness.two-heads.toml"));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "the revision graph has 2 heads (019, 021), and this scenario upgrades to `head`"
        ) && out.1.contains("alembic merge heads")
            && out.1.contains("stamped-at-fork/sqlite"),
        "{}",
        transcript(&out)
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_database_behind_the_code_is_reported_as_drift() {
    let dir = example("deploy-drift");
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("drift: db=0001 expected=0002"), "{}", out.1);
    assert!(
        out.1.contains("no such column: ai_member_provider"),
        "{}",
        out.1
    );

    edit(
        dir.path(),
        "scenarios/image-ahead.toml",
        "drift = true",
        "drift = false",
    );
    let out = sqlite_run(dir.path(), None);
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("image-ahead/sqlite/python-3.12")
            && out.1.contains("drift: db=0001 expected=0002"),
        "{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn lost_rows_fail_the_rows_check() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "league/migrations/versions/0007_purge.py",
        &migration(
            "0007",
            "0006",
            "    op.execute(\"DELETE FROM players WHERE rating < 1000\")",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("expected 3 rows in `players`, found 2: the upgrade lost or added data"),
        "{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn roundtrip_and_stepwise_pass_on_a_sound_chain_and_name_the_revision_that_breaks() {
    let project = Project::league(&["python:3.12"]);
    let toml = project.read("harness.toml");
    project.write(
        "harness.toml",
        &format!("builtins = [\"roundtrip\", \"stepwise\"]\n\n{toml}"),
    );
    let out = run(project
        .harness()
        .args(["run", "--quiet", "roundtrip", "stepwise"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        line(&out.1, "roundtrip/sqlite/python-3.12").contains(" passed "),
        "{}",
        out.1
    );
    assert!(
        line(&out.1, "stepwise/sqlite/python-3.12").contains(" passed "),
        "{}",
        out.1
    );

    // A downgrade that cannot run: the roundtrip names the revision it stopped in.
    project.write(
        "league/migrations/versions/0007_tags.py",
        &migration(
            "0007",
            "0006",
            "    op.create_table(\"tags\", sa.Column(\"id\", sa.Integer, primary_key=True))",
        )
        .replace(
            "def downgrade():\n    pass",
            "def downgrade():\n    op.drop_table(\"no_such_table\")",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet", "roundtrip"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "step 2 `downgrade base` failed (exit code 1); it stopped in downgrade 0007 -> 0006"
        ),
        "{}",
        out.1
    );

    // An upgrade that cannot run: stepwise names the first failing revision.
    project.write(
        "league/migrations/versions/0008_broken.py",
        &migration(
            "0008",
            "0007",
            "    raise RuntimeError(\"broken on purpose\")",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet", "stepwise"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("first failing revision: 0008; step 8 `upgrade 0008` failed"),
        "{}",
        out.1
    );
}
