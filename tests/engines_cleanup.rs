//! What the harness starts is removed whichever way a run ends: interrupted (SIGINT while cells
//! run) or killed (the next run sweeps the leftovers of dead processes by label and folder name).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use harness::database::{leftovers, sweep_stale};
use harness::docker::{LABEL_MANAGED, LABEL_PID};

fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("true runs");
    let pid = child.id();
    child.wait().expect("true ends");
    pid
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn an_interrupted_run_removes_its_containers_and_clusters() {
    let _turn = common::SWEEPS.lock().await;
    let dir = common::example_copy("long_revision_id").join("broken");
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["run", "--check", "-f", "postgres-17", "-f", "postgres-15"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness binary starts");
    let pid = child.id();
    let stderr = child.stderr.take().expect("piped stderr");
    // Keep draining stderr so the harness never writes into a closed pipe.
    let (lines, received) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut ready = 0;
    let mut seen = Vec::new();
    while ready < 2 {
        let Ok(line) = received.recv_timeout(Duration::from_secs(120)) else {
            break;
        };
        if line.starts_with("engine postgres:17: container")
            || line.starts_with("engine postgres:15: local")
        {
            ready += 1;
        }
        seen.push(line);
    }
    assert_eq!(ready, 2, "both engines start:\n{}", seen.join("\n"));
    let started = leftovers().await;
    assert!(
        started.containers.iter().any(|(_, p)| *p == Some(pid)),
        "the container is labelled with the harness pid {pid}: {started:?}"
    );
    assert!(started.clusters.iter().any(|(_, p)| *p == Some(pid)));

    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the harness did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = reader.join();
    seen.extend(received.try_iter());
    assert_eq!(status.code(), Some(130), "stderr:\n{}", seen.join("\n"));
    // The last word is true: everything was removed, and nothing of the run is left.
    assert!(
        seen.iter().any(|l| l
            == "interrupted: stopped the running cells and removed everything the run started"),
        "{}",
        seen.join("\n")
    );
    let left = leftovers().await;
    let mine = |list: &[(String, Option<u32>)]| list.iter().any(|(_, p)| *p == Some(pid));
    assert!(
        !mine(&left.containers)
            && !mine(&left.networks)
            && !left.clusters.iter().any(|(_, p)| *p == Some(pid))
            && !left.folders.iter().any(|(_, p)| *p == Some(pid)),
        "left behind: {left:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn the_sweep_removes_what_a_killed_harness_left() {
    let _turn = common::SWEEPS.lock().await;
    let pid = dead_pid();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let created = Command::new("docker")
        .args(["create", "--label", &format!("{LABEL_MANAGED}=true")])
        .args(["--label", &format!("{LABEL_PID}={pid}")])
        .args(["--label", &format!("dev.harness.host={}", host.trim())])
        .args(["harness-local/debian:trixie", "true"])
        .output()
        .expect("docker create runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let cluster = std::env::temp_dir().join(format!("harness-pg-{pid}-sweeptest"));
    std::fs::create_dir_all(cluster.join("data")).expect("a fake cluster folder");

    let notes = sweep_stale().await;
    assert!(notes.iter().any(|n| n.contains(&id[..12])), "{notes:?}");
    assert!(!cluster.exists(), "{notes:?}");
    let inspect = Command::new("docker")
        .args(["container", "inspect", &id])
        .output()
        .expect("docker inspect runs");
    assert!(!inspect.status.success(), "the container is gone");
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn an_external_servers_scratch_databases_are_dropped_at_shutdown() {
    use harness::config::{BackendChoice, DatabaseSpec, SecretUrl};
    // The "external" server is a local cluster the test starts; the harness reaches it by URL.
    let mut local = DatabaseSpec::parse("postgres:15").expect("entry");
    local.settings.backend = BackendChoice::Local;
    let cluster = harness::database::start(&local, None)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let probe = cluster.create().await.expect("a database");
    let (server, _) = probe.url.rsplit_once('/').expect("a database in the URL");
    let mut external = DatabaseSpec::parse("postgres:15").expect("entry");
    external.settings.backend = BackendChoice::External;
    external.settings.allow_external = true;
    external.settings.url = Some(SecretUrl::new(format!("{server}/postgres")));
    let engine = harness::database::start(&external, None)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let first = engine.create().await.expect("a scratch database");
    let second = engine.create().await.expect("a scratch database");
    let names: Vec<String> = [&first, &second]
        .iter()
        .map(|db| db.url.rsplit_once('/').unwrap().1.to_string())
        .collect();
    engine
        .execute(&first, "CREATE TABLE t (id INT)")
        .await
        .expect("SQL on the scratch database");
    let listed = |rows: Vec<Vec<String>>| rows.into_iter().flatten().collect::<Vec<String>>();
    let before = listed(
        cluster
            .query(&probe, "SELECT datname FROM pg_database ORDER BY 1")
            .await
            .expect("databases"),
    );
    assert!(names.iter().all(|n| before.contains(n)), "{before:?}");

    drop((first, second));
    let warnings = engine.shutdown().await;
    assert!(warnings.is_empty(), "{warnings:?}");
    let after = listed(
        cluster
            .query(&probe, "SELECT datname FROM pg_database ORDER BY 1")
            .await
            .expect("databases"),
    );
    assert!(
        names.iter().all(|n| !after.contains(n)),
        "scratch databases left on the server: {after:?}"
    );
    drop(probe);
    cluster.shutdown().await;
}

/// Runs a PostgreSQL cell that waits 8 s in a command step beside a SQLite cell, and kills the
/// database container `kills` times (each time a container of this run appears, 4 s into its
/// cell); returns the exit code and the whole output.
fn run_killing_the_engine(kills: usize) -> (Option<i32>, String) {
    let project = common::Project::league(&["python:3.12"]);
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"postgres:17\", \"sqlite\"]\nruntimes = [\"python:3.12\"]\n\n[runtime]\nbackend = \"local\"\n",
    );
    std::fs::remove_dir_all(project.path().join("scenarios")).unwrap();
    project.write(
        "scenarios/slow.toml",
        "description = \"waits, then upgrades\"\n\n[[steps]]\ncommand = [\"sleep\", \"8\"]\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let child = project
        .harness()
        .args(["run", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    let pid = child.id();
    let mut killed: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    while killed.len() < kills {
        let listed = Command::new("docker")
            .args(["ps", "-q", "--filter"])
            .arg(format!("label={LABEL_PID}={pid}"))
            .output()
            .expect("docker ps runs");
        let running = String::from_utf8_lossy(&listed.stdout).trim().to_string();
        if !running.is_empty() && !killed.contains(&running) {
            // The cell starts its 8 s step once the engine answers: kill the engine during it.
            std::thread::sleep(Duration::from_secs(4));
            let out = Command::new("docker")
                .args(["kill", &running])
                .output()
                .expect("docker kill runs");
            assert!(out.status.success(), "{out:?}");
            killed.push(running);
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {kills} database containers appeared",
            killed.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("the harness finishes");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// The verdict on a cell's line of the run report.
fn verdict_of<'a>(text: &'a str, cell: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(cell)).then(|| words.next()).flatten()
    })
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn a_database_engine_that_dies_mid_cell_is_restarted_once_and_the_cell_run_again() {
    let _turn = common::SWEEPS.lock().await;
    let (code, text) = run_killing_the_engine(1);
    assert_eq!(code, Some(0), "the cell ran again on a new engine:\n{text}");
    assert!(
        verdict_of(&text, "slow/postgres-17/python-3.12") == Some("passed")
            && verdict_of(&text, "slow/sqlite/python-3.12") == Some("passed"),
        "{text}"
    );
    assert!(
        text.contains("engine postgres:17 stopped during the run (")
            && text.contains("the harness started it again once and ran 1 cell again on it: slow/postgres-17/python-3.12"),
        "the report says the engine was restarted:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn a_database_engine_that_dies_twice_is_an_infrastructure_error() {
    let _turn = common::SWEEPS.lock().await;
    let (code, text) = run_killing_the_engine(2);
    assert_eq!(
        code,
        Some(3),
        "an infrastructure error, not a migration failure:\n{text}"
    );
    assert!(
        verdict_of(&text, "slow/postgres-17/python-3.12") == Some("error")
            && text.contains("engine postgres:17 stopped during the cell (step 2 failed")
            && text.contains(
                "the engine was not restarted: it stopped again after the harness restarted it once"
            ),
        "{text}"
    );
    assert_eq!(
        verdict_of(&text, "slow/sqlite/python-3.12"),
        Some("passed"),
        "{text}"
    );
}
