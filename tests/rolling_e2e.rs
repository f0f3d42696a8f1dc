//! End to end: the `rolling` kind with the project's own Alembic in a local Python, on SQLite and
//! on a real PostgreSQL (a local cluster from this machine's server binaries). The release v1.0
//! is tagged in a scratch repository, today's changes are committed after it (examples/rolling,
//! written from scratch), and the release's models read and write the upgraded database; with
//! `order = "code-first"`, today's models the release's.

mod common;

use std::path::Path;

use common::{copy_dir, git, harness, repo, run, transcript};

/// examples/rolling/release committed and tagged v1.0, then `today` copied over it and committed.
fn released_then(today: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("harness-rolling-")
        .tempdir()
        .unwrap();
    let example = repo().join("examples/rolling");
    copy_dir(&example.join("release"), dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "v1.0"]);
    git(dir.path(), &["tag", "v1.0"]);
    copy_dir(&example.join(today), dir.path());
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "today"]);
    dir
}

/// The project's matrix moved to one server engine, with the backend the test names.
fn on_engine(dir: &Path, database: &str, backend: &str) {
    let path = dir.join("harness.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "databases = [\"sqlite\"]",
        &format!("databases = [\"{database}\"]"),
    ) + &format!("\n[databases.\"{database}\"]\nbackend = \"{backend}\"\n");
    std::fs::write(path, text).unwrap();
    git(dir, &["commit", "-q", "-am", "on a server engine"]);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs a local Python 3.12 and the package index: cargo test --features host-tests (scripts/test runs it)"
)]
fn a_rename_a_required_column_and_a_renamed_table_break_the_release_and_their_expansion_does_not() {
    let failing = released_then("failing");
    let report = failing.path().join("report.json");
    let out = run(harness(failing.path()).args([
        "run",
        "rolling",
        "code-first",
        "--report",
        &format!("json={}", report.display()),
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    for said in [
        "a rolling deploy from v1.0 breaks 2 tables:",
        "users: v1.0's code on the upgraded schema: SELECT fails: sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such column: users.name",
        "users no longer has name, bio, which v1.0's models map (renamed or dropped): add the new column beside the old one",
        "users.age is NOT NULL without a default, and v1.0's code does not write it",
        "notes: v1.0's code on the upgraded schema: SELECT fails",
        "the table is gone (renamed or dropped) while v1.0's models map it",
        // The revision that changed each, from the statements of today's upgrade.
        "changed by 0002 (0002_users_reshaped.py:",
        "changed by 0003 (0003_notes_renamed.py:13)",
        // Code first: today's models on the release's schema.
        "users: today's code on the schema of v1.0: SELECT fails",
        "today's models map full_name, age, which users does not have at v1.0",
        "memos: today's code on the schema of v1.0",
    ] {
        assert!(
            out.1.contains(said),
            "missing {said:?}:\n{}",
            transcript(&out)
        );
    }
    let cells = common::report_cells(&report);
    let rolling = cells.iter().find(|c| c["scenario"] == "rolling").unwrap();
    assert_eq!(rolling["verdict"], "failed");
    assert_eq!(rolling["cause"], "check");
    let labels: Vec<&str> = rolling["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "upgrade heads at v1.0",
            "the models of v1.0 on its own schema",
            "upgrade head (target)",
            "the models of v1.0 on the upgraded schema"
        ]
    );

    let fixed = released_then("fixed");
    let out = run(harness(fixed.path()).args(["run", "rolling"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "a rolling deploy from v1.0 is safe here: v1.0's code read and wrote 2 tables of the other schema"
        ),
        "{}",
        transcript(&out)
    );
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs PostgreSQL server binaries and a local Python: cargo test --features engine-tests (scripts/test runs it)"
)]
fn on_postgres_a_narrowed_column_and_a_required_one_fail_the_releases_insert() {
    narrowed_and_required("postgres:15", "local");
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs a Docker engine with a MariaDB image and a local Python: cargo test --features engine-tests (scripts/test runs it)"
)]
fn on_mariadb_a_narrowed_column_and_a_required_one_fail_the_releases_insert() {
    narrowed_and_required("mariadb:11", "container");
}

/// Today narrows users.email and adds a required column after the fixed expansion: the SELECT
/// works, the release's INSERT is refused, on an engine that enforces lengths.
fn narrowed_and_required(database: &str, backend: &str) {
    let dir = released_then("fixed");
    on_engine(dir.path(), database, backend);
    let revision = |number: &str, body: &str| {
        let down = format!("{:04}", number.parse::<u32>().unwrap() - 1);
        format!(
            "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"{number}\"\ndown_revision = \"{down}\"\n\n\ndef upgrade():\n    {body}\n\n\ndef downgrade():\n    pass\n"
        )
    };
    let commit = |name: &str, text: String| {
        std::fs::write(dir.path().join("migrations/versions").join(name), text).unwrap();
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", name]);
        run(harness(dir.path()).args(["run", "rolling"]))
    };
    // email narrowed from 100 to 20 characters: the columns are all there, so the release's
    // SELECT works; its INSERT of a 100-character address is refused.
    let out = commit(
        "0003_email_narrowed.py",
        revision(
            "0003",
            "op.alter_column(\"users\", \"email\", type_=sa.String(20), existing_type=sa.String(100))",
        ),
    );
    assert_eq!(out.0, 1, "{}", transcript(&out));
    let too_long = if database.starts_with("postgres") {
        "value too long for type character varying(20)"
    } else {
        "Data too long for column 'email'"
    };
    for said in [
        "a rolling deploy from v1.0 breaks 2 tables:",
        "users: v1.0's code on the upgraded schema: INSERT fails: sqlalchemy.exc.",
        too_long,
        "users.email holds 20 characters where the models write up to 100: narrow it once no instance of v1.0 runs",
        // notes' row needs a user first, which the release cannot write any more.
        "notes: v1.0's code on the upgraded schema: INSERT fails",
    ] {
        assert!(
            out.1.contains(said),
            "missing {said:?}:\n{}",
            transcript(&out)
        );
    }
    // Then a column required without a default.
    let out = commit(
        "0004_nickname_required.py",
        revision(
            "0004",
            "op.add_column(\"users\", sa.Column(\"nickname\", sa.String(20), nullable=False))",
        ),
    );
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "users.nickname is NOT NULL without a default, and v1.0's code does not write it"
        ),
        "{}",
        transcript(&out)
    );
    // The expansion alone passes there too.
    for file in ["0003_email_narrowed.py", "0004_nickname_required.py"] {
        git(
            dir.path(),
            &["rm", "-q", &format!("migrations/versions/{file}")],
        );
    }
    git(dir.path(), &["commit", "-q", "-m", "expansion only"]);
    let out = run(harness(dir.path()).args(["run", "rolling"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs a local Python 3.12 and the package index: cargo test --features host-tests (scripts/test runs it)"
)]
fn the_built_in_deploys_from_the_newest_tag_and_from_each_tag_with_from_tags() {
    let dir = released_then("failing");
    let root = dir.path();
    for file in ["scenarios/rolling.toml", "scenarios/code-first.toml"] {
        git(root, &["rm", "-q", file]);
    }
    let toml = root.join("harness.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("builtins = [\"rolling\"]\n{text}")).unwrap();
    git(root, &["commit", "-q", "-am", "the built-in"]);
    // Without a tag there is nothing to deploy from: the cell says what to write.
    let untagged = tempfile::tempdir().unwrap();
    copy_dir(root, untagged.path());
    git(untagged.path(), &["tag", "-d", "v1.0"]);
    let out = run(harness(untagged.path()).args(["run", "rolling"]));
    assert_eq!(out.0, 3, "{}", transcript(&out));
    assert!(
        out.1.contains("the repository has no tag to default to")
            && out
                .1
                .contains("write `from_ref = \"<tag>\"` in the scenario"),
        "{}",
        transcript(&out)
    );
    // The newest tag by default.
    let out = run(harness(root).args(["run", "rolling"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("a rolling deploy from v1.0 breaks 2 tables:"),
        "{}",
        transcript(&out)
    );
    // Each selected tag with --from-tags: v1.1, tagged on today's commit, deploys to itself.
    git(root, &["tag", "v1.1"]);
    let out = run(harness(root).args(["run", "--from-tags", "v*"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    for said in [
        "rolling-v1-0/sqlite/python-3.12  failed",
        "rolling-v1-1/sqlite/python-3.12  passed",
        "a rolling deploy from v1.0 breaks 2 tables:",
        "a rolling deploy from v1.1 is safe here",
    ] {
        assert!(
            out.1.contains(said),
            "missing {said:?}:\n{}",
            transcript(&out)
        );
    }
}
