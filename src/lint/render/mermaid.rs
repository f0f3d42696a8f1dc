//! The revision graph as a Mermaid flowchart (renders in a GitHub comment or a markdown file):
//! parents above children, heads as stadiums, merges as hexagons, dependencies dotted.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::label;
use crate::lint::RevisionGraph;

/// Mermaid reads `"` and `<`/`>` inside labels as syntax: they go as entity codes.
fn text(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for c in label.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The graph as a Mermaid `flowchart TD`.
pub fn mermaid(graph: &RevisionGraph) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut unknown: BTreeMap<&str, String> = BTreeMap::new();
    for node in 0..graph.len() {
        let revision = &graph.revisions[node];
        let mut caption = label(graph, node);
        for branch in &revision.labels {
            caption.push_str(&format!(" [branch {branch}]"));
        }
        let caption = text(&caption);
        let shape = if graph.children(node).is_empty() {
            format!("([\"{caption}\"])")
        } else if graph.parents(node).len() > 1 {
            format!("{{{{\"{caption}\"}}}}")
        } else {
            format!("[\"{caption}\"]")
        };
        let _ = writeln!(out, "    r{node}{shape}");
        let missing_down = revision.down.iter().filter(|d| graph.find(d).is_none());
        let missing_dependency = revision
            .depends_on
            .iter()
            .filter(|d| graph.resolve(d).is_none());
        for reference in missing_down.chain(missing_dependency) {
            let next = format!("u{}", unknown.len());
            unknown.entry(reference).or_insert(next);
        }
    }
    for (name, id) in &unknown {
        let _ = writeln!(out, "    {id}[\"{} (unknown)\"]", text(name));
        let _ = writeln!(out, "    style {id} stroke-dasharray: 5 5");
    }
    let id_of = |name: &str, found: Option<usize>| -> String {
        match found {
            Some(node) => format!("r{node}"),
            None => unknown.get(name).cloned().unwrap_or_default(),
        }
    };
    for node in 0..graph.len() {
        let revision = &graph.revisions[node];
        for down in &revision.down {
            let _ = writeln!(out, "    {} --> r{node}", id_of(down, graph.find(down)));
        }
        for dependency in &revision.depends_on {
            let _ = writeln!(
                out,
                "    {} -.->|depends on| r{node}",
                id_of(dependency, graph.resolve(dependency))
            );
        }
    }
    out
}
