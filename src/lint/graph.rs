//! The revision DAG built from the parsed files: edges from `down_revision`, heads, bases, forks,
//! merges, cycles, where a fork's branches meet again, and the dominator tree the text tree is drawn
//! from. Every walk is iterative, so a 10,000-revision chain cannot overflow the stack.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use rustc_hash::FxHashMap;

use super::revision_file::RevisionFile;

/// How many fork children one pass of [`RevisionGraph::rejoins`] follows at once: its memory is
/// this many bits per revision (512 bytes; 5 MB for 10,000 revisions).
const REJOIN_GROUP_BITS: usize = 64 * 64;

/// Whether bits `start..start + len` of `row` are all set.
fn all_set(row: &[u64], start: usize, len: usize) -> bool {
    (start..start + len).all(|bit| row[bit / 64] & (1 << (bit % 64)) != 0)
}

/// One revision of the graph (the first file that defines an id; duplicates are findings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    /// The index of the defining file in the list the graph was built from.
    pub file: usize,
    /// `down_revision` as written, known or not.
    pub down: Vec<String>,
    pub depends_on: Vec<String>,
    pub labels: Vec<String>,
    pub message: Option<String>,
}

/// The revision graph.
#[derive(Debug, Clone, Default)]
pub struct RevisionGraph {
    pub revisions: Vec<Revision>,
    index: FxHashMap<String, usize>,
    labels: FxHashMap<String, usize>,
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    topo: Vec<usize>,
    /// Position of each revision in `topo`; `usize::MAX` for revisions on or after a cycle.
    rank: Vec<usize>,
}

impl RevisionGraph {
    /// Builds the graph from parsed files; files without a revision and repeated ids are skipped.
    pub fn build(files: &[RevisionFile]) -> Self {
        let mut graph = Self::default();
        graph.index.reserve(files.len());
        graph.revisions.reserve(files.len());
        for (file_index, file) in files.iter().enumerate() {
            let Some(revision) = &file.revision else {
                continue;
            };
            let next = graph.revisions.len();
            match graph.index.entry(revision.value.clone()) {
                std::collections::hash_map::Entry::Occupied(_) => continue,
                std::collections::hash_map::Entry::Vacant(slot) => slot.insert(next),
            };
            let list = |field: &Option<super::revision_file::Assigned<Vec<String>>>| {
                field.as_ref().map(|f| f.value.clone()).unwrap_or_default()
            };
            graph.revisions.push(Revision {
                id: revision.value.clone(),
                file: file_index,
                down: list(&file.down_revision),
                depends_on: list(&file.depends_on),
                labels: list(&file.branch_labels),
                message: file.message.clone(),
            });
        }
        let count = graph.revisions.len();
        graph.parents = vec![Vec::new(); count];
        graph.children = vec![Vec::new(); count];
        for (node, revision) in graph.revisions.iter().enumerate() {
            for label in &revision.labels {
                graph.labels.entry(label.clone()).or_insert(node);
            }
            for down in &revision.down {
                if let Some(&parent) = graph.index.get(down)
                    && !graph.parents[node].contains(&parent)
                {
                    graph.parents[node].push(parent);
                    graph.children[parent].push(node);
                }
            }
        }
        for list in &mut graph.children {
            list.sort_by(|&a, &b| graph.revisions[a].id.cmp(&graph.revisions[b].id));
        }
        graph.sort_topologically();
        graph
    }

    /// Kahn's algorithm, smallest id first among the ready revisions, so the order is stable.
    fn sort_topologically(&mut self) {
        let count = self.revisions.len();
        let mut waiting: Vec<usize> = self.parents.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Reverse<(&str, usize)>> = (0..count)
            .filter(|&n| waiting[n] == 0)
            .map(|n| Reverse((self.revisions[n].id.as_str(), n)))
            .collect();
        let mut topo = Vec::with_capacity(count);
        while let Some(Reverse((_, node))) = ready.pop() {
            topo.push(node);
            for &child in &self.children[node] {
                waiting[child] -= 1;
                if waiting[child] == 0 {
                    ready.push(Reverse((self.revisions[child].id.as_str(), child)));
                }
            }
        }
        let mut rank = vec![usize::MAX; count];
        for (position, &node) in topo.iter().enumerate() {
            rank[node] = position;
        }
        self.topo = topo;
        self.rank = rank;
    }

    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The revision with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// A revision id or a branch label, as `depends_on` may name either.
    pub fn resolve(&self, name: &str) -> Option<usize> {
        self.find(name).or_else(|| self.labels.get(name).copied())
    }

