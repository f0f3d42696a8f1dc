//! Discovery on repository layouts written into temporary folders.

use std::path::{Path, PathBuf};

use super::*;

const ENV_PY: &str = "from alembic import context\n\ncontext.configure(url='sqlite://')\n";
const FLASK_ENV_PY: &str =
    "from flask import current_app\nfrom alembic import context\n\ncontext.configure()\n";

/// A temporary repository (its root holds `.git`, so nothing above it is ever read).
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(repo.root().join(".git")).unwrap();
        repo
    }

    fn root(&self) -> PathBuf {
        normalize(&std::path::absolute(self.dir.path()).unwrap())
    }

    fn file(&self, path: &str, text: &str) -> &Self {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// env.py (Alembic's, or a Flask one) and an empty versions/ in `dir`.
    fn scripts(&self, dir: &str, env_py: &str) -> &Self {
        self.file(&format!("{dir}/env.py"), env_py);
        std::fs::create_dir_all(self.root().join(dir).join("versions")).unwrap();
        self
    }

    fn path(&self, rel: &str) -> PathBuf {
        if rel == "." {
            self.root()
        } else {
            self.root().join(rel)
        }
    }

    fn only(&self) -> AlembicProject {
        let mut projects = find_projects(&self.root()).unwrap();
        assert_eq!(projects.len(), 1, "{projects:#?}");
        projects.remove(0)
    }
}

#[test]
fn alembic_ini_four_levels_down_resolves_from_its_own_folder() {
    let repo = Repo::new();
    repo.file(
        "services/billing/backend/db/alembic.ini",
        "[alembic]\nscript_location = migrations\n",
    )
    .scripts("services/billing/backend/db/migrations", ENV_PY);
    let project = repo.only();
    assert_eq!(
        project.ini,
        Some(repo.path("services/billing/backend/db/alembic.ini"))
    );
    assert_eq!(project.run_dir, repo.path("services/billing/backend/db"));
    assert_eq!(
        project.script_dir,
        repo.path("services/billing/backend/db/migrations")
    );
    assert_eq!(project.script_location_override, None);
    assert_eq!(
        project.version_dirs.dirs,
        [repo.path("services/billing/backend/db/migrations/versions")]
    );
    assert!(!project.flask);
    assert!(project.notes.is_empty(), "{:?}", project.notes);
}

#[test]
fn a_relative_script_location_resolves_from_the_first_folder_above_that_holds_it() {
    let repo = Repo::new();
    repo.file(
        "deploy/alembic/alembic.ini",
        "[alembic]\nscript_location = app/db/migrations\n",
    )
    .scripts("app/db/migrations", ENV_PY);
    let project = repo.only();
    assert_eq!(project.run_dir, repo.root());
    assert_eq!(project.script_dir, repo.path("app/db/migrations"));
    assert_eq!(project.script_location_override, None);
}

#[test]
fn here_is_the_ini_folder_and_parent_components_fold() {
    let repo = Repo::new();
    repo.file(
        "config/alembic.ini",
        "[alembic]\nscript_location = %(here)s/../db/./migrations\n",
    )
    .scripts("db/migrations", ENV_PY);
    let project = repo.only();
    assert_eq!(project.script_dir, repo.path("db/migrations"));
    assert_eq!(project.run_dir, repo.path("config"));
}

#[test]
fn flask_migrate_layout_without_script_location_is_its_own_folder() {
    let repo = Repo::new();
    repo.file(
        "app/migrations/alembic.ini",
        "[alembic]\n\n[loggers]\nkeys = root\n",
    )
    .scripts("app/migrations", FLASK_ENV_PY);
    let project = repo.only();
    assert_eq!(project.ini, Some(repo.path("app/migrations/alembic.ini")));
    assert_eq!(project.run_dir, repo.path("app"));
    assert_eq!(project.script_dir, repo.path("app/migrations"));
    assert_eq!(
        project.script_location_override.as_deref(),
        Some("migrations")
    );
    assert!(project.flask);
    assert_eq!(
        project.notes,
        [
            "app/migrations/alembic.ini names no script_location; using app/migrations/ (env.py beside the file), as Flask-Migrate does"
        ]
    );
}

