//! The command line as a user meets it: help, the matrix listing, and every kind of bad
//! configuration, each answered with file:line:col, what is allowed, and exit code 2. These never
//! start a Python: configuration is validated before anything runs.

mod common;

use common::{Project, harness, repo, run, snapshot, transcript};
use rstest::rstest;

#[test]
fn help_documents_commands_and_exit_codes() {
    let out = run(harness(&repo()).arg("--help"));
    assert_eq!(out.0, 0);
    snapshot("help", &repo(), transcript(&out));
}

#[test]
fn run_help_documents_its_options() {
    let out = run(harness(&repo()).args(["run", "--help"]));
    assert_eq!(out.0, 0);
    snapshot("run_help", &repo(), transcript(&out));
}

#[test]
fn list_prints_the_repository_matrix() {
    let out = run(harness(&repo()).arg("list"));
    assert_eq!(out.0, 0, "{}", out.2);
    snapshot("list_repository", &repo(), transcript(&out));
}

#[rstest]
#[case::substring(&["--filter", "partial"], &["partial/sqlite/python-3.10", "partial/sqlite/python-3.12"])]
#[case::wildcard(&["--filter", "*/python-3.12"], &["fresh/sqlite/python-3.12", "partial/sqlite/python-3.12"])]
#[case::scenario(&["fresh"], &["fresh/sqlite/python-3.10", "fresh/sqlite/python-3.12"])]
#[case::both(&["fresh", "--filter", "3.10"], &["fresh/sqlite/python-3.10"])]
fn list_selects_cells(#[case] args: &[&str], #[case] expected: &[&str]) {
    let project = Project::league(&["python:3.10", "python:3.12"]);
    let out = run(project.harness().arg("list").args(args));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(out.1.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn include_and_exclude_shape_the_matrix() {
    let project = Project::league(&["python:3.10", "python:3.12"]);
    project.write(
        "harness.toml",
        r#"[project]
tool = "alembic"
path = "league"

[matrix]
databases = ["sqlite"]
runtimes = ["python:3.12"]
exclude = [{ scenario = "partial" }]
include = [{ scenario = "partial", database = "sqlite", runtime = "python:3.10" }]
"#,
    );
    let out = run(project.harness().arg("list"));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(
        out.1.lines().collect::<Vec<_>>(),
        ["fresh/sqlite/python-3.12", "partial/sqlite/python-3.10"]
    );
}

#[test]
fn an_unknown_scenario_name_lists_the_known_ones() {
    let out = run(harness(&repo()).args(["run", "nope"]));
    assert_eq!(out.0, 2);
    snapshot("unknown_scenario", &repo(), transcript(&out));
}

#[test]
fn a_filter_that_matches_nothing_is_a_usage_error() {
    let out = run(harness(&repo()).args(["list", "--filter", "oracle"]));
    assert_eq!(out.0, 2);
    assert!(out.2.contains("no cell matches"), "{}", out.2);
}

#[test]
fn no_harness_toml_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(harness(dir.path()).arg("list"));
    assert_eq!(out.0, 2);
    snapshot("no_config", dir.path(), transcript(&out));
}

const HARNESS_OK: &str =
    "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\nruntimes = [\"python:3.12\"]\n";

/// Each case: a file to overwrite in a copy of the example, its content, and a fragment the error
/// must contain. The whole transcript is snapshotted too.
#[rstest]
#[case::toml_syntax("harness.toml", "[project\ntool = \"alembic\"\n", "harness.toml:1:9")]
#[case::unknown_key_in_harness(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\ncolour = \"blue\"\n",
    "harness.toml:4:1"
)]
#[case::unknown_tool(
    "harness.toml",
    "[project]\ntool = \"flyway\"\npath = \"league\"\n",
    "harness.toml:2:8"
)]
#[case::wrong_type(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = \"sqlite\"\n",
    "harness.toml:6:13"
)]
#[case::unknown_engine(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"sqlite\", \"oracle:19\"]\n",
    "harness.toml:6:24"
)]
#[case::bad_runtime(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\nruntimes = [\"ruby:3.3\"]\n",
    "harness.toml:6:13"
)]
#[case::missing_project(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"nowhere\"\n",
    "harness.toml:3:8"
)]
#[case::missing_requirements(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\nrequirements = \"req.txt\"\n",
    "harness.toml:4:16"
)]
#[case::duplicate_runtime(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\nruntimes = [\"python:3.12\", \"python:3.12\"]\n",
    "harness.toml:6:28"
)]
#[case::unknown_step_kind(
    "scenarios/partial.toml",
    "[[steps]]\nupgrade = \"0003\"\n\n[[steps]]\nmigrate = \"head\"\n",
    "scenarios/partial.toml:5:1"
)]
#[case::two_actions_in_a_step(
    "scenarios/partial.toml",
    "[[steps]]\nupgrade = \"0003\"\nstamp = \"0002\"\n",
    "scenarios/partial.toml:1:1"
)]
#[case::empty_step(
    "scenarios/partial.toml",
    "description = \"x\"\n\n[[steps]]\n",
    "scenarios/partial.toml:3:1"
)]
#[case::missing_sql_file(
    "scenarios/partial.toml",
    "[[steps]]\nsql_file = \"seed.sql\"\n",
    "scenarios/partial.toml:2:12"
)]
#[case::bad_outcome(
    "scenarios/partial.toml",
    "[expect]\noutcome = \"maybe\"\n",
    "scenarios/partial.toml:2:11"
)]
#[case::unknown_key_in_scenario(
    "scenarios/partial.toml",
    "descripton = \"typo\"\n",
    "scenarios/partial.toml:1:1"
)]
#[case::stamp_wrong_type(
    "scenarios/partial.toml",
    "[[steps]]\nstamp = 3\n",
    "scenarios/partial.toml:2:9"
)]
#[case::exclude_unknown_scenario(
    "harness.toml",
    "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\nexclude = [{ scenario = \"nope\" }]\n",
    "harness.toml:6:25"
)]
fn bad_configuration_names_file_line_and_column(
    #[case] file: &str,
    #[case] content: &str,
    #[case] location: &str,
) {
    let project = Project::league(&["python:3.12"]);
    if file != "harness.toml" {
        project.write("harness.toml", HARNESS_OK);
    }
    project.write(file, content);
    let out = run(project.harness().arg("list"));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2.starts_with(&format!("error: {location}: ")),
        "expected {location} in:\n{}",
        out.2
    );
    let name = format!(
        "bad_config_{}",
        std::thread::current()
            .name()
            .unwrap_or("case")
            .rsplit("::")
            .next()
            .unwrap_or("case")
    );
    snapshot(&name, project.path(), transcript(&out));
}

