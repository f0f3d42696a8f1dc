//! `harness snapshots`: the snapshot files, which of them no scenario of the matrix produces, and
//! `--unreferenced --delete`, which removes those (and only those). Reads the configuration only:
//! no database, no Python.

mod common;

use common::{Project, git, run, transcript};

#[test]
fn snapshots_no_scenario_produces_are_listed_and_deleted_on_request() {
    let project = Project::league(&["python:3.12"]);
    for (path, text) in [
        ("snapshots/fresh/sqlite.snap", "fresh\n"),
        ("snapshots/partial/sqlite.snap", "partial\n"),
        // A database the matrix no longer has, a scenario that was removed, an old tag's.
        ("snapshots/fresh/postgres-16.snap", "old engine\n"),
        ("snapshots/renamed/sqlite.snap", "old scenario\n"),
        ("snapshots/renamed/sqlite.snap.new", "pending\n"),
        ("snapshots/from-v1-0/sqlite.snap", "old tag\n"),
    ] {
        project.write(path, text);
    }
    let out = run(project.harness().arg("snapshots"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert_eq!(
        out.1,
        "snapshots/fresh/postgres-16.snap  (unreferenced)\nsnapshots/fresh/sqlite.snap\nsnapshots/from-v1-0/sqlite.snap  (unreferenced)\nsnapshots/partial/sqlite.snap\nsnapshots/renamed/sqlite.snap  (unreferenced)\n"
    );
    assert!(
        out.2
            .contains("3 unreferenced snapshots: no scenario of the matrix produces them"),
        "{}",
        transcript(&out)
    );
    // A tag --from-tags would run keeps its snapshot.
    git(project.path(), &["init", "-q", "-b", "main"]);
    git(project.path(), &["add", "-A"]);
    git(project.path(), &["commit", "-q", "-m", "release"]);
    git(project.path(), &["tag", "v1.0"]);
    let out = run(project
        .harness()
        .args(["snapshots", "--unreferenced", "--from-tags", "v*"]));
    assert_eq!(
        out.1,
        "snapshots/fresh/postgres-16.snap  (unreferenced)\nsnapshots/renamed/sqlite.snap  (unreferenced)\n",
        "{}",
        transcript(&out)
    );
    let out = run(project
        .harness()
        .args(["snapshots", "--unreferenced", "--delete"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    for gone in [
        "snapshots/fresh/postgres-16.snap",
        "snapshots/renamed/sqlite.snap",
        "snapshots/renamed/sqlite.snap.new",
        "snapshots/renamed",
        "snapshots/from-v1-0/sqlite.snap",
    ] {
        assert!(!project.exists(gone), "{gone} is still there");
    }
    for kept in [
        "snapshots/fresh/sqlite.snap",
        "snapshots/partial/sqlite.snap",
    ] {
        assert!(project.exists(kept), "{kept} was deleted");
    }
    let out = run(project.harness().args(["snapshots", "--delete"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
}
