//! Whether a stream gets colour, and the ANSI styles the CLI paints verdicts, diffs and prompts
//! with. The one place that reads `NO_COLOR` and `CLICOLOR_FORCE`; it prints nothing itself.

use std::ffi::OsStr;
use std::io::IsTerminal;

const RESET: &str = "\x1b[0m";

/// A stream the CLI writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// Whether `stream` gets colour: never when `NO_COLOR` is set and not empty, always when
/// `CLICOLOR_FORCE` is set and not `0`, else only when the stream is a terminal.
pub fn enabled(stream: Stream) -> bool {
    decide(
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("CLICOLOR_FORCE").as_deref(),
        || stream.is_terminal(),
    )
}

fn decide(
    no_color: Option<&OsStr>,
    force: Option<&OsStr>,
    terminal: impl FnOnce() -> bool,
) -> bool {
    if no_color.is_some_and(|value| !value.is_empty()) {
        return false;
    }
    if force.is_some_and(|value| value != "0") {
        return true;
    }
    terminal()
}

/// What a piece of text means, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `passed`, `accepted`, an added diff line: green.
    Good,
    /// `failed`, `rejected`, a removed diff line: red.
    Bad,
    /// `error` (the environment, not the migration): bold magenta.
    Error,
    /// `snapshot changed`, `new`, `skipped`: yellow.
    Attention,
    /// A diff's `@@ table @@` hunk header: cyan.
    Hunk,
    /// A file name or a diff's `---`/`+++` lines: bold.
    Strong,
    /// Context that matters less (`...` between hunks): dim.
    Faint,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Good => "\x1b[32m",
            Style::Bad => "\x1b[31m",
            Style::Error => "\x1b[1;35m",
            Style::Attention => "\x1b[33m",
            Style::Hunk => "\x1b[36m",
            Style::Strong => "\x1b[1m",
            Style::Faint => "\x1b[2m",
        }
    }
}

/// Paints text for one stream, or leaves it plain when that stream gets no colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    enabled: bool,
}

impl Palette {
    /// For text printed on standard output.
    pub fn for_stdout() -> Self {
        Self::new(enabled(Stream::Stdout))
    }

    /// For text printed on standard error.
    pub fn for_stderr() -> Self {
        Self::new(enabled(Stream::Stderr))
    }

    /// A palette that paints (`true`) or leaves every text plain (`false`).
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// Whether this palette paints.
    pub fn enabled(self) -> bool {
        self.enabled
    }

    /// `text` in `style`.
    pub fn paint(self, style: Style, text: &str) -> String {
        if self.enabled && !text.is_empty() {
            format!("{}{text}{RESET}", style.code())
        } else {
            text.to_string()
        }
    }

    /// A verdict or outcome word, coloured by what it says: `passed`/`accepted` green,
    /// `failed`/`rejected` red, `error` bold magenta, `snapshot changed`/`changed`/`new`/`pending`/
    /// `skipped` yellow; any other word stays plain. Spaces around the word (padding for aligned
    /// columns) stay outside the colour, so pad before painting.
    pub fn verdict(self, word: &str) -> String {
        let trimmed = word.trim();
        let style = match trimmed {
            "passed" | "accepted" => Style::Good,
            "failed" | "rejected" => Style::Bad,
            "error" => Style::Error,
            "snapshot changed" | "changed" | "new" | "pending" | "skipped" => Style::Attention,
            _ => return word.to_string(),
        };
        let start = word.len() - word.trim_start().len();
        let end = start + trimmed.len();
        format!(
            "{}{}{}",
            &word[..start],
            self.paint(style, trimmed),
            &word[end..]
        )
    }

    /// One line of a unified diff (without its newline): `---`/`+++` bold, `@@` cyan, `+` green,
    /// `-` red, `...` dim, context plain.
    pub fn diff_line(self, line: &str) -> String {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::Strong
        } else if line.starts_with("@@") {
            Style::Hunk
        } else if line.starts_with('+') {
            Style::Good
        } else if line.starts_with('-') {
            Style::Bad
        } else if line.trim() == "..." {
            Style::Faint
        } else {
            return line.to_string();
        };
        self.paint(style, line)
    }

    /// A whole unified diff, line by line with [`Palette::diff_line`]; newlines are kept.
    pub fn diff(self, text: &str) -> String {
        if !self.enabled {
            return text.to_string();
        }
        text.split_inclusive('\n')
            .map(|line| match line.strip_suffix('\n') {
                Some(bare) => self.diff_line(bare) + "\n",
                None => self.diff_line(line),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(text: &str) -> Option<&OsStr> {
        Some(OsStr::new(text))
    }

    #[test]
    fn no_color_wins_then_clicolor_force_then_the_terminal() {
        assert!(!decide(os("1"), os("1"), || true));
        assert!(decide(os(""), None, || true), "an empty NO_COLOR is unset");
        assert!(decide(None, os("1"), || false));
        assert!(!decide(None, os("0"), || false));
        assert!(decide(None, os("0"), || true));
        assert!(decide(None, None, || true));
        assert!(!decide(None, None, || false));
    }

    #[test]
    fn a_plain_palette_changes_nothing() {
        let plain = Palette::new(false);
        assert_eq!(plain.verdict("passed  "), "passed  ");
        assert_eq!(plain.diff("--- a\n+x\n"), "--- a\n+x\n");
        assert_eq!(plain.paint(Style::Strong, "name"), "name");
    }

    #[test]
    fn verdicts_keep_their_padding_outside_the_colour() {
        let colour = Palette::new(true);
        assert_eq!(colour.verdict("passed  "), "\x1b[32mpassed\x1b[0m  ");
        assert_eq!(
            colour.verdict("snapshot changed"),
            "\x1b[33msnapshot changed\x1b[0m"
        );
        assert_eq!(colour.verdict("error"), "\x1b[1;35merror\x1b[0m");
        assert_eq!(colour.verdict("failed"), "\x1b[31mfailed\x1b[0m");
        assert_eq!(colour.verdict("unknown"), "unknown");
    }

    #[test]
    fn diff_lines_are_coloured_by_their_sign() {
        let colour = Palette::new(true);
        let text = "--- a.snap\n+++ a.snap.new\n@@ table t @@\n   column id\n+  column x\n-  column y\n ...\n";
        assert_eq!(
            colour.diff(text),
            "\x1b[1m--- a.snap\x1b[0m\n\x1b[1m+++ a.snap.new\x1b[0m\n\x1b[36m@@ table t @@\x1b[0m\n   column id\n\x1b[32m+  column x\x1b[0m\n\x1b[31m-  column y\x1b[0m\n\x1b[2m ...\x1b[0m\n"
        );
    }
}
