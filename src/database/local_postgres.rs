//! The local backend: an ephemeral PostgreSQL cluster from server binaries found on this machine
//! (configured `bin_dir`, Debian's and other distributions' per-version folders, `pg_config
//! --bindir`, PATH). initdb into a temporary folder named after this process, fsync off, a free
//! loopback port, the socket in that folder; stopped and removed on shutdown. As root, initdb
//! and the server run as an unprivileged user (`postgres` if it exists, else `nobody`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::DatabaseError;
use super::image::PASSWORD;
use super::server_url::ServerUrl;
use super::sql::{self, ReadinessError};
use crate::config::DatabaseSpec;
use crate::dialect::Family;

/// The prefix of a local cluster's temporary folder: `harness-pg-<pid>-<random>`.
pub(super) const CLUSTER_DIR_PREFIX: &str = "harness-pg-";

/// A running cluster; stopped and removed by [`LocalCluster::stop`] or, at the latest, on drop.
pub(super) struct LocalCluster {
    child: Mutex<Option<Child>>,
    dir: Mutex<Option<tempfile::TempDir>>,
}

impl LocalCluster {
    pub async fn stop(&self) -> Vec<String> {
        let child = self.child.lock().ok().and_then(|mut child| child.take());
        let mut warnings = Vec::new();
        if let Some(mut child) = child {
            if let Some(pid) = child.id() {
                signal(pid, libc::SIGQUIT);
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
        if let Some(dir) = self.dir.lock().ok().and_then(|mut dir| dir.take()) {
            let path = dir.path().to_path_buf();
            if let Err(err) = dir.close() {
                warnings.push(format!(
                    "could not remove the local cluster folder {}: {err}",
                    path.display()
                ));
            }
        }
        warnings
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        // Reached only when shutdown did not run (a dropped run): stop the server synchronously
        // so the folder can go.
        if let Some(child) = self.child.get_mut().ok().and_then(Option::take)
            && let Some(pid) = child.id()
        {
            signal(pid, libc::SIGQUIT);
            wait_gone(pid, Duration::from_secs(3));
            signal(pid, libc::SIGKILL);
        }
    }
}

fn signal(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) has no memory effects; a stale pid only makes it fail.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

fn wait_gone(pid: u32, limit: Duration) {
    let started = Instant::now();
    while crate::docker::process_alive(pid) && !is_zombie(pid) && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// The command name of a process: /proc on Linux, else `ps -o comm=` (macOS has no /proc).
fn process_name(pid: u32) -> Option<String> {
    if let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        return Some(comm.trim().to_string());
    }
    let out = std::process::Command::new("ps")
        .args(["-o", "comm=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // `ps` may print the whole path of the program.
    let name = name.rsplit('/').next().unwrap_or(&name).to_string();
    (out.status.success() && !name.is_empty()).then_some(name)
}

/// Stops the server of a cluster folder left by a dead process (its postmaster.pid).
pub(super) fn kill_cluster_in(dir: &Path) {
    let Ok(text) = std::fs::read_to_string(dir.join("data").join("postmaster.pid")) else {
        return;
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|line| line.trim().parse::<u32>().ok())
    else {
        return;
    };
    let is_postgres = process_name(pid).is_some_and(|name| name.starts_with("postgres"));
    if is_postgres {
        signal(pid, libc::SIGQUIT);
        wait_gone(pid, Duration::from_secs(3));
        signal(pid, libc::SIGKILL);
    }
}

/// The folders tried for the server binaries of `major`, in order.
pub(super) fn candidate_dirs(major: &str, configured: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = configured {
        return vec![dir.to_path_buf()];
    }
    let mut dirs = vec![
        PathBuf::from(format!("/usr/lib/postgresql/{major}/bin")),
        PathBuf::from(format!("/usr/pgsql-{major}/bin")),
        PathBuf::from(format!("/opt/homebrew/opt/postgresql@{major}/bin")),
        PathBuf::from(format!("/usr/local/opt/postgresql@{major}/bin")),
    ];
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let postgres = dir.join("postgres");
            if postgres.is_file() {
                let real = std::fs::canonicalize(&postgres).unwrap_or(postgres);
                if let Some(parent) = real.parent() {
                    dirs.push(parent.to_path_buf());
                }
            }
        }
    }
    let mut unique = Vec::new();
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

/// The major version of the `postgres` binary in `dir`, if there is one.
fn binary_major(dir: &Path) -> Option<String> {
    if !dir.join("initdb").is_file() {
        return None;
    }
    let out = std::process::Command::new(dir.join("postgres"))
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split(')')
        .nth(1)?
        .split_whitespace()
        .next()?
        .to_string();
    Some(version.split('.').next()?.to_string())
}

/// The folder holding `initdb` and `postgres` of `major`, or what was tried.
pub(super) fn find_binaries(
    major: &str,
    configured: Option<&Path>,
) -> Result<PathBuf, Vec<String>> {
    let mut tried = Vec::new();
    for dir in candidate_dirs(major, configured) {
        match binary_major(&dir) {
            Some(found) if found == major => return Ok(dir),
            Some(found) => tried.push(format!("{} (PostgreSQL {found})", dir.display())),
            None => tried.push(format!("{} (no initdb/postgres)", dir.display())),
        }
    }
    Err(tried)
}

/// Whether this machine has the server binaries of PostgreSQL `major` where the local backend
/// looks for them.
pub fn has_binaries(major: u32) -> bool {
    find_binaries(&major.to_string(), None).is_ok()
}

/// The user initdb and the server run as: this one (`None`), or an unprivileged one when this is
/// root, as (uid, gid, name). Public so a test can start a server outside the harness the same way.
pub fn server_user() -> Option<(u32, u32, String)> {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = |wanted: &str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && fields[0] == wanted).then(|| {
                (
                    fields[2].parse().unwrap_or(65534),
                    fields[3].parse().unwrap_or(65534),
                    wanted.to_string(),
                )
            })
        })
    };
    Some(
        entry("postgres")
            .or_else(|| entry("nobody"))
            .unwrap_or((65534, 65534, "nobody".into())),
    )
}

