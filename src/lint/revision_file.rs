//! One revision file: its Python source parsed with Ruff's Python parser (error-recovering, so a
//! syntax error still leaves the rest of the module readable), and the module-level `revision`,
//! `down_revision`, `branch_labels` and `depends_on` assignments read from it, each with its line.
//! Executes nothing and never fails: every problem stays on the file for the checks to report.

use std::path::{Path, PathBuf};

use ruff_python_ast::{Expr, PySourceType, Stmt};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextSize};

/// Nested tuples deeper than this are not followed (no revision file needs more than one level).
const MAX_DEPTH: usize = 16;

/// A 1-based line and column (in characters), as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    /// The position of byte `offset` of `source`.
    pub fn of(source: &str, offset: TextSize) -> Self {
        LineCursor::default().position(source, offset)
    }
}

/// Positions in one source, computed from the last one asked for when offsets come in order (as a
/// module's statements do), so a file is scanned once however many positions are taken from it.
#[derive(Debug, Default)]
struct LineCursor {
    /// A char boundary at or before the last offset asked for.
    offset: usize,
    /// Its 1-based line, and the byte where that line starts.
    line: usize,
    line_start: usize,
}

impl LineCursor {
    fn position(&mut self, source: &str, offset: TextSize) -> Position {
        let mut offset = offset.to_usize().min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset || self.line == 0 {
            *self = LineCursor {
                offset: 0,
                line: 1,
                line_start: 0,
            };
        }
        let skipped = &source.as_bytes()[self.offset..offset];
        if let Some(last) = skipped.iter().rposition(|&b| b == b'\n') {
            self.line += skipped.iter().filter(|&&b| b == b'\n').count();
            self.line_start = self.offset + last + 1;
        }
        self.offset = offset;
        Position {
            line: self.line,
            column: source[self.line_start..offset].chars().count() + 1,
        }
    }
}

/// A value assigned at module level, and where the assignment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned<T> {
    pub value: T,
    pub at: Position,
}

/// Something that keeps part of a file from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// The file could not be read as UTF-8 text.
    Unreadable { detail: String },
    /// The parser found a syntax error (Python would refuse to import the file).
    Syntax { at: Position, detail: String },
    /// One of the revision variables is set to something that is not a literal of the right type.
    NotLiteral {
        name: &'static str,
        at: Position,
        why: String,
    },
}

/// What lint knows about one file of a versions folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionFile {
    pub path: PathBuf,
    /// The first line of the module docstring (Alembic's revision message).
    pub message: Option<String>,
    pub revision: Option<Assigned<String>>,
    /// Empty for `None`; one entry for a string; several for a tuple or list.
    pub down_revision: Option<Assigned<Vec<String>>>,
    pub branch_labels: Option<Assigned<Vec<String>>>,
    pub depends_on: Option<Assigned<Vec<String>>>,
    pub problems: Vec<FileProblem>,
}

/// A Python value as far as revision variables need one.
enum Value {
    Str(String),
    None,
    Seq(Vec<Value>),
    Other(String),
}

