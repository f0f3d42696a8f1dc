//! Runs one command in a running container through the Docker API and keeps its exit code, standard
//! output and standard error apart, as a local process's [`Output`].

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use testcontainers::bollard::Docker;
use testcontainers::bollard::container::LogOutput;
use testcontainers::bollard::exec::{CreateExecOptions, StartExecResults};

use crate::process::Output;

/// One command for [`exec`].
pub struct ExecRequest<'a> {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub dir: Option<&'a str>,
    /// `uid:gid`, or `None` for the image's user.
    pub user: Option<String>,
}

/// Runs `request` in `container` to completion.
pub async fn exec(
    docker: &Docker,
    container: &str,
    request: ExecRequest<'_>,
) -> Result<Output, testcontainers::bollard::errors::Error> {
    let started = Instant::now();
    let env: Vec<String> = request
        .env
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let created = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(request.argv),
                env: Some(env),
                working_dir: request.dir.map(str::to_string),
                user: request.user,
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&created.id, None).await?
    {
        while let Some(chunk) = output.next().await {
            match chunk? {
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.extend_from_slice(&message)
                }
                LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                LogOutput::StdIn { .. } => {}
            }
        }
    }
    // The stream ends with the process; its exit code can lag behind by a moment.
    let mut code = None;
    for _ in 0..50 {
        let inspect = docker.inspect_exec(&created.id).await?;
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
