//! The JSON report: the heads, a summary and every finding with its place, for scripts and bots.
//! The shape is stable: fields are only ever added.

use std::path::Path;

use serde::Serialize;

use super::shown;
use crate::lint::{LintReport, Severity};

#[derive(Serialize)]
struct Report<'a> {
    version_dirs: Vec<String>,
    files: usize,
    revisions: usize,
    heads: Vec<String>,
    errors: usize,
    warnings: usize,
    findings: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Item<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    file: String,
    line: usize,
    column: usize,
    message: &'a str,
    hint: Option<&'a str>,
}

/// The report as pretty-printed JSON; paths relative to `base`.
pub fn json(report: &LintReport, base: &Path) -> String {
    let value = Report {
        version_dirs: report.dirs.dirs.iter().map(|d| shown(d, base)).collect(),
        files: report.files.len(),
        revisions: report.graph.len(),
        heads: report.heads(),
        errors: report.count(Severity::Error),
        warnings: report.count(Severity::Warning),
        findings: report
            .findings
            .iter()
            .map(|f| Item {
                code: f.code.code(),
                name: f.code.name(),
                severity: f.severity(),
                file: shown(&f.file, base),
                line: f.at.line,
                column: f.at.column,
                message: &f.message,
                hint: f.hint.as_deref(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|err| {
        serde_json::json!({ "error": format!("cannot encode the report: {err}") }).to_string()
    });
    text.push('\n');
    text
}
