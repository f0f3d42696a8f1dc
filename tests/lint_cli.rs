//! `harness lint` and `harness graph` on the lint examples: exit code, stdout and stderr
//! snapshotted, one snapshot per incident the examples reproduce.

use std::path::Path;
use std::process::Command;

fn harness(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("harness runs");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            filters => vec![(r#""semanticVersion": "[^"]+""#, r#""semanticVersion": "[version]""#)],
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

#[test]
fn fork_and_merge_is_a_warning_that_names_the_merge() {
    let out = harness(&["lint", "examples/lint-fork-merge"]);
    assert!(out.starts_with("exit: 0\n"), "{out}");
    snapshot!("lint_fork_merge", out);
}

#[test]
fn two_heads_name_the_branch_leading_to_each() {
    let out = harness(&["lint", "examples/lint-two-heads"]);
    assert!(out.starts_with("exit: 1\n"), "{out}");
    snapshot!("lint_two_heads", out);
}

#[test]
fn a_file_name_as_down_revision_gets_did_you_mean() {
    let out = harness(&["lint", "examples/lint-filename-down-revision/alembic.ini"]);
    assert!(
        out.contains("did you mean `db_timeouts_relax_hotfix_0911`"),
        "{out}"
    );
    snapshot!("lint_filename_down_revision", out);
}

#[test]
fn a_forty_character_revision_id_is_too_long_for_the_default_column() {
    let out = harness(&["lint", "examples/lint-long-revision-id"]);
    assert!(out.starts_with("exit: 1\n"), "{out}");
    snapshot!("lint_long_revision_id", out);
    let widened = harness(&[
        "lint",
        "examples/lint-long-revision-id",
        "--version-length",
        "64",
    ]);
    assert!(widened.starts_with("exit: 0\n"), "{widened}");
}

#[test]
fn json_and_sarif_carry_every_finding() {
    let json = harness(&["lint", "examples/lint-two-heads", "--format", "json"]);
    snapshot!("lint_two_heads_json", json);
    let sarif = harness(&[
        "lint",
        "examples/lint-filename-down-revision",
        "--format",
        "sarif",
    ]);
    snapshot!("lint_filename_down_revision_sarif", sarif);
}

#[test]
/// From the repository's root, lint covers harness.toml's project (the league example) and every
/// member, one report after the other; the members that plant lint errors make it exit 1.
fn the_repository_harness_toml_lints_the_league_example_and_every_member() {
    let out = harness(&["lint"]);
    snapshot!("lint_league_via_harness_toml", out);
}

#[test]
fn graphs_in_three_formats() {
    snapshot!(
        "graph_fork_merge_text",
        harness(&["graph", "examples/lint-fork-merge"])
    );
    snapshot!(
        "graph_two_heads_mermaid",
        harness(&["graph", "examples/lint-two-heads", "--format", "mermaid"])
    );
    snapshot!(
        "graph_filename_down_revision_dot",
        harness(&[
            "graph",
            "examples/lint-filename-down-revision",
            "--format",
            "dot"
        ])
    );
}

#[test]
fn bad_usage_exits_2() {
    let out = harness(&["lint", "examples/does-not-exist"]);
    assert!(out.starts_with("exit: 2\n"), "{out}");
    let out = harness(&["lint", "--format", "xml", "examples/lint-two-heads"]);
    assert!(out.starts_with("exit: 2\n"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("alembic.ini"),
        "[alembic]\nsqlalchemy.url = x\n",
    )
    .unwrap();
    let out = harness(&["lint", &dir.path().display().to_string()]);
    assert!(
        out.starts_with("exit: 2\n") && out.contains("script_location"),
        "{out}"
    );
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/lint-two-heads")
            .is_dir()
    );
}

/// Runs the harness in `dir` and returns exit code and stdout + stderr.
fn harness_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("harness runs");
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_widened_version_column_is_read_from_harness_toml_or_from_the_migration_that_widens_it() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lint-long-revision-id");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&source, dir.path());
    let (code, out) = harness_in(dir.path(), &["lint"]);
    assert_eq!(code, 1, "{out}");

    // The width in harness.toml.
    std::fs::write(
        dir.path().join("harness.toml"),
        "builtins = [\"fresh\"]\n\n[project]\ntool = \"alembic\"\n\n[lint]\nversion_length = 64\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    let (code, out) = harness_in(dir.path(), &["lint"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = harness_in(dir.path(), &["lint", "--version-length", "32"]);
    assert_eq!(code, 1, "the command line wins: {out}");
    std::fs::remove_file(dir.path().join("harness.toml")).unwrap();

    // A base revision that widens the column before any long id is recorded.
    let versions = dir.path().join("migrations/versions");
    let base = std::fs::read_dir(&versions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("down_revision = None")
        })
        .expect("a base revision");
    let text = std::fs::read_to_string(&base).unwrap();
    let widened = text.replacen(
        "def upgrade():\n",
        "def upgrade():\n    op.alter_column(\"alembic_version\", \"version_num\", type_=sa.String(128))\n",
        1,
    );
    assert_ne!(text, widened, "the base revision has an upgrade()");
    std::fs::write(&base, widened).unwrap();
    let (code, out) = harness_in(dir.path(), &["lint"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn revisions_in_subfolders_of_versions_name_the_folders_to_lint() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("alembic.ini", "[alembic]\nscript_location = migrations\n");
    write("migrations/env.py", "from alembic import context\n");
    for db in ["postgresql", "sqlite"] {
        write(
            &format!("migrations/versions/{db}/0001_init.py"),
            "revision = '0001'\ndown_revision = None\n",
        );
    }
    let (code, out) = harness_in(dir.path(), &["lint"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("migrations/versions/postgresql, migrations/versions/sqlite below it do")
            && out.contains("harness lint migrations/versions/postgresql"),
        "{out}"
    );
    let (code, out) = harness_in(dir.path(), &["lint", "migrations/versions/sqlite"]);
    assert_eq!(code, 0, "{out}");
}