#[test]
fn matrix_prints_one_job_per_cell_or_per_shard() {
    let project = Project::league(&["python:3.10", "python:3.12"]);
    let out = run(project.harness().arg("matrix"));
    assert_eq!(out.0, 0, "{}", out.2);
    let matrix: serde_json::Value = serde_json::from_str(&out.1).unwrap();
    let cells: Vec<&str> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cell"].as_str().unwrap())
        .collect();
    assert_eq!(
        cells,
        [
            "fresh/sqlite/python-3.10",
            "fresh/sqlite/python-3.12",
            "partial/sqlite/python-3.10",
            "partial/sqlite/python-3.12"
        ]
    );
    assert_eq!(matrix["include"][1]["python"], "3.12");
    assert_eq!(matrix["include"][1]["name"], "fresh-sqlite-python-3.12");

    // More shards than snapshot groups: capped, no empty shard.
    let out = run(project
        .harness()
        .args(["matrix", "--format", "text", "--shards", "5"]));
    assert_eq!(out.0, 0, "{}", out.2);
    snapshot("matrix_shards_text", project.path(), transcript(&out));
}

#[test]
fn list_and_partition_agree() {
    let whole = run(harness(&repo()).arg("list"));
    let mut joined: Vec<String> = Vec::new();
    for shard in ["1/2", "2/2"] {
        let out = run(harness(&repo()).args(["list", "--partition", shard]));
        assert_eq!(out.0, 0, "{}", out.2);
        joined.extend(out.1.lines().map(String::from));
    }
    joined.sort();
    let mut all: Vec<String> = whole.1.lines().map(String::from).collect();
    all.sort();
    assert_eq!(joined, all);
}