/// A cluster that answers, and what the engine says of it.
pub(super) struct StartedCluster {
    pub cluster: LocalCluster,
    pub url: ServerUrl,
    /// Where its binaries came from.
    pub source: String,
    pub version: String,
    pub ready_after: std::time::Duration,
}

/// Starts an ephemeral cluster for `spec` (PostgreSQL of its major version).
pub(super) async fn start(spec: &DatabaseSpec) -> Result<StartedCluster, DatabaseError> {
    let started = Instant::now();
    let major = spec.major().unwrap_or("");
    let bin = find_binaries(major, spec.settings.bin_dir.as_deref()).map_err(|tried| {
        DatabaseError::start(
            spec,
            format!(
                "no PostgreSQL {major} server binaries found; tried: {}",
                tried.join(", ")
            ),
            format!(
                "install them (Debian: apt-get install postgresql-{major}) or set `bin_dir` in \
                 [databases.\"{spec}\"]"
            ),
        )
    })?;
    let fail = |message: String| {
        DatabaseError::start(
            spec,
            message,
            format!("check the PostgreSQL installation in {}", bin.display()),
        )
    };
    let dir = tempfile::Builder::new()
        .prefix(&format!("{CLUSTER_DIR_PREFIX}{}-", std::process::id()))
        .tempdir()
        .map_err(|source| DatabaseError::TempDir {
            what: format!("a local PostgreSQL {major} cluster"),
            source,
        })?;
    let user = server_user();
    let data = dir.path().join("data");
    let pwfile = dir.path().join("pw");
    let log = dir.path().join("postgres.log");
    let prepare = || -> std::io::Result<()> {
        std::fs::write(&pwfile, format!("{PASSWORD}\n"))?;
        std::fs::write(&log, "")?;
        if let Some((uid, gid, _)) = &user {
            for path in [dir.path(), pwfile.as_path(), log.as_path()] {
                std::os::unix::fs::chown(path, Some(*uid), Some(*gid))?;
            }
        }
        Ok(())
    };
    prepare().map_err(|err| fail(format!("cannot prepare {}: {err}", dir.path().display())))?;
    let as_user = |command: &mut Command| {
        if let Some((uid, gid, _)) = &user {
            command.uid(*uid).gid(*gid);
        }
        command.env_remove("PGDATA").env("LC_ALL", "C");
    };

    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth-local=trust", "--auth-host=md5"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["-E", "UTF8", "--locale=C", "--no-sync"])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    as_user(&mut initdb);
    let out = initdb
        .output()
        .await
        .map_err(|err| fail(format!("cannot run {}/initdb: {err}", bin.display())))?;
    if !out.status.success() {
        let as_whom = user
            .as_ref()
            .map(|u| format!(" as user {}", u.2))
            .unwrap_or_default();
        return Err(fail(format!(
            "initdb{as_whom} failed ({}):\n{}",
            out.status,
            crate::process::tail(&String::from_utf8_lossy(&out.stderr), 10)
        )));
    }

    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = crate::process::free_loopback_port()
            .map_err(|err| fail(format!("no free loopback port: {err}")))?;
        let log_file = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .map_err(|err| fail(format!("cannot open {}: {err}", log.display())))?;
        let log_err = log_file
            .try_clone()
            .map_err(|err| fail(format!("cannot open {}: {err}", log.display())))?;
        let mut server = Command::new(bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .process_group(0)
            .kill_on_drop(true);
        as_user(&mut server);
        let child = server
            .spawn()
            .map_err(|err| fail(format!("cannot start {}/postgres: {err}", bin.display())))?;
        let child = Mutex::new(Some(child));
        let url = ServerUrl::loopback(Family::Postgres, port, "postgres", PASSWORD, "postgres");
        let ready = sql::wait_ready(&url, sql::ready_timeout(), || async {
            let exited = child
                .lock()
                .ok()
                .and_then(|mut c| c.as_mut().and_then(|c| c.try_wait().ok().flatten()));
            exited.map(|status| {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                format!("{status}:\n{}", crate::process::tail(&text, 10))
            })
        })
        .await;
        let cluster = LocalCluster {
            child,
            dir: Mutex::new(None),
        };
        match ready {
            Ok((version, _)) => {
                if let Ok(mut slot) = cluster.dir.lock() {
                    *slot = Some(dir);
                }
                return Ok(StartedCluster {
                    cluster,
                    url,
                    source: format!("local cluster from {}", bin.display()),
                    version,
                    ready_after: started.elapsed(),
                });
            }
            Err(err) => {
                cluster.stop().await;
                let port_taken = matches!(&err, ReadinessError::Exited(why)
                    if why.contains("could not bind") || why.contains("already in use"));
                last_error = err.to_string();
                if !port_taken {
                    break;
                }
            }
        }
    }
    Err(fail(format!(
        "the local PostgreSQL {major} server never became ready: {last_error}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_name_is_read_on_any_unix() {
        let own = process_name(std::process::id()).unwrap();
        assert!(!own.is_empty() && !own.contains('/'), "{own}");
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        // Between fork and exec the child still carries the test thread's name.
        let mut name = process_name(child.id());
        for _ in 0..100 {
            if name.as_deref() == Some("sleep") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            name = process_name(child.id());
        }
        assert_eq!(name.as_deref(), Some("sleep"));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_configured_folder_is_the_only_candidate() {
        let dirs = candidate_dirs("15", Some(Path::new("/opt/pg/bin")));
        assert_eq!(dirs, vec![PathBuf::from("/opt/pg/bin")]);
    }

    #[test]
    fn debian_folders_come_first() {
        let dirs = candidate_dirs("16", None);
        assert_eq!(dirs[0], PathBuf::from("/usr/lib/postgresql/16/bin"));
    }

    #[test]
    fn a_missing_major_says_what_was_tried() {
        let tried = find_binaries("4", None).unwrap_err();
        assert!(
            tried
                .iter()
                .any(|t| t.contains("/usr/lib/postgresql/4/bin")),
            "{tried:?}"
        );
    }
}
