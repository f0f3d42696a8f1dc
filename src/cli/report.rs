//! `harness report merge`: the JSON reports of several jobs (shards or single cells) combined into
//! one report, written as JUnit / JSON / Markdown and as the job summary, with the exit code the
//! combined verdicts call for.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::outputs::{self, ReportTarget};
use super::{ExitStatus, Failure};
use crate::report;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine the JSON reports of several jobs into one report, with the combined verdict's exit code
    #[command(after_help = super::EXIT_CODES)]
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written by `harness run --report json=PATH`
    #[arg(value_name = "REPORT", required = true)]
    pub files: Vec<PathBuf>,
    /// Also write the merged report (repeatable): KIND is junit, json, markdown or html
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<ReportTarget>,
    /// Append the Markdown summary to $GITHUB_STEP_SUMMARY (printed instead of the text report when
    /// that is not set)
    #[arg(long)]
    pub summary: bool,
}

pub(super) fn execute(args: ReportArgs) -> Result<ExitStatus, Failure> {
    match args.command {
        ReportCommand::Merge(args) => merge(args),
    }
}

fn merge(args: MergeArgs) -> Result<ExitStatus, Failure> {
    let mut reports = Vec::new();
    for file in &args.files {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|err| Failure::Usage(format!("cannot read the report {shown}: {err}")))?;
        let parsed = report::json::parse(&text).map_err(|err| {
            Failure::Usage(format!(
                "{shown}: {err}\n  help: pass files written by `harness run --report json=PATH`"
            ))
        })?;
        reports.push((shown, parsed));
    }
    let merged = report::merge(reports).map_err(|err| Failure::Usage(err.to_string()))?;
    let summary_written = args.summary && outputs::step_summary(&merged)?;
    if args.summary && !summary_written {
        print!("{}", report::markdown::render(&merged));
    } else {
        print!(
            "{}",
            report::render_with(&merged, report::colour::Palette::for_stdout())
        );
    }
    outputs::write_reports(&merged, &args.report)?;
    Ok(ExitStatus::of_report(&merged))
}
