//! `harness review`: on a terminal, walks the pending `.snap.new` files one by one (the diff, then
//! accept, reject, skip or quit); otherwise prints every diff and changes nothing.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use super::accept::{self, Pending};
use super::{ExitStatus, Failure, GlobalArgs, context};
use crate::report::colour::{Palette, Style};
use crate::snapshot::{self, file};

/// What the reviewer said about one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Reject,
    Skip,
    Quit,
}

impl Answer {
    fn parse(line: &str) -> Option<Self> {
        match line.trim().to_ascii_lowercase().as_str() {
            "a" | "accept" => Some(Answer::Accept),
            "r" | "reject" => Some(Answer::Reject),
            "s" | "skip" => Some(Answer::Skip),
            "q" | "quit" => Some(Answer::Quit),
            _ => None,
        }
    }
}

/// How many snapshots each answer got.
#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    rejected: usize,
    skipped: usize,
}

pub(super) fn execute(global: &GlobalArgs) -> Result<ExitStatus, Failure> {
    let pending = accept::pending(&context::load(global)?);
    if pending.is_empty() {
        println!("no pending snapshots");
        return Ok(ExitStatus::Success);
    }
    let palette = Palette::for_stdout();
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        walk(&pending, palette)
    } else {
        list(&pending, palette)
    }
}

/// Not on a terminal: every diff, then how to act on them.
fn list(pending: &[Pending], palette: Palette) -> Result<ExitStatus, Failure> {
    for one in pending {
        print!("{}", palette.diff(&diff_of(one)?));
        println!();
    }
    println!(
        "{} pending; `harness accept [FILTER...]` takes them, `harness reject [FILTER...]` deletes \
         them,\n`harness review` on a terminal walks them one by one",
        pending.len()
    );
    Ok(ExitStatus::Success)
}

/// On a terminal: each snapshot's diff and a question, until all are answered or the reviewer
/// quits (what is left stays pending).
fn walk(pending: &[Pending], palette: Palette) -> Result<ExitStatus, Failure> {
    let mut tally = Tally::default();
    // One key answers: the terminal hands each key over as it is pressed, without echo.
    let _keys = SingleKeys::on();
    let mut input = std::io::stdin().lock();
    for (index, one) in pending.iter().enumerate() {
        let state = if snapshot::accepted_path(&one.file).exists() {
            "changed"
        } else {
            "new"
        };
        println!(
            "{} ({}/{}, {})",
            palette.paint(Style::Strong, one.target_shown()),
            index + 1,
            pending.len(),
            palette.verdict(state)
        );
        print!("{}", palette.diff(&diff_of(one)?));
        let answer = ask(&mut input, palette)?;
        match answer {
            Answer::Accept => {
                one.accept()?;
                println!("{} {}", palette.verdict("accepted"), one.target_shown());
                tally.accepted += 1;
            }
            Answer::Reject => {
                one.reject()?;
                println!("{} {} (deleted)", palette.verdict("rejected"), one.shown);
                tally.rejected += 1;
            }
            Answer::Skip => {
                println!(
                    "{} {} (still pending)",
                    palette.verdict("skipped"),
                    one.shown
                );
                tally.skipped += 1;
            }
            Answer::Quit => {
                tally.skipped += pending.len() - index;
                break;
            }
        }
        println!();
    }
    println!(
        "{} accepted, {} rejected, {} skipped",
        tally.accepted, tally.rejected, tally.skipped
    );
    Ok(ExitStatus::Success)
}

/// The terminal's line mode and echo switched off while it lives, so one key answers; restored
/// when it is dropped (also when the review ends early on an error).
struct SingleKeys {
    saved: Option<libc::termios>,
}

impl SingleKeys {
    fn on() -> Self {
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: tcgetattr fills the termios it is given; a failure leaves the terminal as it is.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
            return Self { saved: None };
        }
        let mut keys = saved;
        keys.c_lflag &= !(libc::ICANON | libc::ECHO);
        keys.c_cc[libc::VMIN] = 1;
        keys.c_cc[libc::VTIME] = 0;
        // SAFETY: the termios was read from this terminal and only its line-mode flags changed.
        let set = unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &keys) };
        Self {
            saved: (set == 0).then_some(saved),
        }
    }
}

impl Drop for SingleKeys {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            // SAFETY: restores the settings read in `on`.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved) };
        }
    }
}

/// Asks until a key is one of the four (Enter and spaces are ignored); the end of input is `quit`.
/// The key is echoed after the question.
fn ask(input: &mut impl Read, palette: Palette) -> Result<Answer, Failure> {
    loop {
        print!(
            "{} accept · {} reject · {} skip · {} quit > ",
            palette.paint(Style::Strong, "a"),
            palette.paint(Style::Strong, "r"),
            palette.paint(Style::Strong, "s"),
            palette.paint(Style::Strong, "q"),
        );
        std::io::stdout()
            .flush()
            .map_err(|err| Failure::Environment(format!("cannot write the question: {err}")))?;
        let key = loop {
            let mut byte = [0u8; 1];
            let read = input
                .read(&mut byte)
                .map_err(|err| Failure::Environment(format!("cannot read the answer: {err}")))?;
            if read == 0 {
                println!();
                return Ok(Answer::Quit);
            }
            let key = char::from(byte[0]);
            if !key.is_whitespace() {
                break key;
            }
        };
        println!("{key}");
        match Answer::parse(&key.to_string()) {
            Some(answer) => return Ok(answer),
            None => println!("answer a, r, s or q"),
        }
    }
}

/// The diff from the snapshot (empty when there is none yet) to the pending text.
fn diff_of(one: &Pending) -> Result<String, Failure> {
    let old = snapshot::accepted_path(&one.file);
    let before = read(&old)?.unwrap_or_default();
    let after = read(&one.file)?.unwrap_or_default();
    let diff = snapshot::diff(&before, &after, one.target_shown(), &one.shown);
    if diff.is_empty() {
        return Ok(format!("{} holds the text of its snapshot\n", one.shown));
    }
    Ok(diff)
}

fn read(path: &Path) -> Result<Option<String>, Failure> {
    file::read_body(path)
        .map_err(|err| Failure::Environment(format!("cannot read {}: {err}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_letters_or_words() {
        assert_eq!(Answer::parse("a\n"), Some(Answer::Accept));
        assert_eq!(Answer::parse(" Reject "), Some(Answer::Reject));
        assert_eq!(Answer::parse("s"), Some(Answer::Skip));
        assert_eq!(Answer::parse("quit\n"), Some(Answer::Quit));
        assert_eq!(Answer::parse("\n"), None);
        assert_eq!(Answer::parse("x"), None);
    }
}
