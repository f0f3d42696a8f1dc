//! Synthetic Alembic projects for tests and the benchmark: a revision DAG (each revision's parents
//! by index) written as real Alembic revision files, with varied but valid formatting.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;

/// A small deterministic generator (splitmix64), so projects are reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The revision id of revision `index`: 12 hex digits, like Alembic's own.
pub fn revision_id(index: usize) -> String {
    let mut rng = Rng::new(index as u64 ^ 0x5eed);
    format!("{:012x}", rng.next() & 0xffff_ffff_ffff)
}

/// A DAG that grows like a real project: mostly linear, with forks that are merged later. When
/// `single_head` is set, the open branches are merged at the end.
pub fn growing_dag(count: usize, seed: u64, single_head: bool) -> Vec<Vec<usize>> {
    let mut rng = Rng::new(seed);
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(count);
    let mut open: Vec<usize> = Vec::new();
    while parents.len() < count {
        let node = parents.len();
        if open.is_empty() {
            parents.push(Vec::new());
            open.push(node);
            continue;
        }
        let roll = rng.below(100);
        if roll < 6 && open.len() > 1 {
            let a = open.swap_remove(rng.below(open.len()));
            let b = open.swap_remove(rng.below(open.len()));
            parents.push(vec![a, b]);
        } else if roll < 12 {
            let a = open[rng.below(open.len())];
            parents.push(vec![a]);
        } else {
            let at = rng.below(open.len());
            parents.push(vec![open.swap_remove(at)]);
        }
        open.push(node);
        if single_head && parents.len() == count - 1 && open.len() > 1 {
            parents.push(open.clone());
            open.clear();
        }
    }
    parents
}

/// Revisions no other revision names as a parent.
pub fn reference_heads(parents: &[Vec<usize>]) -> BTreeSet<String> {
    let named: BTreeSet<usize> = parents.iter().flatten().copied().collect();
    (0..parents.len())
        .filter(|n| !named.contains(n))
        .map(revision_id)
        .collect()
}

const ENV: &str = "from alembic import context\n\ncontext.run_migrations()\n";

/// Writes an Alembic project (alembic.ini, migrations/env.py, migrations/versions/*.py) into
/// `root`.
pub fn write_project(root: &Path, parents: &[Vec<usize>], seed: u64) {
    let versions = root.join("migrations").join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(
        root.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///x.db\n",
    )
    .unwrap();
    std::fs::write(root.join("migrations").join("env.py"), ENV).unwrap();
    let mut rng = Rng::new(seed);
    for (index, down) in parents.iter().enumerate() {
        let id = revision_id(index);
        let quote = if rng.below(2) == 0 { "\"" } else { "'" };
        let text = |s: &str| format!("{quote}{s}{quote}");
        let down_text = match down.len() {
            0 => "None".to_string(),
            1 if rng.below(4) > 0 => text(&revision_id(down[0])),
            _ => {
                let items: Vec<String> = down.iter().map(|&d| text(&revision_id(d))).collect();
                if rng.below(2) == 0 {
                    format!("({},)", items.join(", "))
                } else {
                    format!("[{}]", items.join(", "))
                }
            }
        };
        let message = [
            "add a table",
            "naïve column ✓",
            "merge heads",
            "index «users»",
        ][rng.below(4)];
        let body = if rng.below(2) == 0 {
            format!(
                "from typing import Sequence, Union\n\nfrom alembic import op\n\n\
                 revision: str = {}\ndown_revision: Union[str, Sequence[str], None] = {down_text}\n\
                 branch_labels: Union[str, Sequence[str], None] = None\n\
                 depends_on: Union[str, Sequence[str], None] = None\n",
                text(&id)
            )
        } else {
            format!(
                "from alembic import op\n\nrevision = {}\ndown_revision = {down_text}  # parent\n\
                 branch_labels = None\ndepends_on = None\n",
                text(&id)
            )
        };
        let source = format!(
            "\"\"\"{message} {index}\n\nRevision ID: {id}\n\"\"\"\n{body}\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
        );
        std::fs::write(versions.join(format!("{id}_rev_{index}.py")), source).unwrap();
    }
}
