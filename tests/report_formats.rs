//! Every report format on one run built in-process: a pass, a failure, an expected failure and a
//! changed snapshot. Snapshotted with insta, so a change in what a reader sees is reviewed; the
//! JSON report also reads back into the same report.

use std::path::PathBuf;
use std::time::Duration;

use harness::config::Location;
use harness::outcome::{
    Cause, CellResult, RevisionGraph, RunReport, RuntimeInfo, RuntimeSummary, SnapshotNote,
    StepRecord, Verdict,
};
use harness::report;

fn info() -> RuntimeInfo {
    RuntimeInfo {
        key: "python:3.12".into(),
        backend: "local".into(),
        version: "3.12.1".into(),
        interpreter: PathBuf::from("/opt/python/3.12.1/bin/python3.12"),
        source: "pyenv".into(),
        image: None,
        packages: vec![
            ("Mako".into(), "1.3.5".into()),
            ("SQLAlchemy".into(), "2.0.58".into()),
            ("alembic".into(), "1.13.1".into()),
        ],
    }
}

fn step(number: usize, label: &str, line: Option<usize>) -> StepRecord {
    StepRecord {
        number,
        label: label.into(),
        at: line.map(|line| Location {
            path: PathBuf::from("scenarios/partial.toml"),
            line,
            column: 1,
        }),
        ok: true,
        duration: Duration::from_millis(400 + number as u64),
        status: None,
        output_tail: None,
    }
}

fn cell(position: usize, scenario: &str, verdict: Verdict) -> CellResult {
    CellResult {
        id: format!("{scenario}/sqlite/python-3.12"),
        member: None,
        position,
        scenario: scenario.into(),
        database: "sqlite".into(),
        runtime: "python-3.12".into(),
        verdict,
        expected_failure: false,
        cause: match verdict {
            Verdict::Passed => None,
            Verdict::Failed => Some(Cause::StepFailed),
            Verdict::SnapshotChanged => Some(Cause::SnapshotChanged),
            Verdict::Error => Some(Cause::Infrastructure),
        },
        detail: None,
        signature: None,
        steps: vec![step(1, "upgrade head (target)", None)],
        snapshot: Some(PathBuf::from(format!("snapshots/{scenario}/sqlite.snap"))),
        snapshot_note: Some(SnapshotNote::Matches),
        diff: None,
        runtime_info: Some(info()),
        duration: Duration::from_millis(1200 + position as u64 * 100),
        tool_time: Duration::from_millis(900),
        trace: Vec::new(),
    }
}

/// The run every format is shown on.
pub fn sample() -> RunReport {
    let fresh = cell(0, "fresh", Verdict::Passed);

    let mut broken = cell(1, "partial", Verdict::Failed);
    broken.detail = Some("step 2 `upgrade head (target)` failed (exit code 1)".into());
    broken.steps = vec![step(1, "upgrade 0003", Some(2)), {
        let mut target = step(2, "upgrade head (target)", None);
        target.ok = false;
        target.status = Some("exit code 1".into());
        target.output_tail = Some(
            "  File \"[PROJECT]/migrations/versions/0007_broken.py\", line 11, in upgrade\n    raise RuntimeError(\"this migration is broken\")\nRuntimeError: this migration is broken".into(),
        );
        target
    }];
    broken.snapshot = None;
    broken.snapshot_note = None;

    let mut expected = cell(2, "duplicate", Verdict::Passed);
    expected.expected_failure = true;
    expected.detail = Some(
        "failed as expected: sqlalchemy.exc.OperationalError: table teams already exists".into(),
    );
    expected.steps[0].ok = false;
    expected.steps[0].status = Some("exit code 1".into());

    let mut changed = cell(3, "nickname", Verdict::SnapshotChanged);
    changed.detail = Some(
        "schema differs from the snapshot (CI and --check never write a snapshot); take the pending file with `harness accept`".into(),
    );
    changed.snapshot_note = Some(SnapshotNote::ChangedPending(
        "snapshots/nickname/sqlite.snap".into(),
    ));
    changed.diff = Some(harness::snapshot::diff(
        "table players\n  column id INTEGER not null\n  column name VARCHAR(100) not null\n\nversion table alembic_version\n  row 0006",
        "table players\n  column id INTEGER not null\n  column name VARCHAR(100) not null\n  column nickname VARCHAR(40)\n\nversion table alembic_version\n  row 0007",
        "snapshots/nickname/sqlite.snap",
        "python-3.12",
    ));

    RunReport {
        cells: vec![fresh, broken, expected, changed],
        partition: None,
        runtimes: vec![RuntimeSummary {
            key: "python:3.12".into(),
            member: None,
            outcome: Ok(harness::outcome::RuntimeReady {
                info: info(),
                reused: true,
                setup_time: Duration::from_millis(350),
            }),
        }],
        warnings: vec![],
        duration: Duration::from_millis(5432),
        graphs: vec![RevisionGraph {
            member: None,
            revisions: vec![
                ("0002".into(), vec!["0001".into()]),
                ("0001".into(), vec![]),
            ],
            heads: vec!["0002".into()],
        }],
        not_run: vec![],
    }
}

