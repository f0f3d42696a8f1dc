//! External servers, end to end: a PostgreSQL cluster and a MariaDB container that the test starts
//! itself (outside the harness) are used as `external` servers with `allow_external = true`, through
//! a URL whose password holds `@`, `%`, `/` and `?` (percent-encoded) and that names a sentinel
//! database (rows, an index, and an `alembic_version` table of its own at another revision, so a
//! migration run against it would show). After a full run, and after a run interrupted with SIGINT
//! while its cell runs, each server holds exactly the databases and roles it held before, and the
//! sentinel database dumps to the same bytes. Without `allow_external` the run is refused while reading the configuration: exit
//! 2, a message naming `allow_external`, and no connection reaches the server.
//!
//! Needs PostgreSQL server binaries (/usr/lib/postgresql/N/bin), a Docker engine and the image named
//! by HARNESS_IMAGE_MARIADB_11 (scripts/setup/20-engines.sh).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const PASSWORD: &str = "Sup3r@S3cr%t/x?y";
const ENCODED: &str = "Sup3r%40S3cr%25t%2Fx%3Fy";
const SENTINEL: &str = "sentinel";

/// A database server the harness is pointed at but does not own.
trait ExternalServer {
    /// The `matrix.databases` entry it serves.
    fn entry(&self) -> &str;
    /// The URL harness.toml names: the sentinel database, the password percent-encoded.
    fn url(&self) -> String;
    /// Every database on the server, sorted.
    fn databases(&self) -> Vec<String>;
    /// Every role or user with its attributes, sorted.
    fn roles(&self) -> Vec<String>;
    /// The sentinel database's full dump.
    fn sentinel_dump(&self) -> Vec<u8>;
    /// The rows of `sql` on `database`, or `None` when it fails (no such table yet).
    fn rows_in(&self, database: &str, sql: &str) -> Option<Vec<String>>;
    /// How many client connections the server received while `action` ran.
    fn connections_during(&self, action: &mut dyn FnMut()) -> u64;
}

/// What must not change on a server: its databases, its roles, the sentinel's bytes.
#[derive(Debug, PartialEq, Eq)]
struct ServerState {
    databases: Vec<String>,
    roles: Vec<String>,
    sentinel_sha256: String,
}

fn state_of(server: &dyn ExternalServer) -> ServerState {
    let dump = server.sentinel_dump();
    assert!(
        String::from_utf8_lossy(&dump).contains("Harbor Hawks"),
        "the sentinel dump holds its rows:\n{}",
        String::from_utf8_lossy(&dump)
    );
    ServerState {
        databases: server.databases(),
        roles: server.roles(),
        sentinel_sha256: Sha256::digest(&dump)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    }
}