impl RevisionFile {
    fn empty(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            message: None,
            revision: None,
            down_revision: None,
            branch_labels: None,
            depends_on: None,
            problems: Vec::new(),
        }
    }

    /// Reads and parses the file at `path`; a file that cannot be read is kept with the problem.
    pub fn read(path: &Path) -> Self {
        let mut buffer = ReadBuffer::default();
        let read = buffer.read(path);
        Self::from_read(path, read.map(|range| buffer.get(range)))
    }

    /// Parses what reading `path` gave: its bytes, or why they could not be read.
    pub fn from_read(path: &Path, read: std::io::Result<&[u8]>) -> Self {
        let problem = match read {
            Ok(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => return Self::parse(path, text),
                Err(err) => format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    err.valid_up_to()
                ),
            },
            Err(err) => err.to_string(),
        };
        let mut file = Self::empty(path);
        file.problems
            .push(FileProblem::Unreadable { detail: problem });
        file
    }

    /// Parses `source` as the content of `path`.
    pub fn parse(path: &Path, source: &str) -> Self {
        match crate::stack::for_source(source.len(), || Self::parse_here(path, source)) {
            Ok(file) => file,
            Err(err) => {
                let mut file = Self::empty(path);
                file.problems.push(FileProblem::Unreadable {
                    detail: format!("no thread to parse its {} bytes on: {err}", source.len()),
                });
                file
            }
        }
    }

    /// [`RevisionFile::parse`] on the calling thread's stack.
    fn parse_here(path: &Path, source: &str) -> Self {
        let mut file = Self::empty(path);
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let parsed = parse_unchecked_source(source, PySourceType::Python);
        if let Some(error) = parsed.errors().first() {
            file.problems.push(FileProblem::Syntax {
                at: Position::of(source, error.location.start()),
                detail: error.error.to_string(),
            });
        }
        let mut reader = Reader {
            source,
            file: &mut file,
            lines: LineCursor::default(),
        };
        for (index, statement) in parsed.syntax().body.iter().enumerate() {
            match statement {
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        reader.bind(target, Some(&assign.value));
                    }
                }
                Stmt::AnnAssign(assign) => {
                    // An annotation without a value (`revision: str`) binds nothing.
                    if let Some(value) = &assign.value {
                        reader.bind(&assign.target, Some(value));
                    }
                }
                Stmt::Expr(expression) if index == 0 => reader.docstring(&expression.value),
                _ => {}
            }
        }
        file
    }

    /// The file name, for messages.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// The file name without `.py`.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The revision's slug: the stem less the revision id and the separators around it
    /// (`0003_add_rating.py` with revision `0003` has the slug `add_rating`).
    pub fn slug(&self) -> Option<String> {
        let stem = self.stem();
        let revision = &self.revision.as_ref()?.value;
        let at = stem.find(revision.as_str())?;
        let rest = format!("{}{}", &stem[..at], &stem[at + revision.len()..]);
        let slug = rest.trim_matches(|c: char| c == '_' || c == '-' || c == '.');
        (!slug.is_empty()).then(|| slug.to_string())
    }
}

/// Files read one after the other into one buffer, which keeps its memory from use to use. It is
/// zero-filled only when it grows, and reading a file asks for no size first (`read_to_end` asks
/// the file system for the size and the position: two more system calls per file).
#[derive(Debug, Default)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    filled: usize,
}

impl ReadBuffer {
    /// Forgets what was read; keeps the memory.
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Appends the file at `path`; returns where its bytes are.
    pub fn read(&mut self, path: &Path) -> std::io::Result<std::ops::Range<usize>> {
        use std::io::Read;
        const GROWTH: usize = 16 * 1024;
        let mut file = std::fs::File::open(path)?;
        let start = self.filled;
        loop {
            if self.bytes.len() - self.filled < GROWTH / 2 {
                self.bytes
                    .resize(self.bytes.len() + GROWTH.max(self.bytes.len()), 0);
            }
            match file.read(&mut self.bytes[self.filled..]) {
                Ok(0) => return Ok(start..self.filled),
                Ok(read) => self.filled += read,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.filled = start;
                    return Err(err);
                }
            }
        }
    }

    /// The bytes of a file [`read`](Self::read) gave this range for.
    pub fn get(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.bytes[range]
    }
}

struct Reader<'a> {
    source: &'a str,
    file: &'a mut RevisionFile,
    lines: LineCursor,
}

