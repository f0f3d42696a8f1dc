//! `harness accept` and `harness reject`: promote or delete the pending `.snap.new` files, all of
//! them or those the filters name; and the list of pending snapshots `harness review` walks.

use std::path::PathBuf;

use clap::Args;

use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::config::Config;
use crate::matrix::Filter;
use crate::report::colour::Palette;
use crate::snapshot;

/// How many pending snapshots an error lists before "and N more".
const LISTED: usize = 10;

#[derive(Debug, Args)]
pub struct PendingArgs {
    /// Only the pending snapshots whose path (as printed) or `scenario/database` contains one of
    /// these (`*` matches any text, e.g. `partial/*`); all of them when none is given
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
}

/// One pending `.snap.new` file.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    /// The `.snap.new` file.
    pub file: PathBuf,
    /// The file as messages show it: `snapshots/partial/sqlite.snap.new`.
    pub shown: String,
    /// What it is the snapshot of: `partial/sqlite`, `member:partial/sqlite` in a member.
    pub id: String,
}

impl Pending {
    /// The snapshot it replaces, as messages show it: `snapshots/partial/sqlite.snap`.
    pub fn target_shown(&self) -> &str {
        self.shown.strip_suffix(".new").unwrap_or(&self.shown)
    }

    /// Moves the file over its snapshot.
    pub fn accept(&self) -> Result<(), Failure> {
        snapshot::accept(&self.file)
            .map(drop)
            .map_err(|err| Failure::Environment(format!("cannot accept {}: {err}", self.shown)))
    }

    /// Deletes the file; its snapshot stays as it was.
    pub fn reject(&self) -> Result<(), Failure> {
        snapshot::reject(&self.file)
            .map_err(|err| Failure::Environment(format!("cannot delete {}: {err}", self.shown)))
    }

    fn matches(&self, filter: &Filter) -> bool {
        filter.matches(&self.shown) || filter.matches(&self.id)
    }
}

/// Every pending snapshot of the configuration and its members, in that order, each sorted.
pub(super) fn pending(configs: &[Config]) -> Vec<Pending> {
    let mut all = Vec::new();
    for config in configs {
        for file in snapshot::pending(&config.snapshots_dir) {
            let group = snapshot::group_of(&config.snapshots_dir, &file)
                .unwrap_or_else(|| file.display().to_string());
            let id = match &config.label {
                Some(member) => format!("{member}:{group}"),
                None => group,
            };
            let shown = config.display_path(&file).display().to_string();
            all.push(Pending { file, shown, id });
        }
    }
    all
}

/// `harness accept [FILTER...]`.
pub(super) fn accept(global: &GlobalArgs, args: PendingArgs) -> Result<ExitStatus, Failure> {
    let palette = Palette::for_stdout();
    apply(global, &args.filters, |pending| {
        pending.accept()?;
        println!("{} {}", palette.verdict("accepted"), pending.target_shown());
        Ok(())
    })
}

/// `harness reject [FILTER...]`.
pub(super) fn reject(global: &GlobalArgs, args: PendingArgs) -> Result<ExitStatus, Failure> {
    let palette = Palette::for_stdout();
    apply(global, &args.filters, |pending| {
        pending.reject()?;
        println!(
            "{} {} (deleted)",
            palette.verdict("rejected"),
            pending.shown
        );
        Ok(())
    })
}

/// Runs `action` on every pending snapshot the filters select, then says how many are left.
fn apply(
    global: &GlobalArgs,
    filters: &[String],
    action: impl Fn(&Pending) -> Result<(), Failure>,
) -> Result<ExitStatus, Failure> {
    let all = pending(&context::load(global)?);
    let chosen = select(&all, filters)?;
    if chosen.is_empty() {
        println!("no pending snapshots");
        return Ok(ExitStatus::Success);
    }
    for pending in &chosen {
        action(pending)?;
    }
    let left = all.len() - chosen.len();
    if left > 0 {
        println!("{left} still pending; `harness review` shows them");
    }
    Ok(ExitStatus::Success)
}

/// The pending snapshots any filter matches (all without filters). A filter that matches none is a
/// usage error listing what is pending, checked before anything changes.
fn select(all: &[Pending], filters: &[String]) -> Result<Vec<Pending>, Failure> {
    let each: Vec<Filter> = filters
        .iter()
        .map(|text| Filter::new(vec![text.clone()]))
        .collect();
    if let Some(index) = each
        .iter()
        .position(|filter| !all.iter().any(|pending| pending.matches(filter)))
    {
        return Err(Failure::Usage(no_match(all, &filters[index])));
    }
    let any = Filter::new(filters.to_vec());
    Ok(all
        .iter()
        .filter(|pending| pending.matches(&any))
        .cloned()
        .collect())
}

fn no_match(all: &[Pending], filter: &str) -> String {
    if all.is_empty() {
        return format!("no pending snapshot matches `{filter}`: there are no pending snapshots");
    }
    let mut message = format!(
        "no pending snapshot matches `{filter}`\n  help: a filter matches part of a path or of \
         `scenario/database` (`*` matches any text)\n  pending:"
    );
    for pending in all.iter().take(LISTED) {
        message.push_str("\n    ");
        message.push_str(&pending.shown);
    }
    if all.len() > LISTED {
        message.push_str(&format!("\n    and {} more", all.len() - LISTED));
    }
    message
}
