//! `harness matrix`: the cells (or shards) as a job matrix for CI, e.g. GitHub Actions'
//! `strategy.matrix` (`--format github`: one line of JSON, ready for `$GITHUB_OUTPUT`).

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::cell_args::CellArgs;
use super::context;
use super::{ExitStatus, Failure, GlobalArgs};
use crate::matrix::{Cell, Partition};

#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub cells: CellArgs,
    /// How to print the matrix
    #[arg(long, value_enum, default_value_t = MatrixFormat::Github)]
    pub format: MatrixFormat,
    /// One entry per shard (for `harness run --partition K/N`) instead of one per cell; capped at the
    /// number of snapshot groups so that no shard is empty
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// `{"include": [...]}` on one line, for `strategy.matrix: ${{ fromJSON(...) }}`
    Github,
    /// One entry per line: a cell id, or `K/N: <cell ids>`
    Text,
}

/// One job of the matrix.
#[derive(Debug, Serialize)]
struct Entry {
    /// A name safe in artifact and job names: `fresh-sqlite-python-3.12`, `shard-1-of-3`.
    name: String,
    /// `harness run --cell` takes it (per-cell entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<String>,
    /// `harness run --partition` takes it (per-shard entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    partition: Option<String>,
    /// The cell ids of the entry, separated by spaces.
    cells: String,
    /// The database entries the job needs, separated by spaces (`sqlite postgres:17`).
    databases: String,
    /// The Python versions the job needs, one per line (what setup-python's `python-version` takes).
    python: String,
}

#[derive(Debug, Serialize)]
struct GithubMatrix {
    include: Vec<Entry>,
}

pub(super) fn execute(global: &GlobalArgs, args: MatrixArgs) -> Result<ExitStatus, Failure> {
    let configs = context::load(global)?;
    let query = args.cells.query(&[]);
    let selections = context::select(configs, &query)?;
    let cells: Vec<Cell> = selections
        .iter()
        .flat_map(|s| s.cells.iter().cloned())
        .collect();
    let entries = match args.shards {
        Some(0) => return Err(Failure::Usage("--shards must be at least 1".into())),
        Some(shards) => {
            let mut groups: Vec<(usize, usize, String)> = Vec::new();
            for (index, selection) in selections.iter().enumerate() {
                for cell in &selection.cells {
                    let key = (index, cell.scenario, cell.database.id());
                    if !groups.contains(&key) {
                        groups.push(key);
                    }
                }
            }
            let count = shards.min(groups.len());
            (1..=count)
                .map(|index| {
                    let partition = Partition::new(index, count)
                        .map_err(|err| Failure::Usage(err.to_string()))?;
                    let shard: Vec<Cell> = context::partition(selections.clone(), partition)
                        .into_iter()
                        .flat_map(|s| s.cells)
                        .collect();
                    Ok(entry(
                        format!("shard-{index}-of-{count}"),
                        None,
                        Some(partition.to_string()),
                        &shard,
                    ))
                })
                .collect::<Result<Vec<_>, Failure>>()?
        }
        None => cells
            .iter()
            .map(|cell| {
                entry(
                    cell.id.replace(['/', ':'], "-"),
                    Some(cell.id.clone()),
                    None,
                    std::slice::from_ref(cell),
                )
            })
            .collect(),
    };
    match args.format {
        MatrixFormat::Github => {
            let json = serde_json::to_string(&GithubMatrix { include: entries })
                .map_err(|err| Failure::Environment(format!("cannot write the matrix: {err}")))?;
            println!("{json}");
        }
        MatrixFormat::Text => {
            for entry in entries {
                match entry.partition {
                    Some(partition) => println!("{partition}: {}", entry.cells),
                    None => println!("{}", entry.cells),
                }
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn entry(name: String, cell: Option<String>, partition: Option<String>, cells: &[Cell]) -> Entry {
    let mut databases: Vec<String> = Vec::new();
    let mut python: Vec<String> = Vec::new();
    for cell in cells {
        let database = cell.database.to_string();
        if !databases.contains(&database) {
            databases.push(database);
        }
        if !python.contains(&cell.runtime.version) {
            python.push(cell.runtime.version.clone());
        }
    }
    Entry {
        name,
        cell,
        partition,
        cells: cells
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        databases: databases.join(" "),
        python: python.join("\n"),
    }
}
