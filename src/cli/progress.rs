//! What `harness run` shows while cells run, on stderr: a live progress display on a terminal
//! (what is being prepared or started, with the phase a runtime's preparation is in, then the
//! cells running with their elapsed time, and the counts); one plain line per event when stderr is
//! not a terminal or in CI, with the same facts; nothing with `--quiet`. Colour only on a terminal
//! and never when NO_COLOR is set.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{EngineSummary, Progress};
use crate::outcome::{CellResult, RuntimeSummary, Verdict};
use crate::report;
use crate::report::words;
use crate::runtime::Phase;

/// How progress is shown.
enum Mode {
    Quiet,
    Lines,
    Bar(ProgressBar),
}

/// What the live display shows, read on every redraw.
struct Counts {
    passed: usize,
    failed: usize,
    /// Runtimes being prepared and engines starting: (`runtime python:3.12`, what is shown, as
    /// `preparing runtime python:3.12` or `runtime python:3.12: installing 5 packages`).
    preparing: Vec<(String, String)>,
    /// Cells running, with when they started.
    running: Vec<(String, Instant)>,
    /// When the last plain line was printed.
    said: Instant,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            passed: 0,
            failed: 0,
            preparing: Vec::new(),
            running: Vec::new(),
            said: Instant::now(),
        }
    }
}

impl Counts {
    /// `running fresh/sqlite/python-3.12 3s, ... and 2 more · 4 passed, 1 failed`, or what is
    /// being prepared while no cell runs yet.
    fn line(&self) -> String {
        let tally = format!("{} passed, {} failed", self.passed, self.failed);
        if !self.running.is_empty() {
            let cells: Vec<String> = self
                .running
                .iter()
                .map(|(id, since)| format!("{id} {}s", since.elapsed().as_secs()))
                .collect();
            return format!("running {} · {tally}", words::list_cut(&cells, 3));
        }
        if !self.preparing.is_empty() {
            let shown: Vec<&str> = self.preparing.iter().map(|(_, s)| s.as_str()).collect();
            return format!("{} · {tally}", words::list_cut(&shown, 4));
        }
        tally
    }

    /// Shows `shown` for `what`; false when it showed that already.
    fn show(&mut self, what: &str, shown: String) -> bool {
        match self.preparing.iter_mut().find(|(w, _)| w == what) {
            Some((_, old)) if *old == shown => false,
            Some((_, old)) => {
                *old = shown;
                true
            }
            None => {
                self.preparing.push((what.to_string(), shown));
                true
            }
        }
    }

    fn done(&mut self, what: &str) {
        self.preparing.retain(|(w, _)| w != what);
    }
}

/// Whether a plain-line display prints `phase`: the phases that can wait on the network, an image
/// pull or a build, and reuse; not the brief local steps before and between them.
fn plain_line(phase: &Phase) -> bool {
    !matches!(
        phase,
        Phase::FindingInterpreter | Phase::CreatingEnvironment { .. } | Phase::Committing
    )
}

/// The CLI's [`Progress`].
pub struct Display {
    mode: Mode,
    counts: Arc<Mutex<Counts>>,
    /// Plain lines: set to stop the heartbeat that names the running cells.
    stop: Arc<std::sync::atomic::AtomicBool>,
}

/// With plain lines, how often a quiet run says which cells it is still running.
const HEARTBEAT: Duration = Duration::from_secs(30);

impl Display {
    /// The display that suits where stderr goes: `cells` is how many cells will run.
    pub fn for_stderr(quiet: bool, ci: bool, cells: usize) -> Self {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let mode = if quiet {
            Mode::Quiet
        } else if ci || !std::io::stderr().is_terminal() || dumb_terminal() {
            Mode::Lines
        } else {
            Mode::Bar(bar(cells, counts.clone()))
        };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if matches!(mode, Mode::Lines) {
            heartbeat(counts.clone(), stop.clone());
        }
        Self { mode, counts, stop }
    }

    /// Removes the live display before the report is printed.
    pub fn finish(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }

    fn say(&self, line: String) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                if let Ok(mut counts) = self.counts.lock() {
                    counts.said = Instant::now();
                }
                eprintln!("{line}");
            }
            Mode::Bar(bar) => bar.println(line),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Counts)) {
        if let Ok(mut counts) = self.counts.lock() {
            change(&mut counts);
        }
    }
}

impl Progress for Display {
    fn runtime_preparing(&self, key: &str) {
        let shown = format!("preparing runtime {key}");
        if matches!(self.mode, Mode::Lines) {
            self.say(format!("{shown}..."));
        }
        self.update(|counts| {
            counts.show(&format!("runtime {key}"), shown);
        });
    }

    fn runtime_phase(&self, key: &str, phase: &Phase) {
        let shown = format!("preparing runtime {key}: {phase}");
        let mut changed = false;
        self.update(|counts| changed = counts.show(&format!("runtime {key}"), shown.clone()));
        if changed && matches!(self.mode, Mode::Lines) && plain_line(phase) {
            self.say(format!("{shown}..."));
        }
    }

    fn note(&self, text: &str) {
        self.say(format!("note: {text}"));
    }

    fn runtime_ready(&self, summary: &RuntimeSummary) {
        self.update(|counts| counts.done(&format!("runtime {}", summary.key)));
        self.say(report::runtime_line(summary));
    }

    fn engine_starting(&self, database: &str) {
        let shown = format!("starting engine {database}");
        if matches!(self.mode, Mode::Lines) {
            self.say(format!("{shown}..."));
        }
        self.update(|counts| {
            counts.show(&format!("engine {database}"), shown);
        });
    }

