//! Running an installer while reading what it prints, line by line as it comes, so its phases can
//! be told before it ends; everything is kept, as [`crate::process::run`] keeps it.

use std::process::Stdio;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use crate::process::Output;

/// Runs `command` with stdin closed, giving each line it prints (on either stream) to `line`.
/// The child is killed if the future is dropped.
pub(super) async fn run_watched(
    command: &mut Command,
    line: &(dyn Fn(&str) + Send + Sync),
) -> std::io::Result<Output> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (stdout, stderr, status) = tokio::join!(
        read_lines(stdout, line),
        read_lines(stderr, line),
        child.wait()
    );
    Ok(Output {
        code: status?.code(),
        stdout,
        stderr,
        duration: started.elapsed(),
    })
}

async fn read_lines(
    stream: Option<impl AsyncRead + Unpin>,
    line: &(dyn Fn(&str) + Send + Sync),
) -> String {
    let mut text = String::new();
    let Some(stream) = stream else {
        return text;
    };
    let mut reader = BufReader::new(stream);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer).await {
            Ok(0) | Err(_) => return text,
            Ok(_) => {
                let read = String::from_utf8_lossy(&buffer);
                line(read.trim_end_matches(['\n', '\r']));
                text.push_str(&read);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_line_is_seen_and_kept() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let seen = Mutex::new(Vec::new());
        let out = runtime
            .block_on(run_watched(
                Command::new("sh").args(["-c", "echo one; echo two >&2; printf three; exit 3"]),
                &|line| seen.lock().unwrap().push(line.to_string()),
            ))
            .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, ["one", "three", "two"]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (Some(3), "one\nthree", "two\n")
        );
    }
}