#[test]
fn a_template_placeholder_falls_back_to_the_scripts_beside_the_ini() {
    let repo = Repo::new();
    repo.file(
        "backend/alembic.ini",
        "[alembic]\nscript_location = {alembic_dir}\nversion_locations = {alembic_dir}/versions\n",
    )
    .scripts("backend/migrations", ENV_PY)
    .scripts("backend/tools", ENV_PY);
    let project = repo.only();
    assert_eq!(project.run_dir, repo.path("backend"));
    assert_eq!(project.script_dir, repo.path("backend/migrations"));
    assert_eq!(
        project.script_location_override.as_deref(),
        Some("migrations")
    );
    assert_eq!(
        project.version_dirs.dirs,
        [repo.path("backend/migrations/versions")]
    );
    assert_eq!(
        project.notes,
        [
            "backend/alembic.ini names script_location `{alembic_dir}`, a placeholder the application fills in; using backend/migrations/ (env.py and versions/ beside the file)",
            "backend/alembic.ini names version_locations `{alembic_dir}/versions`, a placeholder; reading backend/migrations/versions/",
        ]
    );
}

#[test]
fn a_placeholder_with_nothing_beside_it_is_an_error_naming_the_file_and_value() {
    let repo = Repo::new();
    repo.file(
        "alembic.ini",
        "[alembic]\nscript_location = ${MIGRATIONS}\n",
    );
    let err = find_projects(&repo.root()).unwrap_err();
    assert!(matches!(err, DiscoverError::Placeholder { .. }), "{err:?}");
    let text = err.with_help();
    assert!(
        text.contains(&format!(
            "{}: script_location `${{MIGRATIONS}}`",
            repo.path("alembic.ini").display()
        )),
        "{text}"
    );
    assert!(text.contains("help: set `script_location`"), "{text}");
}

#[test]
fn a_location_found_nowhere_falls_back_and_says_where_it_looked() {
    let repo = Repo::new();
    repo.file("db/alembic.ini", "[alembic]\nscript_location = gone\n")
        .scripts("db/alembic", ENV_PY);
    let project = repo.only();
    assert_eq!(project.script_dir, repo.path("db/alembic"));
    assert_eq!(project.script_location_override.as_deref(), Some("alembic"));
    assert_eq!(
        project.notes,
        [
            "db/alembic.ini names script_location `gone`, which holds no env.py from db/, ./; using db/alembic/ (env.py and versions/ beside the file)"
        ]
    );

    let bare = Repo::new();
    bare.file("db/alembic.ini", "[alembic]\nscript_location = gone\n");
    let err = find_projects(&bare.root()).unwrap_err();
    let DiscoverError::Unresolved { tried, value, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(value, "gone");
    assert_eq!(tried, &[bare.path("db"), bare.root()]);
}

#[test]
fn a_package_location_resolves_under_the_root_or_src() {
    let repo = Repo::new();
    repo.file(
        "alembic.ini",
        "[alembic]\nscript_location = shop.db:migrations\n",
    )
    .file("src/shop/__init__.py", "")
    .file("src/shop/db/__init__.py", "")
    .scripts("src/shop/db/migrations", ENV_PY);
    let project = repo.only();
    assert_eq!(project.script_dir, repo.path("src/shop/db/migrations"));
    assert_eq!(project.run_dir, repo.root());
    assert_eq!(project.script_location_override, None);

    // An alembic.ini kept inside the package it names (Netflix's dispatch).
    let inside = Repo::new();
    inside
        .file(
            "src/shop/alembic.ini",
            "[alembic]\nscript_location = shop:db/migrations\n",
        )
        .file("src/shop/__init__.py", "")
        .scripts("src/shop/db/migrations", ENV_PY);
    assert_eq!(
        inside.only().script_dir,
        inside.path("src/shop/db/migrations")
    );
    // ... also when the search starts in the package's own folder (`harness drift src/shop`).
    let found = find_projects(&inside.path("src/shop")).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].script_dir, inside.path("src/shop/db/migrations"));

    let missing = Repo::new();
    missing.file(
        "alembic.ini",
        "[alembic]\nscript_location = shop:migrations\n",
    );
    let err = find_projects(&missing.root()).unwrap_err();
    assert!(
        matches!(&err, DiscoverError::PackageNotFound { package, .. } if package == "shop"),
        "{err:?}"
    );
}

#[test]
fn several_version_locations_and_recursion() {
    let repo = Repo::new();
    repo.file(
        "alembic.ini",
        "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/migrations/versions %(here)s/plugins/versions\nrecursive_version_locations = true\n",
    )
    .scripts("migrations", ENV_PY)
    .file("plugins/versions/a/0001_x.py", "revision = '1'\n");
    let project = repo.only();
    assert_eq!(
        project.version_dirs.dirs,
        [
            repo.path("migrations/versions"),
            repo.path("plugins/versions")
        ]
    );
    assert!(project.version_dirs.recursive);
    assert_eq!(
        project.version_dirs.files().unwrap(),
        [repo.path("plugins/versions/a/0001_x.py")]
    );
}

