//! Loading a dump file with the engine's own client, as a team restores a copy of production:
//! `psql` or `mariadb`/`mysql` inside the database container (an exec through [`crate::docker`],
//! the file on its standard input), or on the machine for
//! local clusters and external servers. The password travels in the client's environment
//! (PGPASSWORD / MYSQL_PWD), never on a command line.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::DatabaseError;
use super::server_url::ServerUrl;
use crate::config::DatabaseSpec;
use crate::dialect::Family;
use crate::docker::{self, ExecRequest};
use crate::process::Output;

/// Runs the client with `file` on its standard input against `database`; a failing client is an
/// `Ok` output with a non-zero code.
pub(super) async fn load(
    spec: &DatabaseSpec,
    url: &ServerUrl,
    container: Option<&str>,
    database: &str,
    file: &Path,
) -> Result<Output, DatabaseError> {
    let (user, password) = url.credentials();
    let (host, port) = match container {
        // Inside the container the server listens on its own default port.
        Some(_) => ("127.0.0.1".to_string(), url.family().default_port()),
        None => url.host_port(),
    };
    let (secret_var, client): (&str, Vec<String>) = match url.family() {
        Family::Postgres => (
            "PGPASSWORD",
            [
                "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", &host, "-p", &port.to_string(), "-U", &user, "-d",
                database,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
        Family::Mysql => (
            "MYSQL_PWD",
            vec![
                "sh".into(),
                "-c".into(),
                "client=$(command -v mariadb || command -v mysql) || { echo 'no mariadb or mysql client' >&2; exit 127; }; exec \"$client\" -h \"$0\" -P \"$1\" -u \"$2\" \"$3\"".into(),
                host.clone(),
                port.to_string(),
                user.clone(),
                database.to_string(),
            ],
        ),
    };
    let input = std::fs::File::open(file).map_err(|source| DatabaseError::Dump {
        path: file.to_path_buf(),
        source,
    })?;
    if let Some(id) = container {
        let Some(docker) = docker::client().await else {
            return Err(DatabaseError::start(
                spec,
                "the Docker engine stopped answering",
                "check that the Docker engine still runs",
            ));
        };
        let request = ExecRequest {
            argv: client.clone(),
            env: vec![(secret_var.to_string(), password)],
            dir: None,
            user: None,
            stdin: Some(file),
        };
        return docker::exec(&docker, id, request).await.map_err(|err| {
            DatabaseError::start(
                spec,
                format!(
                    "cannot run the database client `{}` in its container: {err}",
                    client[0]
                ),
                "check that the Docker engine still runs",
            )
        });
    }
    let mut command = Command::new(&client[0]);
    command.args(&client[1..]).env(secret_var, password);
    command
        .stdin(Stdio::from(input))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = std::time::Instant::now();
    let output = command.output().await.map_err(|err| {
        DatabaseError::start(
            spec,
            format!("cannot run the database client `{}`: {err}", client[0]),
            "install the engine's client (postgresql-client, mariadb-client) or use `sql_file`",
        )
    })?;
    Ok(Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        duration: started.elapsed(),
    })
}
