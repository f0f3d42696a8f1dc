//! End to end, a workspace whose root and member both have `fresh` and `partial` scenarios (real
//! Alembic, SQLite): positions run across the workspace so three shards merge into the unsharded
//! report; the Markdown grid and JUnit keep the members apart; cells run only for a convergence
//! check write no snapshot file; and reports are the same bytes run to run, durations aside.

mod common;

use common::{Project, copy_dir, repo, run, transcript};
use serde_json::Value;

/// The league example at the root and, as member `billing`, a second copy with the same scenario
/// names.
fn workspace() -> Project {
    let project = Project::league(&["python:3.12"]);
    let member = project.path().join("billing");
    copy_dir(&repo().join("examples/league"), &member.join("league"));
    copy_dir(&repo().join("scenarios"), &member.join("scenarios"));
    project.write(
        "billing/harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    );
    let root = project.read("harness.toml");
    project.write(
        "harness.toml",
        &format!("members = [\"billing\"]\n\n{root}"),
    );
    project
}

/// `value` without the fields that hold durations (`*_ms`).
fn without_durations(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| !key.ends_with("_ms"))
                .map(|(key, value)| (key, without_durations(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_durations).collect()),
        other => other,
    }
}

fn cells(path: &std::path::Path) -> Vec<Value> {
    common::report_cells(path)
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn shards_of_a_workspace_merge_into_the_unsharded_report_and_members_stay_apart() {
    let project = workspace();
    let first = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(first.0, 0, "{}", transcript(&first));
    let reports = project.path().join("reports");
    let json = |name: &str| format!("json={}", reports.join(name).display());

    let whole = run(project
        .harness()
        .args(["run", "--quiet", "--report", &json("all.json")])
        .env("CI", "true"));
    assert_eq!(whole.0, 0, "{}", transcript(&whole));
    let all = cells(&reports.join("all.json"));
    let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "fresh/sqlite/python-3.12",
            "partial/sqlite/python-3.12",
            "billing:fresh/sqlite/python-3.12",
            "billing:partial/sqlite/python-3.12",
        ]
    );
    let positions: Vec<u64> = all
        .iter()
        .map(|c| c["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [0, 1, 2, 3], "one position across the workspace");
    assert_eq!(all[2]["member"], "billing");
    assert!(all[0].get("member").is_none());

    let mut shard_files = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
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
        assert_eq!(out.0, 0, "{}", transcript(&out));
        shard_files.push(reports.join(name));
    }
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
    assert_eq!(merged.0, 0, "{}", transcript(&merged));
    assert_eq!(cells(&reports.join("merged.json")), all);
    // The whole report, every field but the durations: runtimes and graphs of every member too.
    let whole_report = |name: &str| {
        let text = std::fs::read_to_string(reports.join(name)).unwrap();
        without_durations(serde_json::from_str(&text).unwrap())
    };
    let merged_report = whole_report("merged.json");
    assert_eq!(merged_report, whole_report("all.json"));
    assert_eq!(merged_report["graphs"].as_array().unwrap().len(), 2);
    assert_eq!(merged_report["runtimes"].as_array().unwrap().len(), 2);

    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.contains("\n| fresh | ✅ passed |\n"), "{summary}");
    assert!(
        summary.contains("\n| billing: fresh | ✅ passed |\n"),
        "{summary}"
    );
    let junit = std::fs::read_to_string(reports.join("merged.xml")).unwrap();
    assert!(
        junit.contains(r#"<testsuite name="fresh" tests="1""#)
            && junit.contains(r#"<testsuite name="billing:fresh" tests="1""#),
        "{junit}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn cells_run_only_for_a_convergence_check_write_no_snapshot() {
    let project = Project::league(&["python:3.12"]);
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1.contains("1 cells: 1 passed") || out.1.contains("1 cell: 1 passed"),
        "{}",
        out.1
    );
    assert!(project.exists("snapshots/partial/sqlite.snap"));
    assert!(
        !project.exists("snapshots/fresh"),
        "`fresh` ran for the convergence check only"
    );

    // With a `fresh` snapshot that no longer matches, checking `partial` alone leaves it alone.
    project.write("snapshots/fresh/sqlite.snap", "stale\n");
    let out = run(project.harness().args(["run", "--quiet", "partial"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert_eq!(project.read("snapshots/fresh/sqlite.snap"), "stale\n");
    assert!(!project.exists("snapshots/fresh/sqlite.snap.new"));
    let out = run(project
        .harness()
        .args(["run", "--quiet", "--accept", "partial"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert_eq!(project.read("snapshots/fresh/sqlite.snap"), "stale\n");
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn reports_are_the_same_bytes_run_to_run_durations_aside() {
    let project = Project::league(&["python:3.12"]);
    assert_eq!(run(project.harness().args(["run", "--quiet"])).0, 0);
    let dir = project.path().join("reports");
    let mut texts = Vec::new();
    for round in ["a", "b"] {
        let out = run(project
            .harness()
            .args(["run", "--quiet"])
            .arg(format!(
                "--report=json={}",
                dir.join(format!("{round}.json")).display()
            ))
            .arg(format!(
                "--report=junit={}",
                dir.join(format!("{round}.xml")).display()
            ))
            .arg(format!(
                "--report=markdown={}",
                dir.join(format!("{round}.md")).display()
            )));
        assert_eq!(out.0, 0, "{}", transcript(&out));
        let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{round}.{ext}"))).unwrap();
        texts.push((
            cells(&dir.join(format!("{round}.json"))),
            without_times(&read("xml")),
            read("md"),
        ));
    }
    assert_eq!(texts[0].0, texts[1].0, "JSON cells");
    assert_eq!(texts[0].1, texts[1].1, "JUnit");
    assert_eq!(texts[0].2, texts[1].2, "Markdown");
}

/// JUnit text with every `time="..."` attribute blanked.
fn without_times(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(at) = rest.find(" time=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        rest = after.find('"').map_or("", |end| &after[end + 1..]);
        out.push_str(" time=\"\"");
    }
    out.push_str(rest);
    out
}

/// A member whose revision graph cannot load (a syntax error in a revision) gives its own cells
/// that error; the root's cells still run and are reported (the whole run used to stop with exit
/// 2 and no verdict for the cells that had run).
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_member_whose_graph_cannot_load_errs_its_cells_and_the_others_still_run() {
    let project = workspace();
    let file = "billing/league/migrations/versions/0005_player_email.py";
    let text = project
        .read(file)
        .replacen("def upgrade", "def upgrade(:", 1);
    project.write(file, &text);
    let out = run(project.harness().args(["run", "--quiet"]));
    assert_eq!(out.0, 3, "error cells: {}", transcript(&out));
    assert!(out.1.contains("fresh/sqlite/python-3.12"), "{}", out.1);
    assert!(
        out.1.contains("billing:fresh/sqlite/python-3.12"),
        "{}",
        out.1
    );
    assert!(
        out.1
            .contains("the migration tool cannot load the revision graph, so no cell can run"),
        "{}",
        out.1
    );
    assert!(out.1.contains("2 passed"), "the root's cells: {}", out.1);
}

/// The root and its member both run on `postgres:15` (local server binaries): the engine the
/// root started serves the member too, started once for the run, each cell in its own database.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs PostgreSQL server binaries and local Pythons: cargo test --features engine-tests (scripts/test runs it)"
)]
fn members_share_the_engines_an_earlier_member_started() {
    let project = workspace();
    let on_postgres = |text: String| {
        text.replace(
            "databases = [\"sqlite\"]",
            "databases = [\"sqlite\", \"postgres:15\"]",
        ) + "\n[databases.\"postgres:15\"]\nbackend = \"local\"\n"
    };
    for file in ["harness.toml", "billing/harness.toml"] {
        let text = on_postgres(project.read(file));
        project.write(file, &text);
    }
    let out = run(project.harness().args(["run", "--accept"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("8 cells: 8 passed"), "{}", transcript(&out));
    assert_eq!(
        out.2.matches("starting engine postgres:15").count(),
        1,
        "{}",
        transcript(&out)
    );
    assert_eq!(
        out.2.matches("engine postgres:15: ").count(),
        1,
        "{}",
        transcript(&out)
    );
}
