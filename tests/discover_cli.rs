//! `harness lint` finding the project the way repositories lay it out: alembic.ini deep in a
//! repository, harness.toml in a folder above the working one, Flask-Migrate's
//! `migrations/alembic.ini`, a template whose script_location the application fills in, and a
//! monorepo of several projects. Each repository is written into a temporary folder.

use std::path::{Path, PathBuf};
use std::process::Command;

const ENV_PY: &str = "from alembic import context\n\ncontext.configure(url='sqlite://')\n";
const FLASK_ENV_PY: &str = "from flask import current_app\nfrom alembic import context\n\n\
                            context.configure(connection=current_app.extensions['migrate'].db.engine)\n";

/// A repository in a temporary folder; its root holds `.git`, as a clone's does.
struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        Self { _dir: dir, root }
    }

    fn file(&self, path: &str, text: &str) -> &Self {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// An Alembic script folder in `dir`: env.py and two revisions, `a1` then `b2`.
    fn scripts(&self, dir: &str, env_py: &str) -> &Self {
        self.file(&format!("{dir}/env.py"), env_py)
            .file(
                &format!("{dir}/versions/a1_create_users.py"),
                "\"\"\"create users\"\"\"\nrevision = \"a1\"\ndown_revision = None\n",
            )
            .file(
                &format!("{dir}/versions/b2_add_email.py"),
                "\"\"\"add email\"\"\"\nrevision = \"b2\"\ndown_revision = \"a1\"\n",
            )
    }

    /// `harness ARGS` run in `folder` (relative to the root): exit code, stdout and stderr, with
    /// the root's path shown as `[REPO]`.
    fn harness(&self, folder: &str, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(args)
            .current_dir(self.root.join(folder))
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .output()
            .expect("harness runs");
        let text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            output
                .status
                .code()
                .map_or("signal".to_string(), |c| c.to_string()),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        text.replace(&self.root.display().to_string(), "[REPO]")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn lint_from_the_root_finds_alembic_ini_four_levels_down() {
    let repo = Repo::new();
    repo.file(
        "services/billing/backend/db/alembic.ini",
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///billing.db\n",
    )
    .scripts("services/billing/backend/db/migrations", ENV_PY)
    .file("services/billing/node_modules/pkg/alembic.ini", "")
    .file(
        ".venv/lib/site-packages/alembic/templates/generic/alembic.ini",
        "",
    );
    let out = repo.harness(".", &["lint"]);
    assert!(out.starts_with("exit: 0\n"), "{out}");
    snapshot("lint_four_levels_down", &out);

    // A repository root given as PATH is searched the same way.
    let graph = repo.harness(".", &["graph", "services"]);
    assert!(graph.starts_with("exit: 0\n"), "{graph}");
    assert!(graph.contains("b2"), "{graph}");
}

#[test]
fn lint_and_list_from_a_subfolder_use_the_harness_toml_above() {
    let repo = Repo::new();
    repo.file(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"db\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    )
    .file("scenarios/fresh.toml", "description = \"fresh\"\n")
    .file("db/alembic.ini", "[alembic]\nscript_location = migrations\n")
    .scripts("db/migrations", ENV_PY)
    .file("app/models/user.py", "class User: ...\n");
    let out = repo.harness("app/models", &["lint"]);
    assert!(out.starts_with("exit: 0\n"), "{out}");
    snapshot("lint_from_a_subfolder", &out);

    let list = repo.harness("app/models", &["list"]);
    assert_eq!(
        list,
        "exit: 0\n--- stdout\nfresh/sqlite/python-3.12\n--- stderr\n"
    );

    // In harness.toml's own project folder, harness.toml is still the configuration.
    let own = repo.harness("db", &["lint"]);
    assert_eq!(own, out);
}

#[test]
fn an_example_inside_a_configured_repository_is_linted_on_its_own() {
    let repo = Repo::new();
    repo.file(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"db\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    )
    .file("scenarios/fresh.toml", "description = \"fresh\"\n")
    .file("db/alembic.ini", "[alembic]\nscript_location = migrations\n")
    .scripts("db/migrations", ENV_PY)
    .file("examples/demo/alembic.ini", "[alembic]\nscript_location = migrations\n")
    .scripts("examples/demo/migrations", ENV_PY)
    .file(
        "examples/demo/migrations/versions/c3_add_index.py",
        "revision = \"c3\"\ndown_revision = \"b2\"\n",
    );
    let out = repo.harness("examples/demo", &["lint"]);
    assert_eq!(
        out,
        "exit: 0\n--- stdout\nno findings: 3 files, 3 revisions, 1 head (c3)\n--- stderr\n"
    );
    let nested = repo.harness("examples", &["lint"]);
    assert_eq!(
        nested,
        "exit: 0\n--- stdout\nno findings: 3 files, 3 revisions, 1 head (c3)\n--- stderr\nnote: found demo/alembic.ini\n"
    );
}

#[test]
fn a_flask_migrate_layout_runs_from_the_application_folder() {
    let repo = Repo::new();
    repo.file(
        "migrations/alembic.ini",
        "# A generic, single database configuration.\n\n[alembic]\n# template used to generate migration files\n# file_template = %%(rev)s_%%(slug)s\n\n[loggers]\nkeys = root,sqlalchemy,alembic,flask_migrate\n",
    )
    .scripts("migrations", FLASK_ENV_PY)
    .file("app.py", "from flask import Flask\napp = Flask(__name__)\n");
    let out = repo.harness(".", &["lint"]);
    assert!(out.starts_with("exit: 0\n"), "{out}");
    snapshot("lint_flask_migrate", &out);
}

#[test]
fn a_template_placeholder_uses_the_scripts_beside_the_ini() {
    let repo = Repo::new();
    repo.file(
        "backend/alembic.ini",
        "[alembic]\nscript_location = {alembic_dir}\nsqlalchemy.url = {database_url}\n",
    )
    .scripts("backend/migrations", ENV_PY);
    let out = repo.harness(".", &["lint"]);
    assert!(out.starts_with("exit: 0\n"), "{out}");
    snapshot("lint_template_placeholder", &out);

    let bare = Repo::new();
    bare.file(
        "alembic.ini",
        "[alembic]\nscript_location = {alembic_dir}\n",
    );
    let out = bare.harness(".", &["lint"]);
    assert!(out.starts_with("exit: 2\n"), "{out}");
    snapshot("lint_template_placeholder_alone", &out);
}

/// From the root, lint covers every project found, one report after the other (it used to stop with
/// a usage error listing them); `--format json` still needs one, and lists the command for each.
#[test]
fn two_projects_are_each_linted_from_the_root() {
    let repo = Repo::new();
    repo.file(
        "services/users/alembic.ini",
        "[alembic]\nscript_location = %(here)s/migrations\n",
    )
    .scripts("services/users/migrations", ENV_PY)
    .file(
        "services/billing/alembic.ini",
        "[alembic]\nscript_location = alembic\n",
    )
    .scripts("services/billing/alembic", ENV_PY);
    let out = repo.harness(".", &["lint"]);
    assert!(out.starts_with("exit: 0\n"), "{out}");
    assert!(out.contains("2 projects; each is linted in turn"), "{out}");
    assert!(out.contains("== services/billing/alembic.ini"), "{out}");
    assert!(out.contains("== services/users/alembic.ini"), "{out}");
    let json = repo.harness(".", &["lint", "--format", "json"]);
    assert!(json.starts_with("exit: 2\n"), "{json}");
    snapshot("lint_two_projects", &json);

    let one = repo.harness(".", &["lint", "services/users/alembic.ini"]);
    assert!(one.starts_with("exit: 0\n"), "{one}");
    assert!(Path::new(&repo.path("services/users/migrations/env.py")).is_file());
}

#[test]
fn run_without_harness_toml_names_the_projects_below_and_init() {
    let repo = Repo::new();
    repo.file(
        "services/billing/alembic.ini",
        "[alembic]\nscript_location = migrations\n",
    )
    .scripts("services/billing/migrations", ENV_PY);
    let out = repo.harness("", &["run"]);
    assert!(
        out.contains("no harness.toml in this folder")
            && out.contains(
                "help: Alembic project below this folder: services/billing/alembic.ini; `harness init` writes harness.toml for it"
            ),
        "{out}"
    );
    let empty = Repo::new();
    let out = empty.harness("", &["run"]);
    assert!(
        out.contains("help: run from the project's root, pass --config FILE or -C DIR"),
        "{out}"
    );
}
