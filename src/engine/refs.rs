//! `from_ref`: the project as it was at a git ref (a release tag), extracted with `git archive`
//! into the cache, so a scenario's starting state is built by that release's migrations and code.
//! The user's checkout and repository are only read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::adapters::{Graph, Tool};
use crate::config::{Config, ConfigError, FromRef, Project, ToolConfig};
use crate::matrix::Cell;
use crate::runtime::CacheDir;

/// The project at one ref.
pub(super) struct RefTree {
    /// The project with every path inside the repository moved into the extracted tree.
    pub project: Project,
    pub tool: Tool,
    /// The chains of `upgrade_first` as they were at the ref.
    pub chains: Vec<(Project, Tool)>,
    /// The extracted repository (mounted into runtime containers).
    pub root: PathBuf,
    /// What changed in the revision files since the ref, once the graph is known.
    pub changes: Option<String>,
    /// The ref's own requirements (its requirements files, as they were at the ref), when they
    /// differ from today's: its steps run in an environment made from them.
    pub requirements: Option<crate::config::Requirements>,
    /// That environment, per runtime key, once prepared.
    pub runtimes: BTreeMap<String, Result<crate::runtime::PreparedRuntime, super::NotPrepared>>,
}

/// Extracts the tree of every ref the selected cells' scenarios start from, once per commit.
pub(super) fn prepare(
    config: &Config,
    cells: &[Cell],
    cache: &CacheDir,
) -> Result<BTreeMap<String, RefTree>, ConfigError> {
    let mut trees = BTreeMap::new();
    for cell in cells {
        let scenario = &config.scenarios[cell.scenario];
        let Some(from) = &scenario.from_ref else {
            continue;
        };
        if trees.contains_key(&from.reference) {
            continue;
        }
        let tree = extract(&config.project, from, cache)?;
        trees.insert(from.reference.clone(), tree);
    }
    Ok(trees)
}

fn extract(project: &Project, from: &FromRef, cache: &CacheDir) -> Result<RefTree, ConfigError> {
    let failed = |message: String, help: &str| {
        ConfigError::at(from.at.clone(), message).with_help(help.to_string())
    };
    let repository = git(&project.dir, &["rev-parse", "--show-toplevel"]).map_err(|why| {
        failed(
            format!(
                "`from_ref = \"{}\"` needs the project in a git repository: {why}",
                from.reference
            ),
            "run the harness in a clone of the project's repository (with its tags: `git fetch --tags`)",
        )
    })?;
    let repository = PathBuf::from(repository.trim());
    let commit = git(
        &repository,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{}^{{commit}}", from.reference),
        ],
    )
    .map_err(|_| {
        failed(
            format!("git knows no ref `{}` in {}", from.reference, repository.display()),
            "name a tag, branch or commit of the repository; a shallow CI clone may lack tags (`git fetch --tags`, or `fetch-depth: 0`)",
        )
    })?;
    let commit = commit.trim().to_string();
    let trees = cache.root().join("refs");
    prune(&trees);
    let root = trees.join(&commit);
    if !root.is_dir() {
        archive(&repository, &commit, &root).map_err(|why| {
            failed(
                format!("cannot extract the project at `{}`: {why}", from.reference),
                "check that the cache folder is writable (HARNESS_CACHE_DIR)",
            )
        })?;
    }
    // Its age says when a run last used it.
    if let Ok(dir) = std::fs::File::open(&root) {
        let _ = dir.set_modified(std::time::SystemTime::now());
    }
    let real_repository = repository.canonicalize().unwrap_or(repository);
    let moved = |path: &Path| -> PathBuf {
        let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        match real.strip_prefix(&real_repository) {
            Ok(inside) => root.join(inside),
            Err(_) => path.to_path_buf(),
        }
    };
    let mut old = project.clone();
    // The release's own requirements files, when every one exists at the ref; packages named in
    // harness.toml are today's.
    let files: Vec<PathBuf> = project
        .requirements
        .files
        .iter()
        .map(|f| moved(f))
        .collect();
    let requirements = (!files.is_empty() && files.iter().all(|f| f.is_file()))
        .then(|| crate::config::Requirements {
            files,
            packages: project.requirements.packages.clone(),
            dir: project.requirements.dir.clone(),
        })
        .filter(|theirs| theirs.key_text().ok() != project.requirements.key_text().ok());
    old.dir = moved(&project.dir);
    old.pythonpath = project.pythonpath.iter().map(|p| moved(p)).collect();
    old.script_location = project.script_location.as_deref().map(moved);
    if let ToolConfig::Alembic { ini: Some(ini) } = &mut old.tool_config {
        *ini = moved(ini);
    }
    let tool = Tool::new(&old, cache).map_err(|err| {
        failed(
            format!("cannot use the project at `{}`: {err}", from.reference),
            "check the cache folder",
        )
    })?;
    let mut chains = Vec::new();
    for dir in &project.upgrade_first {
        let chain = old.chain(&moved(dir));
        let tool = Tool::new(&chain, cache).map_err(|err| {
            failed(
                format!("cannot use the project at `{}`: {err}", from.reference),
                "check the cache folder",
            )
        })?;
        chains.push((chain, tool));
    }
    Ok(RefTree {
        project: old,
        tool,
        chains,
        root,
        changes: None,
        requirements,
        runtimes: BTreeMap::new(),
    })
}

