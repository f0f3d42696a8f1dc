//! Pending snapshots as a person takes them: `harness accept` and `harness reject` with filters,
//! `harness review` walking them one by one on a terminal (driven through a pseudo-terminal, the
//! answers typed as the questions appear), and `harness review` off a terminal, which changes
//! nothing. Pending files are written the way a run writes them, so no Python runs here.

mod common;

use std::path::Path;

use common::{Project, run, snapshot, transcript};
use harness::snapshot::file::{self, Header};

/// The league project with sqlite and postgres:17, and three pending snapshots: `fresh/sqlite`
/// gained a column, `partial/sqlite` lost its view, `partial/postgres-17` is new (no snapshot yet).
fn project_with_pending() -> Project {
    let project = Project::league(&["python:3.12"]);
    project.write(
        "harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"league\"\n\n[matrix]\ndatabases = [\"sqlite\", \"postgres:17\"]\nruntimes = [\"python:3.12\"]\n",
    );
    let fresh = committed("fresh");
    let partial = committed("partial");
    write(
        &project,
        "snapshots/fresh/sqlite.snap",
        "fresh",
        "sqlite",
        &fresh,
    );
    write(
        &project,
        "snapshots/fresh/sqlite.snap.new",
        "fresh",
        "sqlite",
        &fresh.replace(
            "  column email VARCHAR(255)\n",
            "  column email VARCHAR(255)\n  column nickname VARCHAR(40)\n",
        ),
    );
    write(
        &project,
        "snapshots/partial/sqlite.snap",
        "partial",
        "sqlite",
        &partial,
    );
    let without_view = partial
        .split("\n\n")
        .filter(|block| !block.starts_with("view "))
        .collect::<Vec<_>>()
        .join("\n\n");
    write(
        &project,
        "snapshots/partial/sqlite.snap.new",
        "partial",
        "sqlite",
        &without_view,
    );
    write(
        &project,
        "snapshots/partial/postgres-17.snap.new",
        "partial",
        "postgres:17",
        "table teams\n  column id integer not null\n  primary key (id)\n\nversion table alembic_version\n  column version_num character varying(32) not null\n  row 0006",
    );
    project
}

/// The body of the repository's committed snapshot of `scenario` on SQLite.
fn committed(scenario: &str) -> String {
    let path = common::repo().join(format!("snapshots/{scenario}/sqlite.snap"));
    file::read_body(&path)
        .unwrap()
        .expect("a committed snapshot")
}

fn write(project: &Project, relative: &str, scenario: &str, database: &str, body: &str) {
    let header = Header {
        description: format!("scenario `{scenario}` on {database}"),
        expression: "schema after upgrade to head".into(),
    };
    file::write(&project.path().join(relative), &header, body).unwrap();
}

