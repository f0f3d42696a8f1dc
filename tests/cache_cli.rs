//! `harness cache` and `harness run --refresh` for real: an environment built by a run in a
//! temporary cache folder is listed, survives a dry run, is removed by name and built again by the
//! next run; `--refresh` builds it anew while the cells still pass. With a Docker engine, prepared
//! runtime images are listed, an image without the harness's label is never touched, and a
//! private prepared image is refreshed and removed (the images other tests use are only listed).

mod common;

use std::path::Path;
use std::process::Command;

use common::{Project, repo, run, snapshot, transcript};

/// The harness in `project` with its own cache folder, and no Docker engine unless `docker`.
fn harness(project: &Project, cache: &Path, docker: bool) -> Command {
    let mut command = project.harness();
    command.env("HARNESS_CACHE_DIR", cache);
    if !docker {
        command.env(
            "DOCKER_HOST",
            "unix:///nonexistent/harness-test-docker.sock",
        );
    }
    command
}

fn ok(out: &(i32, String, String)) -> &(i32, String, String) {
    assert_eq!(out.0, 0, "stdout:\n{}\nstderr:\n{}", out.1, out.2);
    out
}

/// The names of the environments `harness cache list` printed.
fn listed_environments(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| line.starts_with("  python-"))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The runtime line of a finished run (on stderr, or in the report when a cell did not pass).
fn runtime_line(out: &(i32, String, String)) -> &str {
    let (code, stdout, stderr) = out;
    assert_eq!(*code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    stderr
        .lines()
        .chain(stdout.lines())
        .find(|line| line.starts_with("runtime python:3.12:"))
        .unwrap_or_else(|| panic!("no runtime line in:\n{stdout}\n{stderr}"))
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn an_environment_is_listed_removed_by_name_and_refreshed() {
    let project = Project::league(&["python:3.12"]);
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path();
    let harness = |docker| harness(&project, cache, docker);

    let first = run(harness(false).args(["run", "--database", "sqlite"]));
    assert!(
        runtime_line(&first).contains("environment created"),
        "{}",
        first.1
    );

    let list = run(harness(false).args(["cache", "list"]));
    let stdout = &ok(&list).1;
    let names = listed_environments(stdout);
    assert_eq!(names.len(), 1, "one environment:\n{stdout}");
    let name = &names[0];
    assert!(name.starts_with("python-3.12."), "{stdout}");
    let venv = cache.join("venvs").join(name);
    assert!(venv.join("bin/python").exists(), "{}", venv.display());
    for expected in [
        &format!("environments in {}:", cache.join("venvs").display()),
        " python:3.12 ",
        "last used ",
        &format!("key {}", &name[name.len() - 16..]),
        " packages, requirements ",
        "prepared runtime images: not listed, no Docker engine answers",
        "total: ",
    ] {
        assert!(stdout.contains(expected), "no `{expected}` in:\n{stdout}");
    }

    let dry = run(harness(false).args(["cache", "remove", "--all", "--dry-run"]));
    let stdout = &ok(&dry).1;
    assert!(
        stdout.contains(&format!("would remove environment {name} (")),
        "{stdout}"
    );
    assert!(
        stdout.contains("nothing was removed (--dry-run)"),
        "{stdout}"
    );
    assert!(venv.is_dir(), "a dry run removes nothing");

    let unknown = run(harness(false).args(["cache", "remove", "python-2.7"]));
    assert_eq!(unknown.0, 2, "{unknown:?}");
    assert!(
        unknown
            .2
            .contains("no cached environment or prepared image matches `python-2.7`")
            && unknown.2.contains(&format!("\n    {name}")),
        "a filter that matches nothing lists what is cached: {}",
        unknown.2
    );
    assert!(venv.is_dir());

    let recent = run(harness(false).args(["cache", "remove", "--unused-for", "1"]));
    assert!(
        ok(&recent)
            .1
            .contains("nothing to remove: every environment and image was used in the last 1 day"),
        "{}",
        recent.1
    );
    assert!(venv.is_dir());

    let filter = &name[..name.len() - 10];
    let removed = run(harness(false).args(["cache", "remove", filter]));
    let stdout = &ok(&removed).1;
    assert!(
        stdout.contains(&format!("removed environment {name} (")),
        "{stdout}"
    );
    assert!(stdout.contains("freed "), "{stdout}");
    assert!(!venv.exists(), "removed");
    let left: Vec<_> = std::fs::read_dir(cache.join("venvs"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(left.is_empty(), "nothing left in venvs/: {left:?}");
    let list = run(harness(false).args(["cache", "list"]));
    assert!(listed_environments(&ok(&list).1).is_empty(), "{}", list.1);

    let again = run(harness(false).args(["run", "--database", "sqlite"]));
    assert!(
        runtime_line(&again).contains("environment created"),
        "{}",
        again.1
    );
    let reused = run(harness(false).args(["run", "--database", "sqlite"]));
    assert!(
        runtime_line(&reused).contains("environment reused from cache"),
        "{}",
        reused.1
    );

    let refreshed = run(harness(false).args(["run", "--database", "sqlite", "--refresh"]));
    assert!(
        runtime_line(&refreshed).contains("environment created"),
        "--refresh builds it again: {}",
        refreshed.2
    );
    let stdout = &refreshed.1;
    assert!(
        stdout.lines().filter(|l| l.contains("  passed  ")).count() > 1
            && !stdout.contains("  failed  "),
        "the cells still pass: {stdout}"
    );
    assert!(venv.join("bin/python").exists(), "in the same place");
    let names: Vec<String> = std::fs::read_dir(cache.join("venvs"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        std::slice::from_ref(name),
        "the refreshed one replaced the cached one"
    );
    let after = run(harness(false).args(["run", "--database", "sqlite"]));
    assert!(
        runtime_line(&after).contains("environment reused from cache"),
        "the refreshed environment is reused: {}",
        after.1
    );
}

#[test]
fn help_documents_list_and_remove() {
    let out = run(common::harness(&repo()).args(["cache", "--help"]));
    assert_eq!(out.0, 0);
    snapshot("cache_help", &repo(), transcript(&out));
    let out = run(common::harness(&repo()).args(["cache", "remove", "--help"]));
    assert_eq!(out.0, 0);
    snapshot("cache_remove_help", &repo(), transcript(&out));
}

#[test]
fn remove_asks_what_to_remove() {
    let project = Project::league(&["python:3.12"]);
    let cache = tempfile::tempdir().unwrap();
    let out = run(harness(&project, cache.path(), false).args(["cache", "remove"]));
    assert_eq!(out.0, 2, "{out:?}");
    assert!(out.2.contains("--all"), "{}", out.2);
    let out = run(harness(&project, cache.path(), false).args(["cache", "remove", "x"]));
    assert_eq!(out.0, 2, "{out:?}");
    assert!(
        out.2.contains("matches `x`") && out.2.contains("the cache holds none"),
        "{}",
        out.2
    );
    let out = run(harness(&project, cache.path(), false).args(["cache", "list"]));
    assert!(
        ok(&out).1.starts_with(&format!(
            "environments in {}:\n  none\n",
            cache.path().join("venvs").display()
        )),
        "{}",
        out.1
    );
}

/// Runs the docker CLI; panics with its output when it fails.
fn docker(args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new("docker")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the docker CLI starts");
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Removes the images of this test however it ends.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker")
                .args(["image", "rm", "--force", image])
                .output();
        }
    }
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker: cargo test --features engine-tests (scripts/test runs it)"
)]
fn prepared_images_are_listed_and_only_labelled_ones_removed() {
    let project = Project::league(&["python:3.12"]);
    let cache = tempfile::tempdir().unwrap();
    let nonce = format!("t{}", std::process::id());
    let labelled = format!("harness-deps/python-0.0:{nonce}");
    let unlabelled = format!("harness-deps/python-0.0:{nonce}-unlabelled");
    let _cleanup = Images(vec![labelled.clone(), unlabelled.clone()]);
    // Images of no size: a label, or none, on nothing.
    docker(
        &["build", "--quiet", "--tag", &labelled, "-"],
        Some("FROM scratch\nLABEL dev.harness.deps=true dev.harness.runtime=python:0.0\n"),
    );
    docker(
        &["build", "--quiet", "--tag", &unlabelled, "-"],
        Some("FROM scratch\nLABEL dev.harness.runtime=python:0.0\n"),
    );
    let shared = docker(
        &[
            "images",
            "--filter",
            "label=dev.harness.deps=true",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ],
        None,
    );
    let shared: Vec<&str> = shared
        .lines()
        .filter(|tag| !tag.contains("<none>") && *tag != labelled)
        .collect();

    let list = run(harness(&project, cache.path(), true).args(["cache", "list"]));
    let stdout = &ok(&list).1;
    assert!(stdout.contains("\nprepared runtime images:\n"), "{stdout}");
    for tag in shared.iter().chain([&labelled.as_str()]) {
        assert!(
            stdout.contains(&format!("\n  {tag}  ")),
            "{tag} is listed:\n{stdout}"
        );
    }
    assert!(
        stdout.contains(&format!("\n  {labelled}  python:0.0  ")),
        "{stdout}"
    );
    assert!(!stdout.contains(&unlabelled), "{stdout}");

    let dry =
        run(harness(&project, cache.path(), true).args(["cache", "remove", "--all", "--dry-run"]));
    let stdout = &ok(&dry).1;
    for tag in shared.iter().chain([&labelled.as_str()]) {
        assert!(
            stdout.contains(&format!("would remove image {tag} (")),
            "{stdout}"
        );
    }
    for tag in &shared {
        docker(&["image", "inspect", "--format", "{{.Id}}", tag], None);
    }

    let removed = run(harness(&project, cache.path(), true).args(["cache", "remove", &nonce]));
    let stdout = &ok(&removed).1;
    assert!(
        stdout.contains(&format!("removed image {labelled} (")),
        "{stdout}"
    );
    assert!(
        !stdout.contains("unlabelled") && stdout.contains("(0 environments, 1 prepared image)"),
        "only the labelled image: {stdout}"
    );
    let gone = Command::new("docker")
        .args(["image", "inspect", &labelled])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "{labelled} is removed");
    docker(
        &["image", "inspect", "--format", "{{.Id}}", &unlabelled],
        None,
    );
    for tag in &shared {
        docker(&["image", "inspect", "--format", "{{.Id}}", tag], None);
    }
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and a local runtime image: cargo test --features engine-tests (scripts/test runs it)"
)]
fn refresh_rebuilds_a_prepared_image_and_remove_takes_it() {
    let project = Project::league(&["python:3.12"]);
    // Requirements of this test alone: its prepared image is its own, never a shared one.
    let requirements = project.read("league/requirements.txt");
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    project.write(
        "league/requirements.txt",
        &format!("{requirements}# cache_cli {} {nonce}\n", std::process::id()),
    );
    let cache = tempfile::tempdir().unwrap();
    let container = |args: &[&str]| {
        let mut command = harness(&project, cache.path(), true);
        command
            .args(args)
            .env("HARNESS_RUNTIME_BACKEND", "container");
        for (name, fallback) in [
            (
                "HARNESS_RUNTIME_IMAGE_PYTHON_3_12",
                Some("harness-local/python:3.12".to_string()),
            ),
            ("HARNESS_RUNTIME_CA_BUNDLE", std::env::var("PIP_CERT").ok()),
        ] {
            if std::env::var_os(name).is_none()
                && let Some(value) = fallback
            {
                command.env(name, value);
            }
        }
        run(&mut command)
    };
    let image_id = |tag: &str| docker(&["image", "inspect", "--format", "{{.Id}}", tag], None);

    let first = container(&["run", "--database", "sqlite"]);
    assert!(
        runtime_line(&first).contains("prepared image built"),
        "{}",
        first.2
    );
    // The run recorded its use of the image in the cache folder: that names its tag.
    let used: Vec<String> = std::fs::read_dir(cache.path().join("images"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(used.len(), 1, "{used:?}");
    let key = used[0].rsplit('_').next().unwrap().to_string();
    let tag = format!("harness-deps/python-3.12:{key}");
    let _cleanup = Images(vec![tag.clone()]);
    let built = image_id(&tag);

    let refreshed = container(&["run", "--database", "sqlite", "--refresh"]);
    assert!(
        runtime_line(&refreshed).contains("prepared image built"),
        "--refresh builds it again: {}",
        refreshed.2
    );
    assert!(
        !refreshed.1.contains("  failed  "),
        "the cells still pass: {}",
        refreshed.1
    );
    let rebuilt = image_id(&tag);
    assert_ne!(built, rebuilt, "the tag names the new image");
    let old = Command::new("docker")
        .args(["image", "inspect", &built])
        .output()
        .unwrap();
    assert!(!old.status.success(), "the replaced image is removed");
    let again = container(&["run", "--database", "sqlite"]);
    assert!(
        runtime_line(&again).contains("prepared image reused from cache"),
        "{}",
        again.2
    );

    let list = run(harness(&project, cache.path(), true).args(["cache", "list"]));
    let stdout = &ok(&list).1;
    assert!(
        stdout.contains(&format!("\n  {tag}  python:3.12  ")) && stdout.contains("(just now)"),
        "{stdout}"
    );
    let removed = run(harness(&project, cache.path(), true).args(["cache", "remove", &key]));
    assert!(
        ok(&removed).1.contains(&format!("removed image {tag} (")),
        "{}",
        removed.1
    );
    let gone = Command::new("docker")
        .args(["image", "inspect", &tag])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "{tag} is removed");
    assert!(
        !cache.path().join("images").join(&used[0]).exists(),
        "its use record goes with it"
    );
}
