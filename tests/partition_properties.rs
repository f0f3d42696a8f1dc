//! `--partition K/N`: for any matrix and any N, the N shards are disjoint, together hold every cell
//! exactly once and in matrix order, never split a snapshot group, and differ in size by at most one
//! group.

use harness::config::{DatabaseSpec, RuntimeSpec};
use harness::matrix::{Cell, Partition};
use proptest::prelude::*;

fn matrix(shape: &[(usize, usize)]) -> Vec<Cell> {
    let databases = ["sqlite", "postgres:16", "postgres:17", "mariadb:11"];
    let runtimes = ["python:3.9", "python:3.10", "python:3.11", "python:3.12"];
    let mut cells = Vec::new();
    for (scenario, (dbs, rts)) in shape.iter().enumerate() {
        for database in &databases[..*dbs] {
            for runtime in &runtimes[..*rts] {
                let database = DatabaseSpec::parse(database).unwrap();
                let runtime = RuntimeSpec::parse(runtime).unwrap();
                cells.push(Cell {
                    id: format!("s{scenario}/{}/{}", database.id(), runtime.id()),
                    position: cells.len(),
                    scenario,
                    database,
                    runtime,
                });
            }
        }
    }
    cells
}

proptest! {
    #[test]
    fn shards_are_disjoint_and_cover_every_cell(
        shape in prop::collection::vec((1usize..=4, 1usize..=4), 0..8),
        count in 1usize..=12,
    ) {
        let cells = matrix(&shape);
        let shards: Vec<Vec<Cell>> = (1..=count)
            .map(|index| Partition::new(index, count).unwrap().cells(cells.clone()))
            .collect();

        let mut seen: Vec<usize> = shards.iter().flatten().map(|c| c.position).collect();
        let total = seen.len();
        seen.sort_unstable();
        seen.dedup();
        prop_assert_eq!(total, cells.len(), "every cell is in exactly one shard");
        prop_assert_eq!(seen, (0..cells.len()).collect::<Vec<_>>());

        for shard in &shards {
            prop_assert!(shard.windows(2).all(|w| w[0].position < w[1].position), "matrix order");
        }
        let group = |c: &Cell| (c.scenario, c.database.id());
        for cell in &cells {
            let holders = shards.iter().filter(|s| s.iter().any(|c| group(c) == group(cell))).count();
            prop_assert_eq!(holders, 1, "a snapshot group is never split");
        }
        let groups_per_shard: Vec<usize> = shards
            .iter()
            .map(|s| {
                let mut keys: Vec<_> = s.iter().map(group).collect();
                keys.dedup();
                keys.len()
            })
            .collect();
        let most = groups_per_shard.iter().max().copied().unwrap_or(0);
        let least = groups_per_shard.iter().min().copied().unwrap_or(0);
        prop_assert!(most - least <= 1, "balanced: {:?}", groups_per_shard);
    }

    #[test]
    fn a_partition_prints_as_it_parses(index in 1usize..50, extra in 0usize..50) {
        let count = index + extra;
        let text = format!("{index}/{count}");
        prop_assert_eq!(text.parse::<Partition>().unwrap().to_string(), text);
    }
}
