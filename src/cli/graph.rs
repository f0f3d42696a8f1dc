//! `harness graph`: the revision DAG as an indented tree, Graphviz DOT or Mermaid.

use clap::{Args, ValueEnum};

use super::lint::{ProjectArgs, analyze, warn_if_errors};
use super::{ExitStatus, Failure, GlobalArgs};
use crate::lint::render;

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// An indented tree, oldest first; heads, bases, forks, merges and branch labels marked
    Text,
    /// Graphviz DOT (`harness graph --format dot | dot -Tsvg > graph.svg`)
    Dot,
    /// A Mermaid flowchart, for markdown files and pull request comments
    Mermaid,
}

pub(super) fn execute(global: &GlobalArgs, args: GraphArgs) -> Result<ExitStatus, Failure> {
    let (report, _) = analyze(global, &args.project, None)?;
    warn_if_errors(&report);
    let text = match args.format {
        GraphFormat::Text => render::tree(&report.graph),
        GraphFormat::Dot => render::dot(&report.graph),
        GraphFormat::Mermaid => render::mermaid(&report.graph),
    };
    print!("{text}");
    Ok(ExitStatus::Success)
}
