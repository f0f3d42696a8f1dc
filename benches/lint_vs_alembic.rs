//! Benchmark (not a test): `harness lint` against `alembic heads` on one generated project of
//! 10,000 revisions with forks and merges. Prints both timings (median of several runs) and the
//! ratio. Run with `cargo bench --bench lint_vs_alembic`; `-- --revisions N` for another size,
//! `-- --out DIR` to keep the generated project.

#[path = "../tests/common/project.rs"]
mod project;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::config::{Requirements, RuntimeSpec};
use harness::runtime::{self, CacheDir};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// CPU time (user + system) of the children this process has waited for, from /proc/self/stat
/// (`cutime` + `cstime`, in ticks of 1/100 s, Linux's USER_HZ). None elsewhere.
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    let ticks = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The median wall time of `runs` runs, and their mean CPU time, after one run that is not
/// counted (both tools then read the files from the page cache).
fn time(runs: usize, mut command: impl FnMut() -> Command) -> (Duration, Option<Duration>) {
    let warm_up = command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the command starts");
    assert!(warm_up.code().is_some_and(|c| c <= 1), "{warm_up}");
    let cpu_before = children_cpu();
    let samples = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let status = command()
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the command starts");
            let elapsed = started.elapsed();
            assert!(status.code().is_some_and(|c| c <= 1), "{status}");
            elapsed
        })
        .collect();
    let cpu = match (cpu_before, children_cpu()) {
        (Some(before), Some(after)) => Some((after - before) / runs as u32),
        _ => None,
    };
    (median(samples), cpu)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn alembic_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = RuntimeSpec::parse("python:3.12").expect("a runtime spec");
    let requirements = Requirements::file(root.join("examples/league/requirements.txt"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this without it: then only a
    // quick check of the generated project, so the test suite stays fast.
    let measuring = args.iter().any(|a| a == "--bench");
    let revisions = args
        .iter()
        .position(|a| a == "--revisions")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if measuring { 10_000 } else { 300 });
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let dir = match args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
    {
        Some(out) => {
            std::fs::create_dir_all(out).expect("the --out folder");
            PathBuf::from(out)
        }
        None => scratch.path().to_path_buf(),
    };
    let dir = dir.as_path();
    let parents = project::growing_dag(revisions, 42, true);
    project::write_project(dir, &parents, 42);
    let merges = parents.iter().filter(|p| p.len() > 1).count();
    let mut children = vec![0usize; parents.len()];
    for parent in parents.iter().flatten() {
        children[*parent] += 1;
    }
    let forks = children.iter().filter(|&&c| c > 1).count();
    println!("project: {revisions} revisions, {forks} forks, {merges} merges");
    // The files just written are still being flushed to disk in the background; that would take
    // CPU time from whichever tool runs first.
    let _ = Command::new("sync").status();

    let harness = env!("CARGO_BIN_EXE_harness");
    if !measuring {
        let output = Command::new(harness)
            .args(["lint", "--format", "json"])
            .arg(dir)
            .output()
            .expect("harness lint runs");
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("lint prints JSON");
        assert_eq!(report["revisions"], revisions, "{report}");
        assert_eq!(
            report["heads"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
        assert_eq!(report["errors"], 0, "{report}");
        println!("generated project checked; `cargo bench --bench lint_vs_alembic` measures");
        return;
    }
    let python = alembic_python();
    let lint = time(7, || {
        let mut command = Command::new(harness);
        command.args(["lint", "--format", "json"]).arg(dir);
        command
    });
    let heads = time(3, || {
        let mut command = Command::new(&python);
        command
            .args(["-m", "alembic", "-c", "alembic.ini", "heads"])
            .current_dir(dir)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        command
    });
    let ((lint, lint_cpu), (heads, heads_cpu)) = (lint, heads);
    println!("harness lint:  {:>9.1} ms wall (median of 7)", millis(lint));
    println!(
        "alembic heads: {:>9.1} ms wall (median of 3)",
        millis(heads)
    );
    println!(
        "ratio (wall): harness lint is {:.0}x faster",
        heads.as_secs_f64() / lint.as_secs_f64()
    );
    if let (Some(lint_cpu), Some(heads_cpu)) = (lint_cpu, heads_cpu) {
        println!(
            "cpu time (user + system, mean): harness lint {:.0} ms, alembic heads {:.0} ms, ratio {:.0}x",
            millis(lint_cpu),
            millis(heads_cpu),
            heads_cpu.as_secs_f64() / lint_cpu.as_secs_f64().max(1e-3)
        );
    }
}
