//! `harness cache`: lists the cached environments and the prepared runtime images with their sizes
//! and last use, and removes those a user names (all, unused for some days, or by filter). Touches
//! only the cache folder's environments and the images carrying the harness's deps label.

use std::time::{Duration, SystemTime};

use clap::{ArgGroup, Args, Subcommand};

use super::{ExitStatus, Failure};
use crate::docker::Docker;
use crate::matrix::Filter;
use crate::report::words::plural;
use crate::runtime::container::{CachedImage, ImagesUnlisted, cached_images};
use crate::runtime::{CacheDir, CachedVenv, cached_venvs, human_size, other_usage};

const CACHE_HELP: &str = "\
The cache folder is $HARNESS_CACHE_DIR, else $XDG_CACHE_HOME/harness, else ~/.cache/harness.
Prepared runtime images are those of the Docker engine (DOCKER_HOST or the default socket)
labelled dev.harness.deps=true. Everything here is rebuilt when a run needs it again.";

#[derive(Debug, Args)]
#[command(after_help = CACHE_HELP)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

const REMOVE_HELP: &str = "\
Exit codes:
  0  removed (or, with --dry-run, listed) what was chosen, or nothing was chosen
  2  bad usage, or a FILTER that matches nothing (the cached names are listed)
  3  something could not be removed (said above), or the cache folder cannot be read";

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List the cached environments and prepared runtime images, their size and last use
    ///
    /// Each environment: its name, runtime, size on disk (and how much of it is its own: uv
    /// links files from its own cache), when a run last used it, its Python, key, how many
    /// packages it holds and the hash of the requirements it was built with. Each prepared
    /// image: its tag, runtime, size (and its own layer), last use, base image and creation.
    /// Then the total.
    List,
    /// Remove cached environments and prepared runtime images (all, unused, or by name)
    ///
    /// Prints what it removed and the space freed. A run in progress that uses a removed
    /// environment may fail, and runs started later build it again; an image a container still
    /// uses is not removed.
    #[command(after_help = REMOVE_HELP)]
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).multiple(true).args(["all", "unused_for", "filters"])))]
pub struct RemoveArgs {
    /// Every environment and prepared image
    #[arg(long, conflicts_with_all = ["unused_for", "filters"])]
    pub all: bool,
    /// Those no run used in the last DAYS days (an image: since it was made, or last used with
    /// this cache folder)
    #[arg(long, value_name = "DAYS")]
    pub unused_for: Option<u64>,
    /// Those whose name as `harness cache list` prints it (`python-3.12.1-<key>`,
    /// `harness-deps/python-3.12:<key>`) contains one of these (`*` matches any text)
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Print what would be removed, and remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// What the cache holds; `images` says why none were listed when no engine answered.
struct Contents {
    venvs: Vec<CachedVenv>,
    images: Result<Vec<CachedImage>, ImagesUnlisted>,
    docker: Option<Docker>,
}

pub(super) fn execute(args: CacheArgs) -> Result<ExitStatus, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let cache = CacheDir::from_env();
    runtime.block_on(async {
        let contents = contents(&cache).await?;
        match args.command {
            CacheCommand::List => list(&cache, &contents),
            CacheCommand::Remove(remove_args) => remove(&cache, &contents, &remove_args).await,
        }
    })
}

async fn contents(cache: &CacheDir) -> Result<Contents, Failure> {
    let venvs = cached_venvs(cache).map_err(|err| {
        Failure::Environment(format!(
            "cannot read the cache folder {}: {err}",
            cache.venvs().display()
        ))
    })?;
    let docker = crate::docker::client().await;
    let images = match &docker {
        Some(docker) => cached_images(docker, cache).await,
        None => Err(ImagesUnlisted::NoEngine),
    };
    Ok(Contents {
        venvs,
        images,
        docker,
    })
}

