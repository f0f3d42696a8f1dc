//! `--partition K/N`: for any workspace (configurations with their matrices) and any N, the N
//! shards `harness run` runs are disjoint, together hold every cell exactly once and in matrix
//! order, keep each cell with its configuration, never split a snapshot group, and differ in size
//! by at most one group.

use std::path::PathBuf;
use std::time::Duration;

use harness::config::{DatabaseSpec, RuntimeSpec};
use harness::matrix::{Cell, Partition};
use harness::outcome::{
    Cause, CellResult, RevisionGraph, RunReport, RuntimeInfo, RuntimeSummary, StepRecord, Verdict,
};
use harness::report;
use proptest::prelude::*;

/// What a run of `configs` (each with the cells it runs) reports, as `harness run` builds it: per
/// configuration, in order, its cells, the runtimes those cells use (by key) and its revision
/// graph; a configuration with no cell to run is skipped.
fn report_of(configs: &[(usize, Vec<Cell>)], partition: Option<Partition>) -> RunReport {
    let mut report = RunReport {
        partition,
        ..RunReport::default()
    };
    for (config, cells) in configs {
        if cells.is_empty() {
            continue;
        }
        let member = (*config > 0).then(|| format!("m{config}"));
        let info = |key: &str| RuntimeInfo {
            key: key.to_string(),
            backend: "local".into(),
            version: key.trim_start_matches("python:").to_string(),
            interpreter: PathBuf::from(format!("/usr/bin/{key}")),
            source: "PATH".into(),
            image: None,
            packages: vec![("alembic".into(), "1.13.3".into())],
        };
        let mut keys: Vec<String> = cells.iter().map(|cell| cell.runtime.key()).collect();
        keys.sort();
        keys.dedup();
        report
            .runtimes
            .extend(keys.iter().map(|key| RuntimeSummary {
                key: key.clone(),
                member: member.clone(),
                outcome: Ok(harness::outcome::RuntimeReady {
                    info: info(key),
                    reused: true,
                    setup_time: Duration::from_millis(7),
                }),
            }));
        report.cells.extend(cells.iter().map(|cell| {
            let failed = cell.position % 3 == 1;
            CellResult {
                id: cell.id.clone(),
                member: member.clone(),
                position: cell.position,
                scenario: format!("s{}", cell.scenario),
                database: cell.database.id(),
                runtime: cell.runtime.id(),
                verdict: if failed {
                    Verdict::Failed
                } else {
                    Verdict::Passed
                },
                expected_failure: false,
                cause: failed.then_some(Cause::StepFailed),
                detail: failed.then(|| "step 1 failed".to_string()),
                signature: failed.then(|| format!("upgrade head\nKeyError: {}", cell.scenario)),
                steps: vec![StepRecord {
                    number: 1,
                    label: "upgrade head (target)".into(),
                    at: None,
                    ok: !failed,
                    duration: Duration::from_millis(cell.position as u64),
                    status: failed.then(|| "exit code 1".to_string()),
                    output_tail: None,
                }],
                snapshot: None,
                snapshot_note: None,
                diff: None,
                runtime_info: Some(info(&cell.runtime.key())),
                duration: Duration::from_millis(cell.position as u64),
                tool_time: Duration::ZERO,
                trace: Vec::new(),
            }
        }));
        report.graphs.push(RevisionGraph {
            member: member.clone(),
            revisions: vec![(format!("r{config}"), Vec::new())],
            heads: vec![format!("r{config}")],
        });
    }
    report
}

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
    fn merged_shard_reports_equal_the_unsharded_report(
        shapes in prop::collection::vec(prop::collection::vec((1usize..=4, 1usize..=4), 0..5), 1..4),
        count in 1usize..=8,
    ) {
        let configs = workspace(&shapes);
        prop_assume!(configs.iter().any(|(_, cells)| !cells.is_empty()));
        let whole = report_of(&configs, None);
        let shards: Vec<(String, RunReport)> = (1..=count)
            .map(|index| {
                let partition = Partition::new(index, count).unwrap();
                let shard = partition.shard(configs.clone());
                (format!("shard-{index}.json"), report_of(&shard, Some(partition)))
            })
            .collect();
        let merged = report::merge(shards).unwrap();
        // Every field the JSON report holds, durations included: a merge keeps a shard's own.
        prop_assert_eq!(report::json::render(&merged), report::json::render(&whole));
        // And the report itself, field by field, but the run's wall time (the shards' sum).
        let mut merged = merged;
        merged.duration = whole.duration;
        prop_assert_eq!(merged, whole);
    }

    #[test]
    fn a_partition_prints_as_it_parses(index in 1usize..50, extra in 0usize..50) {
        let count = index + extra;
        let text = format!("{index}/{count}");
        prop_assert_eq!(text.parse::<Partition>().unwrap().to_string(), text);
    }
}