    pub fn id(&self, node: usize) -> &str {
        &self.revisions[node].id
    }

    /// The known parents, in `down_revision` order.
    pub fn parents(&self, node: usize) -> &[usize] {
        &self.parents[node]
    }

    /// The children, by id.
    pub fn children(&self, node: usize) -> &[usize] {
        &self.children[node]
    }

    /// Revisions no other revision names as `down_revision`, by id (what `alembic heads` prints).
    pub fn heads(&self) -> Vec<usize> {
        self.sorted((0..self.len()).filter(|&n| self.children[n].is_empty()))
    }

    /// Revisions whose `down_revision` is None, by id.
    pub fn bases(&self) -> Vec<usize> {
        self.sorted((0..self.len()).filter(|&n| self.revisions[n].down.is_empty()))
    }

    /// Revisions with several children, by id.
    pub fn forks(&self) -> Vec<usize> {
        self.sorted((0..self.len()).filter(|&n| self.children[n].len() > 1))
    }

    /// Revisions with several known parents, by id.
    pub fn merges(&self) -> Vec<usize> {
        self.sorted((0..self.len()).filter(|&n| self.parents[n].len() > 1))
    }

    fn sorted(&self, nodes: impl Iterator<Item = usize>) -> Vec<usize> {
        let mut nodes: Vec<usize> = nodes.collect();
        nodes.sort_by(|&a, &b| self.revisions[a].id.cmp(&self.revisions[b].id));
        nodes
    }

    /// The revisions in topological order (parents first); those on or after a cycle are left out.
    pub fn topological(&self) -> &[usize] {
        &self.topo
    }

    /// Whether a revision is part of, or descends from, a cycle.
    pub fn is_after_cycle(&self, node: usize) -> bool {
        self.rank[node] == usize::MAX
    }

