//! The revision graph as an indented text tree, oldest first. A linear chain stays at one level; a
//! fork's branches are indented under it; a merge comes back to the level of the fork it closes
//! (the merge's immediate dominator). Heads, bases, forks, merges and branch labels are marked.

use std::fmt::Write;

use super::label;
use crate::lint::RevisionGraph;

/// One line to draw: the node, the prefix of its own line, the prefix of what follows it.
struct Task {
    node: usize,
    first: String,
    rest: String,
}

/// The tree, one revision per line.
pub fn tree(graph: &RevisionGraph) -> String {
    let idom = graph.dominators();
    let order = graph.topological();
    let mut dominated: Vec<Vec<usize>> = vec![Vec::new(); graph.len()];
    let mut roots = Vec::new();
    for &node in order {
        match idom[node] {
            Some(dominator) => dominated[dominator].push(node),
            None => roots.push(node),
        }
    }
    let mut out = String::new();
    let mut tasks: Vec<Task> = roots
        .iter()
        .rev()
        .map(|&node| Task {
            node,
            first: String::new(),
            rest: String::new(),
        })
        .collect();
    while let Some(Task { node, first, rest }) = tasks.pop() {
        let _ = writeln!(out, "{first}{}{}", label(graph, node), markers(graph, node));
        let kids = &dominated[node];
        if let [only] = kids[..] {
            tasks.push(Task {
                node: only,
                first: rest.clone(),
                rest,
            });
            continue;
        }
        let (branches, joins): (Vec<usize>, Vec<usize>) =
            kids.iter().partition(|&&kid| graph.parents(kid).len() == 1);
        for &join in joins.iter().rev() {
            tasks.push(Task {
                node: join,
                first: rest.clone(),
                rest: rest.clone(),
            });
        }
        for (index, &branch) in branches.iter().enumerate().rev() {
            let last = index + 1 == branches.len();
            tasks.push(Task {
                node: branch,
                first: format!("{rest}{}", if last { "└─ " } else { "├─ " }),
                rest: format!("{rest}{}", if last { "   " } else { "│  " }),
            });
        }
    }
    let left_out: Vec<&str> = (0..graph.len())
        .filter(|&n| graph.is_after_cycle(n))
        .map(|n| graph.id(n))
        .collect();
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "not drawn (on or after a cycle): {}",
            left_out.join(", ")
        );
    }
    out
}

fn markers(graph: &RevisionGraph, node: usize) -> String {
    let revision = &graph.revisions[node];
    let mut marks = Vec::new();
    if revision.down.is_empty() {
        marks.push("base".to_string());
    }
    let parents = graph.parents(node);
    if parents.len() > 1 {
        let ids: Vec<&str> = parents.iter().map(|&p| graph.id(p)).collect();
        marks.push(format!("merge of {}", ids.join(", ")));
    }
    let children = graph.children(node);
    if children.len() > 1 {
        marks.push(format!("fork into {}", children.len()));
    }
    for label in &revision.labels {
        marks.push(format!("branch {label}"));
    }
    for down in &revision.down {
        if graph.find(down).is_none() {
            marks.push(format!("unknown down_revision {down}"));
        }
    }
    if children.is_empty() {
        marks.push("head".to_string());
    }
    if marks.is_empty() {
        String::new()
    } else {
        format!("  [{}]", marks.join("] ["))
    }
}
