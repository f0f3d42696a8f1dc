//! End to end: the datetime.UTC example (seed 000) in runtime containers and on local interpreters,
//! Python 3.10 and 3.12, on SQLite and PostgreSQL 17 (a container on the run's network); the same
//! verdicts and the same committed snapshots on both backends; nothing left behind, and the sweep
//! removes a killed harness's runtime containers and networks.
//!
//! Needs a Docker engine and the images named by HARNESS_RUNTIME_IMAGE_* and HARNESS_IMAGE_*
//! (scripts/setup/20-engines.sh and 30-runtimes.sh).

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use harness::database::{leftovers, sweep_stale};
use harness::docker::{LABEL_HOST, LABEL_MANAGED, LABEL_PID};

fn example(variant: &str) -> PathBuf {
    common::example_copy("runtime-utc").join(variant)
}

/// Runs `harness run --check` in `dir` on `backend`; returns (exit code, stdout, stderr, pid).
fn run(dir: &Path, backend: &str, extra: &[&str]) -> (i32, String, String, u32) {
    let child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["run", "--check"])
        .args(extra)
        .current_dir(dir)
        .env("HARNESS_RUNTIME_BACKEND", backend)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the harness binary starts");
    let pid = child.id();
    let out = child.wait_with_output().expect("the harness finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        pid,
    )
}

fn line<'a>(stdout: &'a str, cell: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.starts_with(cell))
        .unwrap_or_else(|| panic!("no line for {cell} in:\n{stdout}"))
}

/// Each cell's line without its duration, for comparing backends.
fn verdicts(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| line.starts_with("fresh/"))
        .map(|line| {
            let cut = line.rfind("  ").unwrap_or(line.len());
            // Interpreter paths differ between backends; the verdict and snapshot note do not.
            let text = &line[..cut];
            text.split(" (/").next().unwrap_or(text).to_string()
        })
        .collect()
}

