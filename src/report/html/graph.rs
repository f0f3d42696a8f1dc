//! The revision graph of each configuration as an inline SVG for the HTML report: a row per
//! revision from base to heads, a line from each revision to each parent.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use super::escape;
use crate::outcome::{RevisionGraph, RunReport};

/// One inline SVG per configuration: a row per revision from base to heads, a line from each
/// revision to each of its parents; heads filled, merges and branch points named beside them.
pub(super) fn graphs(out: &mut String, report: &RunReport) {
    if report.graphs.is_empty() {
        return;
    }
    out.push_str("<section id=\"graph\">\n<h2>Revision graph</h2>\n");
    for graph in &report.graphs {
        if let Some(member) = &graph.member {
            let _ = writeln!(out, "<h3>{}</h3>", escape(member));
        }
        if graph.revisions.is_empty() {
            out.push_str("<p>No revisions.</p>\n");
        } else {
            revision_svg(out, graph);
        }
    }
    out.push_str("</section>\n");
}

const ROW: usize = 28;
const LANE: usize = 22;
const PAD: usize = 14;

fn revision_svg(out: &mut String, graph: &RevisionGraph) {
    let order = base_first(graph);
    let row: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(at, (id, _))| (*id, at))
        .collect();
    // A revision continues the lane of its first parent not yet continued; else it opens a lane.
    let mut lane: HashMap<&str, usize> = HashMap::new();
    let mut opened: HashSet<&str> = HashSet::new();
    let mut continued: HashSet<&str> = HashSet::new();
    let mut lanes = 0;
    for (id, parents) in &order {
        let parent = parents
            .iter()
            .map(String::as_str)
            .find(|p| lane.contains_key(p) && !continued.contains(p));
        let at = match parent {
            Some(parent) => {
                continued.insert(parent);
                lane[parent]
            }
            None => {
                opened.insert(id);
                lanes += 1;
                lanes - 1
            }
        };
        lane.insert(id, at);
    }
    let mut children: HashMap<&str, usize> = HashMap::new();
    for (_, parents) in &order {
        for parent in *parents {
            *children.entry(parent.as_str()).or_default() += 1;
        }
    }
    let labels: Vec<String> = order
        .iter()
        .map(|(id, parents)| {
            let mut notes = Vec::new();
            if graph.heads.iter().any(|h| h == id) {
                notes.push("head".to_string());
            }
            if parents.len() > 1 {
                notes.push(format!("merges {}", parents.join(", ")));
            }
            let forks = children.get(id).copied().unwrap_or(0);
            if forks > 1 {
                notes.push(format!("branches into {forks}"));
            }
            notes.join("; ")
        })
        .collect();
    let point = |id: &str| (PAD + lane[id] * LANE, PAD + row[id] * ROW);
    let text_x = PAD + lanes * LANE;
    let longest = order
        .iter()
        .zip(&labels)
        .map(|((id, _), note)| id.chars().count() + note.chars().count() + 3)
        .max()
        .unwrap_or(0);
    let width = text_x + longest * 8 + PAD;
    let height = 2 * PAD + (order.len() - 1) * ROW;
    let _ = writeln!(
        out,
        "<svg class=\"graph\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\"><title>Revision graph{}</title>",
        graph
            .member
            .as_deref()
            .map(|m| format!(" of {}", escape(m)))
            .unwrap_or_default()
    );
    for (id, parents) in &order {
        let (cx, cy) = point(id);
        for parent in parents.iter().filter(|p| row.contains_key(p.as_str())) {
            let (px, py) = point(parent);
            let path = if px == cx {
                format!("M{px} {py}V{cy}")
            } else if opened.contains(id) || lane[id] > lane[parent.as_str()] {
                // A branch: leave the parent towards the child's lane, then run down it.
                format!("M{px} {py}L{cx} {}V{cy}", py + ROW)
            } else {
                // A merge: run down the parent's lane, then join the child.
                format!("M{px} {py}V{}L{cx} {cy}", cy - ROW)
            };
            let _ = writeln!(out, "<path d=\"{path}\"/>");
        }
    }
    for ((id, _), note) in order.iter().zip(&labels) {
        let (cx, cy) = point(id);
        let head = graph.heads.iter().any(|h| h == id);
        let _ = write!(
            out,
            "<g class=\"revision{}\" data-revision=\"{}\"><circle cx=\"{cx}\" cy=\"{cy}\" r=\"5\"/>\
             <text x=\"{text_x}\" y=\"{}\">{}",
            if head { " head" } else { "" },
            escape(id),
            cy + 4,
            escape(id)
        );
        if !note.is_empty() {
            let _ = write!(out, "<tspan class=\"note\"> ({})</tspan>", escape(note));
        }
        out.push_str("</text></g>\n");
    }
    out.push_str("</svg>\n");
}

