//! `harness init`: in an Alembic project, writes a commented harness.toml and the starter scenarios
//! `fresh`, `roundtrip` and `partial` (at the revision before head, as the project's own Alembic
//! reports its graph). Never overwrites a file.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Args;

use super::{ExitStatus, Failure};
use crate::adapters::{Alembic, Graph};
use crate::config::{self, Requirements, RuntimeSpec};
use crate::runtime::{self, CacheDir, PreparedRuntime};
use crate::scaffold::{self, Detected, Revisions, ScaffoldError};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// A runtime of the matrix, e.g. python:3.12; repeatable. The first one reads the revision graph
    /// [default: the newest local Python 3]
    #[arg(long = "runtime", value_name = "RUNTIME")]
    pub runtimes: Vec<String>,
}

pub(super) fn execute(args: InitArgs) -> Result<ExitStatus, Failure> {
    let root = std::env::current_dir()
        .map_err(|err| Failure::Environment(format!("cannot read the working folder: {err}")))?;
    if root.join(config::DEFAULT_FILE).exists() {
        return Err(scaffold_failure(ScaffoldError::Exists(vec![
            config::DEFAULT_FILE.to_string(),
        ])));
    }
    let detected = scaffold::detect(&root).map_err(scaffold_failure)?;
    eprintln!(
        "found alembic.ini in {}",
        if detected.project == "." {
            "this folder".to_string()
        } else {
            detected.project.clone()
        }
    );
    let specs = if args.runtimes.is_empty() {
        vec![RuntimeSpec::parse("python:3").map_err(Failure::Usage)?]
    } else {
        args.runtimes
            .iter()
            .map(|text| RuntimeSpec::parse(text).map_err(Failure::Usage))
            .collect::<Result<Vec<_>, _>>()?
    };
    let (prepared, graph) = read_graph(&root, &detected, &specs[0])?;
    eprintln!(
        "Alembic (Python {}) reports {} revisions, head {}",
        prepared.interpreter.version,
        graph.revisions.len(),
        if graph.heads.is_empty() {
            "none".to_string()
        } else {
            graph.heads.join(", ")
        }
    );
    let runtimes: Vec<String> = if args.runtimes.is_empty() {
        vec![format!("python:{}", minor(&prepared.interpreter.version))]
    } else {
        specs.iter().map(RuntimeSpec::key).collect()
    };
    let revisions = Revisions::of(&graph);
    let files = scaffold::files(&detected, &runtimes, &revisions);
    scaffold::write(&root, &files).map_err(scaffold_failure)?;
    for file in &files {
        println!("wrote {}", file.path.display());
    }
    if revisions.before_head.is_none() {
        println!("no `partial` scenario: the graph has no single revision before its head");
    }
    println!("next: `harness run` writes the first snapshots; commit them with the scenarios");
    Ok(ExitStatus::Success)
}

/// Prepares the runtime and asks the project's Alembic for its revision graph.
fn read_graph(
    root: &Path,
    detected: &Detected,
    spec: &RuntimeSpec,
) -> Result<(PreparedRuntime, Graph), Failure> {
    let project_dir = root.join(&detected.project);
    let requirements = match &detected.requirements {
        Some(path) => Requirements::file(root.join(path)),
        None => Requirements::packages(vec!["alembic".to_string()], root),
    };
    let cache = CacheDir::from_env();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    tokio.block_on(async {
        let prepared = runtime::prepare(spec, &requirements, &cache)
            .await
            .map_err(|err| {
                Failure::Environment(match err.help() {
                    Some(help) => format!("{err}\n  help: {help}"),
                    None => err.to_string(),
                })
            })?;
        let adapter = Alembic::new(
            &project_dir,
            &project_dir.join("alembic.ini"),
            &BTreeMap::new(),
            &cache,
        )
        .map_err(|err| Failure::Environment(err.to_string()))?;
        let session = crate::runtime::Session::new(&prepared, None, "init");
        let graph = adapter.graph(&session).await;
        session.close().await;
        let graph = graph.map_err(|err| {
            Failure::Environment(format!(
                "Alembic could not load the revision graph: {err}\n  help: check that `alembic heads` works in {}",
                project_dir.display()
            ))
        })?;
        Ok((prepared, graph))
    })
}

/// `3.12.1` -> `3.12`.
fn minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn scaffold_failure(err: ScaffoldError) -> Failure {
    match err {
        ScaffoldError::Io { .. } => Failure::Environment(err.to_string()),
        ScaffoldError::NoProject { .. } | ScaffoldError::Exists(_) => {
            Failure::Usage(err.to_string())
        }
    }
}