/// Output of a command that must succeed.
fn checked(command: &mut Command) -> Vec<u8> {
    let out = command
        .output()
        .unwrap_or_else(|err| panic!("{command:?} starts: {err}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn lines(bytes: Vec<u8>) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> Result<bool, String>) {
    let deadline = Instant::now() + limit;
    loop {
        match ready() {
            Ok(true) => return,
            Ok(false) => {}
            Err(why) => panic!("{what}: {why}"),
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) on a process this test started; a stale pid only makes it fail.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a throwaway cluster from this machine's server binaries.

/// A cluster initialised into a temporary folder (not named like the harness's own clusters, so no
/// sweep takes it for one); stopped and removed on drop, whatever the test's outcome.
struct LocalPostgres {
    entry: String,
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    server: Child,
}

impl LocalPostgres {
    /// Server binaries where local_postgres.rs looks first: Debian's per-version folders (newest
    /// first), else `pg_config --bindir`. Returns the folder and its major version.
    fn binaries() -> (PathBuf, String) {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let major = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").is_file().then_some((major, bin))
            })
            .collect();
        found.sort();
        if let Some((major, bin)) = found.pop() {
            return (bin, major.to_string());
        }
        let bindir = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
            .expect(
                "PostgreSQL server binaries in /usr/lib/postgresql/N/bin or pg_config --bindir",
            );
        let version = checked(Command::new(bindir.join("postgres")).arg("--version"));
        let version = String::from_utf8_lossy(&version);
        let major = version
            .split(')')
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.split('.').next())
            .expect("a version in `postgres --version`")
            .to_string();
        (bindir, major)
    }

    fn start() -> Self {
        use std::os::unix::process::CommandExt;
        let (bin, major) = Self::binaries();
        let dir = tempfile::Builder::new()
            .prefix("engines-external-pg-")
            .tempdir()
            .expect("a temporary folder");
        // initdb and the server refuse to run as root: the harness's own choice of user.
        let user = harness::database::server_user().map(|(uid, gid, _)| (uid, gid));
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        let log = dir.path().join("server.log");
        std::fs::write(&pwfile, "superuser-only-on-the-socket\n").unwrap();
        std::fs::write(&log, "").unwrap();
        if let Some((uid, gid)) = user {
            for path in [dir.path(), &pwfile, &log] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
            }
        }
        let as_user = |command: &mut Command| {
            if let Some((uid, gid)) = user {
                command.uid(uid).gid(gid);
            }
            command.env_remove("PGDATA").env("LC_ALL", "C");
        };
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth-local=trust"])
            .args(["--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .arg("--no-sync");
        as_user(&mut initdb);
        checked(&mut initdb);

        let port = free_port();
        let log_file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let mut postgres = Command::new(bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            // Every connection the server receives is logged: the refusal test counts them.
            .args(["-c", "log_connections=on"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .process_group(0);
        as_user(&mut postgres);
        let server = postgres.spawn().expect("postgres starts");
        let mut cluster = Self {
            entry: format!("postgres:{major}"),
            bin,
            dir,
            port,
            server,
        };
        wait_for(
            "the test's PostgreSQL cluster answers",
            Duration::from_secs(30),
            || {
                if let Ok(Some(status)) = cluster.server.try_wait() {
                    return Err(format!("postgres exited ({status}):\n{}", cluster.log()));
                }
                Ok(cluster.psql_status("postgres", "SELECT 1"))
            },
        );
        // A login role that may create databases; it owns the sentinel, so it could write there.
        cluster.psql(
            "postgres",
            &format!("CREATE ROLE keeper LOGIN CREATEDB PASSWORD '{PASSWORD}'"),
        );
        cluster.psql(
            "postgres",
            &format!("CREATE DATABASE {SENTINEL} OWNER keeper"),
        );
        cluster.psql(
            SENTINEL,
            "CREATE TABLE teams (id integer PRIMARY KEY, name text NOT NULL, founded date, \
             logo bytea);\n\
             CREATE INDEX teams_name ON teams (name);\n\
             INSERT INTO teams VALUES (1, 'Harbor Hawks', '1921-04-02', '\\x89504e47'), \
             (2, 'Valley Foxes', NULL, NULL);\n\
             INSERT INTO teams SELECT n, 'team ' || n, DATE '2000-01-01' + n, NULL \
             FROM generate_series(3, 500) AS n;\n\
             CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);\n\
             INSERT INTO alembic_version VALUES ('0002');\n\
             ALTER TABLE teams OWNER TO keeper; ALTER TABLE alembic_version OWNER TO keeper;",
        );
        cluster
    }

    fn client(&self, program: &str, database: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command
            .arg("-h")
            .arg(self.dir.path())
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
            ])
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE");
        command
    }

    fn psql_command(&self, database: &str, sql: &str) -> Command {
        let mut command = self.client("psql", database);
        command.args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]);
        command
    }

    fn psql(&self, database: &str, sql: &str) -> Vec<String> {
        lines(checked(&mut self.psql_command(database, sql)))
    }

    fn psql_status(&self, database: &str, sql: &str) -> bool {
        self.psql_command(database, sql)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl ExternalServer for LocalPostgres {
    fn entry(&self) -> &str {
        &self.entry
    }

    fn url(&self) -> String {
        format!(
            "postgresql://keeper:{ENCODED}@127.0.0.1:{}/{SENTINEL}",
            self.port
        )
    }

    fn databases(&self) -> Vec<String> {
        self.psql("postgres", "SELECT datname FROM pg_database")
    }

    fn roles(&self) -> Vec<String> {
        self.psql(
            "postgres",
            "SELECT concat_ws(' ', rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, \
             rolpassword IS NOT NULL) FROM pg_authid",
        )
    }

    fn sentinel_dump(&self) -> Vec<u8> {
        // pg_dump 15.14 and later frame the dump with `\restrict <random key>`: not content.
        let dump = checked(&mut self.client("pg_dump", SENTINEL));
        String::from_utf8_lossy(&dump)
            .lines()
            .filter(|line| !line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict "))
            .flat_map(|line| [line, "\n"])
            .collect::<String>()
            .into_bytes()
    }

    fn rows_in(&self, database: &str, sql: &str) -> Option<Vec<String>> {
        let out = self.psql_command(database, sql).output().ok()?;
        out.status.success().then(|| lines(out.stdout))
    }

    fn connections_during(&self, action: &mut dyn FnMut()) -> u64 {
        let received = || self.log().matches("connection received:").count() as u64;
        let before = received();
        action();
        received() - before
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        // Immediate shutdown, then SIGKILL if it lingers; the folder goes with `dir`.
        signal(self.server.id(), libc::SIGQUIT);
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.server.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// MariaDB: a container from the local Debian image, started the way the harness starts one.

/// A MariaDB container named and labelled for this test only (never with the harness's
/// `dev.harness.*` labels, so no harness sweep or `harness clean` takes it for its own); removed
/// with its volumes on drop.
struct MariadbContainer {
    name: String,
    port: u16,
}

impl MariadbContainer {
    fn start() -> Self {
        let image = std::env::var("HARNESS_IMAGE_MARIADB_11")
            .unwrap_or_else(|_| "harness-local/debian:trixie".into());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // The guard exists before the container does: it is removed whatever happens next.
        let mut container = Self {
            name: format!("engines-external-mariadb-{}-{nanos}", std::process::id()),
            port: 0,
        };
        checked(
            Command::new("docker")
                .args(["run", "--detach", "--name", &container.name])
                .args(["--label", "engines-external.test=external-server"])
                .args(["--publish", "127.0.0.1::3306"])
                .args(["--env", &format!("HARNESS_PASSWORD={PASSWORD}")])
                .args([&image, "sh", "-c", harness::database::DEBIAN_MARIADB]),
        );
        let address = checked(Command::new("docker").args(["port", &container.name, "3306/tcp"]));
        let address = String::from_utf8_lossy(&address);
        container.port = address
            .lines()
            .find_map(|line| line.trim().rsplit_once(':')?.1.parse().ok())
            .unwrap_or_else(|| panic!("a published port in `{address}`"));
        wait_for(
            "the test's MariaDB container answers",
            Duration::from_secs(90),
            || {
                let running = checked(Command::new("docker").args([
                    "inspect",
                    "--format",
                    "{{.State.Running}}",
                    &container.name,
                ]));
                if String::from_utf8_lossy(&running).trim() != "true" {
                    let logs = Command::new("docker")
                        .args(["logs", &container.name])
                        .output()
                        .map(|out| String::from_utf8_lossy(&out.stderr).into_owned())
                        .unwrap_or_default();
                    return Err(format!("the container stopped:\n{logs}"));
                }
                Ok(container
                    .mariadb_command(None, "SELECT 1")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|status| status.success()))
            },
        );
        container.mariadb(
            None,
            &format!(
                "CREATE DATABASE {SENTINEL};\n\
                 USE {SENTINEL};\n\
                 CREATE TABLE teams (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, \
                 founded DATE, logo BLOB, KEY teams_name (name));\n\
                 INSERT INTO teams VALUES (1, 'Harbor Hawks', '1921-04-02', X'89504e47'), \
                 (2, 'Valley Foxes', NULL, NULL);\n\
                 INSERT INTO teams SELECT seq, CONCAT('team ', seq), \
                 DATE_ADD('2000-01-01', INTERVAL seq DAY), NULL FROM seq_3_to_500;\n\
                 CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);\n\
                 INSERT INTO alembic_version VALUES ('0002');"
            ),
        );
        container
    }

    /// The server's own client inside the container, as root over the socket.
    fn mariadb_command(&self, database: Option<&str>, sql: &str) -> Command {
        let mut command = Command::new("docker");
        command.args(["exec", &self.name, "mariadb", "-uroot", "-N", "-B"]);
        if let Some(database) = database {
            command.args(["-D", database]);
        }
        command.args(["-e", sql]);
        command
    }

    fn mariadb(&self, database: Option<&str>, sql: &str) -> Vec<String> {
        lines(checked(&mut self.mariadb_command(database, sql)))
    }

    fn connections(&self) -> u64 {
        self.mariadb(None, "SHOW GLOBAL STATUS LIKE 'Connections'")
            .first()
            .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
            .expect("a connection count")
    }
}

impl ExternalServer for MariadbContainer {
    fn entry(&self) -> &str {
        "mariadb:11"
    }

    fn url(&self) -> String {
        format!("mysql://root:{ENCODED}@127.0.0.1:{}/{SENTINEL}", self.port)
    }

    fn databases(&self) -> Vec<String> {
        self.mariadb(None, "SHOW DATABASES")
    }

    fn roles(&self) -> Vec<String> {
        self.mariadb(
            None,
            "SELECT CONCAT_WS(' ', User, Host, Priv) FROM mysql.global_priv",
        )
    }

    fn sentinel_dump(&self) -> Vec<u8> {
        checked(Command::new("docker").args([
            "exec",
            &self.name,
            "mariadb-dump",
            "-uroot",
            "--skip-dump-date",
            "--routines",
            "--triggers",
            SENTINEL,
        ]))
    }

    fn rows_in(&self, database: &str, sql: &str) -> Option<Vec<String>> {
        let out = self.mariadb_command(Some(database), sql).output().ok()?;
        out.status.success().then(|| lines(out.stdout))
    }

    fn connections_during(&self, action: &mut dyn FnMut()) -> u64 {
        let before = self.connections();
        action();
        // The second count is a connection of its own.
        self.connections() - before - 1
    }
}

impl Drop for MariadbContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "--force", "--volumes", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

// ---------------------------------------------------------------------------------------------
// The runs.

/// The league example on `server` as an external server; `allow_external` as given.
fn configure(project: &common::Project, server: &dyn ExternalServer, allow_external: bool) {
    let entry = server.entry();
    let allow = if allow_external {
        "allow_external = true\n"
    } else {
        ""
    };
    project.write(
        "harness.toml",
        &format!(
            "[project]\ntool = \"alembic\"\npath = \"league\"\n\n\
             [matrix]\ndatabases = [\"{entry}\"]\nruntimes = [\"python:3.12\"]\n\n\
             [runtime]\nbackend = \"local\"\n\n\
             [databases.\"{entry}\"]\nbackend = \"external\"\nurl = \"{}\"\n{allow}",
            server.url()
        ),
    );
}

/// A run of the `slow` scenario, interrupted with SIGINT while its cell runs (its scratch database
/// migrated to 0003, a long step running); returns its exit code and stderr.
fn interrupted_run(project: &common::Project, server: &dyn ExternalServer) -> (i32, String) {
    project.write(
        "scenarios/slow.toml",
        "description = \"migrated to 0003, then a long step: interrupted while it runs\"\n\n\
         [[steps]]\nupgrade = \"0003\"\n\n[[steps]]\ncommand = [\"sleep\", \"60\"]\n\n\
         [expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let mut child = project
        .harness()
        .args(["run", "slow"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness binary starts");
    let pid = child.id();
    // Keep draining stderr so the harness never writes into a full or closed pipe.
    let stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
            .join("\n")
    });
    // SIGINT once the cell has migrated its scratch database to 0003 and runs its long step.
    let scratch = format!("harness_{pid}_");
    wait_for(
        "the interrupted run's cell migrates its scratch database to 0003",
        Duration::from_secs(60),
        || {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the harness ended first ({status})"));
            }
            let databases = server.databases();
            let Some(database) = databases.iter().find(|name| name.starts_with(&scratch)) else {
                return Ok(false);
            };
            Ok(server
                .rows_in(database, "SELECT version_num FROM alembic_version")
                .is_some_and(|rows| rows == ["0003"]))
        },
    );
    signal(pid, libc::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the harness did not stop within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().unwrap_or_default();
    (status.code().unwrap_or(-1), stderr)
}

/// Refusal, a full run, an interrupted run: after each, `server` is as it was.
fn the_server_is_left_as_it_was(server: &dyn ExternalServer) {
    let entry = server.entry().to_string();
    let before = state_of(server);
    assert!(
        before.databases.iter().any(|name| name == SENTINEL),
        "{before:?}"
    );
    let project = common::Project::league(&["python:3.12"]);

    // Without allow_external: refused while reading harness.toml, before any connection.
    configure(&project, server, false);
    let mut refused = (0, String::new(), String::new());
    let connections = server.connections_during(&mut || {
        refused = common::run(project.harness().arg("run"));
    });
    let transcript = common::transcript(&refused);
    assert_eq!(refused.0, 2, "a configuration error:\n{transcript}");
    assert!(
        refused.2.contains("`allow_external` is not set")
            && refused.2.contains("allow_external = true")
            && refused.2.contains("harness.toml:"),
        "the message names allow_external and where:\n{transcript}"
    );
    assert!(
        !refused.1.contains(PASSWORD)
            && !refused.2.contains(PASSWORD)
            && !refused.2.contains(ENCODED),
        "the password is not shown:\n{transcript}"
    );
    assert_eq!(
        connections, 0,
        "{entry}: the refused run connected to the server\n{transcript}"
    );
    assert_eq!(state_of(server), before, "{entry}: after the refused run");

    // A full run: both scenarios pass, their scratch databases are dropped.
    configure(&project, server, true);
    let full = common::run(project.harness().arg("run"));
    let transcript = common::transcript(&full);
    assert_eq!(full.0, 0, "{entry}: the run passes\n{transcript}");
    let id = entry.replace(':', "-");
    for scenario in ["fresh", "partial"] {
        let cell = format!("{scenario}/{id}/python-3.12");
        assert!(
            full.1
                .lines()
                .any(|line| line.starts_with(&cell) && line.contains("passed")),
            "{cell} passes:\n{transcript}"
        );
    }
    assert!(
        full.2.contains(&format!("engine {entry}: external")),
        "{transcript}"
    );
    assert!(
        !full.1.contains(PASSWORD) && !full.2.contains(PASSWORD) && !full.2.contains(ENCODED),
        "{transcript}"
    );
    assert_eq!(state_of(server), before, "{entry}: after a full run");

    // Interrupted while its cell runs: exit 130, and the scratch database is dropped all the same.
    let (code, stderr) = interrupted_run(&project, server);
    assert_eq!(code, 130, "{entry}: interrupted\n{stderr}");
    assert!(
        stderr.contains(
            "interrupted: stopped the running cells and removed everything the run started"
        ),
        "{entry}:\n{stderr}"
    );
    assert_eq!(
        state_of(server),
        before,
        "{entry}: after an interrupted run"
    );
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn an_external_postgres_server_keeps_its_databases_roles_and_sentinel() {
    let server = LocalPostgres::start();
    the_server_is_left_as_it_was(&server);
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
fn an_external_mariadb_server_keeps_its_databases_roles_and_sentinel() {
    let server = MariadbContainer::start();
    the_server_is_left_as_it_was(&server);
}
