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

fn time(runs: usize, mut command: impl FnMut() -> Command) -> Duration {
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
    median(samples)
}

fn alembic_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = RuntimeSpec::parse("python:3.12").expect("a runtime spec");
    let requirements = Requirements::File(root.join("examples/league/requirements.txt"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime
        .block_on(runtime::prepare(
            &spec,
            &requirements,
            &CacheDir::from_env(),
        ))
        .unwrap_or_else(|err| panic!("cannot prepare a Python with Alembic: {err}"))
        .python
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let revisions = args
        .iter()
        .position(|a| a == "--revisions")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
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

    let harness = env!("CARGO_BIN_EXE_harness");
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
    println!(
        "harness lint:  {:>9.1} ms (median of 7)",
        lint.as_secs_f64() * 1e3
    );
    println!(
        "alembic heads: {:>9.1} ms (median of 3)",
        heads.as_secs_f64() * 1e3
    );
    println!(
        "ratio: harness lint is {:.0}x faster",
        heads.as_secs_f64() / lint.as_secs_f64()
    );
}
