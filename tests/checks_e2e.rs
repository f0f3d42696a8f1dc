//! End to end: the built-in checks on their examples (examples/checks) with the real binary, on
//! SQLite, PostgreSQL 17 and MariaDB 11 under Python 3.12. For each check: the failing variant as
//! committed passes by its `fails_with`, the same variant without its expectations fails with the
//! check's own message (exit code 1), and the fixed variant passes (exit code 0). The upgrade from a
//! release runs in a git repository the test makes and tags.
//!
//! Needs a Docker engine and the images named by HARNESS_IMAGE_* (scripts/setup/20-engines.sh).

mod common;

use std::path::PathBuf;

use serde_json::Value;

const SQLITE: &str = "sqlite/python-3.12";
const POSTGRES: &str = "postgres-17/python-3.12";
const MARIADB: &str = "mariadb-11/python-3.12";

/// `examples/checks/<check>/<variant>` copied into a temporary folder, beside the shared
/// requirements file its harness.toml names.
struct Variant {
    root: tempfile::TempDir,
    dir: PathBuf,
}

impl Variant {
    fn copy(check: &str, variant: &str) -> Self {
        let root = tempfile::Builder::new()
            .prefix("harness-checks-")
            .tempdir()
            .unwrap();
        let examples = common::repo().join("examples/checks");
        std::fs::copy(
            examples.join("requirements.txt"),
            root.path().join("requirements.txt"),
        )
        .unwrap();
        let dir = root.path().join(check).join(variant);
        common::copy_dir(&examples.join(check).join(variant), &dir);
        Self { root, dir }
    }

    /// Removes what a scenario says about the failure it expects (`fails_with` and the
    /// `[[expect.when]]` tables), keeping its other expectations.
    fn without_expectations(self, scenario: &str) -> Self {
        let path = self.dir.join("scenarios").join(format!("{scenario}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut kept = String::new();
        let mut in_when = false;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                in_when = trimmed.starts_with("[[expect.when]]");
            }
            if in_when || trimmed.starts_with("fails_with") {
                continue;
            }
            kept.push_str(line);
            kept.push('\n');
        }
        assert_ne!(
            kept,
            text,
            "{} declares no expected failure",
            path.display()
        );
        std::fs::write(&path, kept).unwrap();
        self
    }

    /// `harness run` in the variant's folder with a JSON report.
    fn run(&self, extra: &[&str]) -> Run {
        let report = self.root.path().join("report.json");
        let output = common::run(
            common::harness(&self.dir)
                .arg("run")
                .args(extra)
                .arg("--report")
                .arg(format!("json={}", report.display())),
        );
        let json: Value = match std::fs::read_to_string(&report) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(err) => panic!("no JSON report ({err}):\n{}", common::transcript(&output)),
        };
        Run {
            dir: self.dir.clone(),
            code: output.0,
            stdout: output.1,
            stderr: output.2,
            report: json,
        }
    }
}

/// One run's exit code, terminal text and JSON report.
struct Run {
    dir: PathBuf,
    code: i32,
    stdout: String,
    stderr: String,
    report: Value,
}

