//! End to end, the CI path with real Alembic on SQLite: sharded runs whose JSON reports merge into
//! the report of the unsharded run, JUnit and the step summary from real runs, pending snapshots
//! written in CI, and `harness init` in a project that has only its Alembic files.

mod common;

use common::{Project, copy_dir, migration, repo, run, transcript};
use serde_json::Value;

const BOTH: &[&str] = &["python:3.10", "python:3.12"];

/// (id, verdict, detail) of every cell of a JSON report, in its order.
fn verdicts(path: &std::path::Path) -> Vec<(String, String, String)> {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(report["schema"], "harness-report");
    assert_eq!(report["version"], 1);
    report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| {
            (
                cell["id"].as_str().unwrap().to_string(),
                cell["verdict"].as_str().unwrap().to_string(),
                cell["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn merged_shard_reports_equal_the_unsharded_report() {
    let project = Project::league(BOTH);
    assert_eq!(run(project.harness().args(["run", "--quiet"])).0, 0);
    let fresh = project.read("snapshots/fresh/sqlite.snap");

    // A pull request that changes the schema, and a scenario without a snapshot that still passes.
    project.write(
        "league/migrations/versions/0007_nickname.py",
        &migration(
            "0007",
            "0006",
            "    op.add_column(\"players\", sa.Column(\"nickname\", sa.String(40)))",
        ),
    );
    project.write(
        "scenarios/stamped.toml",
        "description = \"stamped at head\"\n\n[[steps]]\nstamp = \"0007\"\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let reports = project.path().join("reports");
    let json = |name: &str| format!("json={}", reports.join(name).display());

    let whole = run(project
        .harness()
        .args(["run", "--quiet", "--report", &json("all.json")])
        .arg(format!(
            "--report=junit={}",
            reports.join("all.xml").display()
        ))
        .env("CI", "true"));
    assert_eq!(whole.0, 1, "{}", transcript(&whole));
    assert!(
        whole.1.contains("@@ table players @@\n"),
        "the diff is grouped per table:\n{}",
        whole.1
    );
    assert_eq!(
        project.read("snapshots/fresh/sqlite.snap"),
        fresh,
        "CI never writes a snapshot"
    );
    let pending = project.read("snapshots/fresh/sqlite.snap.new");
    assert!(pending.contains("column nickname VARCHAR(40)"), "{pending}");

    let mut shard_files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let name = format!("shard-{}.json", &shard[..1]);
        let out = run(project
            .harness()
            .args([
                "run",
                "--quiet",
                "--partition",
                shard,
                "--report",
                &json(&name),
            ])
            .env("CI", "true"));
        // Each shard holds a changed snapshot (fresh and stamped in 1/2, partial in 2/2).
        assert_eq!(out.0, 1, "{}", transcript(&out));
        shard_files.push(reports.join(name));
    }
    let shard_cells: Vec<Vec<(String, String, String)>> =
        shard_files.iter().map(|f| verdicts(f)).collect();
    assert!(
        shard_cells.iter().all(|cells| !cells.is_empty()),
        "{shard_cells:?}"
    );

    let summary = project.path().join("summary.md");
    let merged = run(project
        .harness()
        .args(["report", "merge"])
        .args(&shard_files)
        .args(["--report", &json("merged.json")])
        .arg(format!(
            "--report=junit={}",
            reports.join("merged.xml").display()
        ))
        .arg("--summary")
        .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(merged.0, 1, "{}", transcript(&merged));

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("all.json")).unwrap()).unwrap();
    for cell in report["cells"].as_array().unwrap() {
        let cause = match cell["verdict"].as_str().unwrap() {
            "passed" => Value::Null,
            _ => Value::from("snapshot_changed"),
        };
        assert_eq!(cell["cause"], cause, "{cell}");
    }
    let expected = verdicts(&reports.join("all.json"));
    assert_eq!(verdicts(&reports.join("merged.json")), expected);
    assert_eq!(
        expected
            .iter()
            .map(|(id, verdict, _)| format!("{id} {verdict}"))
            .collect::<Vec<_>>(),
        [
            "fresh/sqlite/python-3.10 snapshot_changed",
            "fresh/sqlite/python-3.12 snapshot_changed",
            "partial/sqlite/python-3.10 snapshot_changed",
            "partial/sqlite/python-3.12 snapshot_changed",
            "stamped/sqlite/python-3.10 passed",
            "stamped/sqlite/python-3.12 passed",
        ]
    );

    for xml in ["all.xml", "merged.xml"] {
        let text = std::fs::read_to_string(reports.join(xml)).unwrap();
        assert!(
            text.contains(r#"<testsuites name="harness" tests="6" failures="4" errors="0""#),
            "{text}"
        );
        assert!(text.contains("+  column nickname VARCHAR(40)"), "{text}");
    }
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.starts_with("## harness: failed\n"), "{summary}");
    assert!(
        summary.contains("| fresh | 📸 snapshot changed | 📸 snapshot changed |"),
        "{summary}"
    );
    assert!(summary.contains("```diff\n"), "{summary}");
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_missing_shard_report_is_refused() {
    let project = Project::league(&["python:3.12"]);
    let report = project.path().join("one.json");
    let out = run(project
        .harness()
        .args(["run", "--quiet", "--partition", "1/2", "fresh"])
        .arg(format!("--report=json={}", report.display())));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let merged = run(project.harness().args(["report", "merge"]).arg(&report));
    assert_eq!(merged.0, 2, "{}", transcript(&merged));
    assert!(merged.2.contains("shard 2/2 is missing"), "{}", merged.2);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn init_writes_a_project_that_runs_without_edits() {
    let dir = tempfile::Builder::new()
        .prefix("harness-init-")
        .tempdir()
        .unwrap();
    copy_dir(&repo().join("examples/league"), &dir.path().join("league"));
    // The league's migrations carry PostgreSQL-specific arguments, so init would add PostgreSQL;
    // this test is about SQLite and the scenarios init writes.
    let init = run(common::harness(dir.path()).args([
        "init",
        "--runtime",
        "python:3.12",
        "--database",
        "sqlite",
    ]));
    assert_eq!(init.0, 0, "{}", transcript(&init));
    for file in [
        "harness.toml",
        "scenarios/fresh.toml",
        "scenarios/roundtrip.toml",
        "scenarios/partial.toml",
    ] {
        assert!(init.1.contains(&format!("wrote {file}\n")), "{}", init.1);
    }
    let partial = std::fs::read_to_string(dir.path().join("scenarios/partial.toml")).unwrap();
    assert!(
        partial.contains("upgrade = \"0005\""),
        "the revision before head, from Alembic's graph:\n{partial}"
    );

    let out = run(common::harness(dir.path()).args(["run", "--quiet"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1
            .contains("3 cells: 3 passed, 0 failed, 0 snapshot changed, 0 errors"),
        "{}",
        out.1
    );
    let body = |name: &str| {
        let text =
            std::fs::read_to_string(dir.path().join(format!("snapshots/{name}/sqlite.snap")))
                .unwrap();
        harness::snapshot::file::body_of(&text).to_string()
    };
    assert_eq!(
        body("roundtrip"),
        body("fresh"),
        "downgrading to base and upgrading again leaves the schema of a fresh install"
    );

    let harness_toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    let again = run(common::harness(dir.path()).arg("init"));
    assert_eq!(again.0, 2, "{}", transcript(&again));
    assert!(
        again
            .2
            .contains("harness.toml already exists: `harness init` never overwrites a file"),
        "{}",
        again.2
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("harness.toml")).unwrap(),
        harness_toml
    );
}

/// The lines of `stderr` about runtime `key`, with what changes between machines and runs
/// (interpreter path, durations, how many distributions the requirements pull in) filtered out.
fn runtime_lines(stderr: &str, key: &str) -> String {
    let filters = [
        (
            r"Python \d+\.\d+\.\d+ at \S+ \(found via \w+\)",
            "Python [VERSION] at [INTERPRETER]",
        ),
        (r"\d+\.\d{2}s", "[TIME]"),
        (r"installing \d+ packages", "installing [N] packages"),
    ];
    let mut lines = String::new();
    for line in stderr
        .lines()
        .filter(|line| line.contains(&format!("runtime {key}")))
    {
        let mut line = line.to_string();
        for (pattern, replacement) in filters {
            line = regex::Regex::new(pattern)
                .unwrap()
                .replace_all(&line, replacement)
                .into_owned();
        }
        lines.push_str(&line);
        lines.push('\n');
    }
    lines
}

/// The plain lines (stderr not a terminal, or CI) say what a runtime's preparation does: on an
/// empty cache the environment is resolved and installed, on the next run it is reused; each
/// phase once, before the runtime's line, and no more than four lines per runtime.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn ci_lines_name_the_phases_of_preparing_a_runtime() {
    let project = Project::league(&["python:3.12"]);
    let cache = tempfile::tempdir().unwrap();
    // The first run writes the snapshots, which CI would not.
    let lines = |ci: bool| {
        let mut command = project.harness();
        command.arg("run").env("HARNESS_CACHE_DIR", cache.path());
        if ci {
            command.env("CI", "true");
        }
        let out = run(&mut command);
        assert_eq!(out.0, 0, "{}", transcript(&out));
        runtime_lines(&out.2, "python:3.12")
    };
    let (fresh, again) = (lines(false), lines(true));
    for run in [&fresh, &again] {
        assert!(run.lines().count() <= 4, "{run}");
    }
    insta::assert_snapshot!(
        "ci_runtime_phases",
        format!("----- empty cache -----\n{fresh}----- again -----\n{again}")
    );
}
