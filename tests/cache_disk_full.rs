//! A full disk under the cache folder: the run says so, in every cell it costs, instead of leaving
//! the user with an installer's unrelated complaint. The disk is a 2 MB tmpfs mounted in a private
//! mount namespace (`unshare`), so nothing on the machine sees it and nothing needs unmounting.

use std::process::Command;

mod common;

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs user namespaces and tmpfs (unshare --map-root-user): cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn a_full_disk_under_the_cache_is_named_as_the_cause() {
    let project = common::Project::league(&["python:3.12"]);
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n\n[runtime]\nbackend = \"local\"\n",
    );
    let cache = project.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    // As root a mount namespace is enough; otherwise a user namespace maps the user to root in it.
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let mut unshare = Command::new("unshare");
    if !root {
        unshare.arg("--map-root-user");
    }
    let script = format!(
        "mount -t tmpfs -o size=2m tmpfs '{}' && exec '{}' run --quiet fresh",
        cache.display(),
        env!("CARGO_BIN_EXE_harness")
    );
    let out = unshare
        .args(["--mount", "sh", "-c", &script])
        .current_dir(project.path())
        .env("HARNESS_CACHE_DIR", &cache)
        .env("HARNESS_RUNTIME_BACKEND", "local")
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .expect("unshare runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "an infrastructure error:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains(&format!(
            "runtime python:3.12 is not available: the cache folder {} is on a full disk (",
            cache.display()
        )) && stdout.contains("set HARNESS_CACHE_DIR to a folder on a disk with room"),
        "{stdout}"
    );
}
