//! The human report: findings grouped by code (errors first within the code order), each with its
//! place and hint, then a one-line summary. ANSI colours only when asked for.

use std::fmt::Write;
use std::path::Path;

use super::shown;
use crate::lint::{LintReport, Severity};

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// The report as a person reads it; paths relative to `base`.
pub fn human(report: &LintReport, base: &Path, colour: bool) -> String {
    let paint = |style: &str, text: &str| {
        if colour {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let mut findings: Vec<_> = report.findings.iter().collect();
    findings.sort_by_key(|f| (f.severity(), f.code));
    let mut current = None;
    for finding in findings {
        if current != Some(finding.code) {
            if current.is_some() {
                out.push('\n');
            }
            current = Some(finding.code);
            let style = match finding.severity() {
                Severity::Error => RED,
                Severity::Warning => YELLOW,
            };
            let head = format!("{}[{}]", finding.severity(), finding.code);
            let _ = writeln!(
                out,
                "{}: {} ({})",
                paint(style, &head),
                finding.code.title(),
                finding.code.name()
            );
        }
        let place = format!(
            "{}:{}:{}",
            shown(&finding.file, base),
            finding.at.line,
            finding.at.column
        );
        let _ = writeln!(out, "  {}: {}", paint(BOLD, &place), finding.message);
        if let Some(hint) = &finding.hint {
            let _ = writeln!(out, "    {}", paint(DIM, &format!("hint: {hint}")));
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    let heads = report.heads();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let heads_text = if heads.is_empty() {
        "no head".to_string()
    } else {
        format!(
            "{} ({})",
            plural(heads.len(), "head", "heads"),
            heads.join(", ")
        )
    };
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let verdict = if errors + warnings == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{}, {}",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings")
        )
    };
    let _ = writeln!(
        out,
        "{}: {}, {}, {}",
        verdict,
        plural(report.files.len(), "file", "files"),
        plural(report.graph.len(), "revision", "revisions"),
        heads_text
    );
    out
}
