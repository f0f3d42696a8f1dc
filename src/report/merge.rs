//! `harness report merge`: the reports of several CI jobs (shards or single cells) combined into the
//! report one run over all of them would have given: cells back in matrix order, runtimes and
//! warnings without repeats. Combines; never changes a verdict.

use crate::outcome::RunReport;

/// Why reports cannot be combined.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("the reports hold no cells")]
    Empty,
    #[error("cell `{id}` is in both {first} and {second}: each cell must come from one job")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
    #[error(
        "{first} is shard {first_partition} but {second} is shard {second_partition}: merge shards of one split"
    )]
    MixedPartitions {
        first: String,
        first_partition: String,
        second: String,
        second_partition: String,
    },
    #[error(
        "shard {missing} is missing: pass every shard's report, or the merged report lacks its cells"
    )]
    MissingShards { missing: String, count: usize },
}

/// Combines `reports`, each named (by its file) for messages.
pub fn merge(reports: Vec<(String, RunReport)>) -> Result<RunReport, MergeError> {
    check_partitions(&reports)?;
    let mut merged = RunReport::default();
    let mut origin: Vec<(String, String)> = Vec::new();
    for (name, report) in reports {
        for cell in report.cells {
            if let Some((_, first)) = origin.iter().find(|(id, _)| *id == cell.id) {
                return Err(MergeError::Duplicate {
                    id: cell.id,
                    first: first.clone(),
                    second: name,
                });
            }
            origin.push((cell.id.clone(), name.clone()));
            merged.cells.push(cell);
        }
        for runtime in report.runtimes {
            match merged
                .runtimes
                .iter_mut()
                .find(|r| r.key == runtime.key && r.member == runtime.member)
            {
                Some(known) if known.outcome.is_err() && runtime.outcome.is_ok() => {
                    *known = runtime;
                }
                Some(_) => {}
                None => merged.runtimes.push(runtime),
            }
        }
        for warning in report.warnings {
            if !merged.warnings.contains(&warning) {
                merged.warnings.push(warning);
            }
        }
        // A shard loads the graphs of the configurations its cells belong to: one per member.
        for graph in report.graphs {
            if !merged.graphs.iter().any(|g| g.member == graph.member) {
                merged.graphs.push(graph);
            }
        }
        for id in report.not_run {
            if !merged.not_run.contains(&id) {
                merged.not_run.push(id);
            }
        }
        // Jobs run side by side: the merged run took as long as its longest job.
        merged.duration = merged.duration.max(report.duration);
    }
    if merged.cells.is_empty() {
        return Err(MergeError::Empty);
    }
    merged
        .cells
        .sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
    // Configurations in the order one run takes them: as their first cells come in the matrix.
    let order = |member: &Option<String>| {
        merged
            .cells
            .iter()
            .position(|cell| cell.member == *member)
            .unwrap_or(usize::MAX)
    };
    let runtime_order: Vec<usize> = merged.runtimes.iter().map(|r| order(&r.member)).collect();
    let mut runtimes: Vec<_> = merged.runtimes.drain(..).zip(runtime_order).collect();
    runtimes
        .sort_by(|(a, a_order), (b, b_order)| a_order.cmp(b_order).then_with(|| a.key.cmp(&b.key)));
    merged.runtimes = runtimes.into_iter().map(|(runtime, _)| runtime).collect();
    let graph_order: Vec<usize> = merged.graphs.iter().map(|g| order(&g.member)).collect();
    let mut graphs: Vec<_> = merged.graphs.drain(..).zip(graph_order).collect();
    graphs.sort_by_key(|(_, at)| *at);
    merged.graphs = graphs.into_iter().map(|(graph, _)| graph).collect();
    Ok(merged)
}

/// Reports that come from `--partition` must be every shard of one split.
fn check_partitions(reports: &[(String, RunReport)]) -> Result<(), MergeError> {
    let sharded: Vec<(&String, crate::matrix::Partition)> = reports
        .iter()
        .filter_map(|(name, report)| report.partition.map(|p| (name, p)))
        .collect();
    let Some((first, first_partition)) = sharded.first().copied() else {
        return Ok(());
    };
    for (name, partition) in &sharded {
        if partition.count() != first_partition.count() {
            return Err(MergeError::MixedPartitions {
                first: first.clone(),
                first_partition: first_partition.to_string(),
                second: (*name).clone(),
                second_partition: partition.to_string(),
            });
        }
    }
    let count = first_partition.count();
    if let Some(missing) =
        (1..=count).find(|index| !sharded.iter().any(|(_, p)| p.index() == *index))
    {
        return Err(MergeError::MissingShards {
            missing: format!("{missing}/{count}"),
            count,
        });
    }
    Ok(())
}
