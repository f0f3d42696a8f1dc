//! `harness init` then `harness run` on projects laid out as real repositories lay them out
//! (examples/layouts/, written from scratch, one per layout): no edit to the project or to what
//! init wrote, real Alembic in real Pythons, SQLite. Without HARNESS_RUNTIME_BACKEND: the backend
//! init writes is the one the run uses, Docker engine or not.

mod common;

use std::path::Path;

use common::{copy_dir, git, harness, repo, run, transcript};

/// A copy of a layout example.
fn layout(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("harness-layout-")
        .tempdir()
        .unwrap();
    copy_dir(&repo().join("examples/layouts").join(name), dir.path());
    dir
}

fn init(dir: &Path) -> (i32, String, String) {
    run(harness(dir)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .arg("init"))
}

/// Init on SQLite alone, for the layouts that offer a PostgreSQL extra (which makes init add
/// `postgres:17`): these tests are about where the code lives; the engine choice has its own.
fn init_sqlite(dir: &Path) -> (i32, String, String) {
    run(harness(dir)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .args(["init", "--database", "sqlite"]))
}

fn sqlite_run(dir: &Path) -> (i32, String, String) {
    run(harness(dir).env_remove("HARNESS_RUNTIME_BACKEND").args([
        "run",
        "--database",
        "sqlite",
        "--jobs",
        "2",
    ]))
}

