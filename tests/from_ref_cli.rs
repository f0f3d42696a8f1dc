//! `from_ref` and `--from-tags` through the binary, on SQLite with a local Python: the project as it
//! was at a tag builds the starting state, today's code upgrades it; the checkout and the repository
//! are only read (ARCHITECTURE.md's invariant); unknown refs and tags are clear errors.

mod common;

use std::path::Path;

use common::{Project, git, run, transcript};

/// The league example in a git repository, tagged `v1.0` at its first commit.
fn released() -> Project {
    let project = Project::league(&["python:3.12"]);
    git(project.path(), &["init", "-q", "-b", "main"]);
    git(project.path(), &["add", "-A"]);
    git(project.path(), &["commit", "-q", "-m", "release"]);
    git(project.path(), &["tag", "v1.0"]);
    project
}

/// What the repository looks like to its user: the checkout's state and its metadata folders.
fn repository_state(dir: &Path) -> (String, String, Vec<String>) {
    let status = git(dir, &["status", "--porcelain", "--ignored"]);
    let head = git(dir, &["rev-parse", "HEAD"]);
    let mut entries: Vec<String> = std::fs::read_dir(dir.join(".git"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    (status, head, entries)
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_migration_rewritten_after_the_release_is_caught_and_the_checkout_is_untouched() {
    let project = released();
    // After the release, 0001 is edited in place: tenants that ran the old 0001 never get the
    // new column, fresh installs do.
    let path = "league/migrations/versions/0001_create_teams.py";
    let edited = project.read(path).replacen(
        "sa.Column(\"city\", sa.String(100)),",
        "sa.Column(\"city\", sa.String(100)),\n        sa.Column(\"founded\", sa.Integer),",
        1,
    );
    assert_ne!(edited, project.read(path));
    project.write(path, &edited);
    git(project.path(), &["commit", "-q", "-am", "edit 0001"]);
    // A file the user has not committed stays as it is too.
    project.write("notes.txt", "work in progress\n");
    let before = repository_state(project.path());

    let elsewhere = tempfile::tempdir().unwrap();
    let report = elsewhere.path().join("report.json");
    let out = run(project
        .harness()
        .args(["run", "--from-tags", "v*", "--report"])
        .arg(format!("json={}", report.display())));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("from-v1-0/sqlite/python-3.12")
            && out.1.contains(
                "the schema differs from `fresh` on the same database and runtime; since v1.0, migrations/versions/0001_create_teams.py was edited"
            )
            && out.1.contains("-  column founded INTEGER"),
        "{}",
        transcript(&out)
    );
    let cells = common::report_cells(&report);
    let ids: Vec<&str> = cells.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["from-v1-0/sqlite/python-3.12"],
        "only the tag's scenario is reported"
    );
    let steps = cells[0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["label"], "upgrade heads at v1.0");

    assert_eq!(repository_state(project.path()), before);
    assert_eq!(project.read("notes.txt"), "work in progress\n");
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_release_whose_chain_only_grew_upgrades_to_the_fresh_schema_with_its_data() {
    let project = released();
    project.write(
        "league/migrations/versions/0007_team_colour.py",
        &common::migration(
            "0007",
            "0006",
            "    op.add_column(\"teams\", sa.Column(\"colour\", sa.String(20)))",
        ),
    );
    git(project.path(), &["add", "-A"]);
    git(project.path(), &["commit", "-q", "-m", "0007"]);
    // A tenant of v1.0 with data, seeded with v1.0's code.
    project.write(
        "scenarios/tenant.toml",
        "from_ref = \"v1.0\"\n\n[[steps]]\nsql = \"INSERT INTO teams (id, name) VALUES (1, 'Harbor Hawks')\"\n\n[expect]\nrows = { teams = 1 }\nversion = [\"head\"]\n",
    );
    let out = run(project.harness().args(["run", "tenant"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("tenant/sqlite/python-3.12"), "{}", out.1);
}

#[test]
fn unknown_refs_and_tags_are_clear_errors() {
    let project = released();
    project.write(
        "scenarios/old.toml",
        "description = \"x\"\nfrom_ref = \"v9.9\"\n",
    );
    let out = run(project.harness().args(["run", "old"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2
            .contains("scenarios/old.toml:2:12: git knows no ref `v9.9`")
            && out.2.contains("git fetch --tags"),
        "{}",
        transcript(&out)
    );

    let out = run(project.harness().args(["run", "--from-tags", "release-*"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2
            .contains("--from-tags: no git tag matches `release-*`"),
        "{}",
        transcript(&out)
    );

    // Not a repository at all.
    let plain = Project::league(&["python:3.12"]);
    plain.write("scenarios/old.toml", "from_ref = \"v1.0\"\n");
    let out = run(plain.harness().args(["run", "old"]));
    assert_eq!(out.0, 2, "{}", transcript(&out));
    assert!(
        out.2.contains(
            "scenarios/old.toml:1:12: `from_ref = \"v1.0\"` needs the project in a git repository"
        ),
        "{}",
        transcript(&out)
    );
}
