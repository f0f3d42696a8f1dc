//! What the Python readers say about a source file's text: an environment variable read, and
//! where in the file something is.

use ruff_text_size::TextSize;

/// One read of an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableRead {
    pub name: String,
    pub line: usize,
    /// The read falls back to a value when the variable is unset.
    pub has_default: bool,
    /// The statement (or line) holding the read.
    pub context: String,
}

/// The 1-based line of byte `offset`.
pub fn line_of(source: &str, offset: TextSize) -> usize {
    let end = offset.to_usize().min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The text of line `line` (1-based).
pub fn line_text(source: &str, line: usize) -> &str {
    source.lines().nth(line.saturating_sub(1)).unwrap_or("")
}