/// `path` with `from` replaced by `to`.
fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Init then run: both succeed, every cell passes; returns init's harness.toml.
fn init_then_run(name: &str) -> (tempfile::TempDir, String) {
    let dir = layout(name);
    let out = if name == "src-package" {
        init_sqlite(dir.path())
    } else {
        init(dir.path())
    };
    assert_eq!(out.0, 0, "{name}: init\n{}", transcript(&out));
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("backend = \"local\""), "{toml}");
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{name}: run\n{toml}\n{}", transcript(&out));
    assert!(
        out.1.contains("6 cells: 6 passed"),
        "{name}: fresh, partial and roundtrip on two Pythons\n{}",
        out.1
    );
    (dir, toml)
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_flask_migrate_app_runs_inside_its_app_with_the_cells_database() {
    let (dir, toml) = init_then_run("flask-app");
    assert!(toml.contains("script_location = \"migrations\""), "{toml}");
    assert!(toml.contains("FLASK_APP = \"notes\""), "{toml}");
    assert!(
        !dir.path().join("notes.db").exists(),
        "the app's own SQLite file is never created"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_template_ini_falls_back_to_the_env_py_beside_it() {
    let (_dir, toml) = init_then_run("template-ini");
    assert!(toml.contains("path = \"kiosk\""), "{toml}");
    assert!(toml.contains("script_location = \"alembic\""), "{toml}");
    assert!(
        toml.contains("packages = [\"SQLAlchemy>=2.0,<2.1\", \"alembic>=1.12\"]"),
        "{toml}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_monorepo_project_four_folders_down_is_found() {
    let (_dir, toml) = init_then_run("monorepo");
    assert!(
        toml.contains("path = \"services/billing/app/db\""),
        "{toml}"
    );
    assert!(
        toml.contains("requirements = \"services/billing/requirements.txt\""),
        "{toml}"
    );
    let lint = run(harness(_dir.path()).arg("lint"));
    assert_eq!(lint.0, 0, "{}", transcript(&lint));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_src_layout_package_is_put_on_pythonpath() {
    let (_dir, toml) = init_then_run("src-package");
    assert!(toml.contains("pythonpath = [\"src\"]"), "{toml}");
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_module_the_build_writes_is_had_by_installing_the_project_in_develop_mode() {
    let dir = layout("generated-module");
    let generated = dir.path().join("src/inventory/_build_info.py");
    assert!(!generated.exists());
    let out = init_sqlite(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2
            .contains("`inventory._build_info` is written by the project's build"),
        "{}",
        out.2
    );
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("\"-e .\"]"), "{toml}");
    assert!(generated.is_file(), "the develop-mode build wrote it");
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("6 cells: 6 passed"), "{}", out.1);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn env_py_with_its_own_url_variable_gets_the_cells_url_and_without_it_is_refused() {
    let (dir, toml) = init_then_run("own-url-variable");
    assert!(
        toml.contains("LEDGER_DATABASE_URL = \"${DATABASE_URL}\""),
        "{toml}"
    );
    assert!(!dir.path().join("ledger.db").exists());

    // Without the line init wrote, env.py's own default would migrate ledger.db in the project:
    // the engine is refused before it connects, and the cell says why.
    let edited: String = toml
        .lines()
        .filter(|line| !line.starts_with("LEDGER_DATABASE_URL"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(dir.path().join("harness.toml"), edited).unwrap();
    let out = run(harness(dir.path()).args(["run", "fresh", "--database", "sqlite"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "the project opened an engine on sqlite:///ledger.db, not on the cell's database"
        ),
        "{}",
        transcript(&out)
    );
    assert!(
        !dir.path().join("ledger.db").exists(),
        "no file outside the cell's folder is created"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn requires_python_keeps_the_newest_interpreter_out() {
    let (_dir, toml) = init_then_run("python-upper-bound");
    let runtimes = toml
        .lines()
        .find(|line| line.starts_with("runtimes = "))
        .unwrap();
    assert!(!runtimes.contains("python:3.13"), "{runtimes}");
    assert!(runtimes.contains("python:3.12"), "{runtimes}");
    assert!(
        toml.contains("packages = [\"SQLAlchemy>=2.0,<3\", \"alembic>=1.12,<2\"]"),
        "{toml}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_project_without_alembic_ini_runs_from_an_in_memory_configuration() {
    let dir = tempfile::Builder::new()
        .prefix("harness-layout-")
        .tempdir()
        .unwrap();
    copy_dir(
        &repo().join("examples/league/migrations"),
        &dir.path().join("db/migrations"),
    );
    std::fs::copy(
        repo().join("examples/league/requirements.txt"),
        dir.path().join("requirements.txt"),
    )
    .unwrap();
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(
        toml.contains("script_location = \"db/migrations\"") && !toml.contains("\nconfig = "),
        "{toml}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let lint = run(harness(dir.path()).arg("lint"));
    assert_eq!(lint.0, 0, "{}", transcript(&lint));
    assert!(lint.1.contains("6 revisions, 1 head (0006)"), "{}", lint.1);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_uv_lock_pins_the_environment_to_its_exact_versions() {
    let dir = layout("src-package");
    // The lock is made here (a committed one would name the index it came from).
    let locked = std::process::Command::new(uv())
        .arg("lock")
        .current_dir(dir.path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .output()
        .expect("uv runs");
    assert!(
        locked.status.success(),
        "{}",
        String::from_utf8_lossy(&locked.stderr)
    );
    let (_, toml) = {
        let out = init(dir.path());
        assert_eq!(out.0, 0, "{}", transcript(&out));
        assert!(out.1.contains("wrote requirements.lock.txt"), "{}", out.1);
        let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
        ((), toml)
    };
    assert!(
        toml.contains("requirements = \"requirements.lock.txt\"")
            && !toml.contains("\npackages = "),
        "{toml}"
    );
    let pinned = std::fs::read_to_string(dir.path().join("requirements.lock.txt")).unwrap();
    assert!(
        pinned.lines().any(|l| l.starts_with("sqlalchemy==2.0.")),
        "{pinned}"
    );
    assert!(
        !pinned.contains("-e "),
        "the project itself is not installed: {pinned}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_path_dependency_of_the_lock_is_imported_from_its_source_folder() {
    let dir = layout("src-package");
    // A package of the same repository, named by path in pyproject.toml (as a workspace's SDK is),
    // that the models import: the lock names it by path, not by version.
    let shared = dir.path().join("libs/shared");
    std::fs::create_dir_all(shared.join("src/inventory_shared")).unwrap();
    std::fs::write(
        shared.join("pyproject.toml"),
        "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"inventory-shared\"\nversion = \"0.1.0\"\ndependencies = []\n",
    )
    .unwrap();
    std::fs::write(
        shared.join("src/inventory_shared/__init__.py"),
        "SKU_LENGTH = 32\n",
    )
    .unwrap();
    let pyproject = dir.path().join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap().replace(
        "\"alembic>=1.12\",",
        "\"alembic>=1.12\",\n    \"inventory-shared\",",
    ) + "\n[tool.uv.sources]\ninventory-shared = { path = \"libs/shared\", editable = true }\n";
    std::fs::write(&pyproject, text).unwrap();
    let models = dir.path().join("src/inventory/models.py");
    let text = std::fs::read_to_string(&models).unwrap();
    std::fs::write(
        &models,
        format!("import inventory_shared  # noqa: F401\n{text}"),
    )
    .unwrap();
    let locked = std::process::Command::new(uv())
        .arg("lock")
        .current_dir(dir.path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .output()
        .expect("uv runs");
    assert!(
        locked.status.success(),
        "{}",
        String::from_utf8_lossy(&locked.stderr)
    );
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2
            .contains("path dependency libs/shared/src is imported from its source folder"),
        "{}",
        out.2
    );
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("\"libs/shared/src\""), "{toml}");
    let pinned = std::fs::read_to_string(dir.path().join("requirements.lock.txt")).unwrap();
    assert!(!pinned.contains("libs/shared"), "never installed: {pinned}");
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(
        !shared.join("src/inventory_shared.egg-info").exists() && !shared.join("build").exists(),
        "nothing is built into the checkout"
    );
}

/// The uv the harness itself uses: on PATH, else the one it installs into its cache.
fn uv() -> std::path::PathBuf {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let spec = harness::config::RuntimeSpec::parse("python:3").unwrap();
        let python = harness::runtime::find_interpreter(&spec).await.unwrap();
        match harness::runtime::UvLookup::from_env()
            .find(&harness::runtime::CacheDir::from_env(), &python.path)
            .await
            .unwrap()
        {
            harness::runtime::Installer::Uv(uv) => uv.path,
            harness::runtime::Installer::Pip { why } => panic!("no uv: {why}"),
        }
    })
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn named_sections_of_one_alembic_ini_become_harness_toml_and_a_member() {
    let dir = layout("named-sections");
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let root = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    let member = std::fs::read_to_string(dir.path().join("harness/tenant/harness.toml")).unwrap();
    assert!(
        root.contains("section = \"core\"") && root.contains("members = [\"harness/tenant\"]"),
        "{root}"
    );
    assert!(
        member.contains("section = \"tenant\"") && member.contains("path = \"../..\""),
        "{member}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("12 cells: 12 passed"), "{}", out.1);
    let tenant = std::fs::read_to_string(
        dir.path()
            .join("harness/tenant/snapshots/fresh/sqlite.snap"),
    )
    .unwrap();
    assert!(tenant.contains("table workspaces"), "{tenant}");
    let core = std::fs::read_to_string(dir.path().join("snapshots/fresh/sqlite.snap")).unwrap();
    assert!(
        core.contains("table invoices") && !core.contains("workspaces"),
        "{core}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_forked_graph_is_said_out_loud_by_init_and_fails_the_cells_that_upgrade_to_head() {
    let dir = tempfile::Builder::new()
        .prefix("harness-layout-")
        .tempdir()
        .unwrap();
    copy_dir(&repo().join("examples/lint-two-heads"), dir.path());
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1.contains(
            "has several heads (b7e4f0c2a9d1, d4e5f6a7b8c9): the cells of every scenario that upgrades to `head` fail"
        ),
        "{}",
        out.1
    );
    let fresh = std::fs::read_to_string(dir.path().join("scenarios/fresh.toml")).unwrap();
    assert!(
        !fresh.contains("target = \"heads\""),
        "never silently: {fresh}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("the revision graph has 2 heads")
            && out.1.contains("alembic merge heads")
            && out.1.contains("fresh/sqlite/"),
        "{}",
        transcript(&out)
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_trial_upgrade_that_hangs_is_stopped_and_init_still_writes_the_files() {
    let dir = layout("monorepo");
    let env_py = dir.path().join("services/billing/app/db/migrations/env.py");
    let text = std::fs::read_to_string(&env_py).unwrap();
    std::fs::write(&env_py, format!("import time\ntime.sleep(120)\n{text}")).unwrap();
    let started = std::time::Instant::now();
    let out = run(harness(dir.path())
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .env("HARNESS_TRIAL_SECONDS", "3")
        .arg("init"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(100),
        "the sleeping process was not waited for"
    );
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("did not finish within 3 s"), "{toml}");
}

/// A project whose install creates its schema from its models and stamps head (its base revision
/// is empty, so `upgrade head` from an empty database stops with `no such table`): init tries a
/// fresh install from the models, writes `bootstrap = "models"`, the fresh install and an upgrade
/// from the release tag; the run passes, and a model change shipped without its migration fails
/// the upgrade from the release.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_project_that_creates_its_schema_from_its_models_is_bootstrapped_and_upgraded_from_its_release()
{
    let dir = layout("models-bootstrap");
    let root = dir.path();
    // Release 1.0's models import a package only its own requirements install: its fresh install
    // must be made in an environment of those requirements, not today's.
    let requirements = std::fs::read_to_string(root.join("requirements.txt")).unwrap();
    std::fs::write(
        root.join("requirements.txt"),
        format!("{requirements}six==1.16.0\n"),
    )
    .unwrap();
    let models = std::fs::read_to_string(root.join("guestbook/models.py")).unwrap();
    std::fs::write(
        root.join("guestbook/models.py"),
        format!("import six  # noqa: F401  (release 1.0 only)\n{models}"),
    )
    .unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "1.0"]);
    git(root, &["tag", "v1.0"]);
    std::fs::rename(
        root.join("later/c7d9e1f3a5b2_add_rating.py"),
        root.join("migrations/versions/c7d9e1f3a5b2_add_rating.py"),
    )
    .unwrap();
    std::fs::rename(
        root.join("later/models.py"),
        root.join("guestbook/models.py"),
    )
    .unwrap();
    std::fs::write(root.join("requirements.txt"), requirements).unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "1.1: rating"]);

    let out = init(root);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2.contains(
            "they expect a schema none of them creates; trying a fresh install made from the models"
        ),
        "{}",
        out.2
    );
    let toml = std::fs::read_to_string(root.join("harness.toml")).unwrap();
    assert!(toml.contains("bootstrap = \"models\""), "{toml}");
    assert!(!root.join("scenarios/partial.toml").exists());
    assert!(!root.join("scenarios/roundtrip.toml").exists());
    let release = std::fs::read_to_string(root.join("scenarios/from-release.toml")).unwrap();
    assert!(release.contains("from_ref = \"v1.0\""), "{release}");

    let out = sqlite_run(root);
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("4 cells: 4 passed"), "{}", out.1);
    assert!(
        out.2.contains(" at v1.0: "),
        "the release's own environment is prepared: {}",
        out.2
    );
    let snapshot =
        std::fs::read_to_string(root.join("snapshots/from-release/sqlite.snap")).unwrap();
    assert!(snapshot.contains("column rating INTEGER"), "{snapshot}");
    assert!(snapshot.contains("row c7d9e1f3a5b2"), "{snapshot}");

    // The model gains a column and no migration adds it: a fresh install has it, an upgraded
    // release does not.
    let models = root.join("guestbook/models.py");
    replace_in(
        &models,
        "    Column(\"rating\", Integer, nullable=True),\n",
        "    Column(\"rating\", Integer, nullable=True),\n    Column(\"approved\", Integer, nullable=True),\n",
    );
    git(root, &["commit", "-qam", "approved, no migration"]);
    let out = run(harness(root).env_remove("HARNESS_RUNTIME_BACKEND").args([
        "run",
        "--database",
        "sqlite",
        "--check",
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("from-release/sqlite/python-3.13: failed")
            || out.1.contains("--- from-release/sqlite/"),
        "{}",
        out.1
    );
    assert!(
        out.1
            .contains("the schema differs from `fresh` on the same database and runtime"),
        "{}",
        out.1
    );
}

/// Without `bootstrap`, the run names the pattern where it fails: the revision right after the
/// base needs a table no revision creates.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_upgrade_that_stops_after_an_empty_base_revision_suggests_bootstrap() {
    let dir = layout("models-bootstrap");
    let root = dir.path();
    std::fs::write(
        root.join("harness.toml"),
        "[project]\ntool = \"alembic\"\npythonpath = [\".\"]\nrequirements = \"requirements.txt\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n\n[runtime]\nbackend = \"local\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    std::fs::write(root.join("scenarios/fresh.toml"), "description = \"x\"\n").unwrap();
    let out = run(harness(root)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .args(["run", "--check"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("it stopped in upgrade 3f1a0c2b9d10 -> 8b2e4d6f0a31; 8b2e4d6f0a31, right after the base revision 3f1a0c2b9d10, needs a table no earlier revision creates")
            || out.1.contains("8b2e4d6f0a31, right after the base revision 3f1a0c2b9d10, needs a table no earlier revision creates"),
        "{}",
        out.1
    );
    assert!(out.1.contains("set `bootstrap = \"models\"`"), "{}", out.1);
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_plugins_chain_runs_after_the_core_chain_whose_tables_it_alters() {
    let dir = layout("core-and-plugins");
    let root = dir.path();
    let out = init(root);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2
            .contains("trying with shop/migration's migrations first (upgrade_first)"),
        "{}",
        out.2
    );
    let core = std::fs::read_to_string(root.join("harness.toml")).unwrap();
    let member_file = root.join("harness/migration/harness.toml");
    let member = std::fs::read_to_string(&member_file).unwrap();
    assert!(!core.contains("upgrade_first"), "{core}");
    assert!(
        member.contains("upgrade_first = [\"../../shop/migration\"]")
            && member.contains("version_table = \"reviews_alembic_version\"")
            && !member.contains("bootstrap"),
        "{member}"
    );
    let out = sqlite_run(root);
    assert_eq!(out.0, 0, "{member}\n{}", transcript(&out));
    assert!(out.1.contains("12 cells: 12 passed"), "{}", out.1);
    // The plugin's snapshot holds the core's table as the plugin leaves it.
    let snapshot =
        std::fs::read_to_string(root.join("harness/migration/snapshots/fresh/sqlite.snap"))
            .unwrap();
    assert!(
        snapshot.contains("table products")
            && snapshot.contains("column rating")
            && snapshot.contains("table reviews")
            && snapshot.contains("version table reviews_alembic_version"),
        "{snapshot}"
    );
    // The stairway starts from the core at head, so the plugin's first downgrade undoes its upgrade.
    let member_dir = root.join("harness/migration");
    std::fs::write(
        member_dir.join("scenarios/stairway.toml"),
        "kind = \"stairway\"\n",
    )
    .unwrap();
    let out = run(harness(&member_dir)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .args(["run", "stairway", "--filter", "python-3.10"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1
            .contains("2 revisions: each downgrade undid its upgrade"),
        "{}",
        out.1
    );
    // Without upgrade_first, the plugin's first revision stops on the core's table, and the
    // failure says what to write.
    replace_in(
        &member_file,
        "upgrade_first = [\"../../shop/migration\"]",
        "",
    );
    let out = run(harness(&member_dir)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .args(["run", "fresh", "--filter", "python-3.10"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1.contains("no such table: products") && out.1.contains("`upgrade_first = [\"...\"]`"),
        "{}",
        out.1
    );
}

/// `harness init` where PostgreSQL 17 runs in a container: the output and harness.toml.
fn init_on_postgres(root: &Path) -> ((i32, String, String), String) {
    let out = run(harness(root)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .env("HARNESS_BACKEND_POSTGRES_17", "container")
        .arg("init"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(root.join("harness.toml")).unwrap();
    (out, toml)
}

/// `harness run` with no flags there: every one of the six cells passes.
fn run_on_postgres(root: &Path, toml: &str) -> (i32, String, String) {
    let out = run(harness(root)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .env("HARNESS_BACKEND_POSTGRES_17", "container")
        .args(["run", "--jobs", "2"]));
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("6 cells: 6 passed"), "{}", out.1);
    out
}

/// A project that runs on PostgreSQL only (compose image, psycopg, JSONB): init writes
/// `postgres:17` with the evidence, leaves SQLite out after a trial there fails, and the run with
/// no flags reaches head on PostgreSQL.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a PostgreSQL image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_postgres_only_project_gets_postgres_and_no_sqlite() {
    let dir = layout("postgres-only");
    let root = dir.path();
    let (out, toml) = init_on_postgres(root);
    assert!(toml.contains("databases = [\"postgres:17\"]\n"), "{toml}");
    assert!(
        toml.contains("#   postgres:17: image postgres:17.5 in docker-compose.yml:3"),
        "{toml}"
    );
    assert!(
        toml.contains("a trial `alembic upgrade heads` on an empty postgres:17 database passed"),
        "{toml}"
    );
    assert!(out.2.contains("SQLite is left out"), "{}", out.2);
    assert!(
        out.2.contains("can't render element of type JSONB"),
        "{}",
        out.2
    );

    let out = run_on_postgres(root, &toml);
    assert!(out.1.contains("fresh/postgres-17/"), "{}", out.1);
}

/// env.py reads its URL from an Alembic option of its own (`config.get_main_option("url")`): init
/// writes `url_options`, and every cell's Alembic gets the cell's URL there.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_custom_alembic_option_for_the_url_gets_the_cells_url() {
    let (dir, toml) = init_then_run("custom-url-key");
    assert!(toml.contains("url_options = [\"url\"]"), "{toml}");
    assert!(
        !dir.path().join("dev.db").exists(),
        "the developer's SQLite file is never created"
    );
}

/// A service that builds its URL from DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME, and
/// whose settings demand a secret at import: init maps each part to the cell's, gives the secret
/// a throwaway value, leaves the pool size alone, and the run reaches head on PostgreSQL.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a PostgreSQL image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn split_url_variables_get_the_cells_parts_and_a_required_secret_a_throwaway_value() {
    let dir = layout("split-url-variables");
    let root = dir.path();
    let (_, toml) = init_on_postgres(root);
    for line in [
        "DB_HOST = \"${HARNESS_DATABASE_HOST}\"",
        "DB_PORT = \"${HARNESS_DATABASE_PORT}\"",
        "DB_USER = \"${HARNESS_DATABASE_USER}\"",
        "DB_PASSWORD = \"${HARNESS_DATABASE_PASSWORD}\"",
        "DB_NAME = \"${HARNESS_DATABASE_NAME}\"",
        "ORDERS_SECRET_KEY = \"${HARNESS_RUN_SECRET}\"",
        "databases = [\"postgres:17\"]",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    assert!(!toml.contains("DB_POOL_SIZE ="), "{toml}");
    run_on_postgres(root, &toml);
}

/// A pinned dependency that does not build on the newest Python: init says which Python and why
/// (the package and the header its build lacks), tries the next, and writes the newest and oldest
/// whose environments install; the run then passes on both.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_python_the_pins_do_not_install_on_is_left_out_saying_why() {
    let dir = layout("python-pins");
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2
            .contains("cannot install the dependencies (tallyhelper needs tallyhelper_legacy_abi.h); trying Python 3.12"),
        "{}",
        out.2
    );
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(
        toml.contains("left out of the matrix, as their environments do not install: Python 3.13 (tallyhelper needs tallyhelper_legacy_abi.h)"),
        "{toml}"
    );
    assert!(
        toml.contains("runtimes = [\"python:3.10\", \"python:3.12\"]"),
        "{toml}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("4 cells: 4 passed"), "{}", out.1);
}

/// A project that imports a module newer Pythons removed from the standard library (`imp`): its
/// dependencies install everywhere, but the trial stops on the import, so init says which Python
/// removed it, tries older ones, and writes the newest and oldest that run the project.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_python_that_removed_a_module_the_project_imports_is_left_out_saying_why() {
    let dir = layout("stdlib-removed");
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2.contains(
            "the project imports `imp`, which Python 3.12 removed from the standard library; trying Python 3.11"
        ),
        "{}",
        out.2
    );
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(
        toml.contains("left out of the matrix, as the project's code does not run there: Python 3.12 (no `imp`: removed from the standard library in Python 3.12)"),
        "{toml}"
    );
    assert!(
        toml.contains("runtimes = [\"python:3.10\", \"python:3.11\"]"),
        "{toml}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("6 cells: 6 passed"), "{}", out.1);
}

/// An app that loads its plugins from an entry-point group its own pyproject.toml declares: init
/// installs the project in develop mode so the group exists, says why, and the run passes; without
/// that line, env.py's import of the app fails.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn plugins_registered_as_entry_points_get_the_project_installed() {
    let (dir, toml) = init_then_run("entry-point-plugins");
    assert!(
        toml.contains("the app loads plugins from the entry-point group `vault.plugins` (vault/factory.py:9), which pyproject.toml declares"),
        "{toml}"
    );
    assert!(toml.contains("\"-e .\"]"), "{toml}");
    // The develop install left the project's metadata in the checkout (vault.egg-info), where
    // Python finds the group too: without both, the app does not load.
    replace_in(&dir.path().join("harness.toml"), ", \"-e .\"]", "]");
    std::fs::remove_dir_all(dir.path().join("vault.egg-info")).unwrap();
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(out.1.contains("no notifier plugin 'email'"), "{}", out.1);
}

/// A Flask app in a folder below the root, made by `create_app` in a nested package, with nothing
/// for Flask to find it by: init names the module and puts its folder on `pythonpath`.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_flask_factory_in_a_nested_package_of_an_app_folder_is_found() {
    let (dir, toml) = init_then_run("nested-flask");
    assert!(
        toml.contains("FLASK_APP = \"portal.core.factory\""),
        "{toml}"
    );
    assert!(toml.contains("pythonpath = [\"server\"]"), "{toml}");
    assert!(
        toml.contains("PORTAL_DATABASE_URL = \"${DATABASE_URL}\""),
        "the app's own URL variable: {toml}"
    );
    assert!(!dir.path().join("server/portal.db").exists());
}

/// A project that migrates only through its own console script (env.py needs what the script
/// passes in `config.attributes`): the trial fails, and init names the script whose package calls
/// Alembic, with the configuration that drives it; `package:path` in alembic.ini puts the
/// package's folder on `pythonpath`.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_project_that_migrates_only_through_its_own_command_gets_it_named() {
    let dir = layout("own-migrate-command");
    // Without the guide saying how to run it.
    std::fs::remove_dir_all(dir.path().join("docs")).unwrap();
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.2.contains("the project has its own migrate command, `depot` (src/depot/cli.py calls Alembic's command.upgrade)"),
        "{}",
        out.2
    );
    assert!(out.2.contains("KeyError: 'settings'"), "{}", out.2);
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("pythonpath = [\"src\"]"), "{toml}");
    assert!(toml.contains("upgrade = [\"depot\", ...]"), "{toml}");
}

/// env.py names its version table in code (`"{}_version".format(name)`, as CKAN's plugins do):
/// init takes the table the trial's upgrade really left, so cells watch that one.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_version_table_env_py_names_in_code_is_read_from_the_trial() {
    let dir = layout("custom-url-key");
    let env_py = dir.path().join("migrations/env.py");
    replace_in(
        &env_py,
        "context.configure(connection=connection, target_metadata=None)",
        "context.configure(connection=connection, target_metadata=None, version_table=\"{}_version\".format(\"notebook\"))",
    );
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(
        toml.contains("version_table = \"notebook_version\""),
        "{toml}"
    );
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
}

/// The migrations live inside the app's package, so Flask runs in a package folder and would read
/// `portal.core.factory` as `portal.portal.core.factory`: init names the factory's file instead.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_flask_app_run_from_inside_its_package_is_named_by_its_file() {
    let dir = layout("nested-flask");
    std::fs::rename(
        dir.path().join("server/migrations"),
        dir.path().join("server/portal/migrations"),
    )
    .unwrap();
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("path = \"server/portal\""), "{toml}");
    assert!(toml.contains("FLASK_APP = \"core/factory.py\""), "{toml}");
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
}

/// A revision that reads Flask's `current_app` when it is imported (as Lemur's do): the revision
/// graph is read inside the app, as `flask db heads` reads it.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_revision_that_needs_the_flask_app_at_import_is_read_inside_it() {
    let dir = layout("flask-app");
    let revision = dir
        .path()
        .join("migrations/versions/7e44b1c0a9d3_add_colour.py");
    let text = std::fs::read_to_string(&revision).unwrap();
    std::fs::write(
        &revision,
        format!("from flask import current_app\n\nAPP_NAME = current_app.name\n{text}"),
    )
    .unwrap();
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.2.contains("reports 2 revisions"), "{}", out.2);
    let out = sqlite_run(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
}

/// env.py opens its own engine on a URL written in it: init switches to `foreign_urls =
/// "redirect"` and tries again, so its notes say how far the migrations then get.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_engine_on_the_projects_own_url_is_redirected_and_the_trial_runs_again() {
    let dir = layout("custom-url-key");
    let env_py = dir.path().join("migrations/env.py");
    replace_in(
        &env_py,
        "create_engine(config.get_main_option(\"url\"), poolclass=pool.NullPool)",
        "create_engine(\"sqlite:///notebook.db\", poolclass=pool.NullPool)",
    );
    let out = init(dir.path());
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(dir.path().join("harness.toml")).unwrap();
    assert!(toml.contains("foreign_urls = \"redirect\""), "{toml}");
    assert!(
        toml.contains("a trial `alembic upgrade heads` on an empty sqlite database passed"),
        "{toml}"
    );
    assert!(!dir.path().join("notebook.db").exists());
}

/// Settings configured as the project's image runs them: a required `PRODUCTION` the Dockerfile
/// sets, the engine chosen by a word (`DB_ENGINE`), a data folder written in production, all in
/// a settings package that re-exports its modules. init gives each its value and the run on
/// SQLite writes nothing outside the cell.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn settings_get_the_images_values_the_cells_engine_by_name_and_a_folder_of_its_own() {
    let dir = layout("image-settings");
    let root = dir.path();
    let outside = Path::new("/var/lib/recipes-example-data");
    let out = init_sqlite(root);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(root.join("harness.toml")).unwrap();
    for line in [
        "PRODUCTION = \"true\"                # required by the settings at recipes/settings/config.py:6; the value the project's image gives it (docker/Dockerfile:6)",
        "DB_ENGINE = \"${HARNESS_DATABASE_ENGINE}\"",
        "DATA_DIR = \"${HARNESS_CELL_DIR}\"",
        "POSTGRES_SERVER = \"${HARNESS_DATABASE_HOST}\"",
        "foreign_urls = \"redirect\"",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    let out = sqlite_run(root);
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("0 failed"), "{}", out.1);
    assert!(
        !outside.exists(),
        "the app wrote its files outside the cell"
    );
}

/// The same project on PostgreSQL: `DB_ENGINE` is `postgres` there, and the URL the settings
/// build from the `POSTGRES_*` parts is the cell's own, so no cell needs a redirect to pass.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a PostgreSQL image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn settings_that_choose_postgres_by_a_word_reach_head_on_postgres() {
    let dir = layout("image-settings");
    let root = dir.path();
    let (_, toml) = init_on_postgres(root);
    assert!(
        toml.contains("databases = [\"postgres:17\", \"sqlite\"]"),
        "{toml}"
    );
    let out = run(harness(root)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .env("HARNESS_BACKEND_POSTGRES_17", "container")
        .args(["run", "--jobs", "2"]));
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    let snapshot = std::fs::read_to_string(root.join("snapshots/fresh/postgres-17.snap")).unwrap();
    assert!(snapshot.contains("column servings integer"), "{snapshot}");
}

/// The same project with its operations guide: init tries the command as the guide runs it, with
/// the URL where the guide puts it, and writes `tool = "command"`; the run reaches head through it.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_documented_migrate_command_becomes_the_tool_and_reaches_head() {
    let dir = layout("own-migrate-command");
    let root = dir.path();
    let out = init(root);
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(root.join("harness.toml")).unwrap();
    for line in [
        "tool = \"command\"",
        "upgrade = [\"depot\", \"db-upgrade\"]",
        "url_env = \"DEPOT_DATABASE_URL\"",
        "\"-e .\"] # installed too",
        "`depot db-upgrade` (README.md:3, and 3 other places), with the URL in DEPOT_DATABASE_URL (docs/operations.md:6)",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    assert!(!root.join("scenarios/roundtrip.toml").exists());
    let out = run(harness(root)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .args(["run", "--jobs", "2"]));
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("0 failed"), "{}", out.1);
    let snapshot = std::fs::read_to_string(root.join("snapshots/fresh/sqlite.snap")).unwrap();
    assert!(snapshot.contains("table crates"), "{snapshot}");
    assert!(!root.join("depot.db").exists());
}

