//! The warm tool worker of a local runtime: one Python process per environment that has imported
//! Alembic, SQLAlchemy and the drivers once and forks a child for each Python tool process (see
//! `worker.py`). A child runs exactly as `python script args...` would, with the request's
//! environment, folder and PYTHONPATH, so verdicts and output are those of a new process, minus
//! about half a second of imports. Linux only (fork after imports is not safe everywhere);
//! `--no-worker` (or HARNESS_NO_WORKER) turns it off, and a worker that cannot start or dies
//! leaves the run on separate processes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;

use super::CacheDir;
use crate::process::Output;

const SCRIPT: &str = include_str!("worker.py");
/// How long a worker may take to import what it preloads.
const START_LIMIT: Duration = Duration::from_secs(60);

/// Set by `--no-worker`: every tool process is a new process.
static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns the worker off for this process (`--no-worker`).
pub fn disable() {
    DISABLED.store(true, Ordering::SeqCst);
}

/// Whether tool processes may go through a worker here: Linux, not turned off.
pub fn enabled() -> bool {
    cfg!(target_os = "linux")
        && !DISABLED.load(Ordering::SeqCst)
        && std::env::var_os("HARNESS_NO_WORKER").is_none_or(|v| v.is_empty() || v == "0")
}

/// How many of the worker's own last stderr lines are kept for a message.
const STDERR_TAIL: usize = 20;

/// What became of one job given to the worker.
#[derive(Debug)]
pub enum WorkerRun {
    /// The child ran and ended: its output, as a process's.
    Done(Output),
    /// The worker could not take the job (it is gone): nothing of it ran, so a process may.
    NotTaken,
    /// The worker stopped after the job's child had started: how far the child got is unknown
    /// (it is killed with its process group), so the job must not run again.
    Lost {
        /// The child's pid.
        pid: i32,
        /// The worker's own last stderr lines.
        worker_stderr: Vec<String>,
        /// What the child had written to its stderr.
        step_stderr: String,
    },
}

/// What the worker said about one request.
enum Event {
    Started(i32),
    Ended(i32),
}

type Pending = Arc<Mutex<HashMap<u64, Vec<oneshot::Sender<Event>>>>>;

/// A running worker.
pub struct Worker {
    stdin: tokio::sync::Mutex<ChildStdin>,
    pending: Pending,
    next: AtomicU64,
    alive: Arc<AtomicBool>,
    /// The worker's own last stderr lines (a crash's traceback).
    stderr_tail: Arc<Mutex<std::collections::VecDeque<String>>>,
    _child: Child,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Worker(alive: {})", self.alive.load(Ordering::SeqCst))
    }
}

/// One tool process for the worker: `python argv...` in `dir` with exactly `env`.
pub struct Job<'a> {
    pub argv: &'a [String],
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
}