    /// The strongly connected components that are cycles (several revisions, or one naming
    /// itself), each by id, sorted by their smallest id. Iterative Tarjan.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let count = self.len();
        let mut index = vec![usize::MAX; count];
        let mut low = vec![0; count];
        let mut on_stack = vec![false; count];
        let mut stack = Vec::new();
        let mut next = 0;
        let mut cycles = Vec::new();
        for start in 0..count {
            if index[start] != usize::MAX || !self.is_after_cycle(start) {
                continue;
            }
            let mut frames: Vec<(usize, usize)> = vec![(start, 0)];
            index[start] = next;
            low[start] = next;
            next += 1;
            stack.push(start);
            on_stack[start] = true;
            while let Some(&mut (node, ref mut edge)) = frames.last_mut() {
                if let Some(&child) = self.children[node].get(*edge) {
                    *edge += 1;
                    if index[child] == usize::MAX {
                        index[child] = next;
                        low[child] = next;
                        next += 1;
                        stack.push(child);
                        on_stack[child] = true;
                        frames.push((child, 0));
                    } else if on_stack[child] {
                        low[node] = low[node].min(index[child]);
                    }
                    continue;
                }
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    low[parent] = low[parent].min(low[node]);
                }
                if low[node] == index[node] {
                    let mut component = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        component.push(member);
                        if member == node {
                            break;
                        }
                    }
                    if component.len() > 1 || self.parents[node].contains(&node) {
                        cycles.push(self.sorted(component.into_iter()));
                    }
                }
            }
        }
        cycles.sort_by(|a, b| self.id(a[0]).cmp(self.id(b[0])));
        cycles
    }

    /// The first revision (in topological order) that descends from every child of `fork`: where
    /// its branches meet again. None when they never all meet.
    pub fn rejoin(&self, fork: usize) -> Option<usize> {
        self.rejoins_of(&[fork])[0]
    }

    /// [`rejoin`](Self::rejoin) of every fork, by id.
    pub fn rejoins(&self) -> Vec<(usize, Option<usize>)> {
        let forks = self.forks();
        let found = self.rejoins_of(&forks);
        forks.into_iter().zip(found).collect()
    }

    /// The rejoin of each of `forks`, in groups whose children fit [`REJOIN_GROUP_BITS`] bits.
    fn rejoins_of(&self, forks: &[usize]) -> Vec<Option<usize>> {
        let mut found = vec![None; forks.len()];
        let width = |fork: usize| match self.children[fork].len() {
            n if n >= 2 && !self.is_after_cycle(fork) => n,
            _ => 0,
        };
        let mut start = 0;
        while start < forks.len() {
            let mut end = start;
            let mut bits = 0;
            while end < forks.len()
                && (end == start || bits + width(forks[end]) <= REJOIN_GROUP_BITS)
            {
                bits += width(forks[end]);
                end += 1;
            }
            self.rejoin_group(&forks[start..end], &mut found[start..end], width);
            start = end;
        }
        found
    }

    /// One pass along the topological order for a group of forks. Each child of each fork owns one
    /// bit; every revision carries the bits of the children it descends from (its own, ORed with
    /// its parents'). A fork's rejoin is the first revision carrying all of its children's bits,
    /// and can only be a merge: a revision with one parent descends from no more children than
    /// that parent (or is a child of the fork, which descends from no other child). So bits are
    /// compared at merges only, and the pass stops once every fork of the group has its rejoin.
    fn rejoin_group(
        &self,
        forks: &[usize],
        found: &mut [Option<usize>],
        width: impl Fn(usize) -> usize,
    ) {
        let mut offsets = Vec::with_capacity(forks.len());
        let mut bits = 0;
        for &fork in forks {
            offsets.push(bits);
            bits += width(fork);
        }
        let Some(first) = forks
            .iter()
            .filter(|&&fork| width(fork) > 0)
            .map(|&fork| self.rank[fork] + 1)
            .min()
        else {
            return;
        };
        let words = bits.div_ceil(64);
        let mut masks = vec![0u64; (self.topo.len() - first) * words];
        let mut open: Vec<usize> = Vec::new();
        for (index, &fork) in forks.iter().enumerate() {
            if width(fork) == 0 {
                continue;
            }
            open.push(index);
            for (bit, &child) in self.children[fork].iter().enumerate() {
                if !self.is_after_cycle(child) {
                    let bit = offsets[index] + bit;
                    masks[(self.rank[child] - first) * words + bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        for rank in first..self.topo.len() {
            let node = self.topo[rank];
            let (before, rest) = masks.split_at_mut((rank - first) * words);
            let row = &mut rest[..words];
            for &parent in &self.parents[node] {
                if let Some(parent) = self.rank[parent].checked_sub(first) {
                    for (word, bit) in row.iter_mut().zip(&before[parent * words..][..words]) {
                        *word |= bit;
                    }
                }
            }
            if self.parents[node].len() < 2 {
                continue;
            }
            open.retain(|&index| {
                let joined = all_set(row, offsets[index], width(forks[index]));
                if joined {
                    found[index] = Some(node);
                }
                !joined
            });
            if open.is_empty() {
                break;
            }
        }
    }

    /// The revisions leading to `head` since the last fork, merge or base: the path back (head
    /// first), and the fork it starts from, if any.
    pub fn branch_to(&self, head: usize) -> (Vec<usize>, Option<usize>) {
        let mut path = vec![head];
        let mut seen = HashSet::from([head]);
        let mut current = head;
        loop {
            let [parent] = self.parents[current][..] else {
                return (path, None);
            };
            if self.children[parent].len() > 1 {
                return (path, Some(parent));
            }
            if !seen.insert(parent) {
                return (path, None);
            }
            path.push(parent);
            current = parent;
        }
    }

    /// Every ancestor of `node` through `down_revision`, itself included.
    pub fn ancestors(&self, node: usize) -> HashSet<usize> {
        let mut seen = HashSet::from([node]);
        let mut todo = vec![node];
        while let Some(current) = todo.pop() {
            for &parent in &self.parents[current] {
                if seen.insert(parent) {
                    todo.push(parent);
                }
            }
        }
        seen
    }

    /// The immediate dominator of each revision in topological order (None: dominated only by the
    /// virtual root above every base). Revisions on or after a cycle get None too.
    pub fn dominators(&self) -> Vec<Option<usize>> {
        let mut idom: Vec<Option<usize>> = vec![None; self.len()];
        for &node in &self.topo {
            let mut parents = self.parents[node].iter().copied();
            let Some(first) = parents.next() else {
                continue;
            };
            let mut dom = Some(first);
            for parent in parents {
                dom = self.intersect(&idom, dom, Some(parent));
            }
            idom[node] = dom;
        }
        idom
    }

    fn intersect(
        &self,
        idom: &[Option<usize>],
        mut a: Option<usize>,
        mut b: Option<usize>,
    ) -> Option<usize> {
        loop {
            match (a, b) {
                (Some(x), Some(y)) if x == y => return a,
                (Some(x), Some(y)) => {
                    if self.rank[x] > self.rank[y] {
                        a = idom[x];
                    } else {
                        b = idom[y];
                    }
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn graph(edges: &[(&str, &[&str])]) -> RevisionGraph {
        let files: Vec<RevisionFile> = edges
            .iter()
            .map(|(id, down)| {
                let down = if down.is_empty() {
                    "None".to_string()
                } else {
                    let items: Vec<String> = down.iter().map(|d| format!("{d:?}")).collect();
                    format!("({},)", items.join(", "))
                };
                RevisionFile::parse(
                    Path::new(&format!("{id}.py")),
                    &format!("revision = {id:?}\ndown_revision = {down}\n"),
                )
            })
            .collect();
        RevisionGraph::build(&files)
    }

    fn ids(graph: &RevisionGraph, nodes: &[usize]) -> Vec<String> {
        nodes.iter().map(|&n| graph.id(n).to_string()).collect()
    }

    #[test]
    fn fork_and_merge() {
        let g = graph(&[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["a"]),
            ("d", &["c"]),
            ("m", &["b", "d"]),
            ("z", &["m"]),
        ]);
        assert_eq!(ids(&g, &g.heads()), ["z"]);
        assert_eq!(ids(&g, &g.forks()), ["a"]);
        assert_eq!(ids(&g, &g.merges()), ["m"]);
        assert_eq!(g.rejoin(g.find("a").unwrap()).map(|n| g.id(n)), Some("m"));
        let idom = g.dominators();
        assert_eq!(idom[g.find("m").unwrap()], g.find("a"));
        assert_eq!(idom[g.find("d").unwrap()], g.find("c"));
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn unmerged_fork_has_two_heads_and_branches() {
        let g = graph(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["c"])]);
        assert_eq!(ids(&g, &g.heads()), ["b", "d"]);
        assert_eq!(g.rejoin(g.find("a").unwrap()), None);
        let (path, fork) = g.branch_to(g.find("d").unwrap());
        assert_eq!(ids(&g, &path), ["d", "c"]);
        assert_eq!(fork, g.find("a"));
    }

    #[test]
    fn a_fork_whose_child_is_past_a_cycle_has_no_rejoin() {
        let g = graph(&[
            ("a", &[]),
            ("b", &["a"]),
            ("x", &["a", "c"]),
            ("c", &["d"]),
            ("d", &["c"]),
        ]);
        assert_eq!(g.rejoin(g.find("a").unwrap()), None);
        assert_eq!(g.rejoins().len(), 2, "a and c both have two children");
    }

    #[test]
    fn wide_forks_use_several_mask_words() {
        let mut edges: Vec<(String, Vec<String>)> = vec![("root".into(), vec![])];
        let kids: Vec<String> = (0..70).map(|i| format!("k{i:02}")).collect();
        for kid in &kids {
            edges.push((kid.clone(), vec!["root".into()]));
        }
        edges.push(("merge".into(), kids.clone()));
        let files: Vec<RevisionFile> = edges
            .iter()
            .map(|(id, down)| {
                let down: Vec<String> = down.iter().map(|d| format!("{d:?}")).collect();
                RevisionFile::parse(
                    Path::new(&format!("{id}.py")),
                    &format!("revision = {id:?}\ndown_revision = [{}]\n", down.join(", ")),
                )
            })
            .collect();
        let g = RevisionGraph::build(&files);
        assert_eq!(g.rejoin(g.find("root").unwrap()), g.find("merge"));
    }

    #[test]
    fn cycles_are_found_and_left_out_of_the_order() {
        let g = graph(&[("a", &[]), ("b", &["a", "c"]), ("c", &["b"]), ("s", &["s"])]);
        let cycles: Vec<Vec<String>> = g.cycles().iter().map(|c| ids(&g, c)).collect();
        assert_eq!(cycles, [vec!["b", "c"], vec!["s"]]);
        assert_eq!(ids(&g, g.topological()), ["a"]);
    }
}