fn list(cache: &CacheDir, contents: &Contents) -> Result<ExitStatus, Failure> {
    let now = SystemTime::now();
    println!("environments in {}:", cache.venvs().display());
    if contents.venvs.is_empty() {
        println!("  none");
    }
    let mut total = 0;
    let mut frees = 0;
    for venv in &contents.venvs {
        total += venv.usage.total;
        frees += venv.usage.own;
        println!(
            "  {}  {}  {}  last used {}",
            venv.name,
            venv.runtime,
            sizes(venv.usage.total, Some(venv.usage.own)),
            when(venv.last_used, now)
        );
        let mut details = vec![match &venv.interpreter {
            Some(path) => format!("Python {} at {}", venv.version, path.display()),
            None => format!("Python {}", venv.version),
        }];
        details.push(format!("key {}", venv.key));
        details.extend(venv.packages.map(|count| plural(count, "package")));
        details.extend(
            venv.requirements
                .as_ref()
                .map(|hash| format!("requirements {hash}")),
        );
        if !venv.complete {
            details.push("incomplete (never used; replaced when needed)".into());
        }
        println!("    {}", details.join(", "));
    }
    let mut image_total = 0;
    match &contents.images {
        Err(why) => println!("prepared runtime images: not listed, {why}"),
        Ok(images) => {
            println!("prepared runtime images:");
            if images.is_empty() {
                println!("  none");
            }
            for image in images {
                image_total += image.size;
                frees += image.own.unwrap_or(0);
                println!(
                    "  {}  {}  {}  last used {}",
                    image.name,
                    image.runtime.as_deref().unwrap_or("unknown runtime"),
                    sizes(image.size, image.own),
                    when(image.last_used, now)
                );
                let mut details = Vec::new();
                details.extend(image.base.as_ref().map(|base| format!("from {base}")));
                details.extend(
                    image
                        .version
                        .as_ref()
                        .map(|version| format!("Python {version}")),
                );
                details.push(format!("created {}", when(image.created, now)));
                details.extend(image.packages.map(|count| plural(count, "package")));
                details.extend(
                    image
                        .requirements
                        .as_ref()
                        .map(|hash| format!("requirements {hash}")),
                );
                println!("    {}", details.join(", "));
            }
        }
    }
    let other = other_usage(cache).total;
    let mut parts = vec![format!("environments {}", human_size(total))];
    if contents.images.is_ok() {
        parts.push(format!("prepared images {}", human_size(image_total)));
    }
    parts.push(format!("other cache files {}", human_size(other)));
    println!(
        "total: {} ({}); removing every one listed frees {} (files shared with uv's cache and \
         layers shared with base images stay)",
        human_size(total + image_total + other),
        parts.join(", "),
        human_size(frees)
    );
    Ok(ExitStatus::Success)
}

/// One thing `remove` may remove.
enum Entry<'a> {
    Venv(&'a CachedVenv),
    Image(&'a CachedImage),
}

impl Entry<'_> {
    fn name(&self) -> &str {
        match self {
            Entry::Venv(venv) => &venv.name,
            Entry::Image(image) => &image.name,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Entry::Venv(_) => "environment",
            Entry::Image(_) => "image",
        }
    }

    fn last_used(&self) -> SystemTime {
        match self {
            Entry::Venv(venv) => venv.last_used,
            Entry::Image(image) => image.last_used,
        }
    }

    /// What removing it frees.
    fn frees(&self) -> u64 {
        match self {
            Entry::Venv(venv) => venv.usage.own,
            Entry::Image(image) => image.own.unwrap_or(0),
        }
    }
}

