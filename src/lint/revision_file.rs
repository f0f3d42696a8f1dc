//! One revision file: its Python source parsed with the tree-sitter Python grammar, and the
//! module-level `revision`, `down_revision`, `branch_labels` and `depends_on` assignments read from
//! it, each with its line. Executes nothing and never fails: every problem stays on the file for the
//! checks to report.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use tree_sitter::{Node, Parser};

use super::literal::decode_string;

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

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
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
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Self::parse(path, &text),
                Err(err) => {
                    let mut file = Self::empty(path);
                    file.problems.push(FileProblem::Unreadable {
                        detail: format!(
                            "not UTF-8 text (invalid byte at offset {})",
                            err.utf8_error().valid_up_to()
                        ),
                    });
                    file
                }
            },
            Err(err) => {
                let mut file = Self::empty(path);
                file.problems.push(FileProblem::Unreadable {
                    detail: err.to_string(),
                });
                file
            }
        }
    }

    /// Parses `source` as the content of `path`.
    pub fn parse(path: &Path, source: &str) -> Self {
        let mut file = Self::empty(path);
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let tree = PARSER.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let mut parser = Parser::new();
                parser
                    .set_language(&tree_sitter_python::LANGUAGE.into())
                    .ok()?;
                *slot = Some(parser);
            }
            slot.as_mut()?.parse(source, None)
        });
        let Some(tree) = tree else {
            file.problems.push(FileProblem::Unreadable {
                detail: "the Python parser gave up on this file".into(),
            });
            return file;
        };
        let root = tree.root_node();
        if root.has_error()
            && let Some((at, detail)) = first_error(root, source)
        {
            file.problems.push(FileProblem::Syntax { at, detail });
        }
        let mut reader = Reader {
            source,
            file: &mut file,
        };
        let mut cursor = root.walk();
        for (index, statement) in root
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .enumerate()
        {
            if statement.kind() != "expression_statement" {
                continue;
            }
            let Some(inner) = statement.named_child(0) else {
                continue;
            };
            match inner.kind() {
                "assignment" => reader.assignment(inner),
                "string" | "concatenated_string" if index == 0 => reader.docstring(inner),
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

struct Reader<'a> {
    source: &'a str,
    file: &'a mut RevisionFile,
}

impl Reader<'_> {
    fn docstring(&mut self, node: Node<'_>) {
        if let Value::Str(text) = self.value(node, 0) {
            self.file.message = text
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .map(str::to_string);
        }
    }

    fn assignment(&mut self, node: Node<'_>) {
        let mut targets = Vec::new();
        let mut current = node;
        loop {
            if let Some(left) = current.child_by_field_name("left") {
                targets.push(left);
            }
            match current.child_by_field_name("right") {
                Some(right) if right.kind() == "assignment" => current = right,
                Some(right) => {
                    for target in targets {
                        self.bind(target, right);
                    }
                    return;
                }
                // An annotation without a value (`revision: str`) binds nothing.
                None => return,
            }
        }
    }

    fn bind(&mut self, target: Node<'_>, value: Node<'_>) {
        match target.kind() {
            "identifier" => {
                let name = self.text(target);
                self.record(&name, target, Some(value));
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let targets = named(target);
                let value = unparen(value);
                let values = match value.kind() {
                    "expression_list" | "tuple" | "list" => named(value),
                    _ => Vec::new(),
                };
                if values.len() == targets.len() {
                    for (target, value) in targets.into_iter().zip(values) {
                        self.bind(target, value);
                    }
                } else {
                    for target in targets.into_iter().filter(|t| t.kind() == "identifier") {
                        let name = self.text(target);
                        self.record(&name, target, None);
                    }
                }
            }
            _ => {}
        }
    }

    /// Stores one assignment to a revision variable; `None` for a value lint cannot see.
    fn record(&mut self, name: &str, target: Node<'_>, value: Option<Node<'_>>) {
        let at = position(self.source, target);
        let name: &'static str = match name {
            "revision" => "revision",
            "down_revision" => "down_revision",
            "branch_labels" => "branch_labels",
            "depends_on" => "depends_on",
            _ => return,
        };
        let value = match value {
            Some(node) => self.value(node, 0),
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

    fn value(&self, node: Node<'_>, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Other("a deeply nested value".into());
        }
        let node = unparen(node);
        match node.kind() {
            "string" => self.string(node),
            "concatenated_string" => {
                let mut text = String::new();
                for part in named(node) {
                    match self.string(part) {
                        Value::Str(piece) => text.push_str(&piece),
                        other => return other,
                    }
                }
                Value::Str(text)
            }
            "none" => Value::None,
            "tuple" | "list" | "expression_list" | "set" => Value::Seq(
                named(node)
                    .into_iter()
                    .map(|item| self.value(item, depth + 1))
                    .collect(),
            ),
            kind => Value::Other(format!("`{}` (a {})", clip(&self.text(node)), kind)),
        }
    }

    fn string(&self, node: Node<'_>) -> Value {
        if node.kind() != "string" || node.has_error() {
            return Value::Other("an incomplete string".into());
        }
        let mut cursor = node.walk();
        if node
            .named_children(&mut cursor)
            .any(|part| part.kind() == "interpolation")
        {
            return Value::Other("an f-string with fields".into());
        }
        match decode_string(&self.text(node)) {
            Ok(text) => Value::Str(text),
            Err(why) => Value::Other(why.to_string()),
        }
    }

    fn text(&self, node: Node<'_>) -> String {
        self.source
            .get(node.start_byte()..node.end_byte())
            .unwrap_or_default()
            .to_string()
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

fn unparen(mut node: Node<'_>) -> Node<'_> {
    let mut depth = 0;
    while node.kind() == "parenthesized_expression" && depth < MAX_DEPTH {
        match named(node).into_iter().next() {
            Some(inner) => node = inner,
            None => break,
        }
        depth += 1;
    }
    node
}

/// The named children of a node, comments left out.
fn named(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

fn position(source: &str, node: Node<'_>) -> Position {
    let point = node.start_position();
    let start = node.start_byte();
    let line_start = start.saturating_sub(point.column);
    let column = source
        .get(line_start..start)
        .map_or(point.column, |prefix| prefix.chars().count());
    Position {
        line: point.row + 1,
        column: column + 1,
    }
}

/// The first syntax error in document order: an ERROR node or a token the parser had to invent.
fn first_error(root: Node<'_>, source: &str) -> Option<(Position, String)> {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_missing() {
            return Some((
                position(source, node),
                format!("`{}` expected", node.kind()),
            ));
        }
        if node.is_error() {
            let text = source
                .get(node.start_byte()..node.end_byte())
                .unwrap_or_default();
            let near = clip(text.trim());
            let detail = if near.is_empty() {
                "invalid syntax".to_string()
            } else {
                format!("invalid syntax near `{near}`")
            };
            return Some((position(source, node), detail));
        }
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return None;
            }
        }
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
