//! Cached local environments for real: a real interpreter, real installs (uv or pip), and the
//! console scripts of the cached environment run from where the cache keeps them.
//!
//! The tests that read the process environment (`HARNESS_CACHE_DIR`, `HARNESS_NO_UV`, PATH) run
//! [`prepare_from_env`] in a child process of this test binary with those variables set.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::config::{Requirements, RuntimeSpec};
use harness::runtime::{self, CacheDir, Installer, UvLookup, UvSource};

const PREFIX: &str = "runtime-venv-test ";

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn interpreter(version: &str) -> (RuntimeSpec, runtime::Interpreter) {
    let spec = RuntimeSpec::parse(&format!("python:{version}")).unwrap();
    let interpreter = block_on(runtime::find_interpreter(&spec))
        .unwrap_or_else(|err| panic!("these tests need a local Python {version}: {err}"));
    (spec, interpreter)
}

fn packages(names: &[&str]) -> Requirements {
    Requirements::packages(
        names.iter().map(|name| name.to_string()).collect(),
        std::env::temp_dir(),
    )
}

/// Prepares an environment as `harness run` does, from this process's environment
/// (`HARNESS_CACHE_DIR`, `HARNESS_NO_UV`, `HARNESS_UV`, PATH), for the packages of
/// `HARNESS_TEST_PACKAGES` (default `alembic`) on `HARNESS_TEST_PYTHON` (default 3.12), and
/// prints what it got. Run by the tests below in a child process, and by hand to time a build
/// (docs/runtimes.md).
#[test]
#[ignore = "a driver: run by the other tests with their environment, or by hand"]
fn prepare_from_env() {
    let names = std::env::var("HARNESS_TEST_PACKAGES").unwrap_or_else(|_| "alembic".into());
    let version = std::env::var("HARNESS_TEST_PYTHON").unwrap_or_else(|_| "3.12".into());
    let (spec, interpreter) = interpreter(&version);
    let requirements = packages(&names.split_whitespace().collect::<Vec<_>>());
    let cache = CacheDir::from_env();
    let started = std::time::Instant::now();
    let venv = block_on(runtime::prepare_venv_with(
        &spec,
        &interpreter,
        &requirements,
        &cache,
        &UvLookup::from_env(),
    ))
    .unwrap_or_else(|err| panic!("{err}"));
    let seconds = started.elapsed().as_secs_f64();
    let installer = match &venv.installer {
        Some(Installer::Uv(uv)) => format!("uv {:?} {}", uv.source, uv.path.display()),
        Some(Installer::Pip { why }) => format!("pip {why}"),
        None => "cache".into(),
    };
    println!("{PREFIX}venv={}", venv.dir.display());
    println!("{PREFIX}reused={}", venv.reused);
    println!("{PREFIX}installer={installer}");
    println!("{PREFIX}installed={}", runtime::installed(&venv.dir).len());
    println!("{PREFIX}seconds={seconds:.2}");
}

/// What [`prepare_from_env`] printed in a child process run with `env`.
fn prepare_in_child(env: &[(&str, OsString)]) -> BTreeMap<String, String> {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "prepare_from_env",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("HARNESS_NO_UV")
        .env_remove("HARNESS_UV")
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "preparing in a child failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| line.split_once(PREFIX)?.1.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// PATH with every `uv` hidden: a folder holding one is replaced with a folder of links to
/// everything else in it.
fn path_without_uv(farm: &Path) -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .enumerate()
        .map(|(index, dir)| {
            if !dir.join("uv").exists() {
                return dir;
            }
            let copy = farm.join(index.to_string());
            std::fs::create_dir_all(&copy).unwrap();
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let name = entry.file_name();
                if name != "uv" && name != "uvx" {
                    std::os::unix::fs::symlink(entry.path(), copy.join(&name)).unwrap();
                }
            }
            copy
        })
        .collect();
    std::env::join_paths(dirs).unwrap()
}