impl Reader<'_> {
    fn docstring(&mut self, expression: &Expr) {
        if let Value::Str(text) = self.value(expression, 0) {
            self.file.message = text
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .map(str::to_string);
        }
    }

    /// Binds `value` to `target`; `None` for a value that cannot be matched to the target.
    fn bind(&mut self, target: &Expr, value: Option<&Expr>) {
        match target {
            Expr::Name(name) => self.record(name.id.as_str(), target, value),
            Expr::Tuple(ruff_python_ast::ExprTuple { elts: targets, .. })
            | Expr::List(ruff_python_ast::ExprList { elts: targets, .. }) => {
                let values = match value {
                    Some(Expr::Tuple(tuple)) => Some(&tuple.elts),
                    Some(Expr::List(list)) => Some(&list.elts),
                    _ => None,
                };
                match values {
                    Some(values) if values.len() == targets.len() => {
                        for (target, value) in targets.iter().zip(values) {
                            self.bind(target, Some(value));
                        }
                    }
                    _ => {
                        for target in targets {
                            self.bind(target, None);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Stores one assignment to a revision variable.
    fn record(&mut self, name: &str, target: &Expr, value: Option<&Expr>) {
        let name: &'static str = match name {
            "revision" => "revision",
            "down_revision" => "down_revision",
            "branch_labels" => "branch_labels",
            "depends_on" => "depends_on",
            _ => return,
        };
        let at = self.lines.position(self.source, target.start());
        let value = match value {
            Some(expression) => self.value(expression, 0),
            None => Value::Other("an unpacked value".into()),
        };
        let problem = |why: String| FileProblem::NotLiteral { name, at, why };
        if name == "revision" {
            self.file.revision = match value {
                Value::Str(id) => Some(Assigned { value: id, at }),
                other => {
                    self.file
                        .problems
                        .push(problem(format!("{}, not a string", describe(&other))));
                    None
                }
            };
            return;
        }
        let list = match strings(&value) {
            Some(list) => Some(Assigned { value: list, at }),
            None => {
                self.file.problems.push(problem(format!(
                    "{}, not None, a string, or a tuple or list of strings",
                    describe(&value)
                )));
                None
            }
        };
        match name {
            "down_revision" => self.file.down_revision = list,
            "branch_labels" => self.file.branch_labels = list,
            _ => self.file.depends_on = list,
        }
    }

    fn value(&self, expression: &Expr, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Other("a deeply nested value".into());
        }
        let items = |elts: &[Expr]| {
            Value::Seq(
                elts.iter()
                    .map(|item| self.value(item, depth + 1))
                    .collect(),
            )
        };
        match expression {
            Expr::StringLiteral(literal) => Value::Str(literal.value.to_str().to_string()),
            Expr::NoneLiteral(_) => Value::None,
            Expr::Tuple(tuple) => items(&tuple.elts),
            Expr::List(list) => items(&list.elts),
            Expr::Set(set) => items(&set.elts),
            Expr::BytesLiteral(_) => Value::Other("a bytes literal".into()),
            Expr::FString(_) => Value::Other("an f-string".into()),
            other => {
                let text = self
                    .source
                    .get(other.range().start().to_usize()..other.range().end().to_usize())
                    .unwrap_or_default();
                Value::Other(format!("`{}`", clip(text)))
            }
        }
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::None => Some(Vec::new()),
        Value::Str(text) => Some(vec![text.clone()]),
        Value::Seq(items) => items
            .iter()
            .map(|item| match item {
                Value::Str(text) => Some(text.clone()),
                _ => None,
            })
            .collect(),
        Value::Other(_) => None,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Str(_) => "a string".into(),
        Value::None => "None".into(),
        Value::Seq(_) => "a sequence with a non-string item".into(),
        Value::Other(what) => what.clone(),
    }
}

fn clip(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let clipped: String = line.chars().take(40).collect();
    if clipped.len() < text.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> RevisionFile {
        RevisionFile::parse(Path::new("versions/0002_add_rating.py"), source)
    }

    #[test]
    fn reads_plain_and_annotated_assignments() {
        let file = parse(
            "\"\"\"add a rating\n\nRevision ID: 0002\n\"\"\"\nfrom typing import Sequence, Union\n\n\
             revision: str = \"0002\"\ndown_revision: Union[str, None] = '0001'  # the parent\n\
             branch_labels = None\ndepends_on: Union[str, Sequence[str], None] = ('x1', \"x2\",)\n",
        );
        assert_eq!(file.problems, vec![]);
        assert_eq!(file.message.as_deref(), Some("add a rating"));
        let revision = file.revision.clone().unwrap();
        assert_eq!(revision.value, "0002");
        assert_eq!(revision.at, Position { line: 7, column: 1 });
        assert_eq!(file.down_revision.unwrap().value, vec!["0001"]);
        assert_eq!(file.branch_labels.unwrap().value, Vec::<String>::new());
        let depends = file.depends_on.unwrap();
        assert_eq!(depends.value, vec!["x1", "x2"]);
        assert_eq!(depends.at.line, 10);
        assert_eq!(
            RevisionFile::parse(Path::new("v/0002_add_rating.py"), "revision = '0002'\n").slug(),
            Some("add_rating".into())
        );
    }

    #[test]
    fn the_last_assignment_wins_and_chains_bind_every_target() {
        let file = parse("revision = 'a'\nrevision = 'b'\ndown_revision = branch_labels = None\n");
        assert_eq!(file.revision.unwrap().value, "b");
        assert_eq!(file.down_revision.unwrap().value, Vec::<String>::new());
        assert_eq!(file.branch_labels.unwrap().value, Vec::<String>::new());
    }

    #[test]
    fn tuple_targets_and_lists_are_followed() {
        let file = parse("revision, down_revision = 'c', ['a', 'b']\n");
        assert_eq!(file.revision.unwrap().value, "c");
        assert_eq!(file.down_revision.unwrap().value, vec!["a", "b"]);
    }

    #[test]
    fn assignments_inside_blocks_are_not_module_level() {
        let file = parse("def f():\n    revision = 'x'\nif True:\n    down_revision = 'y'\n");
        assert_eq!(file.revision, None);
        assert_eq!(file.down_revision, None);
    }

    #[test]
    fn non_literal_values_are_problems() {
        let file = parse("revision = make_id()\ndown_revision = f'{base}'\n");
        assert!(
            file.problems
                .iter()
                .all(|p| matches!(p, FileProblem::NotLiteral { .. }))
        );
        assert_eq!(file.revision, None);
        assert_eq!(file.down_revision, None);
        assert_eq!(file.problems.len(), 2, "{:?}", file.problems);
        assert!(matches!(
            &file.problems[0],
            FileProblem::NotLiteral { name: "revision", at, .. } if at.line == 1
        ));
    }

    #[test]
    fn a_syntax_error_is_located_and_what_parses_is_kept() {
        let file = parse("revision = 'a'\ndown_revision = None\n\ndef upgrade(:\n    pass\n");
        assert_eq!(file.revision.unwrap().value, "a");
        match &file.problems[..] {
            [FileProblem::Syntax { at, .. }] => assert_eq!(at.line, 4),
            other => panic!("expected one syntax error, got {other:?}"),
        }
    }

    #[test]
    fn positions_taken_out_of_order_are_still_right() {
        let source = "a = 1\nbé = 2\n\nc = 3\n";
        let mut cursor = LineCursor::default();
        let at = |cursor: &mut LineCursor, offset: usize| {
            cursor.position(source, TextSize::try_from(offset).unwrap())
        };
        assert_eq!(at(&mut cursor, 15), Position { line: 4, column: 1 });
        assert_eq!(at(&mut cursor, 10), Position { line: 2, column: 4 });
        // Inside the two bytes of `é`: the start of the character.
        assert_eq!(at(&mut cursor, 8), Position { line: 2, column: 2 });
        assert_eq!(at(&mut cursor, 19), Position { line: 4, column: 5 });
        assert_eq!(at(&mut cursor, 0), Position::START);
        for offset in 0..=source.len() {
            let mut fresh = LineCursor::default();
            assert_eq!(
                at(&mut cursor, offset),
                at(&mut fresh, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn one_buffer_holds_several_files_large_and_small() {
        let dir = tempfile::tempdir().unwrap();
        let large = "# padding\n".repeat(5_000) + "revision = 'big'\n";
        std::fs::write(dir.path().join("a.py"), "revision = 'a'\n").unwrap();
        std::fs::write(dir.path().join("b.py"), &large).unwrap();
        std::fs::write(dir.path().join("c.py"), "").unwrap();
        let mut buffer = ReadBuffer::default();
        let a = buffer.read(&dir.path().join("a.py")).unwrap();
        let b = buffer.read(&dir.path().join("b.py")).unwrap();
        let missing = buffer.read(&dir.path().join("missing.py"));
        let c = buffer.read(&dir.path().join("c.py")).unwrap();
        assert!(missing.is_err());
        assert_eq!(buffer.get(a), b"revision = 'a'\n");
        assert_eq!(buffer.get(b), large.as_bytes());
        assert_eq!(buffer.get(c), b"");
        buffer.clear();
        let again = buffer.read(&dir.path().join("a.py")).unwrap();
        assert_eq!(again, 0..15);
        let file = RevisionFile::read(&dir.path().join("b.py"));
        assert_eq!(file.revision.unwrap().at.line, 5_001);
        let missing = RevisionFile::read(&dir.path().join("missing.py"));
        assert!(matches!(
            &missing.problems[..],
            [FileProblem::Unreadable { .. }]
        ));
    }

    /// Found by tests/hostile_input.rs: the syntax tree of a long chain was dropped recursively,
    /// one frame per link, and overflowed the stack (an abort, not even a panic).
    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        for link in ["+1", ".b", "()", "[0]"] {
            let source = format!("revision = 'a'\nx = a{}\n", link.repeat(100_000));
            let file = parse(&source);
            assert_eq!(file.revision.unwrap().value, "a");
            assert_eq!(file.problems, vec![]);
        }
    }

    #[test]
    fn columns_count_characters() {
        let file = parse("x = 'é'; revision = 'a'\n");
        assert_eq!(
            file.revision.unwrap().at,
            Position {
                line: 1,
                column: 10
            }
        );
    }
}
