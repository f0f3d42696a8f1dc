//! A configuration file held in memory, so that byte offsets (from TOML spans) can be turned into
//! `file:line:col` locations. Knows nothing about what the file means.

use std::fmt;
use std::path::{Path, PathBuf};

/// A file's text and the path it is shown under in messages.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// A point in a file, 1-based, as editors show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        Self {
            path: path.into(),
            text,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The 1-based line and column (in characters) of a byte offset; offsets past the end point
    /// just after the last character.
    pub fn location(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            path: self.path.clone(),
            line,
            column,
        }
    }

    /// The location of the start of the file, for errors that belong to the file as a whole.
    pub fn start(&self) -> Location {
        Location {
            path: self.path.clone(),
            line: 1,
            column: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, 1, 1)]
    #[case(3, 1, 4)]
    #[case(4, 2, 1)]
    #[case(7, 2, 3)]
    #[case(100, 3, 2)]
    fn offsets_become_line_and_column(
        #[case] offset: usize,
        #[case] line: usize,
        #[case] column: usize,
    ) {
        let file = SourceFile::new("a.toml", "abc\ndé\nx".to_string());
        let at = file.location(offset);
        assert_eq!((at.line, at.column), (line, column), "offset {offset}");
    }
}