impl Run {
    fn cell(&self, id: &str) -> &Value {
        self.report["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|cell| cell["id"] == id)
            .unwrap_or_else(|| panic!("no cell {id} in the report\n{}", self.transcript()))
    }

    fn detail(&self, id: &str) -> &str {
        self.cell(id)["detail"].as_str().unwrap_or_default()
    }

    fn diff(&self, id: &str) -> &str {
        self.cell(id)["snapshot"]["diff"]
            .as_str()
            .unwrap_or_default()
    }

    /// Asserts the exit code and the cell count of the summary line.
    fn ends(&self, code: i32, summary: &str) {
        assert_eq!(self.code, code, "{}", self.transcript());
        assert!(self.stdout.contains(summary), "{}", self.transcript());
    }

    /// Asserts a cell's verdict and cause (`None`: a plain pass).
    fn verdict(&self, id: &str, verdict: &str, cause: Option<&str>) {
        let cell = self.cell(id);
        assert_eq!(cell["verdict"], verdict, "{id}\n{}", self.transcript());
        assert_eq!(
            cell["cause"].as_str(),
            cause,
            "{id}: {}\n{}",
            self.detail(id),
            self.transcript()
        );
    }

    /// The terminal text, for a snapshot: the interpreter's line names this machine's Python.
    fn snapshot(&self, name: &str) {
        let text: String = self
            .stdout
            .lines()
            .map(|line| match line.strip_prefix("  runtime: ") {
                Some(_) => "  runtime: [RUNTIME]\n".to_string(),
                None => format!("{line}\n"),
            })
            .collect();
        common::snapshot(name, &self.dir, text);
    }

    fn transcript(&self) -> String {
        common::transcript(&(self.code, self.stdout.clone(), self.stderr.clone()))
    }
}

fn id(scenario: &str, cell: &str) -> String {
    format!("{scenario}/{cell}")
}

// --- models -----------------------------------------------------------------------------------

const MODELS_DETAIL: &str = "the models differ from the schema the migrations build (1 difference):
  - the models have column items.notes (VARCHAR(200), nullable); the migrations do not create it
the migration autogenerate would write:
    # ### commands auto generated by Alembic - please adjust! ###
    op.add_column('items', sa.Column('notes', sa.String(length=200), nullable=True))
    # ### end Alembic commands ###";

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_model_column_no_migration_creates_fails_the_models_check_on_every_engine() {
    let run = Variant::copy("models", "broken")
        .without_expectations("models")
        .run(&[]);
    run.ends(1, "3 cells: 0 passed, 3 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        run.verdict(&id("models", cell), "failed", Some("check"));
    }
    assert_eq!(run.detail(&id("models", SQLITE)), MODELS_DETAIL);
    assert_eq!(run.detail(&id("models", MARIADB)), MODELS_DETAIL);
    // PostgreSQL alone keeps the time zone the model asks for and the migration did not create.
    let postgres = run.detail(&id("models", POSTGRES));
    assert!(
        postgres.starts_with(
            "the models differ from the schema the migrations build (2 differences):
  - the models have column items.notes (VARCHAR(200), nullable); the migrations do not create it
  - items.listed_at is TIMESTAMP WITHOUT TIME ZONE in the migrations, TIMESTAMP WITH TIME ZONE in the models
the migration autogenerate would write:"
        ),
        "{postgres}"
    );
    assert!(
        postgres.contains("type_=sa.DateTime(timezone=True)"),
        "{postgres}"
    );
    run.snapshot("checks_models_broken_without_expectations");
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn the_models_example_declares_the_failures_it_shows() {
    let run = Variant::copy("models", "broken").run(&[]);
    run.ends(0, "3 cells: 3 passed, 0 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let id = id("models", cell);
        run.verdict(&id, "passed", Some("failed_as_expected"));
        assert!(
            run.detail(&id)
                .contains("the models have column items.notes (VARCHAR(200), nullable)"),
            "{}",
            run.detail(&id)
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn migrations_that_build_the_models_pass_the_models_check() {
    let run = Variant::copy("models", "fixed").run(&[]);
    run.ends(0, "3 cells: 3 passed, 0 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let id = id("models", cell);
        run.verdict(&id, "passed", None);
        assert_eq!(
            run.detail(&id),
            "the models match the schema the migrations build"
        );
    }
}

// --- stairway ---------------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_downgrade_leaving_an_enum_type_behind_fails_the_stairway_on_postgres() {
    let run = Variant::copy("stairway", "broken")
        .without_expectations("stairway")
        .run(&[]);
    run.ends(1, "3 cells: 2 passed, 1 failed");
    let postgres = id("stairway", POSTGRES);
    run.verdict(&postgres, "failed", Some("check"));
    assert_eq!(
        run.detail(&postgres),
        "the downgrade of 0002 does not undo its upgrade: the schema after it differs from the schema before the upgrade (left behind: enum item_status)"
    );
    assert_eq!(
        run.diff(&postgres),
        "--- before upgrade 0002\n+++ after downgrade 0002 -> 0001\n@@ enum item_status ('draft', 'listed', 'sold') (added) @@\n+enum item_status ('draft', 'listed', 'sold')\n"
    );
    // The check stopped at the revision that failed: 0001 up, down, up; 0002 up, down.
    let labels: Vec<&str> = run.cell(&postgres)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "upgrade 0001",
            "downgrade 0001 -> base",
            "upgrade 0001 again",
            "upgrade 0002",
            "downgrade 0002 -> 0001"
        ]
    );
    // SQLite and MariaDB keep an enum inside its column: nothing is left behind there.
    for cell in [SQLITE, MARIADB] {
        let id = id("stairway", cell);
        run.verdict(&id, "passed", None);
        assert_eq!(
            run.detail(&id),
            "3 revisions: each downgrade undid its upgrade"
        );
    }
    run.snapshot("checks_stairway_broken_without_expectations");
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn the_stairway_example_declares_the_failure_it_shows() {
    let run = Variant::copy("stairway", "broken").run(&[]);
    run.ends(0, "3 cells: 3 passed, 0 failed");
    let postgres = id("stairway", POSTGRES);
    run.verdict(&postgres, "passed", Some("failed_as_expected"));
    assert!(
        run.detail(&postgres)
            .starts_with("failed as expected: the downgrade of 0002 does not undo its upgrade"),
        "{}",
        run.detail(&postgres)
    );
    run.verdict(&id("stairway", SQLITE), "passed", None);
    run.verdict(&id("stairway", MARIADB), "passed", None);
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn dropping_the_enum_type_in_the_downgrade_passes_the_stairway() {
    let run = Variant::copy("stairway", "fixed").run(&[]);
    run.ends(0, "3 cells: 3 passed, 0 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let id = id("stairway", cell);
        run.verdict(&id, "passed", None);
        assert_eq!(
            run.detail(&id),
            "3 revisions: each downgrade undid its upgrade"
        );
        // Three revisions, each up, down and up again.
        assert_eq!(run.cell(&id)["steps"].as_array().unwrap().len(), 9);
    }
}

// --- fork order -------------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_branch_copying_a_table_the_other_branch_changes_fails_the_fork_order_check() {
    let run = Variant::copy("fork-order", "broken")
        .without_expectations("fork-order")
        .run(&[]);
    run.ends(1, "3 cells: 0 passed, 3 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let id = id("fork-order", cell);
        run.verdict(&id, "failed", Some("check"));
        assert_eq!(
            run.detail(&id),
            "fork at 0001 (merged by 0004): applying 0003 then 0002 ends in another schema than 0002 then 0003"
        );
        let diff = run.diff(&id);
        assert!(
            diff.starts_with("--- 0002 then 0003\n+++ 0003 then 0002\n@@ table items_archive @@\n"),
            "{diff}"
        );
        assert!(diff.contains("\n-  column notes "), "{diff}");
    }
    run.snapshot("checks_fork_order_broken_without_expectations");
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn the_fork_order_example_declares_the_failure_it_shows() {
    let run = Variant::copy("fork-order", "broken").run(&[]);
    run.ends(0, "3 cells: 3 passed, 0 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        run.verdict(
            &id("fork-order", cell),
            "passed",
            Some("failed_as_expected"),
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn copying_named_columns_passes_the_fork_order_check() {
    let run = Variant::copy("fork-order", "fixed").run(&[]);
    run.ends(0, "3 cells: 3 passed, 0 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let id = id("fork-order", cell);
        run.verdict(&id, "passed", None);
        assert_eq!(
            run.detail(&id),
            "1 fork: every order of the branches ends in the same schema"
        );
    }
}

// --- half-applied migrations ------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn retrying_a_half_applied_revision_fails_where_ddl_is_not_transactional() {
    let run = Variant::copy("half-applied", "broken")
        .without_expectations("interrupted")
        .run(&[]);
    run.ends(1, "6 cells: 4 passed, 2 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let steps = run.cell(&id("interrupted", cell))["steps"]
            .as_array()
            .unwrap();
        assert_eq!(
            steps[2]["status"], "stopped after statement 1 of 0002, as asked",
            "{cell}"
        );
    }
    // PostgreSQL rolled the whole revision back: the retry runs it again from the start.
    run.verdict(&id("interrupted", POSTGRES), "passed", None);
    // MariaDB, and SQLite through Python's driver, committed the first ADD COLUMN.
    for (cell, error) in [
        (MARIADB, "(1060, \"Duplicate column name 'price'\")"),
        (SQLITE, "duplicate column name: price"),
    ] {
        let id = id("interrupted", cell);
        run.verdict(&id, "failed", Some("step_failed"));
        assert_eq!(
            run.detail(&id),
            "step 4 `upgrade head (target)` failed (exit code 1); this is the retry after the upgrade stopped after statement 1 of 0002 (`interrupt`); it stopped in upgrade 0001 -> 0002"
        );
        let retry = &run.cell(&id)["steps"][3];
        let output = retry["output_tail"].as_str().unwrap_or_default();
        assert!(
            output.contains(error)
                && output.contains("[SQL: ALTER TABLE items ADD COLUMN price NUMERIC(10, 2)]"),
            "{output}"
        );
    }
    run.snapshot("checks_half_applied_broken_without_expectations");
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn the_half_applied_example_declares_the_failures_it_shows() {
    let run = Variant::copy("half-applied", "broken").run(&[]);
    run.ends(0, "6 cells: 6 passed, 0 failed");
    run.verdict(&id("interrupted", POSTGRES), "passed", None);
    for cell in [SQLITE, MARIADB] {
        run.verdict(
            &id("interrupted", cell),
            "passed",
            Some("failed_as_expected"),
        );
    }
    // The committed snapshots hold what each engine kept: price alone, still at 0001.
    for cell in ["fresh", "interrupted"]
        .into_iter()
        .flat_map(|scenario| [SQLITE, POSTGRES, MARIADB].map(|cell| id(scenario, cell)))
    {
        let status = &run.cell(&cell)["snapshot"]["status"];
        assert_eq!(status, "matches", "{cell}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn an_idempotent_revision_survives_being_interrupted_on_every_engine() {
    let run = Variant::copy("half-applied", "fixed").run(&[]);
    run.ends(0, "6 cells: 6 passed, 0 failed");
    for cell in [SQLITE, POSTGRES, MARIADB] {
        let id = id("interrupted", cell);
        run.verdict(&id, "passed", None);
        assert_eq!(run.cell(&id)["snapshot"]["status"], "matches", "{id}");
        let steps = run.cell(&id)["steps"].as_array().unwrap();
        assert_eq!(
            steps[2]["status"], "stopped after statement 2 of 0002, as asked",
            "{id}"
        );
    }
}

// --- upgrade from a release -------------------------------------------------------------------

/// A git repository holding the from-ref example as released (tagged v1.0), then a commit that
/// lays `change` (`rewritten` or `extended`) over it.
fn release_repository(change: &str) -> tempfile::TempDir {
    let repository = tempfile::Builder::new()
        .prefix("harness-release-")
        .tempdir()
        .unwrap();
    let example = common::repo().join("examples/checks/from-ref");
    common::copy_dir(&example.join("release"), repository.path());
    common::git(repository.path(), &["init", "--quiet"]);
    common::git(repository.path(), &["add", "--all"]);
    common::git(
        repository.path(),
        &["commit", "--quiet", "-m", "Release 1.0"],
    );
    common::git(repository.path(), &["tag", "v1.0"]);
    common::copy_dir(&example.join(change), repository.path());
    common::git(repository.path(), &["add", "--all"]);
    common::git(repository.path(), &["commit", "--quiet", "-m", change]);
    repository
}

/// `harness run --from-tags 'v*'` with the seeded scenario named too, in the repository.
fn from_release(repository: &tempfile::TempDir) -> Run {
    let variant = Variant {
        dir: repository.path().to_path_buf(),
        root: tempfile::Builder::new()
            .prefix("harness-release-report-")
            .tempdir()
            .unwrap(),
    };
    variant.run(&["--from-tags", "v*", "seeded", "from-v1-0"])
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_release_whose_migration_was_rewritten_does_not_converge_with_fresh() {
    let repository = release_repository("rewritten");
    let run = from_release(&repository);
    run.ends(1, "6 cells: 0 passed, 6 failed");
    for scenario in ["seeded", "from-v1-0"] {
        for cell in [SQLITE, POSTGRES, MARIADB] {
            let id = id(scenario, cell);
            run.verdict(&id, "failed", Some("convergence"));
            assert_eq!(
                run.detail(&id),
                "the schema differs from `fresh` on the same database and runtime; since v1.0, migrations/versions/0002_owners.py was edited; migrations/versions/0003_items_name_index.py was added"
            );
            let diff = run.diff(&id);
            assert!(
                diff.starts_with(&format!(
                    "--- fresh (fresh schema)\n+++ {scenario}\n@@ table owners @@\n"
                )) && diff.contains("\n-  column email "),
                "{diff}"
            );
        }
    }
    // The starting state was built by the release: its upgrade, then the seed data, at v1.0.
    let labels: Vec<&str> = run.cell(&id("seeded", POSTGRES))["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "upgrade heads at v1.0",
            "sql (inline) at v1.0",
            "upgrade head (target)"
        ]
    );
    run.snapshot("checks_from_ref_rewritten");
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_release_followed_by_a_new_revision_converges_with_fresh() {
    let repository = release_repository("extended");
    let run = from_release(&repository);
    run.ends(0, "6 cells: 6 passed, 0 failed");
    for scenario in ["seeded", "from-v1-0"] {
        for cell in [SQLITE, POSTGRES, MARIADB] {
            run.verdict(&id(scenario, cell), "passed", None);
        }
    }
    // The seed rows written at v1.0 are still there after today's upgrade.
    let written =
        std::fs::read_to_string(repository.path().join("snapshots/seeded/mariadb-11.snap"))
            .expect("the seeded scenario's snapshot");
    assert!(written.contains("column email varchar(200)"), "{written}");
}
