//! The installed distributions of a prepared image made before images recorded them in their
//! freeze label: read once from a throwaway container of that image and kept in the cache folder
//! by image id, so the image is used as it is, never rebuilt for it. Best effort: nothing is
//! known when the container cannot start or pip cannot list.

use std::path::PathBuf;

use super::idle_command;
use super::{ContainerOptions, LABEL_RUNTIME, VENV};
use crate::config::RuntimeSpec;
use crate::docker::{ContainerSpec, ExecRequest, exec};
use crate::runtime::CacheDir;

/// The `name==version` lines of the prepared image `tag` (id `image_id`), read from a container
/// of it and kept in the cache folder ([`kept`] gives them next time). `None` when they cannot be
/// read.
pub(super) async fn read(
    spec: &RuntimeSpec,
    tag: &str,
    image_id: &str,
    options: &ContainerOptions,
    cache: &CacheDir,
) -> Option<String> {
    let kept = kept_at(cache, image_id);
    let text = from_container(spec, tag, options).await?;
    if let Some(dir) = kept.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    // Written beside and renamed: a concurrent run never reads half a list.
    if let Some(dir) = kept.parent()
        && let Ok(mut file) = tempfile::NamedTempFile::new_in(dir)
    {
        use std::io::Write;
        if file.write_all(text.as_bytes()).is_ok() {
            file.persist(&kept).ok();
        }
    }
    Some(text)
}

/// What the cache folder kept for `image_id`, if anything.
pub(super) fn kept(cache: &CacheDir, image_id: &str) -> Option<String> {
    std::fs::read_to_string(kept_at(cache, image_id))
        .ok()
        .filter(|text| !text.trim().is_empty())
}

/// Forgets what was kept for `image_id` (the image is removed).
pub(super) fn forget(cache: &CacheDir, image_id: &str) {
    std::fs::remove_file(kept_at(cache, image_id)).ok();
}

/// `<cache>/images/freeze-<hex id>.txt`.
fn kept_at(cache: &CacheDir, image_id: &str) -> PathBuf {
    let id: String = image_id
        .strip_prefix("sha256:")
        .unwrap_or(image_id)
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    cache.image_uses().join(format!("freeze-{id}.txt"))
}

async fn from_container(
    spec: &RuntimeSpec,
    tag: &str,
    options: &ContainerOptions,
) -> Option<String> {
    let container = crate::docker::start(&ContainerSpec {
        image: tag.to_string(),
        cmd: idle_command(),
        labels: vec![(LABEL_RUNTIME.into(), spec.key())],
        ..ContainerSpec::default()
    })
    .await
    .ok()?;
    let id = container.id().to_string();
    options.teardown.register_container(&id);
    let out = exec(
        &options.docker,
        &id,
        ExecRequest {
            argv: [
                format!("{VENV}/bin/python"),
                "-m".into(),
                "pip".into(),
                "list".into(),
                "--format".into(),
                "freeze".into(),
                "--disable-pip-version-check".into(),
            ]
            .to_vec(),
            env: Vec::new(),
            dir: None,
            user: None,
            stdin: None,
        },
    )
    .await;
    container.remove().await;
    options.teardown.forget_container(&id);
    out.ok()
        .filter(|out| out.success() && !out.stdout.trim().is_empty())
        .map(|out| out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_read_is_kept_by_image_id() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(root.path());
        let id = "sha256:5570d1997f48aa00";
        assert_eq!(
            kept_at(&cache, id),
            root.path().join("images/freeze-5570d1997f48aa00.txt")
        );
        assert_eq!(kept(&cache, id), None);
        std::fs::create_dir_all(cache.image_uses()).unwrap();
        std::fs::write(kept_at(&cache, id), "alembic==1.13.3\n").unwrap();
        assert_eq!(kept(&cache, id).as_deref(), Some("alembic==1.13.3\n"));
        forget(&cache, id);
        assert_eq!(kept(&cache, id), None);
        assert!(kept_at(&cache, "../../etc").ends_with("freeze-ec.txt"));
    }
}
