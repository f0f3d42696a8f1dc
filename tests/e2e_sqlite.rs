//! End to end on the embedded default: real Alembic in real Python 3.10 and 3.12 interpreters,
//! against SQLite files, through the `harness` binary. Covers the life of a snapshot (written,
//! matched, changed, reviewed, accepted), CI mode (pending files only), failing and expected-failing upgrades, unknown
//! revisions, runtime divergence and a missing interpreter.

mod common;

use common::{Project, migration, repo, run, transcript};

const BOTH: &[&str] = &["python:3.10", "python:3.12"];

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn the_repositorys_sqlite_cells_match_their_committed_snapshots() {
    // The README's first command, in check mode: every example's SQLite cells, no Docker.
    let out =
        run(common::harness(&repo()).args(["run", "--check", "--quiet", "--database", "sqlite"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1
            .contains(" passed, 0 failed, 0 snapshot changed, 0 errors"),
        "{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn the_warm_worker_and_new_processes_give_the_same_report() {
    // Every example's SQLite cells, once forking each tool process from the warm worker and once
    // starting each as a new Python process: verdicts, details, steps, output tails and snapshot
    // notes are the same; only durations differ.
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for (name, extra) in [("worker", None), ("processes", Some("--no-worker"))] {
        let path = dir.path().join(format!("{name}.json"));
        let out = run(common::harness(&repo())
            .args(["run", "--check", "--quiet", "--database", "sqlite"])
            .args(extra)
            .arg(format!("--report=json={}", path.display())));
        assert_eq!(out.0, 0, "{name}: {}", transcript(&out));
        reports.push(common::report_cells(&path));
    }
    assert!(reports[0].len() > 20, "{:?}", reports[0]);
    assert_eq!(reports[0], reports[1]);
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn the_repository_matrix_matches_its_committed_snapshots() {
    // Every example is a member of the root harness.toml: their server-engine cells run on the
    // engines scripts/setup/20-engines.sh provides.
    let out = run(common::harness(&repo()).args(["run", "--check", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1
            .contains(" passed, 0 failed, 0 snapshot changed, 0 errors"),
        "{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn snapshots_are_written_then_matched_then_changes_are_caught_and_accepted() {
    let project = Project::league(BOTH);

    // First run: snapshots are written, every cell passes.
    let first = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(first.0, 0, "{}", transcript(&first));
    assert!(
        first.1.contains("snapshots/fresh/sqlite.snap (written)"),
        "{}",
        first.1
    );
    let fresh = project.read("snapshots/fresh/sqlite.snap");
    assert!(fresh.starts_with("---\nsource: harness\n"), "{fresh}");
    assert!(fresh.contains("table players\n"), "{fresh}");
    assert!(
        fresh.contains(
            "version table alembic_version\n  column version_num VARCHAR(32) not null\n  row 0006"
        ),
        "{fresh}"
    );

    // Second run: everything matches, nothing is rewritten.
    let second = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(second.0, 0, "{}", transcript(&second));
    assert_eq!(second.1.matches("(matches)").count(), 4, "{}", second.1);
    assert_eq!(project.read("snapshots/fresh/sqlite.snap"), fresh);

    // A new migration changes the schema: the run fails with a readable diff and a pending file.
    project.write(
        "league/migrations/versions/0007_nickname.py",
        &migration(
            "0007",
            "0006",
            "    op.add_column(\"players\", sa.Column(\"nickname\", sa.String(40)))",
        ),
    );
    let changed = run(project.harness().args(["run", "--quiet", "fresh"]));
    assert_eq!(changed.0, 1, "{}", transcript(&changed));
    assert!(changed.1.contains("snapshot changed"), "{}", changed.1);
    assert!(
        changed.1.contains("+  column nickname VARCHAR(40)"),
        "{}",
        changed.1
    );
    assert!(
        changed.1.contains("-  row 0006\n") && changed.1.contains("+  row 0007"),
        "{}",
        changed.1
    );
    assert!(project.exists("snapshots/fresh/sqlite.snap.new"));
    assert_eq!(
        project.read("snapshots/fresh/sqlite.snap"),
        fresh,
        "the snapshot itself is untouched"
    );
    // Both runtimes changed the snapshot the same way: the diff is shown once.
    assert_eq!(
        changed.1.matches("+  column nickname VARCHAR(40)").count(),
        1,
        "{}",
        changed.1
    );
    common::snapshot(
        "run_snapshot_changed_on_both_runtimes",
        project.path(),
        transcript(&changed),
    );

    // review shows the pending diff; accept takes it; the next run passes.
    let review = run(project.harness().arg("review"));
    assert_eq!(review.0, 0);
    assert!(
        review.1.contains("+  column nickname VARCHAR(40)"),
        "{}",
        review.1
    );
    let accept = run(project.harness().arg("accept"));
    assert_eq!(accept.0, 0);
    assert!(
        accept.1.contains("accepted snapshots/fresh/sqlite.snap"),
        "{}",
        accept.1
    );
    assert!(!project.exists("snapshots/fresh/sqlite.snap.new"));
    let after = run(project.harness().args(["run", "--quiet", "fresh"]));
    assert_eq!(after.0, 0, "{}", transcript(&after));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn ci_mode_never_writes_a_snapshot_and_leaves_the_new_text_pending() {
    let project = Project::league(&["python:3.12"]);
    let out = run(project.harness().args(["run", "--quiet"]).env("CI", "true"));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(out.1.contains("snapshot missing"), "{}", out.1);
    assert!(
        !project.exists("snapshots/fresh/sqlite.snap"),
        "CI mode must not write snapshots"
    );
    assert!(
        project
            .read("snapshots/fresh/sqlite.snap.new")
            .contains("table players\n"),
        "the new snapshot is pending for review"
    );

    // Taken locally, the snapshots pass in CI.
    assert_eq!(run(project.harness().arg("accept")).0, 0);
    let fresh = project.read("snapshots/fresh/sqlite.snap");
    let out = run(project.harness().args(["run", "--quiet"]).env("CI", "1"));
    assert_eq!(out.0, 0, "{}", transcript(&out));

    // A changed schema fails in CI with the diff; the snapshot is untouched, the new text pending.
    project.write(
        "league/migrations/versions/0007_founded.py",
        &migration(
            "0007",
            "0006",
            "    op.add_column(\"teams\", sa.Column(\"founded\", sa.Integer))",
        ),
    );
    let out = run(project
        .harness()
        .args(["run", "--quiet", "fresh"])
        .env("CI", "1"));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("@@ table teams @@\n") && out.1.contains("+  column founded INTEGER"),
        "{}",
        out.1
    );
    assert!(
        out.1
            .contains("(changed, pending snapshots/fresh/sqlite.snap.new)"),
        "{}",
        out.1
    );
    assert_eq!(project.read("snapshots/fresh/sqlite.snap"), fresh);
    assert!(
        project
            .read("snapshots/fresh/sqlite.snap.new")
            .contains("column founded INTEGER")
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn run_accept_rewrites_changed_snapshots_in_place() {
    let project = Project::league(&["python:3.12"]);
    assert_eq!(
        run(project.harness().args(["run", "--quiet", "fresh"])).0,
        0
    );
    project.write(
        "league/migrations/versions/0007_scores.py",
        &migration(
            "0007",
            "0006",
            "    op.create_table(\"scores\", sa.Column(\"id\", sa.Integer, primary_key=True))",
        ),
    );
    let out = run(project
        .harness()
        .args(["run", "--quiet", "--accept", "fresh"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("(updated)"), "{}", out.1);
    assert!(
        project
            .read("snapshots/fresh/sqlite.snap")
            .contains("table scores\n")
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_failing_migration_reports_the_step_the_file_and_the_tool_output() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "league/migrations/versions/0007_broken.py",
        &migration(
            "0007",
            "0006",
            "    op.execute(\"INSERT INTO no_such_table VALUES (1)\")",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    let stdout = &out.1;
    assert!(
        stdout.contains("partial/sqlite/python-3.12  failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("step 3 `upgrade head (target)` failed (exit code 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0007_broken.py"),
        "the migration file is named:\n{stdout}"
    );
    assert!(
        stdout.contains("no such table: no_such_table"),
        "the tool's own error is shown:\n{stdout}"
    );
    assert!(stdout.contains("runtime: python:3.12 3.12"), "{stdout}");
    assert!(
        !stdout.contains("SQLite's dialect refused"),
        "a missing table is not the dialect's: {stdout}"
    );
}

/// A requirement the package index does not have fails every runtime the same way: the report
/// shows it once, whatever interpreter and scratch folder each installer's message names, because
/// the cells carry the installer's typed failure (in the JSON report too).
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_requirement_the_index_lacks_is_one_failure_on_every_runtime() {
    let project = Project::league(BOTH);
    project.write(
        "league/requirements.txt",
        "alembic==1.13.3\nSQLAlchemy==2.0.36\nsqlalchemy-utilz-not-a-package==9.9\n",
    );
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\nrequirements = \"league/requirements.txt\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.10\", \"python:3.12\"]\n",
    );
    let report = project.path().join("report.json");
    let out = run(project.harness().args([
        "run",
        "--quiet",
        "fresh",
        "--report",
        &format!("json={}", report.display()),
    ]));
    assert_eq!(out.0, 3, "an environment error: {}", transcript(&out));
    let stdout = &out.1;
    assert_eq!(
        stdout.matches("\n--- ").count(),
        1,
        "one failure, shown once:\n{stdout}"
    );
    assert!(
        stdout.contains("the same on 1 more cell: fresh/sqlite/python-3.12"),
        "{stdout}"
    );
    let cells = common::report_cells(&report);
    let signatures: Vec<&str> = cells
        .iter()
        .map(|cell| cell["signature"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(signatures.len(), 2);
    assert!(
        signatures[0].contains("sqlalchemy-utilz-not-a-package") && signatures[0] == signatures[1],
        "{signatures:?}"
    );
}

/// A database error whose SQL is longer than the excerpt still shows the exception's own line, in
/// the terminal and the JSON report, and the failure names the revision it stopped in: both come
/// from the entry point's records, not from the tool's output.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_long_statements_error_keeps_its_own_line_and_names_the_revision() {
    let project = Project::league(&["python:3.12"]);
    let columns: Vec<String> = (0..40).map(|n| format!("    column_{n}")).collect();
    project.write(
        "league/migrations/versions/0007_broken.py",
        &migration(
            "0007",
            "0006",
            &format!(
                "    op.execute(\"\"\"SELECT\n{}\nFROM no_such_table\"\"\")",
                columns.join(",\n")
            ),
        ),
    );
    let json = project.path().join("report.json");
    let out = run(project.harness().args([
        "run",
        "--quiet",
        "fresh",
        "--report",
        &format!("json={}", json.display()),
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    let line = "sqlite3.OperationalError) no such table: no_such_table";
    assert!(out.1.contains(line), "{}", out.1);
    assert!(
        out.1.contains("it stopped in upgrade 0006 -> 0007"),
        "{}",
        out.1
    );
    let report = std::fs::read_to_string(&json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&report).unwrap();
    let tail = value["cells"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|step| step["output_tail"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(tail.contains(line), "{tail}");
    assert!(tail.contains("column_39"), "the SQL's end stays: {tail}");
}

/// A migration only PostgreSQL can run fails its SQLite cell with the hint to add a server engine;
/// other failures never get that hint (above).
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_migration_sqlites_dialect_refuses_suggests_a_server_engine() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "league/migrations/versions/0007_jsonb.py",
        &migration(
            "0007",
            "0006",
            "    from sqlalchemy.dialects import postgresql\n    op.add_column(\"players\", sa.Column(\"stats\", postgresql.JSONB()))",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet", "fresh"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("can't render element of type JSONB"),
        "{}",
        out.1
    );
    assert!(
        out.1.contains("SQLite's dialect refused the migration: a project written for a server engine needs it in matrix.databases"),
        "{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_failing_sql_step_names_its_location() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "scenarios/partial.toml",
        "[[steps]]\nupgrade = \"0002\"\n\n[[steps]]\nsql = \"INSERT INTO players (nickname) VALUES ('x')\"\n",
    );
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("step 2 `sql (inline)` failed (SQL error)")
            && out.1.contains("  step 2 at scenarios/partial.toml:4:1"),
        "{}",
        out.1
    );
    assert!(out.1.contains("nickname"), "{}", out.1);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_expected_failure_is_a_pass_and_an_unexpected_success_is_not() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "league/migrations/versions/0007_duplicate.py",
        &migration(
            "0007",
            "0006",
            "    op.create_table(\"teams\", sa.Column(\"id\", sa.Integer, primary_key=True))",
        ),
    );
    project.write(
        "scenarios/partial.toml",
        "description = \"creating teams twice fails\"\n\n[expect]\noutcome = \"failure\"\n",
    );
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("failed as expected"), "{}", out.1);
    assert!(out.1.contains("failed as expected: sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table teams already exists"), "{}", out.1);

    std::fs::remove_file(
        project
            .path()
            .join("league/migrations/versions/0007_duplicate.py"),
    )
    .unwrap();
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("expects a failure, but every step and the upgrade succeeded"),
        "{}",
        out.1
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_unknown_revision_is_a_configuration_error_at_its_line() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "scenarios/partial.toml",
        "description = \"x\"\n\n[[steps]]\nupgrade = \"0042\"\n",
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2
            .starts_with("error: scenarios/partial.toml:4:11: unknown revision `0042`"),
        "{}",
        out.2
    );
    assert!(
        out.2
            .contains("known revisions: 0001, 0002, 0003, 0004, 0005, 0006"),
        "{}",
        out.2
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn runtimes_that_leave_different_schemas_fail_naming_both() {
    let project = Project::league(BOTH);
    project.write(
        "league/migrations/versions/0007_version_dependent.py",
        &migration(
            "0007",
            "0006",
            "    import sys\n    if sys.version_info >= (3, 11):\n        op.create_table(\"audit\", sa.Column(\"id\", sa.Integer, primary_key=True))",
        ),
    );
    let out = run(project
        .harness()
        .args(["run", "--quiet", "--jobs", "1", "fresh"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("runtimes disagree: python-3.12 leaves a different schema than python-3.10"),
        "{}",
        out.1
    );
    assert!(out.1.contains("+table audit"), "{}", out.1);
}

#[test]
fn a_missing_interpreter_is_an_environment_error_listing_where_it_looked() {
    let project = Project::league(&["python:3.99"]);
    let out = run(project.harness().args(["run", "--quiet", "fresh"]));
    assert_eq!(out.0, 3, "{}", transcript(&out));
    assert!(
        out.1.contains("fresh/sqlite/python-3.99  error"),
        "{}",
        out.1
    );
    assert!(
        out.1
            .contains("runtime python:3.99 is not available: no interpreter found for python:3.99"),
        "{}",
        out.1
    );
    let out = run(project.harness().args(["run", "fresh"]));
    assert!(out.2.contains("pyenv: no 3.99* folder in"), "{}", out.2);
    assert!(out.2.contains("PATH: no `python3.99`"), "{}", out.2);
    // The whole search list is in every report, not only on stderr's progress lines (which
    // `--quiet` drops): the terminal report, JSON and JUnit.
    let json = project.path().join("report.json");
    let junit = project.path().join("report.xml");
    let quiet = run(project.harness().args([
        "run",
        "--quiet",
        "fresh",
        "--report",
        &format!("json={}", json.display()),
        "--report",
        &format!("junit={}", junit.display()),
    ]));
    let json = std::fs::read_to_string(&json).unwrap();
    let junit = std::fs::read_to_string(&junit).unwrap();
    for (name, text) in [("terminal", &quiet.1), ("json", &json), ("junit", &junit)] {
        assert!(
            text.contains("pyenv: no 3.99* folder in") && text.contains("PATH: no `python3.99`"),
            "{name}: {text}"
        );
    }
}

/// Two heads where scenarios upgrade to `head`: their cells fail without running, one message for
/// all of them, exit 1.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn two_heads_stop_the_run_with_one_message() {
    let project = Project::league(&["python:3.10", "python:3.12"]);
    project.write(
        "league/migrations/versions/0007_second_head.py",
        &migration(
            "0007",
            "0005",
            "    op.add_column(\"teams\", sa.Column(\"city\", sa.String(40)))",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    common::snapshot("run_two_heads", project.path(), transcript(&out));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_explicit_interpreter_path_is_used() {
    let project = Project::league(&["python:3.12"]);
    let python = harness_python("3.12");
    project.write(
        "harness.toml",
        &format!(
            "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\nruntimes = [\"python:3.12\"]\n\n[runtimes.\"python:3.12\"]\ninterpreter = \"{}\"\n",
            python.display()
        ),
    );
    let out = run(project.harness().args(["run", "fresh"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.2.contains("found via harness.toml"), "{}", out.2);
}

/// A Python of that version on this machine, as the harness itself finds it.
fn harness_python(version: &str) -> std::path::PathBuf {
    let spec = harness::config::RuntimeSpec::parse(&format!("python:{version}")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(harness::runtime::find_interpreter(&spec))
        .expect("the test machine has this Python")
        .path
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn the_report_of_a_run_with_a_pass_and_a_failure() {
    let project = Project::league(&["python:3.12"]);
    assert_eq!(
        run(project.harness().args(["run", "--quiet", "fresh"])).0,
        0
    );
    project.write(
        "league/migrations/versions/0007_broken.py",
        &migration(
            "0007",
            "0006",
            "    raise RuntimeError(\"this migration is broken\")",
        ),
    );
    project.write("scenarios/stamped.toml", "description = \"stamped at head, nothing to do\"\n\n[[steps]]\nstamp = \"0007\"\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n");
    let out = run(project
        .harness()
        .args(["run", "--jobs", "1", "fresh", "stamped"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    common::snapshot(
        "run_report_pass_and_failure",
        project.path(),
        transcript(&out),
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_command_tool_around_alembic_files_keeps_lint_and_checks_revisions_before_any_cell() {
    let project = Project::league(&["python:3.12"]);
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write(
        "harness.toml",
        "[project]\ntool = \"command\"\npath = \"league\"\nupgrade = [\"python\", \"-m\", \"alembic\", \"upgrade\", \"head\"]\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    );
    project.write(
        "scenarios/fresh.toml",
        "description = \"x\"\n\n[expect]\nversion = [\"0042\"]\n",
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2
            .starts_with("error: scenarios/fresh.toml:4:12: unknown revision `0042`"),
        "{}",
        out.2
    );
    assert!(!out.1.contains("fresh/sqlite"), "no cell ran: {}", out.1);

    let lint = run(project.harness().arg("lint"));
    assert_eq!(lint.0, 0, "{}", transcript(&lint));
    let graph = run(project.harness().arg("graph"));
    assert_eq!(graph.0, 0, "{}", transcript(&graph));
    assert!(graph.1.contains("0006"), "{}", graph.1);
}

/// A syntax error in one migration: no runtime can load the revision graph, so the run stops
/// before any cell with the error once (it printed the same traceback once per cell and runtime,
/// 159 lines, and exited 1).
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_revision_graph_no_runtime_can_load_stops_the_run_with_one_message() {
    let project = Project::league(&["python:3.10", "python:3.12"]);
    let file = "league/migrations/versions/0005_player_email.py";
    let text = project
        .read(file)
        .replacen("def upgrade", "def upgrade(:", 1);
    project.write(file, &text);
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    common::snapshot("run_graph_cannot_load", project.path(), transcript(&out));
    assert!(
        out.2.contains("help: fix the file the error points at"),
        "{}",
        out.2
    );

    // A settings check that refuses to load is no file to fix: the help says what to set.
    // (A revision that imports the project's settings, as real ones do.)
    project.write(
        file,
        &format!(
            "import os\nif not os.environ.get(\"LEAGUE_SECRET\"):\n    raise RuntimeError(\"You must set the LEAGUE_SECRET environment variable\")\n{}",
            text.replacen("def upgrade(:", "def upgrade", 1)
        ),
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2.contains(
            "help: the project's settings refuse to load without a value it is not given"
        ),
        "{}",
        out.2
    );
}

/// Verdicts and diffs in colour when asked (CLICOLOR_FORCE, as on a terminal); NO_COLOR wins.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn the_run_report_is_coloured_on_request_and_plain_with_no_color() {
    let project = Project::league(&["python:3.12"]);
    let coloured = run(project
        .harness()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["run", "--quiet", "fresh"]));
    assert_eq!(coloured.0, 0, "{}", transcript(&coloured));
    assert!(
        coloured.1.contains("\x1b[32mpassed\x1b[0m"),
        "{:?}",
        coloured.1
    );
    let plain = run(project
        .harness()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .args(["run", "--quiet", "fresh"]));
    assert_eq!(plain.0, 0, "{}", transcript(&plain));
    assert!(!plain.1.contains('\x1b'), "{:?}", plain.1);
}

/// `--last-failed` reruns only what did not pass last time, and everything once nothing fails.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn last_failed_reruns_only_the_cells_that_did_not_pass() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "scenarios/broken.toml",
        "[[steps]]\nupgrade = \"0002\"\n\n[[steps]]\nsql = \"INSERT INTO nowhere VALUES (1)\"\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let first = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(first.0, 1, "{}", transcript(&first));
    assert!(first.1.contains("fresh/sqlite/python-3.12"), "{}", first.1);

    let again = run(project.harness().args(["run", "--last-failed"]));
    assert_eq!(again.0, 1, "{}", transcript(&again));
    assert!(
        again.1.contains("broken/sqlite/python-3.12") && !again.1.contains("fresh/sqlite"),
        "{}",
        again.1
    );
    assert!(
        again
            .2
            .contains("--last-failed: running the 1 cell that did not pass last time"),
        "{}",
        again.2
    );

    project.write(
        "scenarios/broken.toml",
        "[[steps]]\nupgrade = \"0002\"\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let fixed = run(project.harness().args(["run", "--quiet", "--last-failed"]));
    assert_eq!(fixed.0, 0, "{}", transcript(&fixed));
    assert!(!fixed.1.contains("fresh/sqlite"), "{}", fixed.1);

    let all = run(project.harness().args(["run", "--last-failed"]));
    assert_eq!(all.0, 0, "{}", transcript(&all));
    assert!(all.1.contains("fresh/sqlite/python-3.12"), "{}", all.1);
    assert!(
        all.2
            .contains("every selected cell passed last time; running them all"),
        "{}",
        all.2
    );
}

/// `--fail-fast` starts no cell after the first one that failed, and says which were not run.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn fail_fast_stops_starting_cells_after_the_first_failure() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "scenarios/aaa-broken.toml",
        "[[steps]]\nsql = \"INSERT INTO nowhere VALUES (1)\"\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let report = project.path().join("report.json");
    let out = run(project.harness().args([
        "run",
        "--quiet",
        "--jobs",
        "1",
        "--fail-fast",
        "--report",
        &format!("json={}", report.display()),
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    // The summaries count the cells that never ran; the JSON report names them.
    assert!(
        out.1
            .contains("1 cell: 0 passed, 1 failed, 0 snapshot changed, 0 errors; 2 not run"),
        "{}",
        transcript(&out)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        json["not_run"],
        serde_json::json!(["fresh/sqlite/python-3.12", "partial/sqlite/python-3.12"])
    );
    assert!(
        out.1.contains("aaa-broken/sqlite/python-3.12  failed"),
        "{}",
        out.1
    );
    assert!(!out.1.contains("fresh/sqlite/python-3.12 "), "{}", out.1);
    assert!(
        out.1.contains(
            "warning: --fail-fast: stopped after aaa-broken/sqlite/python-3.12 failed; 2 cells not run: fresh/sqlite/python-3.12, partial/sqlite/python-3.12"
        ),
        "{}",
        out.1
    );
    // --last-failed then runs the failed cell and the two that never ran.
    let again = run(project.harness().args(["run", "--last-failed"]));
    assert!(
        again
            .2
            .contains("--last-failed: running the 3 cells that did not pass last time"),
        "{}",
        transcript(&again)
    );
    for cell in [
        "aaa-broken/sqlite/python-3.12",
        "fresh/sqlite/python-3.12",
        "partial/sqlite/python-3.12",
    ] {
        assert!(again.1.contains(cell), "{cell}:\n{}", transcript(&again));
    }
}

/// An upgrade command that exits 0 but does nothing used to pass with `(no tables)`. It fails now:
/// without a file, without a table, and without the version table it was configured to keep.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_upgrade_command_that_does_nothing_fails_the_cell() {
    let project = Project::league(&["python:3.12"]);
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write("scenarios/fresh.toml", "description = \"x\"\n");
    let cases = [
        (
            "upgrade = [\"python\", \"-c\", \"pass\"]\n",
            "the upgrade reported success, but it left no database",
        ),
        (
            "upgrade = [\"python\", \"-c\", \"import os, sqlite3; sqlite3.connect(os.environ['HARNESS_SQLITE_PATH']).close()\"]\nversion_table = \"\"\n",
            "the upgrade reported success, but the database holds no table afterwards",
        ),
        (
            "upgrade = [\"python\", \"-c\", \"import os, sqlite3; c = sqlite3.connect(os.environ['HARNESS_SQLITE_PATH']); c.execute('CREATE TABLE t (id INTEGER)'); c.commit()\"]\nversion_table = \"schema_migrations\"\n",
            "the database has no `schema_migrations` table (the configured version table) afterwards",
        ),
    ];
    for (project_lines, message) in cases {
        project.write(
            "harness.toml",
            &format!(
                "[project]\ntool = \"command\"\n{project_lines}\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n"
            ),
        );
        let out = run(project.harness().args(["run", "--quiet", "--check"]));
        assert_eq!(out.0, 1, "{project_lines}\n{}", transcript(&out));
        assert!(out.1.contains(message), "{project_lines}\n{}", out.1);
        assert!(
            out.1.contains("`url_env`, DATABASE_URL by default"),
            "{}",
            out.1
        );
    }
}

/// An env.py that finds nothing to migrate in an empty database (it migrates each tenant's schema,
/// and there is none yet) reports success: the step fails, and the message names both causes.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_env_py_that_migrates_nothing_fails_the_cell_naming_both_causes() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "league/migrations/env.py",
        r#"from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(
    config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
)
# Each tenant's tables are migrated; an empty database has no tenant.
with engine.connect() as connection:
    tenants = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE name LIKE 'tenant_%'"
    ).fetchall()
    for tenant in tenants:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
"#,
    );
    let out = run(project
        .harness()
        .args(["run", "fresh", "--quiet", "--check"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    for text in [
        "left no version table",
        "env.py migrated nothing there",
        "or it found nothing to migrate in an empty database",
    ] {
        assert!(out.1.contains(text), "{text}\n{}", out.1);
    }
}

/// The same on PostgreSQL, where a do-nothing command used to pass with `(no tables)` and `version
/// table: absent`; and a command that migrates passes there, with the URL naming the installed
/// driver.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a PostgreSQL image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn an_upgrade_command_that_does_nothing_fails_on_postgres_too() {
    let project = Project::league(&["python:3.12"]);
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write("scenarios/fresh.toml", "description = \"x\"\n");
    let config = |upgrade: &str, version_table: &str| {
        format!(
            "[project]\ntool = \"command\"\npath = \"league\"\npackages = [\"alembic==1.13.3\", \"SQLAlchemy==2.0.36\", \"psycopg[binary]==3.2.3\"]\n{upgrade}\nversion_table = \"{version_table}\"\n\n[matrix]\ndatabases = [\"postgres:17\"]\nruntimes = [\"python:3.12\"]\n\n[databases.\"postgres:17\"]\nbackend = \"container\"\n"
        )
    };
    project.write(
        "harness.toml",
        &config(
            "upgrade = [\"python\", \"-c\", \"pass\"]",
            "alembic_version",
        ),
    );
    let out = run(project.harness().args(["run", "--quiet", "--check"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "the database has no `alembic_version` table (the configured version table) afterwards"
        ),
        "{}",
        out.1
    );
    // Only psycopg 3 is installed: the URL the command gets must name it (a bare postgresql://
    // means psycopg2 to SQLAlchemy).
    project.write(
        "league/stamp.py",
        "import os\n\nimport sqlalchemy as sa\n\nengine = sa.create_engine(os.environ['DATABASE_URL'])\nwith engine.begin() as connection:\n    connection.execute(sa.text('CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)'))\n    connection.execute(sa.text(\"INSERT INTO alembic_version VALUES ('0006')\"))\n",
    );
    project.write(
        "harness.toml",
        &config("upgrade = [\"python\", \"stamp.py\"]", "alembic_version"),
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

/// A project that checks its database exists before migrating, on a connection to the server that
/// names no database (sqlalchemy_utils' database_exists on MySQL, as CTFd does): that connection
/// runs on the cell's database instead of being refused.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a MariaDB image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_server_connection_that_names_no_database_runs_on_the_cells() {
    let project = Project::league(&["python:3.12"]);
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write("scenarios/fresh.toml", "description = \"x\"\n");
    let env_py = project.read("league/migrations/env.py");
    project.write(
        "league/migrations/env.py",
        &env_py.replace(
            "def run_migrations_online():\n",
            "def run_migrations_online():\n    import sqlalchemy as sa\n    from sqlalchemy.engine import make_url\n    server = make_url(config.get_main_option(\"sqlalchemy.url\")).set(database=\"\")\n    with sa.create_engine(server).connect() as check:\n        check.execute(sa.text(\"SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA\"))\n",
        ),
    );
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\npackages = [\"alembic==1.13.3\", \"SQLAlchemy==2.0.36\", \"PyMySQL==1.1.1\"]\n\n[matrix]\ndatabases = [\"mariadb:11\"]\nruntimes = [\"python:3.12\"]\n\n[databases.\"mariadb:11\"]\nbackend = \"container\"\n",
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

/// An async-only project (asyncpg and no sync driver, an async env.py, as Prefect is): the cell's
/// URL names asyncpg instead of failing for want of psycopg2.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a PostgreSQL image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn an_async_only_project_gets_its_async_driver_on_postgres() {
    let project = Project::league(&["python:3.12"]);
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write("scenarios/fresh.toml", "description = \"x\"\n");
    project.write(
        "league/migrations/env.py",
        "import asyncio\n\nfrom alembic import context\nfrom sqlalchemy import pool\nfrom sqlalchemy.ext.asyncio import async_engine_from_config\n\nconfig = context.config\n\n\ndef do_run_migrations(connection):\n    context.configure(connection=connection, target_metadata=None)\n    with context.begin_transaction():\n        context.run_migrations()\n\n\nasync def run_async_migrations():\n    connectable = async_engine_from_config(\n        config.get_section(config.config_ini_section, {}),\n        prefix=\"sqlalchemy.\",\n        poolclass=pool.NullPool,\n    )\n    async with connectable.connect() as connection:\n        await connection.run_sync(do_run_migrations)\n    await connectable.dispose()\n\n\nasyncio.run(run_async_migrations())\n",
    );
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\npackages = [\"alembic==1.13.3\", \"SQLAlchemy[asyncio]==2.0.36\", \"asyncpg==0.30.0\"]\n\n[matrix]\ndatabases = [\"postgres:17\"]\nruntimes = [\"python:3.12\"]\n\n[databases.\"postgres:17\"]\nbackend = \"container\"\n",
    );
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

/// An env.py that keeps its version table in a schema of its own (`version_table_schema`), as
/// Netflix's dispatch does: the bare name finds it there; when another schema holds a table of
/// that name too, the cell says which schemas and what to write, and `schema.name` passes.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs PostgreSQL server binaries: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_version_table_in_a_schema_of_its_own_is_found_or_named() {
    let project = Project::league(&["python:3.12"]);
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write("scenarios/fresh.toml", "description = \"x\"\n");
    let env_py = project.read("league/migrations/env.py");
    let with_schema = |tenant_table: bool| {
        let tenant = if tenant_table {
            "        setup.exec_driver_sql(\"CREATE SCHEMA IF NOT EXISTS app_tenant\")\n        setup.exec_driver_sql(\"CREATE TABLE IF NOT EXISTS app_tenant.alembic_version (version_num VARCHAR(32) PRIMARY KEY)\")\n"
        } else {
            ""
        };
        env_py
            .replace(
                "    with connectable.connect() as connection:\n",
                &format!(
                    "    with connectable.begin() as setup:\n        setup.exec_driver_sql(\"CREATE SCHEMA IF NOT EXISTS app_core\")\n{tenant}    with connectable.connect() as connection:\n"
                ),
            )
            .replace(
                "            target_metadata=None,\n",
                "            target_metadata=None,\n            version_table_schema=\"app_core\",\n",
            )
    };
    let config = |version_table: &str| {
        format!(
            "[project]\ntool = \"alembic\"\npath = \"league\"\npackages = [\"alembic==1.13.3\", \"SQLAlchemy==2.0.36\", \"psycopg2-binary==2.9.10\"]\nversion_table = \"{version_table}\"\n\n[matrix]\ndatabases = [\"postgres:15\"]\nruntimes = [\"python:3.12\"]\n\n[databases.\"postgres:15\"]\nbackend = \"local\"\n"
        )
    };
    project.write("league/migrations/env.py", &with_schema(false));
    project.write("harness.toml", &config("alembic_version"));
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));

    project.write("league/migrations/env.py", &with_schema(true));
    let out = run(project.harness().args(["run", "--quiet", "--check"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("in each of the schemas app_core, app_tenant")
            && out
                .1
                .contains("set version_table = \"app_core.alembic_version\""),
        "{}",
        out.1
    );

    // The schema has another table now: a new snapshot is written.
    std::fs::remove_dir_all(project.path().join("snapshots")).unwrap();
    project.write("harness.toml", &config("app_core.alembic_version"));
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

/// A misspelt database, scenario, revision or table gets a "did you mean" with the name it
/// most likely meant.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs a local Python 3.12 and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_misspelt_name_gets_the_one_it_most_likely_meant() {
    let project = Project::league(&["python:3.12"]);
    let out = run(project.harness().args(["run", "--database", "sqlit"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2
            .contains("help: --database `sqlit`: did you mean `sqlite`?"),
        "{}",
        transcript(&out)
    );
    let out = run(project.harness().args(["run", "fresj"]));
    assert!(
        out.2.contains("help: did you mean `fresh`?"),
        "{}",
        transcript(&out)
    );
    project.write("scenarios/typo.toml", "[[steps]]\nupgrade = \"001\"\n");
    let out = run(project.harness().args(["run", "typo"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2.contains("unknown revision `001`") && out.2.contains("help: did you mean `0001`?"),
        "{}",
        transcript(&out)
    );
    project.write(
        "scenarios/typo.toml",
        "[[steps]]\nupgrade = \"0001\"\n\n[expect]\nrows = { tems = 0 }\nconverges_with = false\n",
    );
    let out = run(project.harness().args(["run", "typo"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "expected 0 rows in `tems`, but the table does not exist (did you mean `teams`?)"
        ),
        "{}",
        transcript(&out)
    );
}

/// A PostgreSQL cell whose requirements install no driver: the harness adds one and says so before
/// any cell runs; with `add_drivers = false` under [runtime] it adds none and the cell fails
/// naming the package to add.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs PostgreSQL server binaries and a local Python: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_missing_driver_is_added_and_said_first_or_refused_when_asked() {
    let project = Project::league(&["python:3.12"]);
    let toml = project
        .read("harness.toml")
        .replace("databases = [\"sqlite\"]", "databases = [\"postgres:15\"]")
        + "\n[databases.\"postgres:15\"]\nbackend = \"local\"\n\n[runtime]\nbackend = \"local\"\n";
    project.write("harness.toml", &toml);
    let out = run(project.harness().args(["run", "fresh"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let note =
        "note: the project's requirements install no PostgreSQL driver: psycopg2-binary is added";
    let at = out
        .2
        .find(note)
        .unwrap_or_else(|| panic!("{}", transcript(&out)));
    let runtime = out.2.find("runtime python:3.12:").unwrap();
    assert!(
        at < runtime,
        "the note comes before the runtime's line:\n{}",
        out.2
    );
    project.write(
        "harness.toml",
        &toml.replace(
            "[runtime]\nbackend = \"local\"\n",
            "[runtime]\nbackend = \"local\"\nadd_drivers = false\n",
        ),
    );
    let out = run(project.harness().args(["run", "fresh"]));
    assert_ne!(out.0, 0, "{}", transcript(&out));
    assert!(!out.2.contains(note), "{}", transcript(&out));
    assert!(out.1.contains("psycopg2-binary"), "{}", transcript(&out));
}

/// A requirement the index does not have: one error for every cell of the runtime, the help says
/// where the requirements name it, and no scratch folder that is gone is quoted.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs a local Python 3.12 and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_requirement_the_index_lacks_is_named_where_it_is_written() {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "league/requirements.txt",
        "alembic==1.13.3\nSQLAlchemy==2.0.36\nsqlalchemy-utilz==9.9\n",
    );
    let out = run(project.harness().args(["run", "--refresh"]));
    assert_eq!(out.0, 3, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "help: the package index has no package `sqlalchemy-utilz`: check the name in the requirements (it is named at league/requirements.txt:3)"
        ),
        "{}",
        transcript(&out)
    );
    assert!(!out.1.contains(".building-"), "{}", transcript(&out));
    assert!(
        out.1.contains("the same on 1 more cell"),
        "{}",
        transcript(&out)
    );
}
