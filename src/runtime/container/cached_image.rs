//! The prepared runtime images a Docker engine holds, for `harness cache`: found by the deps label
//! ([`LABEL_DEPS`]), with what their labels record and when a run last used them (recorded in the
//! cache folder, as Docker does not); and their removal. An image without that label is never
//! listed nor removed, nor one a user tagged under another name.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::docker::Docker;

use super::LABEL_RUNTIME;
use super::freeze;
use crate::runtime::CacheDir;
use crate::runtime::venv::parse_freeze;

/// Set on every prepared image (`docker images --filter label=dev.harness.deps=true`).
pub const LABEL_DEPS: &str = "dev.harness.deps";
/// The image a prepared image was made from.
pub(super) const LABEL_BASE: &str = "dev.harness.base";
pub(super) const LABEL_VERSION: &str = "dev.harness.python-version";
/// `name==version` lines of what the image's environment holds.
pub(super) const LABEL_FREEZE: &str = "dev.harness.freeze";
/// The short hash of the requirements' text.
pub(super) const LABEL_REQUIREMENTS: &str = "dev.harness.requirements";

/// The repository prepared images are tagged in (`harness-deps/python-3.12:<key>`).
const REPOSITORY: &str = "harness-deps/";
/// How long one Docker call may take before the engine counts as not answering.
const LIMIT: Duration = Duration::from_secs(30);

/// A prepared runtime image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedImage {
    /// `sha256:...`.
    pub id: String,
    /// What `harness cache` lists and filters match: its tag, or `<untagged> <short id>` for
    /// the image a newer build with the same key took the tag from.
    pub name: String,
    /// Its `harness-deps/...` tags.
    pub tags: Vec<String>,
    /// `python:3.12`, when recorded.
    pub runtime: Option<String>,
    /// The image it was prepared from, when recorded.
    pub base: Option<String>,
    /// The Python version inside, when recorded.
    pub version: Option<String>,
    /// The short hash of the requirements it was prepared with, when recorded.
    pub requirements: Option<String>,
    /// How many distributions its environment holds, when recorded.
    pub packages: Option<usize>,
    /// Its size, base image layers included.
    pub size: u64,
    /// The layer it adds to its base image: what removing it frees (when Docker says).
    pub own: Option<u64>,
    pub created: SystemTime,
    /// When a run with this cache folder last used it, else when it was created.
    pub last_used: SystemTime,
}