/// `since v1.0, 0002_owners.py was edited and 0003_items.py added`: today's revision files against
/// the same files in the tree at `reference`; `None` when none changed.
pub(super) fn changes(
    graph: &Graph,
    today: &Path,
    tree: &RefTree,
    reference: &str,
) -> Option<String> {
    let today = today.canonicalize().unwrap_or_else(|_| today.to_path_buf());
    let mut edited = Vec::new();
    let mut added = Vec::new();
    let mut folders: Vec<PathBuf> = Vec::new();
    for revision in &graph.revisions {
        let path = Path::new(&revision.path);
        let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let Ok(inside) = real.strip_prefix(&today) else {
            continue;
        };
        let name = inside.display().to_string();
        if let Some(folder) = inside.parent()
            && !folders.iter().any(|f| f == folder)
        {
            folders.push(folder.to_path_buf());
        }
        match std::fs::read(tree.project.dir.join(inside)) {
            Err(_) => added.push(name),
            Ok(old) if std::fs::read(&real).is_ok_and(|new| new != old) => edited.push(name),
            Ok(_) => {}
        }
    }
    let mut removed = Vec::new();
    for folder in &folders {
        let Ok(entries) = std::fs::read_dir(tree.project.dir.join(folder)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let file = folder.join(entry.file_name());
            if file.extension().is_some_and(|ext| ext == "py") && !today.join(&file).exists() {
                removed.push(file.display().to_string());
            }
        }
    }
    let mut parts = Vec::new();
    for (files, what) in [(edited, "edited"), (removed, "removed"), (added, "added")] {
        if !files.is_empty() {
            let mut files = files;
            files.sort();
            let verb = if files.len() == 1 { "was" } else { "were" };
            parts.push(format!(
                "{} {verb} {what}",
                crate::words::list_cut(&files, 5)
            ));
        }
    }
    (!parts.is_empty()).then(|| format!("since {reference}, {}", parts.join("; ")))
}

/// How long an extracted tree no run used is kept.
const UNUSED_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Removes the trees no run used for [`UNUSED_FOR`], and extractions left half done a day ago.
fn prune(trees: &Path) {
    let Ok(entries) = std::fs::read_dir(trees) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let half_done = entry.file_name().to_string_lossy().starts_with(".extract-");
        let limit = if half_done {
            std::time::Duration::from_secs(24 * 3600)
        } else {
            UNUSED_FOR
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > limit);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `git archive` of `commit` unpacked into `into`, through a temporary folder beside it so a
/// half-written tree is never used.
fn archive(repository: &Path, commit: &str, into: &Path) -> Result<(), String> {
    let parent = into.parent().ok_or("no parent folder")?;
    std::fs::create_dir_all(parent).map_err(|err| err.to_string())?;
    let scratch = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(parent)
        .map_err(|err| err.to_string())?;
    let tar = scratch.path().join("tree.tar");
    git(
        repository,
        &[
            "archive",
            "--format=tar",
            "-o",
            &tar.display().to_string(),
            commit,
        ],
    )
    .map_err(|err| err.to_string())?;
    let tree = scratch.path().join("tree");
    std::fs::create_dir_all(&tree).map_err(|err| err.to_string())?;
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&tree)
        .output()
        .map_err(|err| format!("cannot run tar: {err}"))?;
    if !untar.status.success() {
        return Err(String::from_utf8_lossy(&untar.stderr).trim().to_string());
    }
    match std::fs::rename(&tree, into) {
        Ok(()) => Ok(()),
        // Another run extracted the same commit meanwhile.
        Err(_) if into.is_dir() => Ok(()),
        Err(err) => Err(err.to_string()),
    }
}

/// Runs git in `dir`; its stdout, or its stderr as the error.
/// Why a git command gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    NotRun(std::io::Error),
    /// git's own words, or the command when it said nothing.
    #[error("{0}")]
    Failed(String),
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(GitError::NotRun)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Err(GitError::Failed(if stderr.is_empty() {
            format!("git {} failed", args.join(" "))
        } else {
            stderr
        }))
    }
}

/// Tags matching a glob, newest first (by the tagged commit's date), at most `newest`.
pub fn tags(dir: &Path, pattern: &str, newest: usize) -> Result<Vec<String>, GitError> {
    let listed = git(
        dir,
        &[
            "tag",
            "--list",
            "--sort=-creatordate",
            "--end-of-options",
            pattern,
        ],
    )?;
    Ok(listed
        .lines()
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .take(newest)
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_no_run_used_for_a_month_are_removed() {
        let trees = tempfile::tempdir().unwrap();
        let (old, recent) = (trees.path().join("aaa"), trees.path().join("bbb"));
        for dir in [&old, &recent] {
            std::fs::create_dir_all(dir.join("migrations")).unwrap();
        }
        let long_ago =
            std::time::SystemTime::now() - UNUSED_FOR - std::time::Duration::from_secs(60);
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        prune(trees.path());
        assert!(!old.exists());
        assert!(recent.join("migrations").is_dir());
    }
}
