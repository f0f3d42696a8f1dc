//! The harness as a Python team installs it: the wheel scripts/build-wheel.py packs (the binary
//! this build made, the pytest plugin), installed with pip into a fresh virtual environment and
//! with `uv tool install`; `harness --version` and `harness run` from there, `pytest --harness`
//! on an example, and the GitHub Action's own steps (scripts/action/*.sh) against the wheel.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Project, as_a_user, repo, run, transcript};

/// The wheel, built once per test from this build's binary.
fn wheel(out: &Path) -> PathBuf {
    let built = run(Command::new("python3")
        .arg(repo().join("scripts/build-wheel.py"))
        .args(["--binary", env!("CARGO_BIN_EXE_harness"), "--out"])
        .arg(out));
    assert_eq!(built.0, 0, "{}", transcript(&built));
    let path = PathBuf::from(built.1.trim());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("migration_harness-0.") && name.contains("-py3-none-manylinux_2_"),
        "{name}"
    );
    path
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs python3 with venv, uv and the package index: cargo test --features host-tests (scripts/test runs it)"
)]
fn the_wheel_installs_with_pip_and_uv_and_runs_from_pytest() {
    let scratch = tempfile::tempdir().unwrap();
    let wheel = wheel(&scratch.path().join("wheels"));
    // pip, into a fresh virtual environment, with pytest beside it.
    let venv = scratch.path().join("venv");
    let made = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    assert_eq!(made.0, 0, "{}", transcript(&made));
    let installed = run(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--quiet", "pytest"])
        .arg(&wheel));
    assert_eq!(installed.0, 0, "{}", transcript(&installed));
    let harness = venv.join("bin/harness");
    let version = run(as_a_user(&harness, scratch.path()).arg("--version"));
    assert_eq!(version.0, 0, "{}", transcript(&version));
    assert!(version.1.starts_with("harness 0."), "{}", version.1);
    // uv tool install gives the same command in a tool environment of its own.
    let tools = scratch.path().join("uv-tools");
    let uv_installed = run(Command::new("uv")
        .args(["tool", "install"])
        .arg(&wheel)
        .env("UV_TOOL_DIR", &tools)
        .env("UV_TOOL_BIN_DIR", tools.join("bin")));
    assert_eq!(uv_installed.0, 0, "{}", transcript(&uv_installed));
    let from_uv = run(as_a_user(&tools.join("bin/harness"), scratch.path()).arg("--version"));
    assert_eq!(from_uv.1, version.1, "{}", transcript(&from_uv));
    // `harness run` from the wheel's binary on an example.
    let project = Project::league(&["python:3.12"]);
    let ran = run(as_a_user(&harness, project.path()).arg("run"));
    assert_eq!(ran.0, 0, "{}", transcript(&ran));
    assert!(ran.1.contains("2 cells: 2 passed"), "{}", transcript(&ran));
    // pytest: a cell per item, selected with -k like any test; the plugin runs what is selected.
    let pytest = |args: &[&str]| {
        run(as_a_user(&venv.join("bin/python"), project.path())
            .args(["-m", "pytest", "-p", "no:cacheprovider", "--harness", "-v"])
            .args(args))
    };
    let selected = pytest(&["-k", "partial"]);
    assert_eq!(selected.0, 0, "{}", transcript(&selected));
    assert!(
        selected
            .1
            .contains("harness.toml::partial/sqlite/python-3.12 PASSED")
            && selected.1.contains("1 passed, 1 deselected"),
        "{}",
        transcript(&selected)
    );
    // A changed schema fails its item with the harness's message and diff.
    let snap = project.path().join("snapshots/fresh/sqlite.snap");
    let text = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, text.replace("table players", "table athletes")).unwrap();
    let failed = pytest(&[]);
    assert_eq!(failed.0, 1, "{}", transcript(&failed));
    for said in [
        "harness.toml::fresh/sqlite/python-3.12 FAILED",
        "harness.toml::partial/sqlite/python-3.12 PASSED",
        "fresh/sqlite/python-3.12: snapshot changed",
        "@@ table athletes (removed) @@",
    ] {
        assert!(failed.1.contains(said), "{said}\n{}", transcript(&failed));
    }
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs python3 with venv and local Pythons: cargo test --features host-tests (scripts/test runs it)"
)]
fn the_actions_steps_install_the_wheel_and_run_a_shard() {
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    for named in [
        "run: bash \"$ACTION_PATH/scripts/action/install.sh\"",
        "run: bash \"$ACTION_PATH/scripts/action/run.sh\"",
        "INPUT_WHEEL: ${{ inputs.wheel }}",
        "INPUT_ARGS: ${{ inputs.args }}",
        "INPUT_REPORTS: ${{ inputs.reports }}",
        "uses: actions/upload-artifact@v4",
        "**/*.snap.new",
    ] {
        assert!(action.contains(named), "action.yml lacks {named}");
    }
    let scratch = tempfile::tempdir().unwrap();
    let wheel = wheel(&scratch.path().join("wheels"));
    let github_path = scratch.path().join("github-path");
    let github_output = scratch.path().join("github-output");
    std::fs::write(&github_path, "").unwrap();
    std::fs::write(&github_output, "").unwrap();
    // The install step, as the Action runs it.
    let installed = run(Command::new("bash")
        .arg(repo().join("scripts/action/install.sh"))
        .env("RUNNER_TEMP", scratch.path())
        .env("GITHUB_PATH", &github_path)
        .env("INPUT_WHEEL", &wheel)
        .env("ACTION_PATH", repo()));
    assert_eq!(installed.0, 0, "{}", transcript(&installed));
    let bin = std::fs::read_to_string(&github_path).unwrap();
    let bin = PathBuf::from(bin.trim());
    assert!(bin.join("harness").is_file(), "{}", bin.display());
    // The run step, in the project, with the harness the install step put on PATH: shard 1 of 2.
    let project = Project::league(&["python:3.12"]);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let shard = run(as_a_user(Path::new("bash"), project.path())
        .arg(repo().join("scripts/action/run.sh"))
        .env("PATH", path)
        .env("INPUT_ARGS", "--partition 1/2")
        .env("INPUT_REPORTS", "harness-reports")
        .env("GITHUB_OUTPUT", &github_output)
        .env("ACTION_PATH", repo()));
    assert_eq!(shard.0, 0, "{}", transcript(&shard));
    let reports = project.path().join("harness-reports");
    for report in ["report.json", "junit.xml", "summary.md"] {
        assert!(
            reports.join(report).is_file(),
            "{report}\n{}",
            transcript(&shard)
        );
    }
    let cells = common::report_cells(&reports.join("report.json"));
    assert_eq!(
        cells.len(),
        1,
        "shard 1 of 2 holds one of the two cells: {cells:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&github_output).unwrap(),
        "exit-code=0\n"
    );
}
