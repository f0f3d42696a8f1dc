//! `--partition K/N`: for any workspace (configurations with their matrices) and any N, the N
//! shards `harness run` runs are disjoint, together hold every cell exactly once and in matrix
//! order, keep each cell with its configuration, never split a snapshot group, and differ in size
//! by at most one group.

use harness::config::{DatabaseSpec, RuntimeSpec};
use harness::matrix::{Cell, Partition};
use proptest::prelude::*;

/// A workspace: one configuration (by index) per shape, each with its scenarios x databases x
/// runtimes, positions running across the whole workspace as `harness run` numbers them.
fn workspace(shapes: &[Vec<(usize, usize)>]) -> Vec<(usize, Vec<Cell>)> {
    let databases = ["sqlite", "postgres:16", "postgres:17", "mariadb:11"];
    let runtimes = ["python:3.9", "python:3.10", "python:3.11", "python:3.12"];
    let mut position = 0;
    let mut configs = Vec::new();
    for (config, shape) in shapes.iter().enumerate() {
        let mut cells = Vec::new();
        for (scenario, (dbs, rts)) in shape.iter().enumerate() {
            for database in &databases[..*dbs] {
                for runtime in &runtimes[..*rts] {
                    let database = DatabaseSpec::parse(database).unwrap();
                    let runtime = RuntimeSpec::parse(runtime).unwrap();
                    cells.push(Cell {
                        id: format!("m{config}:s{scenario}/{}/{}", database.id(), runtime.id()),
                        position,
                        hidden: false,
                        scenario,
                        database,
                        runtime,
                    });
                    position += 1;
                }
            }
        }
        configs.push((config, cells));
    }
    configs
}

proptest! {
    #[test]
    fn shards_are_disjoint_and_cover_every_cell(
        shapes in prop::collection::vec(prop::collection::vec((1usize..=4, 1usize..=4), 0..5), 1..4),
        count in 1usize..=12,
    ) {
        let configs = workspace(&shapes);
        let all: Vec<(usize, Cell)> = configs
            .iter()
            .flat_map(|(config, cells)| cells.iter().map(move |cell| (*config, cell.clone())))
            .collect();
        // What `harness run --partition K/N` runs: each shard's configurations and their cells.
        let shards: Vec<Vec<(usize, Cell)>> = (1..=count)
            .map(|index| {
                Partition::new(index, count)
                    .unwrap()
                    .shard(configs.clone())
                    .into_iter()
                    .flat_map(|(config, cells)| cells.into_iter().map(move |cell| (config, cell)))
                    .collect()
            })
            .collect();

        let mut seen: Vec<usize> = shards.iter().flatten().map(|(_, c)| c.position).collect();
        let total = seen.len();
        seen.sort_unstable();
        seen.dedup();
        prop_assert_eq!(total, all.len(), "every cell is in exactly one shard");
        prop_assert_eq!(seen, (0..all.len()).collect::<Vec<_>>());

        for shard in &shards {
            prop_assert!(
                shard.windows(2).all(|w| w[0].1.position < w[1].1.position),
                "matrix order, across members"
            );
            prop_assert!(shard.iter().all(|(config, cell)| cell.id.starts_with(&format!("m{config}:"))),
                "every cell stays with its own configuration");
        }
        let group = |(config, c): &(usize, Cell)| (*config, c.scenario, c.database.id());
        for cell in &all {
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
