//! Images and a container's state, as the layers above need them: an image's id, labels and
//! environment; the images carrying a label; removing one (never forced); whether a container
//! still runs. Every call here is the only one of its kind in the harness.

use std::collections::HashMap;

use testcontainers::bollard::query_parameters::{
    ListImagesOptionsBuilder, RemoveImageOptionsBuilder,
};

use super::{Docker, Error};

/// What an image records.
#[derive(Debug, Clone, Default)]
pub struct ImageInfo {
    /// `sha256:...`.
    pub id: Option<String>,
    pub labels: HashMap<String, String>,
    /// Its `NAME=value` environment.
    pub env: Vec<String>,
}

/// The image `reference`; a not-found error when the engine does not have it.
pub async fn inspect_image(docker: &Docker, reference: &str) -> Result<ImageInfo, Error> {
    let image = docker.inspect_image(reference).await?;
    let config = image.config.unwrap_or_default();
    Ok(ImageInfo {
        id: image.id,
        labels: config.labels.unwrap_or_default(),
        env: config.env.unwrap_or_default(),
    })
}

/// An image of a listing.
#[derive(Debug, Clone)]
pub struct ListedImage {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub labels: HashMap<String, String>,
    pub size: i64,
    /// Seconds since the epoch.
    pub created: i64,
}

/// The images carrying `label` (`name=value`).
pub async fn list_images(docker: &Docker, label: &str) -> Result<Vec<ListedImage>, Error> {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let options = ListImagesOptionsBuilder::new().filters(&filters).build();
    Ok(docker
        .list_images(Some(options))
        .await?
        .into_iter()
        .map(|summary| ListedImage {
            id: summary.id,
            repo_tags: summary.repo_tags,
            labels: summary.labels,
            size: summary.size,
            created: summary.created,
        })
        .collect())
}

/// The size of the layer `image` adds to its parent, when Docker says.
pub async fn own_layer_size(docker: &Docker, image: &str) -> Result<Option<u64>, Error> {
    Ok(docker
        .image_history(image)
        .await?
        .first()
        .and_then(|layer| u64::try_from(layer.size).ok()))
}

/// Removes the image or tag `reference`, never forced: an image a container uses stays, and the
/// error says so.
pub async fn remove_image(docker: &Docker, reference: &str) -> Result<(), Error> {
    let options = RemoveImageOptionsBuilder::new().force(false).build();
    docker
        .remove_image(reference, Some(options), None)
        .await
        .map(|_| ())
}

/// Whether the engine answers.
pub async fn ping(docker: &Docker) -> Result<(), Error> {
    docker.ping().await.map(|_| ())
}

/// A container's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Running,
    /// Stopped: its status (`exited`, `dead`, ...) and exit code, when Docker says.
    Stopped {
        status: String,
        exit_code: Option<i64>,
    },
}

/// The state of container `id`; a not-found error means it was removed ([`super::is_not_found`]).
pub async fn container_state(docker: &Docker, id: &str) -> Result<ContainerState, Error> {
    let state = docker
        .inspect_container(id, None)
        .await?
        .state
        .unwrap_or_default();
    if state.running == Some(true) {
        return Ok(ContainerState::Running);
    }
    Ok(ContainerState::Stopped {
        status: state
            .status
            .map_or_else(|| "not running".to_string(), |s| s.to_string()),
        exit_code: state.exit_code,
    })
}

/// A container committed as an image.
#[derive(Debug, Clone)]
pub struct Commit<'a> {
    pub container: &'a str,
    pub repo: &'a str,
    pub tag: &'a str,
    pub comment: &'a str,
    pub labels: HashMap<String, String>,
    /// The image's `NAME=value` environment.
    pub env: Vec<String>,
    pub cmd: Vec<String>,
}

/// Commits a container as the image `repo:tag`.
pub async fn commit(docker: &Docker, commit: Commit<'_>) -> Result<(), Error> {
    use testcontainers::bollard::models::ContainerConfig;
    use testcontainers::bollard::query_parameters::CommitContainerOptionsBuilder;
    let options = CommitContainerOptionsBuilder::new()
        .container(commit.container)
        .repo(commit.repo)
        .tag(commit.tag)
        .comment(commit.comment)
        .build();
    docker
        .commit_container(
            options,
            ContainerConfig {
                labels: Some(commit.labels),
                env: Some(commit.env),
                cmd: Some(commit.cmd),
                ..Default::default()
            },
        )
        .await
        .map(|_| ())
}
