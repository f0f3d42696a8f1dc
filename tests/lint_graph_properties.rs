//! Property tests of the revision graph: random DAGs written as Alembic files; lint's heads, merge
//! points and fork rejoins equal a reference computation on the DAG itself.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::project::{reference_heads, revision_id, write_project};
use harness::lint::{self, VersionDirs};
use proptest::prelude::*;

/// Parents by index: each revision names 0 (a new base), 1 or 2 earlier revisions.
fn dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (2usize..40)
        .prop_flat_map(|n| proptest::collection::vec((0u8..10, any::<u32>(), any::<u32>()), n))
        .prop_map(|choices| {
            choices
                .iter()
                .enumerate()
                .map(|(i, &(kind, a, b))| {
                    if i == 0 || kind == 0 {
                        return Vec::new();
                    }
                    let first = a as usize % i;
                    let second = b as usize % i;
                    if kind <= 3 && first != second {
                        vec![first, second]
                    } else {
                        vec![first]
                    }
                })
                .collect()
        })
}

fn descendants(parents: &[Vec<usize>], start: usize) -> HashSet<usize> {
    let mut seen = HashSet::from([start]);
    let mut todo = vec![start];
    while let Some(node) = todo.pop() {
        for (child, down) in parents.iter().enumerate() {
            if down.contains(&node) && seen.insert(child) {
                todo.push(child);
            }
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn heads_merges_and_rejoins_match_the_reference(parents in dag(), seed in any::<u64>()) {
        let dir = tempfile::tempdir().unwrap();
        write_project(dir.path(), &parents, seed);
        let report = lint::analyze(&VersionDirs::folder(dir.path().join("migrations/versions")), 32).unwrap();
        let graph = &report.graph;
        prop_assert_eq!(graph.len(), parents.len());

        let heads: BTreeSet<String> = report.heads().into_iter().collect();
        prop_assert_eq!(&heads, &reference_heads(&parents));

        let merges: BTreeSet<String> = graph.merges().iter().map(|&n| graph.id(n).to_string()).collect();
        let expected_merges: BTreeSet<String> = (0..parents.len())
            .filter(|&i| parents[i].len() > 1)
            .map(revision_id)
            .collect();
        prop_assert_eq!(merges, expected_merges);

        for (index, _) in parents.iter().enumerate() {
            let children: Vec<usize> = (0..parents.len()).filter(|&c| parents[c].contains(&index)).collect();
            let node = graph.find(&revision_id(index)).unwrap();
            prop_assert_eq!(graph.children(node).len(), children.len());
            if children.len() < 2 {
                prop_assert_eq!(graph.rejoin(node), None);
                continue;
            }
            let mut common: HashSet<usize> = descendants(&parents, children[0]);
            for &child in &children[1..] {
                let other = descendants(&parents, child);
                common.retain(|n| other.contains(n));
            }
            match graph.rejoin(node) {
                None => prop_assert!(common.is_empty(), "fork {} rejoins at {:?}", index, common),
                Some(join) => {
                    let join_index = common
                        .iter()
                        .copied()
                        .find(|&c| revision_id(c) == graph.id(join));
                    prop_assert!(join_index.is_some(), "the rejoin is not a common descendant");
                    // No common descendant comes before it: none of its proper ancestors is common.
                    let join_index = join_index.unwrap();
                    for &other in &common {
                        if other != join_index {
                            prop_assert!(!descendants(&parents, other).contains(&join_index));
                        }
                    }
                }
            }
        }
        let has_multiple_heads = report.findings.iter().any(|f| f.code == lint::Code::MultipleHeads);
        prop_assert_eq!(has_multiple_heads, heads.len() > 1);
    }

    #[test]
    fn any_graph_with_cycles_and_unknown_parents_is_reported(
        edges in proptest::collection::vec(proptest::collection::vec(0usize..30, 0..3), 1..25),
    ) {
        // Parents may be later revisions (cycles) or beyond the last one (unknown revisions).
        let dir = tempfile::tempdir().unwrap();
        for (index, down) in edges.iter().enumerate() {
            let down: Vec<String> = down.iter().map(|&d| format!("{:?}", revision_id(d))).collect();
            std::fs::write(
                dir.path().join(format!("r{index}.py")),
                format!("revision = {:?}\ndown_revision = ({},)\n", revision_id(index), down.join(", ")),
            ).unwrap();
        }
        let report = lint::analyze(&VersionDirs::folder(dir.path()), 32).unwrap();
        let graph = &report.graph;
        let drawn = graph.topological().len();
        let after_cycles = (0..graph.len()).filter(|&n| graph.is_after_cycle(n)).count();
        prop_assert_eq!(drawn + after_cycles, graph.len());
        if after_cycles > 0 {
            prop_assert!(report.findings.iter().any(|f| f.code == lint::Code::Cycle));
        }
        for format in [
            lint::render::tree(graph),
            lint::render::dot(graph),
            lint::render::mermaid(graph),
            lint::render::human(&report, dir.path(), false),
        ] {
            prop_assert!(!format.is_empty());
        }
    }
}
