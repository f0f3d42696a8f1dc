//! What `harness run` shows while cells run, on stderr: a live progress display (cells running,
//! passed and failed) on a terminal; one plain line per event when stderr is not a terminal or in
//! CI; nothing with `--quiet`. Colour only on a terminal and never when NO_COLOR is set.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{EngineSummary, Progress};
use crate::outcome::{CellResult, RuntimeSummary, Verdict};
use crate::report;

/// How progress is shown.
enum Mode {
    Quiet,
    Lines,
    Bar(ProgressBar),
}

#[derive(Default)]
struct Counts {
    running: usize,
    passed: usize,
    failed: usize,
}

/// The CLI's [`Progress`].
pub struct Display {
    mode: Mode,
    counts: Mutex<Counts>,
}

impl Display {
    /// The display that suits where stderr goes: `cells` is how many cells will run.
    pub fn for_stderr(quiet: bool, ci: bool, cells: usize) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if ci || !std::io::stderr().is_terminal() || dumb_terminal() {
            Mode::Lines
        } else {
            Mode::Bar(bar(cells))
        };
        Self {
            mode,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Removes the live display before the report is printed.
    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }

    fn say(&self, line: String) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                let _guard = self.counts.lock();
                eprintln!("{line}");
            }
            Mode::Bar(bar) => bar.println(line),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Counts)) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        change(&mut counts);
        if let Mode::Bar(bar) = &self.mode {
            bar.set_message(format!(
                "{} running, {} passed, {} failed",
                counts.running, counts.passed, counts.failed
            ));
        }
    }
}

impl Progress for Display {
    fn runtime_ready(&self, summary: &RuntimeSummary) {
        self.say(report::runtime_line(summary));
    }

    fn engine_ready(&self, summary: &EngineSummary) {
        self.say(report::engine_line(summary));
    }

    fn cell_started(&self, _id: &str) {
        self.update(|counts| counts.running += 1);
    }

    fn cell_finished(&self, result: &CellResult) {
        self.update(|counts| {
            counts.running = counts.running.saturating_sub(1);
            if result.verdict == Verdict::Passed {
                counts.passed += 1;
            } else {
                counts.failed += 1;
            }
        });
        let state = if result.verdict == Verdict::Passed {
            "ran"
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

fn bar(cells: usize) -> ProgressBar {
    let template = if colour() {
        "{spinner:.cyan} {pos}/{len} cells {bar:24.green/white} {elapsed} {wide_msg}"
    } else {
        "{spinner} {pos}/{len} cells {bar:24} {elapsed} {wide_msg}"
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(
        Some(u64::try_from(cells).unwrap_or(u64::MAX)),
        ProgressDrawTarget::stderr(),
    )
    .with_style(style);
    bar.set_message("0 running, 0 passed, 0 failed");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// NO_COLOR set to anything but empty turns colour off.
pub fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

fn dumb_terminal() -> bool {
    std::env::var("TERM").is_ok_and(|term| term == "dumb")
}