/// Every file below the project's snapshots folder, relative to it, with its text.
fn snapshot_files(project: &Project) -> Vec<(String, String)> {
    let root = project.path().join("snapshots");
    let mut found = Vec::new();
    collect(&root, &root, &mut found);
    found.sort();
    found
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, found);
        } else {
            let name = path.strip_prefix(root).unwrap().display().to_string();
            found.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn names(files: &[(String, String)]) -> Vec<&str> {
    files.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn accept_and_reject_take_only_what_the_filters_name() {
    let project = project_with_pending();
    let before = snapshot_files(&project);
    let pending_fresh = project.read("snapshots/fresh/sqlite.snap.new");

    let out = run(project.harness().args(["accept", "fresh"]));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(
        out.1,
        "accepted snapshots/fresh/sqlite.snap\n2 still pending; `harness review` shows them\n"
    );
    assert_eq!(project.read("snapshots/fresh/sqlite.snap"), pending_fresh);
    assert!(!project.exists("snapshots/fresh/sqlite.snap.new"));

    // A `*` pattern matches the whole of `scenario/database`.
    let out = run(project.harness().args(["reject", "partial/postgres*"]));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(
        out.1,
        "rejected snapshots/partial/postgres-17.snap.new (deleted)\n1 still pending; `harness review` shows them\n"
    );
    assert!(!project.exists("snapshots/partial/postgres-17.snap.new"));
    assert!(!project.exists("snapshots/partial/postgres-17.snap"));

    // The partial/sqlite pair was not touched.
    let after = snapshot_files(&project);
    for name in ["partial/sqlite.snap", "partial/sqlite.snap.new"] {
        let text = |files: &[(String, String)]| {
            files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.clone())
        };
        assert_eq!(text(&before), text(&after), "{name}");
    }

    // Without filters: everything left.
    let out = run(project.harness().arg("reject"));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(
        out.1,
        "rejected snapshots/partial/sqlite.snap.new (deleted)\n"
    );
    assert_eq!(
        names(&snapshot_files(&project)),
        ["fresh/sqlite.snap", "partial/sqlite.snap"]
    );
    let out = run(project.harness().arg("accept"));
    assert_eq!((out.0, out.1.as_str()), (0, "no pending snapshots\n"));
}

#[test]
fn a_filter_that_matches_nothing_changes_nothing_and_lists_the_pending_snapshots() {
    let project = project_with_pending();
    let before = snapshot_files(&project);
    let out = run(project.harness().args(["accept", "fresh", "oracle"]));
    assert_eq!(out.0, 2);
    snapshot("accept_unknown_filter", project.path(), transcript(&out));
    assert_eq!(snapshot_files(&project), before, "nothing was accepted");

    let out = run(project.harness().args(["reject", "mariadb"]));
    assert_eq!(out.0, 2);
    assert_eq!(snapshot_files(&project), before, "nothing was deleted");
}

#[test]
fn a_member_s_snapshots_are_named_by_its_folder_or_its_name() {
    let project = project_with_pending();
    let toml = project.read("harness.toml");
    project.write("harness.toml", &format!("members = [\"club\"]\n\n{toml}"));
    project.write(
        "club/harness.toml",
        "[project]\ntool = \"alembic\"\npath = \"../league\"\n\n[matrix]\ndatabases = [\"sqlite\"]\nruntimes = [\"python:3.12\"]\n",
    );
    common::copy_dir(
        &common::repo().join("scenarios"),
        &project.path().join("club/scenarios"),
    );
    for scenario in ["fresh", "partial"] {
        write(
            &project,
            &format!("club/snapshots/{scenario}/sqlite.snap.new"),
            scenario,
            "sqlite",
            "table t\n  column id INTEGER",
        );
    }

    // `fresh/sqlite` is in both; `club:` names the member's.
    let out = run(project.harness().args(["accept", "club:fresh/sqlite"]));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(
        out.1,
        "accepted club/snapshots/fresh/sqlite.snap\n4 still pending; `harness review` shows them\n"
    );
    let out = run(project.harness().args(["reject", "club/"]));
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(
        out.1,
        "rejected club/snapshots/partial/sqlite.snap.new (deleted)\n3 still pending; `harness review` shows them\n"
    );
    assert!(project.exists("snapshots/fresh/sqlite.snap.new"));
}

#[test]
fn the_list_of_pending_snapshots_in_an_error_stops_after_ten() {
    let project = project_with_pending();
    for index in 0..10 {
        write(
            &project,
            &format!("snapshots/extra{index:02}/sqlite.snap.new"),
            "extra",
            "sqlite",
            "table t\n  column id INTEGER",
        );
    }
    let out = run(project.harness().args(["reject", "oracle"]));
    assert_eq!(out.0, 2);
    let listed: Vec<&str> = out
        .2
        .lines()
        .filter(|line| line.starts_with("    "))
        .collect();
    assert_eq!(listed.len(), 11, "{}", out.2);
    assert_eq!(listed[10], "    and 3 more", "{}", out.2);
    assert_eq!(snapshot_files(&project).len(), 15);
}

#[test]
fn review_off_a_terminal_prints_the_diffs_and_changes_nothing() {
    let project = project_with_pending();
    let before = snapshot_files(&project);
    // `output()` gives the child no standard input: not a terminal.
    let out = run(project.harness().arg("review"));
    assert_eq!(out.0, 0, "{}", out.2);
    snapshot("review_not_a_terminal", project.path(), transcript(&out));
    assert_eq!(snapshot_files(&project), before);
    assert!(!out.1.contains('\x1b'), "no colour in a pipe: {}", out.1);

    let forced = run(project
        .harness()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .arg("review"));
    assert!(
        forced.1.contains("\x1b[32m+  column nickname"),
        "{}",
        forced.1
    );
    assert_eq!(strip_ansi(&forced.1), out.1);
    let both = run(project
        .harness()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .arg("review"));
    assert_eq!(both.1, out.1, "NO_COLOR wins over CLICOLOR_FORCE");
    assert_eq!(snapshot_files(&project), before);
}

#[cfg(unix)]
#[test]
fn review_on_a_terminal_walks_the_pending_snapshots_one_by_one() {
    let project = project_with_pending();
    let pending_fresh = project.read("snapshots/fresh/sqlite.snap.new");
    let partial_before = (
        project.read("snapshots/partial/sqlite.snap"),
        project.read("snapshots/partial/sqlite.snap.new"),
    );
    let mut command = project.harness();
    command
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .arg("review");
    let mut session = pty::Session::spawn(command);
    // Sorted: fresh/sqlite, partial/postgres-17, partial/sqlite. One key is not understood. A
    // key answers on its own: no Enter.
    for (questions, answer) in [(1, "x"), (2, "a"), (3, "r"), (4, "s")] {
        session.expect(PROMPT, questions);
        session.send(answer);
    }
    let (code, raw) = session.finish();
    assert_eq!(code, Some(0), "{raw}");
    assert!(raw.contains("\x1b[32m"), "colour on a terminal: {raw:?}");

    assert_eq!(project.read("snapshots/fresh/sqlite.snap"), pending_fresh);
    assert!(!project.exists("snapshots/fresh/sqlite.snap.new"));
    assert!(!project.exists("snapshots/partial/postgres-17.snap.new"));
    assert!(!project.exists("snapshots/partial/postgres-17.snap"));
    assert_eq!(
        (
            project.read("snapshots/partial/sqlite.snap"),
            project.read("snapshots/partial/sqlite.snap.new"),
        ),
        partial_before,
        "the skipped snapshot stays pending"
    );
    snapshot(
        "review_on_a_terminal",
        project.path(),
        strip_ansi(&raw).replace("\r\n", "\n"),
    );
}

#[cfg(unix)]
#[test]
fn review_on_a_terminal_has_no_colour_with_no_color_and_quit_leaves_everything() {
    let project = project_with_pending();
    let before = snapshot_files(&project);
    let mut command = project.harness();
    command
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .arg("review");
    let mut session = pty::Session::spawn(command);
    session.expect(PROMPT, 1);
    session.send("q");
    let (code, raw) = session.finish();
    assert_eq!(code, Some(0), "{raw}");
    assert!(!raw.contains('\x1b'), "{raw:?}");
    assert!(raw.contains("0 accepted, 0 rejected, 3 skipped"), "{raw:?}");
    assert_eq!(snapshot_files(&project), before);
}

/// What every question ends with.
const PROMPT: &str = "q quit > ";

fn strip_ansi(text: &str) -> String {
    regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(text, "")
        .into_owned()
}

/// A child process on a pseudo-terminal: its standard input, output and error are the terminal.
#[cfg(unix)]
mod pty {
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// How long one expected text may take to appear.
    const PATIENCE: Duration = Duration::from_secs(60);

    pub struct Session {
        master: File,
        child: Child,
        output: Vec<u8>,
    }

    impl Session {
        pub fn spawn(mut command: Command) -> Self {
            let (mut master, mut slave): (RawFd, RawFd) = (-1, -1);
            // SAFETY: openpty writes two descriptors into the integers it is given; the name,
            // termios and window size may be null.
            let rc = unsafe {
                libc::openpty(
                    &mut master,
                    &mut slave,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
            // SAFETY: both descriptors are open and owned by nothing else.
            let (master, slave) =
                unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
            // Processes other tests start must not inherit the terminal (it would stay open).
            for fd in [master.as_raw_fd(), slave.as_raw_fd()] {
                // SAFETY: fcntl on an open descriptor.
                unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
            command
                .stdin(Stdio::from(slave.try_clone().unwrap()))
                .stdout(Stdio::from(slave.try_clone().unwrap()))
                .stderr(Stdio::from(slave));
            let child = command.spawn().expect("the harness binary starts");
            // Dropping the command closes this process's copies of the terminal's slave side.
            drop(command);
            Self {
                master,
                child,
                output: Vec::new(),
            }
        }

        /// Reads until `text` has appeared `times` times in the output without colour codes.
        pub fn expect(&mut self, text: &str, times: usize) {
            let deadline = Instant::now() + PATIENCE;
            loop {
                let plain = super::strip_ansi(&String::from_utf8_lossy(&self.output));
                if plain.matches(text).count() >= times {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "`{text}` did not appear {times} times; output so far:\n{plain}"
                );
                if !self.read_some(Duration::from_millis(200)) {
                    panic!("the terminal closed before `{text}` appeared {times} times:\n{plain}");
                }
            }
        }

        pub fn send(&mut self, text: &str) {
            self.master.write_all(text.as_bytes()).unwrap();
        }

        /// Waits for the child to end and returns its exit code and everything it printed.
        pub fn finish(mut self) -> (Option<i32>, String) {
            let deadline = Instant::now() + PATIENCE;
            let status = loop {
                let open = self.read_some(Duration::from_millis(100));
                if let Some(status) = self.child.try_wait().unwrap() {
                    break status;
                }
                if !open {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if Instant::now() > deadline {
                    self.child.kill().ok();
                    panic!(
                        "review did not end:\n{}",
                        String::from_utf8_lossy(&self.output)
                    );
                }
            };
            // What the child wrote last, until the terminal is drained.
            while self.read_some(Duration::from_millis(200)) {}
            (
                status.code(),
                String::from_utf8_lossy(&self.output).into_owned(),
            )
        }

        /// Waits up to `wait` for output and keeps it; false once the terminal is closed (or had
        /// nothing more to say within `wait` after the child ended).
        fn read_some(&mut self, wait: Duration) -> bool {
            let mut poll = libc::pollfd {
                fd: self.master.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let millis = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut poll, 1, millis) };
            if ready <= 0 {
                return ready == 0 && self.child_running();
            }
            let mut buffer = [0u8; 4096];
            match self.master.read(&mut buffer) {
                Ok(0) => false,
                Ok(read) => {
                    self.output.extend_from_slice(&buffer[..read]);
                    true
                }
                // Linux answers EIO once every slave descriptor is closed.
                Err(_) => false,
            }
        }

        fn child_running(&mut self) -> bool {
            matches!(self.child.try_wait(), Ok(None))
        }
    }

    impl Drop for Session {
        fn drop(&mut self) {
            if self.child_running() {
                self.child.kill().ok();
                self.child.wait().ok();
            }
        }
    }
}