async fn assert_nothing_left_by(pid: u32) {
    let left = leftovers().await;
    let containers: Vec<_> = left
        .containers
        .iter()
        .filter(|(_, p)| *p == Some(pid))
        .collect();
    let networks: Vec<_> = left
        .networks
        .iter()
        .filter(|(_, p)| *p == Some(pid))
        .collect();
    assert!(
        containers.is_empty() && networks.is_empty(),
        "harness process {pid} left containers {containers:?} and networks {networks:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn python_3_10_fails_on_datetime_utc_in_containers_and_3_12_passes() {
    let _turn = common::SWEEPS.lock().await;
    let (code, stdout, stderr, pid) = run(&example("broken"), "container", &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for database in ["sqlite", "postgres-17"] {
        let old = line(&stdout, &format!("fresh/{database}/python-3.10"));
        assert!(
            old.contains(
                "failed as expected: ImportError: cannot import name 'UTC' from 'datetime'"
            ),
            "{old}"
        );
        let new = line(&stdout, &format!("fresh/{database}/python-3.12"));
        assert!(new.contains("passed") && new.contains("(matches)"), "{new}");
        assert!(!new.contains("failed as expected"), "{new}");
        assert!(
            stdout.contains(&format!(
                "fresh on {database}: python-3.10 failed (expected), python-3.12 passed"
            )),
            "{stdout}"
        );
    }
    // The traceback names the migration file, at the path it has on this machine.
    let migration = example("broken").join("migrations/versions/0002_session_tokens.py");
    assert!(
        stdout.contains(&format!("File \"{}\", line 8", migration.display())),
        "{stdout}"
    );
    // Each runtime is a container from its configured image.
    for version in ["3.10", "3.12"] {
        assert!(
            stderr.contains(&format!("runtime python:{version}: container, image ")),
            "{stderr}"
        );
    }
    assert_nothing_left_by(pid).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn both_backends_give_the_same_verdicts_and_snapshots() {
    let _turn = common::SWEEPS.lock().await;
    for variant in ["broken", "fixed"] {
        let (code, container, stderr, pid) = run(&example(variant), "container", &[]);
        assert_eq!(code, 0, "{variant} in containers:\n{container}\n{stderr}");
        assert_nothing_left_by(pid).await;
        let (code, local, stderr, _) = run(&example(variant), "local", &[]);
        assert_eq!(code, 0, "{variant} locally:\n{local}\n{stderr}");
        assert!(stderr.contains("(found via"), "{stderr}");
        // --check: both matched the same committed snapshot files.
        assert_eq!(verdicts(&container), verdicts(&local), "{variant}");
        assert_eq!(verdicts(&local).len(), 4, "{local}");
    }
    let fixed = run(&example("fixed"), "container", &[]).1;
    assert!(fixed.contains("4 cells: 4 passed, 0 failed"), "{fixed}");
    assert!(!fixed.contains("runtimes disagree"), "{fixed}");
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn the_sweep_removes_runtime_containers_and_networks_a_killed_harness_left() {
    let _turn = common::SWEEPS.lock().await;
    let mut child = Command::new("true").spawn().expect("true runs");
    let pid = child.id();
    child.wait().expect("true ends");
    let host = harness::docker::host_name();
    let labels = [
        format!("{LABEL_MANAGED}=true"),
        format!("{LABEL_PID}={pid}"),
        format!("{LABEL_HOST}={}", host.trim()),
    ];
    let network = format!("harness-{pid}-sweeptest");
    let mut create = Command::new("docker");
    create.args(["network", "create"]);
    for label in &labels {
        create.args(["--label", label]);
    }
    let created = create.arg(&network).output().expect("docker runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let image = std::env::var("HARNESS_RUNTIME_IMAGE_PYTHON_3_12")
        .unwrap_or_else(|_| "python:3.12-slim".into());
    let mut create = Command::new("docker");
    create.args(["create", "--network", &network]);
    for label in &labels {
        create.args(["--label", label]);
    }
    let created = create.args([&image, "true"]).output().expect("docker runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();

    let notes = sweep_stale().await;
    assert!(notes.iter().any(|n| n.contains(&id[..12])), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains(&network)), "{notes:?}");
    let inspect = Command::new("docker")
        .args(["network", "inspect", &network])
        .output()
        .expect("docker runs");
    assert!(!inspect.status.success(), "the network is gone");
}

/// Interrupts a run of the forked-chain example (runtime containers, PostgreSQL 17 containers on
/// the run's network, SQLite cells) `count` times at moments spread over its first seconds, with
/// SIGINT and SIGTERM in turn; after each exit nothing labelled with its pid, no temporary folder
/// and no cluster of it remains, and its last message says so. Then a SIGKILL: `harness clean`
/// removes what it left.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn interrupted_at_any_moment_a_run_leaves_nothing_and_clean_removes_a_killed_ones() {
    let _turn = common::SWEEPS.lock().await;
    let dir = common::example_copy("forked-chain");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["run", "--check", "--quiet"])
            .current_dir(&dir)
            .env("HARNESS_RUNTIME_BACKEND", "container")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the harness binary starts")
    };
    let left_by = |left: &harness::database::Leftovers, pid: u32| {
        let mine = |list: &[(String, Option<u32>)]| {
            list.iter()
                .filter(|(_, p)| *p == Some(pid))
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>()
        };
        let mut found = mine(&left.containers);
        found.extend(mine(&left.networks));
        for (path, p) in left.folders.iter().chain(&left.clusters) {
            if *p == Some(pid) {
                found.push(path.display().to_string());
            }
        }
        found
    };
    let count = 20;
    // Moments from 0.3 s to 9 s, in an order that mixes early and late ones.
    let mut moment = 300u64;
    for round in 0..count {
        moment = (moment * 7 + 1_300) % 9_000 + 300;
        let signal = if round % 2 == 0 {
            libc::SIGINT
        } else {
            libc::SIGTERM
        };
        let child = start();
        let pid = child.id();
        std::thread::sleep(std::time::Duration::from_millis(moment));
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(pid as libc::pid_t, signal);
        }
        let out = child.wait_with_output().expect("the harness finishes");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let left = left_by(&leftovers().await, pid);
        assert!(
            left.is_empty(),
            "round {round} ({moment} ms, signal {signal}): left {left:?}\n{stderr}"
        );
        // A run that finished before the signal is fine too; an interrupted one says it is clean.
        if out.status.code() == Some(130) {
            assert!(
                stderr.contains(
                    "interrupted: stopped the running cells and removed everything the run started"
                ),
                "round {round}: {stderr}"
            );
        }
    }

    let mut child = start();
    let pid = child.id();
    std::thread::sleep(std::time::Duration::from_secs(5));
    child.kill().expect("SIGKILL");
    child.wait().expect("it ends");
    let cleaned = Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("clean")
        .output()
        .expect("harness clean runs");
    assert!(cleaned.status.success(), "{cleaned:?}");
    let left = left_by(&leftovers().await, pid);
    assert!(
        left.is_empty(),
        "after SIGKILL and `harness clean`: {left:?}\n{}",
        String::from_utf8_lossy(&cleaned.stdout)
    );
}

/// A project on SQLite in python:3.12 containers with a `slow` scenario (an 8 s command step, so
/// something can happen to its container meanwhile) and a `quick` one.
fn slow_project() -> common::Project {
    let project = common::Project::league(&["python:3.12"]);
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    );
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    let settings = "\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n";
    project.write(
        "scenarios/slow.toml",
        &format!(
            "description = \"waits, then upgrades\"\n\n[[steps]]\ncommand = [\"sleep\", \"8\"]\n{settings}"
        ),
    );
    project.write(
        "scenarios/quick.toml",
        &format!("description = \"upgrades\"\n{settings}"),
    );
    project
}

