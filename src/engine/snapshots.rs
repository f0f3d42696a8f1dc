//! The snapshot phase, after every cell ran: cells of one scenario and database share one snapshot
//! file whatever their runtime; a mismatch with the file is a changed snapshot, a mismatch between
//! runtimes is a failure that names both.

use std::path::Path;

use super::SnapshotMode;
use super::step::CellRun;
use crate::config::Config;
use crate::outcome::{Cause, CellResult, SnapshotNote, Verdict};
use crate::snapshot::{self, Header};

pub(super) fn settle(config: &Config, runs: Vec<CellRun>, mode: SnapshotMode) -> Vec<CellResult> {
    let mut groups: Vec<((String, String), Vec<usize>)> = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let key = (run.result.scenario.clone(), run.result.database.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(index),
            None => groups.push((key, vec![index])),
        }
    }
    let mut runs = runs;
    for ((scenario, database), members) in groups {
        let path = snapshot::path_for(&config.snapshots_dir, &scenario, &database);
        let shown = config.display_path(&path);
        for &member in &members {
            if runs[member].rendered.is_some() {
                runs[member].result.snapshot = Some(shown.clone());
            }
        }
        let header = Header {
            description: format!("scenario `{scenario}` on {database}"),
            expression: format!(
                "schema after {}",
                config
                    .scenario(&scenario)
                    .map_or("head".to_string(), |s| format!(
                        "upgrade to {}",
                        s.target.value
                    ))
            ),
        };
        settle_group(&path, &shown, &header, &mut runs, &members, mode);
    }
    runs.into_iter().map(|run| run.result).collect()
}

fn settle_group(
    path: &Path,
    shown: &Path,
    header: &Header,
    runs: &mut [CellRun],
    members: &[usize],
    mode: SnapshotMode,
) {
    let rendered = compared(runs, members);
    if rendered.is_empty() {
        return;
    }
    let Some(reference) = reference(path, shown, header, runs, &rendered, mode) else {
        return;
    };
    let place = Place {
        path,
        shown,
        header,
        mode,
    };
    let mut wrote_pending = false;
    let mut any_changed = false;
    // The first changed schema: later changed cells must agree with it.
    let mut first_change: Option<(String, String)> = None;
    for &m in &rendered {
        let mine = text(runs, m);
        if mine == reference {
            if runs[m].result.snapshot_note.is_none() {
                runs[m].result.snapshot_note = Some(SnapshotNote::Matches);
            }
            continue;
        }
        any_changed = true;
        if disagrees(runs, &rendered, m, &reference, &first_change, shown) {
            continue;
        }
        if first_change.is_none() {
            first_change = Some((runs[m].result.runtime.clone(), mine.clone()));
        }
        changed(
            &place,
            &mut runs[m].result,
            &reference,
            &mine,
            &mut wrote_pending,
        );
    }
    if !any_changed {
        // Everything matches: a pending file left from an earlier run is stale.
        std::fs::remove_file(snapshot::pending_path(path)).ok();
    }
}

/// Where a group's snapshot is, and what the run does with it.
struct Place<'a> {
    path: &'a Path,
    shown: &'a Path,
    header: &'a Header,
    mode: SnapshotMode,
}

fn text(runs: &[CellRun], m: usize) -> String {
    runs[m].rendered.clone().unwrap_or_default()
}

/// The members with a schema to compare. Runtimes the scenario expects to fail (a `when`
/// narrowed to them) leave the schema of a failed upgrade: when other runtimes of the group
/// upgraded, the snapshot is theirs, and these are not compared.
fn compared(runs: &mut [CellRun], members: &[usize]) -> Vec<usize> {
    let mut rendered: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&m| runs[m].rendered.is_some())
        .collect();
    if rendered.iter().any(|&m| !runs[m].result.expected_failure) {
        rendered.retain(|&m| {
            let keep = !runs[m].result.expected_failure;
            if !keep {
                runs[m].result.snapshot_note = Some(SnapshotNote::NotCompared);
            }
            keep
        });
    }
    rendered
}

/// The text the group is compared with: the stored snapshot, or the first cell's schema written
/// as the first snapshot. `None` when the group is settled already (a missing snapshot under
/// `--check`, whose text went to the pending file, or a file that could not be read or written).
fn reference(
    path: &Path,
    shown: &Path,
    header: &Header,
    runs: &mut [CellRun],
    rendered: &[usize],
    mode: SnapshotMode,
) -> Option<String> {
    let existing = match snapshot::file::read_body(path) {
        Ok(existing) => existing,
        Err(err) => {
            for &m in rendered {
                set(
                    &mut runs[m].result,
                    Verdict::Error,
                    format!("cannot read {}: {err}", shown.display()),
                );
            }
            return None;
        }
    };
    let pending = snapshot::pending_path(path);
    match existing {
        Some(body) => Some(body),
        None if mode == SnapshotMode::Check => {
            // Never a .snap in CI: the new text goes to .snap.new, for review and `harness accept`.
            let first = text(runs, rendered[0]);
            let written = snapshot::file::write(&pending, header, &first);
            for &m in rendered {
                let result = &mut runs[m].result;
                match &written {
                    Ok(()) => {
                        set(
                            result,
                            Verdict::SnapshotChanged,
                            "snapshot missing (CI and --check never write a snapshot); take the pending file with `harness accept`".into(),
                        );
                        result.snapshot_note =
                            Some(SnapshotNote::MissingPending(shown.to_path_buf()));
                    }
                    Err(err) => set(
                        result,
                        Verdict::Error,
                        format!("cannot write {}: {err}", pending.display()),
                    ),
                }
            }
            None
        }
        None => {
            let first = text(runs, rendered[0]);
            if let Err(err) = snapshot::file::write(path, header, &first) {
                set(
                    &mut runs[rendered[0]].result,
                    Verdict::Error,
                    format!("cannot write {}: {err}", shown.display()),
                );
                return None;
            }
            runs[rendered[0]].result.snapshot_note = Some(SnapshotNote::Written);
            Some(first)
        }
    }
}

