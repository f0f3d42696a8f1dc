//! Runs one command in a running container through the Docker API, optionally with a file on its
//! standard input, and keeps its exit code, standard output and standard error apart, as a local
//! process's [`Output`].

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use testcontainers::bollard::Docker;
use testcontainers::bollard::container::LogOutput;
use testcontainers::bollard::exec::{CreateExecOptions, StartExecResults};
use tokio::io::AsyncWriteExt;

use crate::process::Output;

/// One command for [`exec`].
pub struct ExecRequest<'a> {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub dir: Option<&'a str>,
    /// `uid:gid`, or `None` for the image's user.
    pub user: Option<String>,
    /// A file streamed to the command's standard input, closed at its end.
    pub stdin: Option<&'a std::path::Path>,
}

/// How long a single Docker API call may take before the engine counts as not answering.
pub const ANSWER_LIMIT: Duration = Duration::from_secs(30);

/// How long a command may stay silent before the harness checks that the engine still answers
/// (a command may legitimately print nothing for minutes; a frozen engine sends nothing either).
const QUIET_PROBE: Duration = Duration::from_secs(15);

/// Why a command could not be run or followed to its end.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Docker(#[from] testcontainers::bollard::errors::Error),
    #[error("the Docker engine stopped answering ({0})")]
    NotAnswering(String),
}

/// `call`, or [`ExecError::NotAnswering`] when the engine gives no reply within [`ANSWER_LIMIT`].
async fn answered<T>(
    what: &str,
    call: impl std::future::Future<Output = Result<T, testcontainers::bollard::errors::Error>>,
) -> Result<T, ExecError> {
    match tokio::time::timeout(ANSWER_LIMIT, call).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(ExecError::NotAnswering(format!(
            "no reply to {what} within {} s",
            ANSWER_LIMIT.as_secs()
        ))),
    }
}

/// Runs `request` in `container` to completion.
pub async fn exec(
    docker: &Docker,
    container: &str,
    request: ExecRequest<'_>,
) -> Result<Output, ExecError> {
    let started = Instant::now();
    let env: Vec<String> = request
        .env
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let created = answered(
        "creating the command",
        docker.create_exec(
            container,
            CreateExecOptions {
                cmd: Some(request.argv),
                env: Some(env),
                working_dir: request.dir.map(str::to_string),
                user: request.user,
                attach_stdin: Some(request.stdin.is_some()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        ),
    )
    .await?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let StartExecResults::Attached {
        mut output,
        mut input,
    } = answered("starting the command", docker.start_exec(&created.id, None)).await?
    {
        // The file is written while the output is read, so neither side waits on a full pipe.
        let feeding = request.stdin.map(|path| {
            let path = path.to_path_buf();
            tokio::spawn(async move {
                let mut file = tokio::fs::File::open(&path).await?;
                tokio::io::copy(&mut file, &mut input).await?;
                input.shutdown().await
            })
        });
        loop {
            let chunk = match tokio::time::timeout(QUIET_PROBE, output.next()).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(_) => {
                    // Silent for a while: fine if the engine still answers.
                    match tokio::time::timeout(Duration::from_secs(5), docker.ping()).await {
                        Ok(Ok(_)) => continue,
                        _ => {
                            return Err(ExecError::NotAnswering(format!(
                                "no output for {} s and no reply to a ping within 5 s",
                                QUIET_PROBE.as_secs()
                            )));
                        }
                    }
                }
            };
            match chunk? {
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.extend_from_slice(&message)
                }
                LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                LogOutput::StdIn { .. } => {}
            }
        }
        if let Some(feeding) = feeding {
            match feeding.await {
                Ok(Ok(())) => {}
                // The command may end without reading all of its input (an error on line 1).
                Ok(Err(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
                Ok(Err(err)) => stderr.extend_from_slice(
                    format!("\ncould not send the input file to the command: {err}\n").as_bytes(),
                ),
                Err(err) => stderr.extend_from_slice(
                    format!("\nthe input task ended abnormally: {err}\n").as_bytes(),
                ),
            }
        }
    }
    // The stream ends with the process; its exit code can lag behind by a moment.
    let mut code = None;
    for _ in 0..50 {
        let inspect =
            answered("asking for the exit code", docker.inspect_exec(&created.id)).await?;
        if inspect.running != Some(true) {
            code = inspect.exit_code;
            if code.is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Output {
        // Like a local process killed by a signal: 128 + signal has no code of its own here.
        code: code.map(|c| c as i32),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        duration: started.elapsed(),
    })
}