/// `harness init` then `harness run` on the Redis layout with the service's backend set, both
/// without further flags; every process sees the same backend.
fn init_then_run_with_redis(backend: &str) -> (tempfile::TempDir, String, (i32, String, String)) {
    let dir = layout("redis-at-startup");
    let root = dir.path();
    let with_backend = |command: &mut std::process::Command| {
        command
            .env_remove("HARNESS_RUNTIME_BACKEND")
            .env("HARNESS_BACKEND_REDIS", backend);
    };
    let mut init = harness(root);
    with_backend(&mut init);
    let out = run(init.arg("init"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let toml = std::fs::read_to_string(root.join("harness.toml")).unwrap();
    let mut again = harness(root);
    with_backend(&mut again);
    let ran = run(again.args(["run", "--jobs", "2"]));
    (dir, toml, ran)
}

/// An app that connects to Redis when env.py builds it: init sees the trial stop on the refused
/// connection, starts a Redis for the trial, points the app's setting at it and writes
/// `services = ["redis"]`; the run starts one Redis for its cells (this machine's redis-server)
/// and leaves none running.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters, the package index and redis-server: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_app_that_reaches_redis_when_it_starts_gets_a_redis_per_run() {
    let servers = || {
        let out = std::process::Command::new("pgrep")
            // A local server's title names its loopback address (a container's listens on `*`).
            .args(["-c", "-f", "^redis-server 127\\.0\\.0\\.1:"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .unwrap_or(0)
    };
    let before = servers();
    let (dir, toml, out) = init_then_run_with_redis("local");
    for line in [
        "services = [\"redis\"]",
        "SHOP_REDIS_URL = \"${HARNESS_REDIS_URL}\"",
        "SHOP_DATABASE_URL = \"${DATABASE_URL}\"",
    ] {
        assert!(toml.contains(line), "{line}\n{toml}");
    }
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("6 cells: 6 passed"), "{}", out.1);
    // The servers went with the init and the run.
    assert!(servers() <= before, "a redis-server outlived the run");
    // Without the service the same project stops where it stopped before init knew it.
    let file = dir.path().join("harness.toml");
    let text = toml
        .replace("services = [\"redis\"]", "")
        .replace("SHOP_REDIS_URL = \"${HARNESS_REDIS_URL}\"", "");
    std::fs::write(&file, text).unwrap();
    let out = run(harness(dir.path())
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .args(["run", "fresh", "--database", "sqlite"]));
    assert_ne!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1.contains("connecting to localhost:6379"),
        "{}",
        transcript(&out)
    );
}

/// The same with the container backend (the image HARNESS_IMAGE_REDIS names: scripts/setup
/// builds one with redis-server): the run's Redis is a container, removed at the end, and a
/// runtime container reaches it too.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and an image with redis-server: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_redis_container_serves_the_run_and_is_removed_after_it() {
    let (dir, toml, out) = init_then_run_with_redis("container");
    assert!(toml.contains("services = [\"redis\"]"), "{toml}");
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("6 cells: 6 passed"), "{}", out.1);
    // A runtime container reaches it by its name on the run's network.
    let out = run(harness(dir.path())
        .env("HARNESS_RUNTIME_BACKEND", "container")
        .env("HARNESS_BACKEND_REDIS", "container")
        .args(["run", "fresh", "--filter", "*python-3.10", "--check"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.contains("1 cell: 1 passed"), "{}", out.1);
    let left = std::process::Command::new("docker")
        .args([
            "ps",
            "-a",
            "-q",
            "--filter",
            "label=dev.harness.service=redis",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "a Redis container outlived the run"
    );
}

/// A base revision written for a legacy schema catches the error of its own statement, leaving
/// PostgreSQL's transaction aborted: init recognises the stop in the base revision, tries a fresh
/// install from the models, and writes `bootstrap = "models"`; the run passes on PostgreSQL.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a PostgreSQL image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_base_revision_that_swallows_its_error_gets_a_fresh_install_from_the_models() {
    let dir = layout("legacy-base-revision");
    let root = dir.path();
    let (out, toml) = init_on_postgres(root);
    assert!(
        out.2.contains("current transaction is aborted")
            && out.2.contains("they expect a schema none of them creates"),
        "{}",
        out.2
    );
    assert!(toml.contains("bootstrap = \"models\""), "{toml}");
    // SQLite stays: from the models, its trial reaches head too.
    assert!(
        toml.contains("databases = [\"postgres:17\", \"sqlite\"]\n"),
        "{toml}"
    );
    let out = run(harness(root)
        .env_remove("HARNESS_RUNTIME_BACKEND")
        .env("HARNESS_BACKEND_POSTGRES_17", "container")
        .args(["run", "--jobs", "2"]));
    assert_eq!(out.0, 0, "{toml}\n{}", transcript(&out));
    assert!(out.1.contains("fresh/postgres-17/"), "{}", out.1);
}

/// An app that upgrades its own database to head when it loads (`flask_migrate.upgrade()` in its
/// factory, as apps that "migrate on start" do): the harness skips that upgrade while it runs a
/// step, so a scenario that stops at the first revision stays there, and a `locks` cell traces
/// each revision as it runs.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_app_that_migrates_itself_when_it_loads_leaves_the_steps_to_the_harness() {
    let dir = layout("flask-app");
    let root = dir.path();
    replace_in(
        &root.join("notes/__init__.py"),
        "    from notes import models  # noqa: F401  (registers the tables)\n",
        "    from notes import models  # noqa: F401  (registers the tables)\n    from flask_migrate import upgrade\n    with app.app_context():\n        upgrade()  # the app migrates its database when it starts\n",
    );
    let out = init(root);
    assert_eq!(out.0, 0, "init\n{}", transcript(&out));
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    std::fs::write(
        root.join("scenarios/first-only.toml"),
        "target = \"1f0c3a9d2b71\"\n[expect]\nversion = [\"1f0c3a9d2b71\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("scenarios/locks.toml"),
        "kind = \"locks\"\n[expect]\nrewrites = \"allow\"\n",
    )
    .unwrap();
    let out = run(harness(root).env_remove("HARNESS_RUNTIME_BACKEND").args([
        "run",
        "first-only",
        "locks",
        "--database",
        "sqlite",
        "--report",
        &format!("json={}", root.join("report.json").display()),
    ]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let cells = common::report_cells(&root.join("report.json"));
    let locks = cells
        .iter()
        .find(|c| c["scenario"] == "locks")
        .expect("a locks cell");
    let revisions: Vec<&str> = locks["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["revision"].as_str())
        .collect();
    assert!(
        revisions.contains(&"1f0c3a9d2b71") && revisions.contains(&"7e44b1c0a9d3"),
        "{locks}"
    );
}