impl Worker {
    /// Starts a worker with `python` (the environment's) and waits until it has preloaded;
    /// `None` when it cannot.
    pub async fn start(python: &Path, env: &[(String, String)], cache: &CacheDir) -> Option<Self> {
        let script = cache
            .script("tool_worker", &crate::drivers::install(SCRIPT))
            .ok()?;
        let mut command = Command::new(python);
        command
            .arg(&script)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("PYTHONPATH")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().ok()?;
        let stdin = child.stdin.take()?;
        let stderr_tail: Arc<Mutex<std::collections::VecDeque<String>>> = Arc::default();
        if let Some(stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut tail) = tail.lock() {
                        if tail.len() == STDERR_TAIL {
                            tail.pop_front();
                        }
                        tail.push_back(line);
                    }
                }
            });
        }
        let mut lines = BufReader::new(child.stdout.take()?).lines();
        let ready = tokio::time::timeout(START_LIMIT, lines.next_line()).await;
        // The worker's first message: `{"ready": true}`.
        let said_ready = match ready {
            Ok(Ok(Some(line))) => serde_json::from_str::<serde_json::Value>(&line)
                .is_ok_and(|message| message["ready"] == serde_json::Value::Bool(true)),
            _ => false,
        };
        if !said_ready {
            return None;
        }
        let pending: Pending = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let (reader_pending, reader_alive) = (pending.clone(), alive.clone());
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let Some(id) = message["id"].as_u64() else {
                    continue;
                };
                let event = if let Some(pid) = message["pid"].as_i64() {
                    Event::Started(pid as i32)
                } else if let Some(code) = message["code"].as_i64() {
                    Event::Ended(code as i32)
                } else {
                    continue;
                };
                let sender = reader_pending.lock().ok().and_then(|mut pending| {
                    let senders = pending.get_mut(&id)?;
                    let sender = (!senders.is_empty()).then(|| senders.remove(0));
                    if senders.is_empty() {
                        pending.remove(&id);
                    }
                    sender
                });
                if let Some(sender) = sender {
                    let _ = sender.send(event);
                }
            }
            // The worker is gone: whoever waits hears it (their senders are dropped).
            reader_alive.store(false, Ordering::SeqCst);
            if let Ok(mut pending) = reader_pending.lock() {
                pending.clear();
            }
        });
        Some(Self {
            stdin: tokio::sync::Mutex::new(stdin),
            pending,
            next: AtomicU64::new(1),
            alive,
            stderr_tail,
            _child: child,
        })
    }

    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Runs `job` in a forked child. [`WorkerRun::NotTaken`] when the worker could not take it
    /// (it died before), so the caller may run a process instead; [`WorkerRun::Lost`] when it died
    /// while the child ran, which the caller must never run again. Dropping the future kills the
    /// child's process group.
    pub async fn run(&self, job: Job<'_>) -> WorkerRun {
        match self.run_job(job).await {
            Ok(output) => WorkerRun::Done(output),
            Err(None) => WorkerRun::NotTaken,
            Err(Some((pid, step_stderr))) => {
                // Its reader may still be taking the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                WorkerRun::Lost {
                    pid,
                    worker_stderr: self
                        .stderr_tail
                        .lock()
                        .map(|tail| tail.iter().cloned().collect())
                        .unwrap_or_default(),
                    step_stderr,
                }
            }
        }
    }

    /// `Err(None)`: not taken; `Err(Some((pid, stderr)))`: lost after the child started.
    async fn run_job(&self, job: Job<'_>) -> Result<Output, Option<(i32, String)>> {
        let started = Instant::now();
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let files = tempfile::Builder::new()
            .prefix(&format!("harness-worker-{}-", std::process::id()))
            .tempdir()
            .map_err(|_| None)?;
        let (stdout, stderr) = (files.path().join("stdout"), files.path().join("stderr"));
        let request = serde_json::json!({
            "id": id,
            "argv": job.argv,
            "cwd": job.dir,
            "env": job.env.iter().cloned().collect::<HashMap<String, String>>(),
            "stdout": stdout,
            "stderr": stderr,
        });
        let (started_tx, started_rx) = oneshot::channel();
        let (ended_tx, ended_rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| None)?
            .insert(id, vec![started_tx, ended_tx]);
        {
            let mut stdin = self.stdin.lock().await;
            let line = format!("{request}\n");
            if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
                self.alive.store(false, Ordering::SeqCst);
                return Err(None);
            }
        }
        let Ok(Event::Started(pid)) = started_rx.await else {
            return Err(None);
        };
        let read = |path: &PathBuf| {
            std::fs::read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default()
        };
        let guard = KillOnDrop(Some(pid));
        let code = match ended_rx.await {
            Ok(Event::Ended(code)) => code,
            _ => {
                // The child is stopped now, before its output is read.
                drop(guard);
                return Err(Some((pid, read(&stderr))));
            }
        };
        guard.disarm();
        Ok(Output {
            // A child killed by a signal has no exit code, as a process would not.
            code: (code >= 0).then_some(code),
            stdout: read(&stdout),
            stderr: read(&stderr),
            duration: started.elapsed(),
        })
    }
}

/// Kills a child's process group unless disarmed: a cell dropped mid-step (Ctrl-C, a time
/// limit) leaves no tool process behind.
struct KillOnDrop(Option<i32>);

impl KillOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0
            && pid > 0
        {
            // SAFETY: signalling a process group this worker created (setsid in the child).
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}