async fn remove(
    cache: &CacheDir,
    contents: &Contents,
    args: &RemoveArgs,
) -> Result<ExitStatus, Failure> {
    let mut entries: Vec<Entry> = contents.venvs.iter().map(Entry::Venv).collect();
    if let Ok(images) = &contents.images {
        entries.extend(images.iter().map(Entry::Image));
    }
    let no_images = contents.images.as_ref().err();
    for filter in &args.filters {
        let one = Filter::new(vec![filter.clone()]);
        if !entries.iter().any(|entry| one.matches(entry.name())) {
            return Err(Failure::Usage(no_match(filter, &entries, no_images)));
        }
    }
    let filter = Filter::new(args.filters.clone());
    let now = SystemTime::now();
    let chosen: Vec<&Entry> = entries
        .iter()
        .filter(|entry| filter.matches(entry.name()))
        .filter(|entry| {
            args.unused_for.is_none_or(|days| {
                now.duration_since(entry.last_used()).unwrap_or_default()
                    >= Duration::from_secs(days.saturating_mul(24 * 60 * 60))
            })
        })
        .collect();
    if let Some(why) = no_images {
        println!("prepared runtime images: not looked at, {why}");
    }
    if chosen.is_empty() {
        match args.unused_for {
            Some(days) if !entries.is_empty() => println!(
                "nothing to remove: every environment and image was used in the last {}",
                plural(days as usize, "day")
            ),
            _ => println!("nothing to remove: the cache holds no environment or image"),
        }
        return Ok(ExitStatus::Success);
    }
    let mut freed = 0;
    let mut failed = 0;
    let (mut venvs, mut images) = (0, 0);
    for entry in &chosen {
        let done = if args.dry_run {
            Ok(())
        } else {
            match entry {
                Entry::Venv(venv) => venv.remove(cache).map_err(|err| err.to_string()),
                Entry::Image(image) => match &contents.docker {
                    Some(docker) => image
                        .remove(docker, cache)
                        .await
                        .map_err(|err| err.to_string()),
                    None => Err("no Docker engine answers".into()),
                },
            }
        };
        match done {
            Ok(()) => {
                freed += entry.frees();
                match entry {
                    Entry::Venv(_) => venvs += 1,
                    Entry::Image(_) => images += 1,
                }
                let verb = if args.dry_run {
                    "would remove"
                } else {
                    "removed"
                };
                println!(
                    "{verb} {} {} ({})",
                    entry.kind(),
                    entry.name(),
                    human_size(entry.frees())
                );
            }
            Err(why) => {
                failed += 1;
                eprintln!("could not remove {} {}: {why}", entry.kind(), entry.name());
            }
        }
    }
    let what = format!(
        "{}, {}",
        plural(venvs, "environment"),
        plural(images, "prepared image")
    );
    if args.dry_run {
        println!(
            "would free {} ({what}); nothing was removed (--dry-run)",
            human_size(freed)
        );
    } else {
        println!("freed {} ({what})", human_size(freed));
    }
    if failed > 0 {
        return Err(Failure::Environment(format!(
            "{failed} of them could not be removed (see above); an image a container uses \
             stays until the container is gone"
        )));
    }
    Ok(ExitStatus::Success)
}

/// A filter that matches nothing: the names there are.
fn no_match(filter: &str, entries: &[Entry], no_images: Option<&ImagesUnlisted>) -> String {
    let mut message = format!("no cached environment or prepared image matches `{filter}`");
    if let Some(why) = no_images {
        message.push_str(&format!(" (images were not looked at: {why})"));
    }
    if entries.is_empty() {
        message.push_str("\n  the cache holds none");
        return message;
    }
    message.push_str(
        "\n  help: a filter matches part of a name as `harness cache list` prints it (`*` \
         matches any text)\n  cached:",
    );
    for entry in entries.iter().take(10) {
        message.push_str(&format!("\n    {}", entry.name()));
    }
    if entries.len() > 10 {
        message.push_str(&format!("\n    and {} more", entries.len() - 10));
    }
    message
}

/// `27.0 MB (11.2 MB its own)`.
fn sizes(total: u64, own: Option<u64>) -> String {
    match own {
        Some(own) if own < total => format!("{} ({} its own)", human_size(total), human_size(own)),
        _ => human_size(total),
    }
}

/// `2026-11-29 06:04 UTC (3 days ago)`.
fn when(time: SystemTime, now: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (days, rest) = (since / 86_400, since % 86_400);
    let (year, month, day) = civil_date(days as i64);
    let age = now.duration_since(time).unwrap_or_default().as_secs();
    let ago = match age {
        0..60 => "just now".to_string(),
        60..3_600 => format!("{} min ago", age / 60),
        3_600..172_800 => plural((age / 3_600) as usize, "hour") + " ago",
        _ => plural((age / 86_400) as usize, "day") + " ago",
    };
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02} UTC ({ago})",
        rest / 3_600,
        rest % 3_600 / 60
    )
}

/// The (year, month, day) of a count of days since 1970-01-01 (proleptic Gregorian calendar).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days_with_an_age() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_789), (2026, 12, 2));
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_187_823);
        assert_eq!(
            when(time, time + Duration::from_secs(3 * 86_400 + 5)),
            "2026-12-02 05:03 UTC (3 days ago)"
        );
        assert_eq!(
            when(time, time + Duration::from_secs(90)),
            "2026-12-02 05:03 UTC (1 min ago)"
        );
        assert_eq!(sizes(2048, Some(1024)), "2.0 kB (1.0 kB its own)");
        assert_eq!(sizes(2048, Some(2048)), "2.0 kB");
    }
}
