//! Where a report goes besides the terminal: `--report KIND=PATH` files and the Markdown summary
//! GitHub Actions shows (`$GITHUB_STEP_SUMMARY`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::Failure;
use crate::outcome::RunReport;
use crate::report;

/// The environment variable GitHub Actions points at the job's summary file.
pub const STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Junit,
    Json,
    Markdown,
    Html,
}

/// `--report junit=target/harness.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub kind: ReportKind,
    pub path: PathBuf,
}

impl FromStr for ReportTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, path) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: write KIND=PATH, e.g. junit=target/harness.xml"))?;
        let kind = match kind {
            "junit" => ReportKind::Junit,
            "json" => ReportKind::Json,
            "markdown" | "md" => ReportKind::Markdown,
            "html" => ReportKind::Html,
            other => {
                return Err(format!(
                    "unknown report kind `{other}`; allowed: junit, json, markdown, html"
                ));
            }
        };
        if path.is_empty() {
            return Err(format!("`{text}`: the path is empty"));
        }
        Ok(Self {
            kind,
            path: PathBuf::from(path),
        })
    }
}

/// Writes every requested report file (creating folders as needed).
pub fn write_reports(report: &RunReport, targets: &[ReportTarget]) -> Result<(), Failure> {
    for target in targets {
        let text = match target.kind {
            ReportKind::Json => report::json::render(report),
            ReportKind::Markdown => report::markdown::render(report),
            ReportKind::Html => report::html::render(report),
            ReportKind::Junit => report::junit::render(report).map_err(|err| {
                Failure::Environment(format!("cannot build the JUnit report: {err}"))
            })?,
        };
        write_file(&target.path, &text)?;
    }
    Ok(())
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when it is set; returns whether it was.
pub fn step_summary(report: &RunReport) -> Result<bool, Failure> {
    let Some(path) = std::env::var_os(STEP_SUMMARY).filter(|p| !p.is_empty()) else {
        return Ok(false);
    };
    let path = PathBuf::from(path);
    let cannot = |err: std::io::Error| {
        Failure::Environment(format!(
            "cannot append the summary to {} (${STEP_SUMMARY}): {err}",
            path.display()
        ))
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(cannot)?;
    file.write_all(report::markdown::render(report).as_bytes())
        .map_err(cannot)?;
    Ok(true)
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let cannot = |err: std::io::Error| {
        Failure::Environment(format!("cannot write the report {}: {err}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(cannot)?;
    }
    std::fs::write(path, text).map_err(cannot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let target: ReportTarget = "junit=out/h.xml".parse().unwrap();
        assert_eq!(target.kind, ReportKind::Junit);
        assert_eq!(target.path, PathBuf::from("out/h.xml"));
        let target: ReportTarget = "html=out/h.html".parse().unwrap();
        assert_eq!(target.kind, ReportKind::Html);
        assert!(
            "xml=out"
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("allowed: junit")
        );
        assert!(
            "json"
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("KIND=PATH")
        );
        assert!(
            "json="
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("empty")
        );
    }
}
