//! Lint against the real thing: `alembic heads`, run by the project's own Alembic in a cached
//! virtual environment (built on first use), agrees with lint's heads on generated projects and on
//! the examples.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::project::{growing_dag, write_project};
use harness::config::{Requirements, RuntimeSpec};
use harness::lint::{self, VersionDirs};
use harness::runtime::{self, CacheDir};

/// The Python of an environment with the league example's pinned Alembic (shared with
/// `harness run`, so usually already in the cache).
fn alembic_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = RuntimeSpec::parse("python:3.12").unwrap();
    let requirements = Requirements::file(root.join("examples/league/requirements.txt"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prepared = runtime
        .block_on(runtime::prepare(
            &spec,
            &requirements,
            &CacheDir::from_env(),
        ))
        .unwrap_or_else(|err| panic!("cannot prepare a Python with Alembic: {err}"));
    match prepared.backend {
        runtime::Backend::Local(env) => env.python,
        runtime::Backend::Container(_) => panic!("runtime::prepare prepares a local environment"),
    }
}

/// The heads `alembic heads` prints for the project in `dir`.
fn alembic_heads(python: &Path, dir: &Path) -> BTreeSet<String> {
    let output = Command::new(python)
        .args(["-m", "alembic", "-c", "alembic.ini", "heads"])
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("alembic runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "alembic heads failed in {}:\n{stdout}{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter(|line| line.contains("(head)"))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn lint_heads(dir: &Path) -> BTreeSet<String> {
    let dirs = lint::locate(dir).unwrap();
    lint::analyze(&dirs, 32)
        .unwrap()
        .heads()
        .into_iter()
        .collect()
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn alembic_heads_agrees_with_lint() {
    let python = alembic_python();
    let mut multi_head_projects = 0;
    for (seed, count, single_head) in [
        (1, 40, false),
        (2, 120, true),
        (3, 250, false),
        (4, 60, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let parents = growing_dag(count, seed, single_head);
        write_project(dir.path(), &parents, seed);
        let expected = alembic_heads(&python, dir.path());
        assert!(!expected.is_empty());
        multi_head_projects += usize::from(expected.len() > 1);
        assert_eq!(lint_heads(dir.path()), expected, "seed {seed}");
        let direct = lint::analyze(
            &VersionDirs::folder(dir.path().join("migrations/versions")),
            32,
        )
        .unwrap();
        assert_eq!(direct.files.len(), count);
    }
    assert!(
        multi_head_projects > 0,
        "no generated project had several heads"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in [
        "league",
        "lint-fork-merge",
        "lint-two-heads",
        "lint-long-revision-id",
    ] {
        let dir = root.join("examples").join(example);
        assert_eq!(lint_heads(&dir), alembic_heads(&python, &dir), "{example}");
    }
}