fn check(name: &str, text: String) {
    insta::with_settings!({
        snapshot_path => "report_snapshots",
        prepend_module_to_snapshot => false,
        filters => vec![(r#""harness_version": "[^"]+""#, r#""harness_version": "[VERSION]""#)],
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn terminal_report() {
    check("terminal", report::render(&sample()));
}

#[test]
fn json_report() {
    check("json", report::json::render(&sample()));
}

#[test]
fn junit_report() {
    check("junit", report::junit::render(&sample()).unwrap());
}

#[test]
fn markdown_summary() {
    check("markdown", report::markdown::render(&sample()));
}

#[test]
fn the_json_report_reads_back_into_the_same_report() {
    let text = report::json::render(&sample());
    let back = report::json::parse(&text).unwrap();
    // The very report, every field (the sample's durations are whole milliseconds, as JSON keeps
    // them).
    assert_eq!(back, sample());
    assert_eq!(report::json::render(&back), text);
    assert_eq!(back.graphs, sample().graphs);
    assert_eq!(report::render(&back), report::render(&sample()));
    assert_eq!(
        report::junit::render(&back).unwrap(),
        report::junit::render(&sample()).unwrap()
    );
}

#[test]
fn a_json_report_without_graphs_reads_and_merged_shards_keep_one_graph() {
    let text = report::json::render(&sample());
    let start = text.find(",\n  \"graphs\"").unwrap();
    let older = format!("{}\n}}\n", &text[..start]);
    let back = report::json::parse(&older).unwrap();
    assert!(back.graphs.is_empty());

    let mut first = sample();
    let mut second = sample();
    second.cells = first.cells.split_off(2);
    let merged = report::merge(vec![("a.json".into(), first), ("b.json".into(), second)]).unwrap();
    assert_eq!(merged.graphs, sample().graphs);
}

#[test]
fn junit_counts_failures_and_errors_apart() {
    let mut run = sample();
    run.cells[0].verdict = Verdict::Error;
    run.cells[0].detail = Some("runtime python:3.12 is not available".into());
    let xml = report::junit::render(&run).unwrap();
    assert!(
        xml.contains(r#"<testsuites name="harness" tests="4" failures="2" errors="1""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<error message="runtime python:3.12 is not available" type="error">"#),
        "{xml}"
    );
}

#[test]
fn reports_of_another_schema_version_are_refused() {
    let text = report::json::render(&sample()).replace("\"version\": 1,", "\"version\": 99,");
    let err = report::json::parse(&text).unwrap_err().to_string();
    assert!(
        err.contains("report schema version 99 is not supported"),
        "{err}"
    );
    let err = report::json::parse("{\"cells\": []}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a harness report"), "{err}");
    let err = report::json::parse("{").unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
}

/// A report of `cells` whose runtimes `infos` were prepared (from the cache, 10 ms each).
fn with_runtimes(cells: Vec<CellResult>, infos: [RuntimeInfo; 2]) -> RunReport {
    RunReport {
        cells,
        duration: Duration::from_millis(100),
        runtimes: infos
            .into_iter()
            .map(|info| RuntimeSummary {
                key: info.key.clone(),
                member: None,
                outcome: Ok(harness::outcome::RuntimeReady {
                    info,
                    reused: true,
                    setup_time: Duration::from_millis(10),
                }),
            })
            .collect(),
        ..RunReport::default()
    }
}

/// When runtimes end a cell differently, the packages their environments hold differently are
/// named beside the disagreement.
#[test]
fn runtimes_that_disagree_name_the_packages_that_differ() {
    let mut old = info();
    old.key = "python:3.10".into();
    old.version = "3.10.13".into();
    old.packages = vec![
        ("alembic".into(), "1.13.1".into()),
        ("SQLAlchemy".into(), "2.0.58".into()),
        ("typing_extensions".into(), "4.12.0".into()),
    ];
    let mut new = info();
    new.packages = vec![
        ("alembic".into(), "1.13.1".into()),
        ("sqlalchemy".into(), "2.1.9".into()),
    ];
    let mut failed = cell(0, "fresh", Verdict::Failed);
    failed.id = "fresh/sqlite/python-3.10".into();
    failed.runtime = "python-3.10".into();
    failed.runtime_info = Some(old.clone());
    let passed = cell(1, "fresh", Verdict::Passed);
    let report = with_runtimes(vec![failed, passed], [old, new]);
    let text = report::render(&report);
    assert!(
        text.contains(
            "packages that differ (python:3.10 / python:3.12): sqlalchemy 2.0.58 / 2.1.9, typing-extensions 4.12.0 / -"
        ),
        "{text}"
    );
}

/// A runtime that never ran (its interpreter is missing) does not make the others disagree: two
/// runtimes that changed the snapshot alike are not a disagreement, and no package list is shown.
#[test]
fn a_runtime_that_never_ran_is_not_a_disagreement() {
    let mut old = info();
    old.key = "python:3.10".into();
    old.packages = vec![("tomli".into(), "2.5.0".into())];
    let new = info();
    let mut changed_old = cell(0, "fresh", Verdict::SnapshotChanged);
    changed_old.id = "fresh/sqlite/python-3.10".into();
    changed_old.runtime = "python-3.10".into();
    changed_old.runtime_info = Some(old.clone());
    let mut changed_new = cell(1, "fresh", Verdict::SnapshotChanged);
    changed_new.runtime_info = Some(new.clone());
    let mut missing = cell(2, "fresh", Verdict::Error);
    missing.id = "fresh/sqlite/python-3.14".into();
    missing.runtime = "python-3.14".into();
    missing.runtime_info = None;
    missing.detail = Some("runtime python:3.14 is not available: no interpreter".into());
    let report = with_runtimes(vec![changed_old, changed_new, missing], [old, new]);
    let text = report::render(&report);
    assert!(!text.contains("runtimes disagree"), "{text}");
    assert!(!text.contains("packages that differ"), "{text}");
    assert!(
        text.contains("runtime python:3.14 is not available"),
        "{text}"
    );
}