/// `<venv>/bin/<script> --version` through the script's own shebang line.
fn script_version(venv: &Path, script: &str) -> String {
    let output = Command::new(venv.join("bin").join(script))
        .arg("--version")
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap_or_else(|err| panic!("cannot start {script} of {}: {err}", venv.display()));
    assert!(
        output.status.success(),
        "{script} --version failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Every text file of `bin/` names the environment's own folder, never a scratch folder.
fn assert_scripts_name(venv: &Path) {
    for entry in std::fs::read_dir(venv.join("bin")).unwrap().flatten() {
        let Ok(text) = std::fs::read(entry.path()) else {
            continue;
        };
        if text.contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&text);
        assert!(
            !text.contains(".building-"),
            "{} names the scratch folder:\n{text}",
            entry.path().display()
        );
    }
    let activate = std::fs::read_to_string(venv.join("bin").join("activate")).unwrap();
    assert!(
        activate.contains(&format!("'{}'", venv.display()))
            || activate.contains(&format!("\"{}\"", venv.display())),
        "VIRTUAL_ENV of bin/activate:\n{activate}"
    );
}

/// Whether Alembic's modules were compiled at install time: tool processes run with
/// PYTHONDONTWRITEBYTECODE and would compile them again on every start.
fn alembic_is_compiled(venv: &Path) -> bool {
    let Ok(lib) = std::fs::read_dir(venv.join("lib")) else {
        return false;
    };
    lib.flatten().any(|python| {
        let cache = python.path().join("site-packages/alembic/__pycache__");
        std::fs::read_dir(cache).is_ok_and(|mut entries| entries.next().is_some())
    })
}

fn installed_names(venv: &Path) -> Vec<String> {
    runtime::installed(venv)
        .into_iter()
        .map(|(name, _)| name.to_lowercase())
        .collect()
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn uv_is_installed_into_the_cache_once_and_builds_environments_whose_scripts_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let path = path_without_uv(&root.path().join("path"));
    let env = [
        ("HARNESS_CACHE_DIR", cache.clone().into_os_string()),
        ("PATH", path.clone()),
    ];

    let first = prepare_in_child(&env);
    let installer = &first["installer"];
    let uv = installer
        .strip_prefix("uv Installed ")
        .unwrap_or_else(|| panic!("uv is installed into the cache: {installer}"));
    let uv = PathBuf::from(uv);
    assert!(uv.starts_with(&cache), "{}", uv.display());
    assert_eq!(uv, cache.join("tools/uv/bin/uv"));
    let installed_at = uv.metadata().unwrap().modified().unwrap();
    let venv = PathBuf::from(&first["venv"]);
    assert!(venv.starts_with(cache.join("venvs")), "{}", venv.display());
    assert!(script_version(&venv, "alembic").starts_with("alembic "));
    assert_scripts_name(&venv);
    assert!(
        alembic_is_compiled(&venv),
        "uv compiles bytecode as pip does"
    );
    let names = installed_names(&venv);
    assert!(
        names.contains(&"alembic".into()) && names.contains(&"sqlalchemy".into()),
        "{names:?}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("venvs"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name())
        .filter(|name| name.to_string_lossy().starts_with(".building-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Another environment: the same uv, from the cache, untouched.
    let mut env = env.to_vec();
    env.push(("HARNESS_TEST_PACKAGES", "alembic six".into()));
    let second = prepare_in_child(&env);
    assert_eq!(
        second["installer"],
        format!("uv Cache {}", uv.display()),
        "the cached uv is reused"
    );
    assert_eq!(uv.metadata().unwrap().modified().unwrap(), installed_at);
    assert_ne!(second["venv"], first["venv"]);
    assert!(installed_names(Path::new(&second["venv"])).contains(&"six".into()));

    // The first environment again: from the cache.
    env.pop();
    let third = prepare_in_child(&env);
    assert_eq!(
        (third["venv"].as_str(), third["reused"].as_str()),
        (first["venv"].as_str(), "true")
    );
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn no_uv_builds_with_python_venv_and_pip_and_its_scripts_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let prepared = prepare_in_child(&[
        ("HARNESS_CACHE_DIR", cache.clone().into_os_string()),
        ("HARNESS_NO_UV", "1".into()),
    ]);
    assert_eq!(prepared["installer"], "pip HARNESS_NO_UV is set");
    assert!(!cache.join("tools").exists(), "no uv is installed");
    let venv = PathBuf::from(&prepared["venv"]);
    assert!(script_version(&venv, "alembic").starts_with("alembic "));
    assert!(script_version(&venv, "pip").starts_with("pip "));
    assert_scripts_name(&venv);
    assert!(alembic_is_compiled(&venv));
    assert!(installed_names(&venv).contains(&"alembic".into()));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn concurrent_builds_of_one_environment_both_end_with_a_working_one() {
    let root = tempfile::tempdir().unwrap();
    let cache = CacheDir::new(root.path().join("cache"));
    let (spec, interpreter) = interpreter("3.12");
    let requirements = packages(&["alembic"]);
    let lookup = UvLookup::from_env();
    let (a, b) = block_on(async {
        tokio::join!(
            runtime::prepare_venv_with(&spec, &interpreter, &requirements, &cache, &lookup),
            runtime::prepare_venv_with(&spec, &interpreter, &requirements, &cache, &lookup),
        )
    });
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.dir, b.dir);
    assert!(!a.reused && !b.reused, "both built one");
    if let Some(Installer::Uv(uv)) = &a.installer {
        assert_ne!(uv.source, UvSource::Variable);
    }
    assert!(script_version(&a.dir, "alembic").starts_with("alembic "));
    assert_scripts_name(&a.dir);
    assert!(installed_names(&a.dir).contains(&"alembic".into()));
}