/// `harness run ARGS` on `project` in runtime containers, its output piped.
fn spawn_in_containers(project: &common::Project, args: &[&str]) -> std::process::Child {
    project
        .harness()
        .arg("run")
        .args(args)
        .env("HARNESS_RUNTIME_BACKEND", "container")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the harness starts")
}

/// The id of the runtime container harness process `pid` runs cell `cell` in, once it runs.
fn cell_container(pid: u32, cell: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let listed = Command::new("docker")
            .args(["ps", "-q", "--filter"])
            .arg(format!("label={LABEL_PID}={pid}"))
            .arg("--filter")
            .arg(format!("label=dev.harness.cell={cell}"))
            .output()
            .expect("docker ps runs");
        let id = String::from_utf8_lossy(&listed.stdout).trim().to_string();
        if !id.is_empty() {
            return id;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no runtime container for {cell}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn a_runtime_container_that_stops_mid_cell_is_an_infrastructure_error() {
    let _turn = common::SWEEPS.lock().await;
    let project = slow_project();
    let child = spawn_in_containers(&project, &["--quiet", "--jobs", "2"]);
    let pid = child.id();
    // The slow cell's container appears, its 8 s step starts: the container is killed then.
    let container = cell_container(pid, "slow/sqlite/python-3.12");
    std::thread::sleep(std::time::Duration::from_secs(4));
    let killed = Command::new("docker")
        .args(["kill", &container])
        .output()
        .expect("docker kill runs");
    assert!(killed.status.success(), "{killed:?}");
    let out = child.wait_with_output().expect("the harness finishes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "an infrastructure error, not a migration failure:\n{stdout}"
    );
    assert!(
        line(&stdout, "slow/sqlite/python-3.12").contains("error")
            && stdout.contains(
                "runtime python:3.12 stopped working during the cell (step 1 failed, and runtime container "
            )
            && stdout.contains("stopped (exited, exit code 137)); the cell's result is unknown"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "quick/sqlite/python-3.12").contains("passed"),
        "{stdout}"
    );
    assert_nothing_left_by(pid).await;
}

/// Sends SIGCONT to the Docker engine it froze, however the test ends.
struct Thaw(i32);

impl Drop for Thaw {
    fn drop(&mut self) {
        // SAFETY: kill only sends a signal.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn a_docker_engine_that_stops_answering_gives_errors_in_bounded_time_and_clean_removes_the_rest()
 {
    let _turn = common::SWEEPS.lock().await;
    let project = slow_project();
    let found = Command::new("pidof")
        .arg("dockerd")
        .output()
        .expect("pidof runs");
    let dockerd: i32 = String::from_utf8_lossy(&found.stdout)
        .split_whitespace()
        .next()
        .and_then(|pid| pid.parse().ok())
        .expect("a dockerd process on this machine (scripts/setup/20-engines.sh starts one)");
    let child = spawn_in_containers(&project, &["--quiet", "slow"]);
    let pid = child.id();
    cell_container(pid, "slow/sqlite/python-3.12");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let frozen_at = std::time::Instant::now();
    // SAFETY: kill only sends a signal; Thaw sends the matching SIGCONT.
    unsafe { libc::kill(dockerd, libc::SIGSTOP) };
    let thaw = Thaw(dockerd);
    let out = child.wait_with_output().expect("the harness finishes");
    let waited = frozen_at.elapsed();
    drop(thaw);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "infrastructure errors:\n{stdout}\n{stderr}"
    );
    assert!(
        waited < std::time::Duration::from_secs(150),
        "the run ended {waited:?} after the engine froze"
    );
    assert!(
        line(&stdout, "slow/sqlite/python-3.12").contains("error")
            && stdout.contains("runtime python:3.12 stopped working during the cell (step 1 failed, and the Docker engine did not answer")
            && stdout.contains("the Docker engine stopped answering (no output for 15 s and no reply to a ping within 5 s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "the Docker engine does not answer, so these were not removed: runtime containers "
        ) && stdout.contains("run `harness clean` once it answers"),
        "{stdout}\n{stderr}"
    );
    // Once the engine answers again, `harness clean` removes what the run could not.
    let cleaned = project
        .harness()
        .arg("clean")
        .output()
        .expect("harness clean runs");
    assert!(cleaned.status.success(), "{cleaned:?}");
    assert_nothing_left_by(pid).await;
}

/// Runs the docker CLI; panics with its output when it fails.
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI starts");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A prepared image made before images recorded their distributions (an empty
/// `dev.harness.freeze` label) is used as it is: its versions are read from a container of it
/// once, kept in the cache folder, and shown in the runtime's line; the next run reads them from
/// there. The preparation's phases are plain lines of each run (stderr is not a terminal).
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and runtime images: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn an_image_without_its_freeze_label_has_its_versions_read_once() {
    let _turn = common::SWEEPS.lock().await;
    let project = common::Project::league(&["python:3.12"]);
    // Requirements of this test alone, so the prepared image is its own.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let requirements = project.read("league/requirements.txt");
    project.write(
        "league/requirements.txt",
        &format!("{requirements}# freeze label test {nonce}\n"),
    );
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        let child = common::harness(project.path())
            .arg("run")
            .env("HARNESS_RUNTIME_BACKEND", "container")
            .env("HARNESS_CACHE_DIR", cache.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the harness binary starts");
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (stderr, pid)
    };
    let (built, pid) = run();
    assert!(
        built.contains("preparing runtime python:3.12: starting a container of ")
            && built
                .contains("preparing runtime python:3.12: installing 2 requirements with pip...")
            && built.contains("prepared image built"),
        "{built}"
    );
    let tag = docker(&[
        "images",
        "--filter",
        &format!("label={LABEL_PID}={pid}"),
        "--filter",
        "label=dev.harness.deps=true",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ]);
    assert!(tag.starts_with("harness-deps/python-3.12:"), "{tag}");
    let _removed = RemovedAtEnd(tag.clone());
    // As an older harness left it: the same image, no distributions in its label (the image
    // with them stays below it, untagged, and goes with it).
    let container = docker(&["create", &tag]);
    docker(&[
        "commit",
        "--change",
        "LABEL dev.harness.freeze=\"\"",
        &container,
        &tag,
    ]);
    docker(&["rm", &container]);

    let (read, _) = run();
    let (again, _) = run();
    let runtime_line = |stderr: &str| {
        stderr
            .lines()
            .find(|line| line.contains("prepared image reused from cache"))
            .unwrap_or_else(|| panic!("{stderr}"))
            .to_string()
    };
    for stderr in [&read, &again] {
        assert!(
            stderr.contains(
                "preparing runtime python:3.12: reusing the prepared image from the cache..."
            ) && runtime_line(stderr).ends_with("; alembic 1.13.3, SQLAlchemy 2.0.36"),
            "{stderr}"
        );
    }
    let reading = "preparing runtime python:3.12: reading the installed package versions...";
    assert!(read.contains(reading), "{read}");
    assert!(!again.contains(reading), "read once: {again}");
}

/// Removes an image (and the untagged images below it) when dropped, even when a test fails.
struct RemovedAtEnd(String);

impl Drop for RemovedAtEnd {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["image", "rm", "--force", &self.0])
            .output();
    }
}