/// Whether cell `m`, whose schema differs from the snapshot, also differs from another runtime of
/// its group (one that matches the snapshot, or the first that changed it): it then fails saying
/// the runtimes disagree, with the diff between them.
fn disagrees(
    runs: &mut [CellRun],
    rendered: &[usize],
    m: usize,
    reference: &str,
    first_change: &Option<(String, String)>,
    shown: &Path,
) -> bool {
    let mine = text(runs, m);
    let this_runtime = runs[m].result.runtime.clone();
    let agreeing = rendered
        .iter()
        .find(|&&other| other != m && text(runs, other) == reference);
    let (other_runtime, diff) = if let Some(&other) = agreeing {
        let other_runtime = runs[other].result.runtime.clone();
        let diff = snapshot::diff(
            reference,
            &mine,
            &format!("{} ({other_runtime})", shown.display()),
            &this_runtime,
        );
        (other_runtime, diff)
    } else if let Some((first_runtime, first_text)) = first_change
        && *first_text != mine
    {
        let diff = snapshot::diff(first_text, &mine, first_runtime, &this_runtime);
        (first_runtime.clone(), diff)
    } else {
        return false;
    };
    let result = &mut runs[m].result;
    set(
        result,
        Verdict::Failed,
        format!("runtimes disagree: {this_runtime} leaves a different schema than {other_runtime}"),
    );
    result.diff = Some(diff);
    true
}

/// A cell whose schema changed the snapshot: the diff, and what the mode does with the new text
/// (a pending file, once per group, or the snapshot itself under `--accept`).
fn changed(
    place: &Place<'_>,
    result: &mut CellResult,
    reference: &str,
    mine: &str,
    wrote_pending: &mut bool,
) {
    let shown = place.shown;
    let pending = snapshot::pending_path(place.path);
    result.diff = Some(snapshot::diff(
        reference,
        mine,
        &shown.display().to_string(),
        &result.runtime.clone(),
    ));
    // Written once per group: the pending file, or the snapshot itself under --accept.
    let target = if place.mode == SnapshotMode::Accept {
        place.path
    } else {
        &pending
    };
    if !*wrote_pending {
        *wrote_pending = true;
        if let Err(err) = snapshot::file::write(target, place.header, mine) {
            let failed = if place.mode == SnapshotMode::Accept {
                shown.to_path_buf()
            } else {
                pending.clone()
            };
            set(
                result,
                Verdict::Error,
                format!("cannot write {}: {err}", failed.display()),
            );
            return;
        }
        if place.mode == SnapshotMode::Accept {
            std::fs::remove_file(&pending).ok();
        }
    }
    match place.mode {
        SnapshotMode::Check => {
            set(
                result,
                Verdict::SnapshotChanged,
                "schema differs from the snapshot (CI and --check never write a snapshot); take the pending file with `harness accept`".into(),
            );
            result.snapshot_note = Some(SnapshotNote::ChangedPending(shown.to_path_buf()));
        }
        SnapshotMode::Update => {
            set(result, Verdict::SnapshotChanged, "schema differs from the snapshot; review with `harness review`, take it with `harness accept`".into());
            result.snapshot_note = Some(SnapshotNote::Pending(shown.to_path_buf()));
        }
        SnapshotMode::Accept => {
            result.snapshot_note = Some(SnapshotNote::Updated);
        }
    }
}

fn set(result: &mut CellResult, verdict: Verdict, detail: String) {
    // An earlier, worse verdict (an expected failure's note is not a verdict) is kept.
    if result.verdict == Verdict::Passed || verdict == Verdict::Error {
        result.verdict = verdict;
        // The snapshot phase fails a cell for one of three reasons, one per verdict.
        result.cause = Some(match verdict {
            Verdict::Error => Cause::Infrastructure,
            Verdict::Failed => Cause::RuntimesDisagree,
            Verdict::SnapshotChanged | Verdict::Passed => Cause::SnapshotChanged,
        });
        result.detail = Some(match result.detail.take() {
            Some(previous) if result.expected_failure => format!("{detail} ({previous})"),
            _ => detail,
        });
    }
}