#[test]
fn other_ini_names_count_when_they_have_an_alembic_section() {
    let repo = Repo::new();
    repo.file(
        "db/migrate.ini",
        "[alembic]\nscript_location = %(here)s/scripts\n",
    )
    .file("db/pytest.ini", "[pytest]\n")
    .scripts("db/scripts", ENV_PY);
    assert_eq!(repo.only().ini, Some(repo.path("db/migrate.ini")));
}

#[test]
fn a_monorepo_gives_every_project_and_one_script_folder_is_one_project() {
    let repo = Repo::new();
    repo.file(
        "services/users/alembic.ini",
        "[alembic]\nscript_location = migrations\n",
    )
    .scripts("services/users/migrations", ENV_PY)
    .file(
        "services/billing/alembic.ini",
        "[alembic]\nscript_location = db\n",
    )
    .file(
        "services/billing/config/test.ini",
        "[alembic]\nscript_location = %(here)s/../db\n",
    )
    .scripts("services/billing/db", ENV_PY);
    let projects = find_projects(&repo.root()).unwrap();
    let inis: Vec<String> = projects
        .iter()
        .map(|p| relative(&repo.root(), p.origin()))
        .collect();
    assert_eq!(
        inis,
        ["services/billing/alembic.ini", "services/users/alembic.ini"]
    );
}

#[test]
fn without_any_ini_the_script_folders_are_the_projects() {
    let repo = Repo::new();
    repo.scripts("app/migrations", FLASK_ENV_PY)
        .scripts("docs/example", "print('not a migration environment')\n");
    let project = repo.only();
    assert_eq!(project.ini, None);
    assert_eq!(project.run_dir, repo.root());
    assert_eq!(project.script_dir, repo.path("app/migrations"));
    assert_eq!(
        project.script_location_override.as_deref(),
        Some("app/migrations")
    );
    assert_eq!(
        project.version_dirs,
        VersionDirs::folder(repo.path("app/migrations/versions"))
    );
    assert!(project.flask);
    assert_eq!(project.origin(), repo.path("app/migrations"));
}

#[test]
fn nothing_found_is_an_error_that_names_the_root() {
    let repo = Repo::new();
    repo.file("README.md", "# nothing here\n");
    let err = find_projects(&repo.root()).unwrap_err();
    assert!(matches!(err, DiscoverError::NoProject { .. }));
    let text = err.with_help();
    assert!(
        text.starts_with(&format!("no Alembic project in {}", repo.root().display())),
        "{text}"
    );
    assert!(text.contains("6 levels deep"), "{text}");
}

#[test]
fn a_configured_project_keeps_its_run_folder_and_takes_an_override() {
    let repo = Repo::new();
    repo.file(
        "app/alembic.ini",
        "[alembic]\nscript_location = {alembic_dir}\n",
    )
    .scripts("app/migrations", ENV_PY)
    .scripts("app/other", ENV_PY);
    let project = AlembicProject::configured(
        &repo.path("app/alembic.ini"),
        &repo.path("app"),
        Some(Path::new("other")),
    )
    .unwrap();
    assert_eq!(project.run_dir, repo.path("app"));
    assert_eq!(project.script_dir, repo.path("app/other"));
    assert_eq!(project.script_location_override.as_deref(), Some("other"));

    let inferred =
        AlembicProject::configured(&repo.path("app/alembic.ini"), &repo.root(), None).unwrap();
    assert_eq!(inferred.run_dir, repo.root());
    assert_eq!(inferred.script_dir, repo.path("app/migrations"));
    assert_eq!(
        inferred.script_location_override.as_deref(),
        Some("app/migrations")
    );
}

#[test]
fn harness_toml_is_found_from_a_subfolder_but_not_above_the_repository() {
    let repo = Repo::new();
    repo.file("harness.toml", "").file("app/db/x.py", "");
    assert_eq!(
        find_upward(&repo.path("app/db"), "harness.toml"),
        Some(repo.path("harness.toml"))
    );
    let inner = repo.path("vendor/lib");
    std::fs::create_dir_all(inner.join(".git")).unwrap();
    std::fs::create_dir_all(inner.join("src")).unwrap();
    assert_eq!(find_upward(&inner.join("src"), "harness.toml"), None);
}

#[test]
fn relative_paths_use_slashes_and_a_dot_for_the_base() {
    let base = Path::new("/repo");
    assert_eq!(relative(base, Path::new("/repo")), ".");
    assert_eq!(relative(base, Path::new("/repo/a/b")), "a/b");
    assert_eq!(relative(base, Path::new("/elsewhere")), "/elsewhere");
    assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
    assert_eq!(normalize(Path::new("/../a")), Path::new("/a"));
}
