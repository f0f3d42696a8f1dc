//! `harness snapshots`: the snapshot files below each configuration's snapshots folder, and which
//! of them no scenario of the matrix produces any more (a scenario renamed or removed, a database
//! left out, a release tag no longer run); `--delete` removes those.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::config::Config;

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Only the snapshot files no scenario of the matrix produces
    #[arg(long)]
    pub unreferenced: bool,
    /// With --unreferenced: delete them (and their pending .snap.new)
    #[arg(long, requires = "unreferenced")]
    pub delete: bool,
    /// Count the scenarios `harness run --from-tags PATTERN` adds as producing their snapshots
    #[arg(long, value_name = "PATTERN")]
    pub from_tags: Option<String>,
    /// With --from-tags: how many of the newest matching tags [default: 3]
    #[arg(long, value_name = "N", requires = "from_tags")]
    pub newest: Option<usize>,
}

pub(super) fn execute(global: &GlobalArgs, args: SnapshotsArgs) -> Result<ExitStatus, Failure> {
    let mut configs = context::load(global)?;
    if let (Some(pattern), Some(root)) = (&args.from_tags, configs.first_mut()) {
        super::run::tag_scenarios(root, pattern, args.newest.unwrap_or(3))?;
    }
    let here = std::env::current_dir().unwrap_or_default();
    let mut unreferenced = 0;
    for config in &configs {
        let produced = produced(config);
        for file in snapshot_files(&config.snapshots_dir) {
            let referenced = produced.contains(&file);
            if referenced && args.unreferenced {
                continue;
            }
            let shown = file
                .strip_prefix(&here)
                .unwrap_or(&file)
                .display()
                .to_string();
            if referenced {
                println!("{shown}");
                continue;
            }
            unreferenced += 1;
            if args.delete {
                let pending = crate::snapshot::pending_path(&file);
                let removed = std::fs::remove_file(&file).and_then(|()| {
                    if pending.exists() {
                        std::fs::remove_file(&pending)
                    } else {
                        Ok(())
                    }
                });
                removed
                    .map_err(|err| Failure::Environment(format!("cannot delete {shown}: {err}")))?;
                if let Some(folder) = file.parent() {
                    // An emptied scenario folder goes too; a folder with anything left stays.
                    let _ = std::fs::remove_dir(folder);
                }
                println!("deleted {shown}");
            } else {
                println!("{shown}  (unreferenced)");
            }
        }
    }
    if unreferenced > 0 && !args.delete {
        eprintln!(
            "{}: no scenario of the matrix produces {}; `harness snapshots --unreferenced --delete` removes {}",
            crate::words::plural(unreferenced, "unreferenced snapshot"),
            if unreferenced == 1 { "it" } else { "them" },
            if unreferenced == 1 { "it" } else { "them" },
        );
    }
    Ok(ExitStatus::Success)
}

/// The snapshot files the configuration's matrix produces.
fn produced(config: &Config) -> Vec<PathBuf> {
    crate::matrix::expand(config)
        .iter()
        .filter_map(|cell| {
            let scenario = &config.scenarios[cell.scenario];
            scenario.snapshot.enabled.then(|| {
                crate::snapshot::path_for(
                    &config.snapshots_dir,
                    &scenario.name,
                    &cell.database.id(),
                )
            })
        })
        .collect()
}

/// Every `.snap` below `dir`, sorted.
fn snapshot_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "snap") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
