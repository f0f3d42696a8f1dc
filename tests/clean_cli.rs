//! `harness clean` (and the sweep every run starts with) removes the temporary folders harness
//! processes that are gone left behind, lists them first with `--dry-run`, and never touches a live
//! process's. Its own binary: no other test here starts a harness run that would sweep first.

mod common;

use common::{harness, run, transcript};

fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("true runs");
    let pid = child.id();
    child.wait().expect("true ends");
    pid
}

#[test]
fn clean_removes_what_dead_processes_left_and_keeps_what_live_ones_use() {
    let tmp = std::env::temp_dir();
    let dead = dead_pid();
    let left = [
        tmp.join(format!("harness-sqlite-{dead}-cleantest")),
        tmp.join(format!("harness-worker-{dead}-cleantest")),
    ];
    let live = tmp.join(format!("harness-sqlite-{}-cleantest", std::process::id()));
    for dir in left.iter().chain([&live]) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("cell.sqlite"), "x").unwrap();
    }
    let dir = tempfile::tempdir().unwrap();

    let dry = run(harness(dir.path()).args(["clean", "--dry-run"]));
    assert_eq!(dry.0, 0, "{}", transcript(&dry));
    for folder in &left {
        assert!(
            dry.1.contains(&format!(
                "would remove temporary folder {} left by harness process {dead}",
                folder.display()
            )),
            "{}",
            dry.1
        );
        assert!(folder.exists(), "--dry-run removes nothing");
    }

    let out = run(harness(dir.path()).arg("clean"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    for folder in &left {
        assert!(
            out.1
                .contains(&format!("removed temporary folder {}", folder.display())),
            "{}",
            out.1
        );
        assert!(!folder.exists(), "{}", folder.display());
    }
    assert!(live.exists(), "a live process's folder is kept");
    assert!(!out.1.contains(&live.display().to_string()), "{}", out.1);
    std::fs::remove_dir_all(&live).unwrap();
}
