//! The revision graph in Graphviz DOT: an edge from each revision to its children (solid) and from
//! each dependency to its dependant (dashed); heads bold, merges rounded, unknown revisions dashed.

use std::fmt::Write;

use super::label;
use crate::lint::RevisionGraph;

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The graph as a DOT digraph.
pub fn dot(graph: &RevisionGraph) -> String {
    let mut out = String::from(
        "digraph revisions {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    let mut unknown: Vec<&str> = Vec::new();
    for node in 0..graph.len() {
        let revision = &graph.revisions[node];
        let mut text = label(graph, node);
        for branch in &revision.labels {
            text.push_str(&format!("\n[branch {branch}]"));
        }
        let mut attributes = vec![format!("label={}", quote(&text))];
        if graph.children(node).is_empty() {
            attributes.push("style=bold".into());
            attributes.push("peripheries=2".into());
        } else if graph.parents(node).len() > 1 {
            attributes.push("style=rounded".into());
        }
        let _ = writeln!(
            out,
            "  {} [{}];",
            quote(&revision.id),
            attributes.join(", ")
        );
        let missing_down = revision.down.iter().filter(|d| graph.find(d).is_none());
        let missing_dependency = revision
            .depends_on
            .iter()
            .filter(|d| graph.resolve(d).is_none());
        for reference in missing_down.chain(missing_dependency) {
            if !unknown.contains(&reference.as_str()) {
                unknown.push(reference);
            }
        }
    }
    unknown.sort_unstable();
    for name in &unknown {
        let _ = writeln!(
            out,
            "  {} [label={}, style=dashed];",
            quote(name),
            quote(&format!("{name}\n(unknown)"))
        );
    }
    for node in 0..graph.len() {
        let revision = &graph.revisions[node];
        for down in &revision.down {
            let _ = writeln!(out, "  {} -> {};", quote(down), quote(&revision.id));
        }
        for dependency in &revision.depends_on {
            let target = graph
                .resolve(dependency)
                .map_or(dependency.as_str(), |n| graph.id(n));
            let _ = writeln!(
                out,
                "  {} -> {} [style=dashed, label=\"depends on\"];",
                quote(target),
                quote(&revision.id)
            );
        }
    }
    out.push_str("}\n");
    out
}