#[rstest]
#[case::bad_partition(&["run", "--partition", "3/2"], "the shard must be between 1 and 2")]
#[case::partition_syntax(&["list", "--partition", "half"], "write K/N")]
#[case::unknown_cell(&["run", "--cell", "fresh/sqlite/python-2.7"], "no cell has the id `fresh/sqlite/python-2.7`")]
#[case::bad_report_kind(&["run", "--report", "pdf=out.pdf"], "unknown report kind `pdf`")]
#[case::zero_shards(&["matrix", "--shards", "0"], "--shards must be at least 1")]
fn bad_ci_options_are_usage_errors(#[case] args: &[&str], #[case] message: &str) {
    let out = run(harness(&repo()).args(args));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(out.2.contains(message), "{}", out.2);
}

#[test]
fn report_merge_refuses_what_is_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.json"), "{\"cells\": []}").unwrap();
    let out = run(harness(dir.path()).args(["report", "merge", "other.json", "missing.json"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    snapshot("report_merge_not_a_report", dir.path(), transcript(&out));
    let out = run(harness(dir.path()).args(["report", "merge", "missing.json"]));
    assert_eq!(out.0, 2);
    assert!(
        out.2.contains("cannot read the report missing.json"),
        "{}",
        out.2
    );
}

#[test]
fn report_merge_refuses_a_cell_reported_twice() {
    use harness::outcome::{CellResult, RunReport, Verdict};
    let cell = CellResult {
        id: "fresh/sqlite/python-3.12".into(),
        member: None,
        position: 0,
        scenario: "fresh".into(),
        database: "sqlite".into(),
        runtime: "python-3.12".into(),
        verdict: Verdict::Passed,
        expected_failure: false,
        cause: None,
        detail: None,
        signature: None,
        steps: vec![],
        snapshot: None,
        snapshot_note: None,
        diff: None,
        runtime_info: None,
        duration: std::time::Duration::ZERO,
        tool_time: std::time::Duration::ZERO,
        trace: Vec::new(),
    };
    let report = RunReport {
        cells: vec![cell],
        ..RunReport::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let text = harness::report::json::render(&report);
    std::fs::write(dir.path().join("a.json"), &text).unwrap();
    std::fs::write(dir.path().join("b.json"), &text).unwrap();
    let one = run(harness(dir.path()).args(["report", "merge", "a.json"]));
    assert_eq!(one.0, 0, "{}", transcript(&one));
    let out = run(harness(dir.path()).args(["report", "merge", "a.json", "b.json"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2.contains(
            "cell `fresh/sqlite/python-3.12` is in both a.json and b.json: each cell must come from one job"
        ),
        "{}",
        out.2
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(harness(&repo()).args(["completions", shell]));
        assert_eq!(out.0, 0, "{}", out.2);
        assert!(out.1.contains("matrix"), "{shell}: {}", out.1);
        assert!(out.1.contains("--partition"), "{shell}");
    }
    let out = run(harness(&repo()).args(["completions", "tcsh"]));
    assert_eq!(out.0, 2);
}

#[test]
fn init_explains_a_folder_without_alembic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("db/migrations")).unwrap();
    std::fs::write(dir.path().join("db/migrations/env.py"), "").unwrap();
    let out = run(harness(dir.path()).arg("init"));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    snapshot("init_without_alembic_ini", dir.path(), transcript(&out));
    assert!(!dir.path().join("harness.toml").exists());
}
