//! SARIF 2.1.0 for code scanning: one run, a rule per finding code (all of them, so rule indexes are
//! stable), a result per finding with its file (relative to `base`, the repository root) and region.

use std::path::Path;

use serde_json::{Value, json};

use super::shown;
use crate::lint::{Code, LintReport, Severity};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The report as a SARIF log; paths relative to `base`.
pub fn sarif(report: &LintReport, base: &Path) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.code(),
                "name": code.name(),
                "shortDescription": { "text": code.title() },
                "defaultConfiguration": { "level": level(code.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let index = Code::ALL.iter().position(|c| *c == finding.code);
            let text = match &finding.hint {
                Some(hint) => format!("{} ({hint})", finding.message),
                None => finding.message.clone(),
            };
            json!({
                "ruleId": finding.code.code(),
                "ruleIndex": index,
                "level": level(finding.severity()),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": shown(&finding.file, base) },
                        "region": {
                            "startLine": finding.at.line,
                            "startColumn": finding.at.column,
                        },
                    },
                }],
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "harness lint",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