/// Every prepared runtime image of the engine, sorted by name. An error says why the engine did
/// not list them.
pub async fn cached_images(
    docker: &Docker,
    cache: &CacheDir,
) -> Result<Vec<CachedImage>, ImagesUnlisted> {
    let summaries = limited(
        "listing images",
        crate::docker::list_images(docker, &format!("{LABEL_DEPS}=true")),
    )
    .await?;
    let mut found = Vec::new();
    for summary in summaries {
        let labels = &summary.labels;
        if labels.get(LABEL_DEPS).map(String::as_str) != Some("true") {
            continue;
        }
        let (tags, foreign): (Vec<String>, Vec<String>) = summary
            .repo_tags
            .iter()
            .filter(|tag| tag.as_str() != "<none>:<none>")
            .cloned()
            .partition(|tag| tag.starts_with(REPOSITORY));
        if tags.is_empty() && !foreign.is_empty() {
            // Tagged by someone under another name: theirs now.
            continue;
        }
        let short = short_id(&summary.id);
        let name = match tags.first() {
            Some(tag) => tag.clone(),
            None => format!("<untagged> {short}"),
        };
        let own = limited(
            "reading an image's history",
            crate::docker::own_layer_size(docker, &summary.id),
        )
        .await
        .ok()
        .flatten();
        let created = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(summary.created).unwrap_or_default());
        let used = tags
            .iter()
            .filter_map(|tag| std::fs::metadata(use_marker(cache, tag)).ok())
            .filter_map(|meta| meta.modified().ok())
            .max();
        let label = |name: &str| labels.get(name).filter(|v| !v.is_empty()).cloned();
        found.push(CachedImage {
            id: summary.id.clone(),
            name,
            tags,
            runtime: label(LABEL_RUNTIME),
            base: label(LABEL_BASE),
            version: label(LABEL_VERSION),
            requirements: label(LABEL_REQUIREMENTS),
            packages: label(LABEL_FREEZE)
                .or_else(|| freeze::kept(cache, &summary.id))
                .map(|text| parse_freeze(&text).len()),
            size: u64::try_from(summary.size).unwrap_or_default(),
            own,
            created,
            last_used: used.map_or(created, |used| used.max(created)),
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

impl CachedImage {
    /// Removes the image: its `harness-deps/` tags (the image goes with its last one), or the
    /// image itself when untagged. Never forced: an image a container uses (a run in progress)
    /// stays, and the error says so.
    pub async fn remove(
        &self,
        docker: &Docker,
        cache: &CacheDir,
    ) -> Result<(), crate::docker::RemovalError> {
        let targets = if self.tags.is_empty() {
            vec![self.id.clone()]
        } else {
            self.tags.clone()
        };
        for target in &targets {
            let removed = crate::docker::remove_image(docker, target);
            match tokio::time::timeout(LIMIT, removed).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) if crate::docker::is_not_found(&err) => {}
                Ok(Err(err)) => return Err(err.into()),
                Err(_) => return Err(crate::docker::RemovalError::NoAnswer(LIMIT)),
            }
            std::fs::remove_file(use_marker(cache, target)).ok();
        }
        freeze::forget(cache, &self.id);
        Ok(())
    }
}

/// Records that a run used the prepared image `tag` now.
pub(super) fn record_use(cache: &CacheDir, tag: &str) {
    let marker = use_marker(cache, tag);
    if let Some(dir) = marker.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(&marker);
    if let Ok(file) = file {
        file.set_modified(SystemTime::now()).ok();
    }
}

/// `<cache>/images/harness-deps_python-3.12_<key>` for `harness-deps/python-3.12:<key>`.
fn use_marker(cache: &CacheDir, tag: &str) -> PathBuf {
    let name: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache.image_uses().join(name)
}

/// The 12 hex digits Docker shows of an image id.
fn short_id(id: &str) -> String {
    id.strip_prefix("sha256:")
        .unwrap_or(id)
        .chars()
        .take(12)
        .collect()
}

/// `call` with a time limit; its error, or the limit's, as text.
/// Why the engine did not list the prepared images.
#[derive(Debug, thiserror::Error)]
pub enum ImagesUnlisted {
    #[error("{what}: {source}")]
    Docker {
        what: &'static str,
        source: crate::docker::Error,
    },
    #[error("the Docker engine did not answer within {} s", LIMIT.as_secs())]
    NotAnswering,
    /// No engine to ask.
    #[error("no Docker engine answers (DOCKER_HOST or the default socket)")]
    NoEngine,
}

async fn limited<T>(
    what: &'static str,
    call: impl std::future::Future<Output = Result<T, crate::docker::Error>>,
) -> Result<T, ImagesUnlisted> {
    match tokio::time::timeout(LIMIT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(ImagesUnlisted::Docker { what, source }),
        Err(_) => Err(ImagesUnlisted::NotAnswering),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_recorded_per_tag_in_the_cache() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(root.path());
        let tag = "harness-deps/python-3.12:0123456789abcdef";
        assert_eq!(
            use_marker(&cache, tag),
            root.path()
                .join("images/harness-deps_python-3.12_0123456789abcdef")
        );
        record_use(&cache, tag);
        assert!(use_marker(&cache, tag).is_file());
        assert_eq!(short_id("sha256:5570d1997f48aa00"), "5570d1997f48");
    }
}