/// The revisions with every parent before its children, otherwise in the order listed.
fn base_first(graph: &RevisionGraph) -> Vec<(&str, &[String])> {
    let by_id: HashMap<&str, &[String]> = graph
        .revisions
        .iter()
        .map(|(id, parents)| (id.as_str(), parents.as_slice()))
        .collect();
    let mut placed: HashSet<&str> = HashSet::new();
    // Expanded once each, so that a cycle (the tool refuses one) cannot loop.
    let mut expanded: HashSet<&str> = HashSet::new();
    let mut order = Vec::with_capacity(graph.revisions.len());
    for (id, _) in &graph.revisions {
        // Depth first without recursion: (revision, whether its parents are placed).
        let mut stack = vec![(id.as_str(), false)];
        while let Some((id, ready)) = stack.pop() {
            if placed.contains(id) {
                continue;
            }
            let parents = by_id[id];
            if ready {
                placed.insert(id);
                order.push((id, parents));
                continue;
            }
            if !expanded.insert(id) {
                continue;
            }
            stack.push((id, true));
            for parent in parents.iter().rev() {
                if by_id.contains_key(parent.as_str()) && !placed.contains(parent.as_str()) {
                    stack.push((parent.as_str(), false));
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::*;

    fn forked() -> RevisionGraph {
        let rev = |id: &str, parents: &[&str]| {
            (
                id.to_string(),
                parents.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            )
        };
        // Listed head first, as Alembic walks it: base <- a1 <- {b1 <- b2, c1}.
        RevisionGraph {
            member: Some("billing <x>".into()),
            revisions: vec![
                rev("b2", &["b1"]),
                rev("c1", &["a1"]),
                rev("b1", &["a1"]),
                rev("a1", &["base"]),
                rev("base", &[]),
            ],
            heads: vec!["b2".into(), "c1".into()],
        }
    }

    #[test]
    fn a_forked_graph_shows_both_heads_from_the_base_down() {
        let page = render(&RunReport {
            graphs: vec![forked()],
            ..RunReport::default()
        });
        assert!(page.contains("<h2>Revision graph</h2>"), "{page}");
        assert!(page.contains("<h3>billing &lt;x&gt;</h3>"), "{page}");
        for head in ["b2", "c1"] {
            assert!(
                page.contains(&format!(
                    "<g class=\"revision head\" data-revision=\"{head}\">"
                )),
                "{head} in {page}"
            );
        }
        assert_eq!(page.matches("class=\"revision head\"").count(), 2, "{page}");
        assert!(page.contains("a1<tspan class=\"note\"> (branches into 2)</tspan>"));
        let at = |id: &str| page.find(&format!("data-revision=\"{id}\"")).unwrap();
        assert!(at("base") < at("a1") && at("a1") < at("b1") && at("b1") < at("b2"));
        assert!(at("a1") < at("c1"));
        // One line per parent link: four.
        assert_eq!(page.matches("<path ").count(), 4, "{page}");
        for outside in ["http:", "https:", "<script"] {
            assert!(!page.contains(outside), "{outside} in {page}");
        }
    }

    #[test]
    fn a_merge_names_its_parents() {
        let mut graph = forked();
        graph.member = None;
        graph
            .revisions
            .insert(0, ("m".into(), vec!["b2".into(), "c1".into()]));
        graph.heads = vec!["m".into()];
        let page = render(&RunReport {
            graphs: vec![graph],
            ..RunReport::default()
        });
        assert!(!page.contains("<h3>"), "{page}");
        assert!(
            page.contains("m<tspan class=\"note\"> (head; merges b2, c1)</tspan>"),
            "{page}"
        );
        assert_eq!(page.matches("<path ").count(), 6, "{page}");
    }
}
