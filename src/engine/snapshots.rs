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
    let mut rendered: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&m| runs[m].rendered.is_some())
        .collect();
    // Runtimes the scenario expects to fail (a `when` narrowed to them) leave the schema of a
    // failed upgrade: when other runtimes of the group upgraded, the snapshot is theirs.
    if rendered.iter().any(|&m| !runs[m].result.expected_failure) {
        rendered.retain(|&m| {
            let keep = !runs[m].result.expected_failure;
            if !keep {
                runs[m].result.snapshot_note = Some(SnapshotNote::NotCompared);
            }
            keep
        });
    }
    if rendered.is_empty() {
        return;
    }
    let text = |runs: &[CellRun], m: usize| runs[m].rendered.clone().unwrap_or_default();
    let existing = match snapshot::file::read_body(path) {
        Ok(existing) => existing,
        Err(err) => {
            for &m in &rendered {
                set(
                    &mut runs[m].result,
                    Verdict::Error,
                    format!("cannot read {}: {err}", shown.display()),
                );
            }
            return;
        }
    };
    let pending = snapshot::pending_path(path);
    let reference = match existing {
        Some(body) => body,
        None if mode == SnapshotMode::Check => {
            // Never a .snap in CI: the new text goes to .snap.new, for review and `harness accept`.
            let first = text(runs, rendered[0]);
            let written = snapshot::file::write(&pending, header, &first);
            for &m in &rendered {
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
            return;
        }
        None => {
            let first = text(runs, rendered[0]);
            if let Err(err) = snapshot::file::write(path, header, &first) {
                set(
                    &mut runs[rendered[0]].result,
                    Verdict::Error,
                    format!("cannot write {}: {err}", shown.display()),
                );
                return;
            }
            runs[rendered[0]].result.snapshot_note = Some(SnapshotNote::Written);
            first
        }
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
        let agreeing = rendered
            .iter()
            .find(|&&other| other != m && text(runs, other) == reference);
        let this_runtime = runs[m].result.runtime.clone();
        if let Some(&other) = agreeing {
            let other_runtime = runs[other].result.runtime.clone();
            let diff = snapshot::diff(
                &reference,
                &mine,
                &format!("{} ({other_runtime})", shown.display()),
                &this_runtime,
            );
            let result = &mut runs[m].result;
            set(
                result,
                Verdict::Failed,
                format!(
                    "runtimes disagree: {this_runtime} leaves a different schema than {other_runtime}"
                ),
            );
            result.diff = Some(diff);
            continue;
        }
        if let Some((first_runtime, first_text)) = &first_change
            && *first_text != mine
        {
            let diff = snapshot::diff(first_text, &mine, first_runtime, &this_runtime);
            let result = &mut runs[m].result;
            set(
                result,
                Verdict::Failed,
                format!(
                    "runtimes disagree: {this_runtime} leaves a different schema than {first_runtime}"
                ),
            );
            result.diff = Some(diff);
            continue;
        }
        if first_change.is_none() {
            first_change = Some((this_runtime.clone(), mine.clone()));
        }
        let diff = snapshot::diff(
            &reference,
            &mine,
            &shown.display().to_string(),
            &this_runtime,
        );
        let result = &mut runs[m].result;
        result.diff = Some(diff);
        match mode {
            SnapshotMode::Check => {
                if !wrote_pending {
                    wrote_pending = true;
                    if let Err(err) = snapshot::file::write(&pending, header, &mine) {
                        set(
                            result,
                            Verdict::Error,
                            format!("cannot write {}: {err}", pending.display()),
                        );
                        continue;
                    }
                }
                set(
                    result,
                    Verdict::SnapshotChanged,
                    "schema differs from the snapshot (CI and --check never write a snapshot); take the pending file with `harness accept`".into(),
                );
                result.snapshot_note = Some(SnapshotNote::ChangedPending(shown.to_path_buf()));
            }
            SnapshotMode::Update => {
                if !wrote_pending {
                    wrote_pending = true;
                    if let Err(err) = snapshot::file::write(&pending, header, &mine) {
                        set(
                            result,
                            Verdict::Error,
                            format!("cannot write {}: {err}", pending.display()),
                        );
                        continue;
                    }
                }
                set(result, Verdict::SnapshotChanged, "schema differs from the snapshot; review with `harness review`, take it with `harness accept`".into());
                result.snapshot_note = Some(SnapshotNote::Pending(shown.to_path_buf()));
            }
            SnapshotMode::Accept => {
                if !wrote_pending {
                    wrote_pending = true;
                    if let Err(err) = snapshot::file::write(path, header, &mine) {
                        set(
                            result,
                            Verdict::Error,
                            format!("cannot write {}: {err}", shown.display()),
                        );
                        continue;
                    }
                    std::fs::remove_file(&pending).ok();
                }
                result.snapshot_note = Some(SnapshotNote::Updated);
            }
        }
    }
    if !any_changed {
        // Everything matches: a pending file left from an earlier run is stale.
        std::fs::remove_file(&pending).ok();
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
