//! Lint reports and revision graphs as text: human (grouped by code, optionally coloured), JSON,
//! SARIF 2.1.0, an indented tree, Graphviz DOT and Mermaid. Pure functions from data to `String`;
//! they decide nothing and print nothing.

mod dot;
mod human;
mod json;
mod mermaid;
mod sarif;
mod tree;

use std::path::Path;

pub use dot::dot;
pub use human::human;
pub use json::json;
pub use mermaid::mermaid;
pub use sarif::sarif;
pub use tree::tree;

/// `path` as shown to the user: relative to `base` when inside it, with `/` separators.
pub fn shown(path: &Path, base: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let text = relative.display().to_string();
    if std::path::MAIN_SEPARATOR == '/' {
        text
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// A revision's label in graph renderings: its id, then its message when it has one.
fn label(graph: &super::RevisionGraph, node: usize) -> String {
    let revision = &graph.revisions[node];
    match &revision.message {
        Some(message) => format!("{} {}", revision.id, message),
        None => revision.id.clone(),
    }
}