    fn engine_ready(&self, summary: &EngineSummary) {
        self.update(|counts| counts.done(&format!("engine {}", summary.database)));
        self.say(report::engine_line(&summary.database, &summary.outcome));
    }

    fn cell_started(&self, id: &str) {
        self.update(|counts| counts.running.push((id.to_string(), Instant::now())));
    }

    fn cell_finished(&self, result: &CellResult) {
        self.update(|counts| {
            counts.running.retain(|(id, _)| *id != result.id);
            if result.verdict == Verdict::Passed {
                counts.passed += 1;
            } else {
                counts.failed += 1;
            }
        });
        // Snapshots are compared once every cell has run: a cell that ran is "finished", not yet
        // "passed".
        let state = if result.verdict == Verdict::Passed {
            "finished"
        } else {
            result.verdict.label()
        };
        let line = format!(
            "{state}: {} ({:.2}s, {:.2}s in the migration tool)",
            result.id,
            result.duration.as_secs_f64(),
            result.tool_time.as_secs_f64()
        );
        match &self.mode {
            // On a terminal, the display holds the counts: only what did not pass gets a line.
            Mode::Bar(bar) => {
                bar.inc(1);
                if result.verdict != Verdict::Passed {
                    bar.println(line);
                }
            }
            _ => self.say(line),
        }
    }
}

/// Prints `still running: ...` when nothing was printed for [`HEARTBEAT`] while cells run or
/// runtimes are prepared, until `stop` is set.
fn heartbeat(counts: Arc<Mutex<Counts>>, stop: Arc<std::sync::atomic::AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(500));
            let Ok(mut counts) = counts.lock() else {
                return;
            };
            if counts.said.elapsed() >= HEARTBEAT
                && (!counts.running.is_empty() || !counts.preparing.is_empty())
                && !stop.load(std::sync::atomic::Ordering::SeqCst)
            {
                eprintln!("still {}", counts.line());
                counts.said = Instant::now();
            }
        }
    });
}

fn bar(cells: usize, counts: Arc<Mutex<Counts>>) -> ProgressBar {
    let template = if colour() {
        "{spinner:.cyan} {pos}/{len} cells {bar:24.green/white} {elapsed} {live}"
    } else {
        "{spinner} {pos}/{len} cells {bar:24} {elapsed} {live}"
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "live",
            move |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                if let Ok(counts) = counts.lock() {
                    // What precedes it: spinner, `3/10 cells`, the bar and the elapsed time.
                    let before = format!(
                        "x {}/{} cells {} {:>7} ",
                        state.pos(),
                        state.len().unwrap_or(0),
                        " ".repeat(24),
                        ""
                    )
                    .chars()
                    .count();
                    let room = terminal_columns().map(|columns| columns.saturating_sub(before + 1));
                    let _ = out.write_str(&fit(&counts.line(), room));
                }
            },
        )
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(
        Some(u64::try_from(cells).unwrap_or(u64::MAX)),
        ProgressDrawTarget::stderr(),
    )
    .with_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `line` cut to `room` characters (an ellipsis marks the cut), so the live line never wraps.
fn fit(line: &str, room: Option<usize>) -> String {
    match room {
        Some(room) if line.chars().count() > room => {
            let kept: String = line.chars().take(room.saturating_sub(1)).collect();
            format!("{kept}…")
        }
        _ => line.to_string(),
    }
}

/// The width of the terminal stderr writes to, when it is one.
fn terminal_columns() -> Option<usize> {
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ fills the winsize it is given and reads nothing else.
    let asked = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) };
    (asked == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// Colour on stderr (the live display's own stream), as everywhere: NO_COLOR and CLICOLOR_FORCE.
pub fn colour() -> bool {
    crate::report::colour::enabled(crate::report::colour::Stream::Stderr)
}

fn dumb_terminal() -> bool {
    std::env::var("TERM").is_ok_and(|term| term == "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_line_is_cut_to_the_room_it_has() {
        assert_eq!(
            fit("running fresh/sqlite/python-3.12 3s", Some(12)),
            "running fre…"
        );
        assert_eq!(fit("3 passed, 0 failed", Some(40)), "3 passed, 0 failed");
        assert_eq!(fit("3 passed, 0 failed", None), "3 passed, 0 failed");
        assert_eq!(fit("abc", Some(0)), "…");
    }

    #[test]
    fn the_live_line_names_what_is_prepared_then_the_running_cells() {
        let mut counts = Counts::default();
        assert_eq!(counts.line(), "0 passed, 0 failed");
        assert!(counts.show(
            "runtime python:3.12",
            "preparing runtime python:3.12".into()
        ));
        assert!(counts.show("engine postgres:17", "starting engine postgres:17".into()));
        assert_eq!(
            counts.line(),
            "preparing runtime python:3.12, starting engine postgres:17 · 0 passed, 0 failed"
        );
        let phase = format!(
            "preparing runtime python:3.12: {}",
            Phase::Installing { packages: 5 }
        );
        assert!(counts.show("runtime python:3.12", phase.clone()));
        assert!(!counts.show("runtime python:3.12", phase), "said already");
        assert_eq!(
            counts.line(),
            "preparing runtime python:3.12: installing 5 packages, starting engine postgres:17 · 0 passed, 0 failed"
        );
        counts.done("runtime python:3.12");
        assert_eq!(
            counts.line(),
            "starting engine postgres:17 · 0 passed, 0 failed"
        );
        let now = Instant::now();
        counts.running = (1..=5).map(|n| (format!("cell-{n}"), now)).collect();
        counts.passed = 2;
        assert_eq!(
            counts.line(),
            "running cell-1 0s, cell-2 0s, cell-3 0s and 2 more · 2 passed, 0 failed"
        );
    }
}
