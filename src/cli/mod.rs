//! The command line: clap types, one file per subcommand, and the exit codes. The only place that
//! prints or picks an exit code.

mod accept;
mod cache;
mod cell_args;
mod clean;
mod completions;
mod context;
mod drift;
mod exit;
mod graph;
mod init;
mod init_engines;
mod init_retries;
mod last_run;
mod lint;
mod list;
mod matrix;
mod outputs;
mod progress;
mod report;
mod review;
mod run;
mod snapshots;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use exit::{ExitStatus, Failure};

const EXIT_CODES: &str = "\
Exit codes:
  0  every cell passed
  1  a cell failed or a snapshot changed
  2  bad usage or configuration (the message names file:line:col)
  3  the environment could not be set up (no interpreter, no engine)
  4  `harness drift` only: the database has no version table
  130 interrupted (Ctrl-C or SIGTERM); everything the run started is removed";

/// Replays database migration scenarios with the project's real migration tool, across database
/// engines and runtimes, and snapshots the schema each one ends with.
#[derive(Debug, Parser)]
#[command(name = "harness", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The configuration file [default: harness.toml in the working folder]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Work from this folder, as if started there
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (all, or the ones named) over the matrix and check their snapshots
    #[command(after_help = EXIT_CODES)]
    Run(run::RunArgs),
    /// Print the expanded matrix, one cell id per line
    List(list::ListArgs),
    /// Print the cells (or shards) as a CI job matrix, e.g. for GitHub Actions' strategy.matrix
    Matrix(matrix::MatrixArgs),
    /// Work with the JSON reports of several jobs
    Report(report::ReportArgs),
    /// Take pending .snap.new files as the snapshots (all, or those the filters name)
    Accept(accept::PendingArgs),
    /// Delete pending .snap.new files (all, or those the filters name)
    Reject(accept::PendingArgs),
    /// Show the diff of each pending .snap.new; on a terminal, accept, reject or skip them one by
    /// one
    Review,
    /// List the snapshot files, and those no scenario of the matrix produces any more
    /// (--unreferenced; --delete removes them)
    Snapshots(snapshots::SnapshotsArgs),
    /// Find the Alembic projects below this folder, the engines they target, what they install and
    /// which Pythons install it, try an upgrade on each engine, and write harness.toml and starter
    /// scenarios
    Init(init::InitArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Check the revision graph of the migration files, statically (no database, no Python)
    #[command(after_help = lint::LINT_EXIT_CODES)]
    Lint(lint::LintArgs),
    /// Draw the revision graph: an indented tree, Graphviz DOT or Mermaid
    Graph(graph::GraphArgs),
    /// Compare a live database's version table with the heads of the migration files
    #[command(after_help = drift::DRIFT_EXIT_CODES)]
    Drift(drift::DriftArgs),
    /// Remove what harness processes of this host that ended without cleaning up (killed,
    /// crashed) left: containers, networks, local clusters, temporary folders
    Clean(clean::CleanArgs),
    /// List or remove the cached environments and prepared runtime images
    Cache(cache::CacheArgs),
}

/// Parses the arguments, runs the command, prints what it has to, and returns the exit status.
pub fn main() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitStatus::from_code(err.exit_code());
        }
    };
    let status = match execute(cli) {
        Ok(status) => status,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.status()
        }
    };
    crate::runtime::remove_shared_cell_dir();
    status
}

fn execute(cli: Cli) -> Result<ExitStatus, Failure> {
    if let Some(dir) = &cli.global.directory {
        std::env::set_current_dir(dir)
            .map_err(|err| Failure::Usage(format!("cannot work from {}: {err}", dir.display())))?;
    }
    match cli.command {
        Command::Run(args) => run::execute(&cli.global, args),
        Command::List(args) => list::execute(&cli.global, args),
        Command::Matrix(args) => matrix::execute(&cli.global, args),
        Command::Report(args) => report::execute(args),
        Command::Snapshots(args) => snapshots::execute(&cli.global, args),
        Command::Accept(args) => accept::accept(&cli.global, args),
        Command::Reject(args) => accept::reject(&cli.global, args),
        Command::Review => review::execute(&cli.global),
        Command::Init(args) => init::execute(args),
        Command::Completions(args) => completions::execute(args),
        Command::Lint(args) => lint::execute(&cli.global, args),
        Command::Graph(args) => graph::execute(&cli.global, args),
        Command::Drift(args) => drift::execute(&cli.global, args),
        Command::Clean(args) => clean::execute(args),
        Command::Cache(args) => cache::execute(args),
    }
}
