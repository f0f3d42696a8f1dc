//! What lint reports: a [`Finding`] at file:line:col with a stable [`Code`], its [`Severity`], a
//! message and a hint. Codes are never renumbered: a retired code is not reused.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::revision_file::Position;

/// How bad a finding is. Only errors make `harness lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kinds of finding, each with a stable code (`H001`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    MultipleHeads,
    ForkRejoined,
    ForkNotRejoined,
    UnknownDownRevision,
    UnknownDependency,
    DuplicateRevision,
    Cycle,
    NoRevision,
    Unparsable,
    RevisionTooLong,
    NotLiteral,
    DuplicateBranchLabel,
}

impl Code {
    /// Every code, in code order.
    pub const ALL: [Code; 12] = [
        Code::MultipleHeads,
        Code::ForkRejoined,
        Code::ForkNotRejoined,
        Code::UnknownDownRevision,
        Code::UnknownDependency,
        Code::DuplicateRevision,
        Code::Cycle,
        Code::NoRevision,
        Code::Unparsable,
        Code::RevisionTooLong,
        Code::NotLiteral,
        Code::DuplicateBranchLabel,
    ];

    /// The stable code, as printed and as the SARIF rule id.
    pub fn code(self) -> &'static str {
        match self {
            Code::MultipleHeads => "H001",
            Code::ForkRejoined => "H002",
            Code::ForkNotRejoined => "H003",
            Code::UnknownDownRevision => "H004",
            Code::UnknownDependency => "H005",
            Code::DuplicateRevision => "H006",
            Code::Cycle => "H007",
            Code::NoRevision => "H008",
            Code::Unparsable => "H009",
            Code::RevisionTooLong => "H010",
            Code::NotLiteral => "H011",
            Code::DuplicateBranchLabel => "H012",
        }
    }

    /// A short kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Code::MultipleHeads => "multiple-heads",
            Code::ForkRejoined => "fork",
            Code::ForkNotRejoined => "fork-not-rejoined",
            Code::UnknownDownRevision => "unknown-down-revision",
            Code::UnknownDependency => "unknown-dependency",
            Code::DuplicateRevision => "duplicate-revision",
            Code::Cycle => "cycle",
            Code::NoRevision => "no-revision",
            Code::Unparsable => "unparsable-file",
            Code::RevisionTooLong => "revision-too-long",
            Code::NotLiteral => "not-a-literal",
            Code::DuplicateBranchLabel => "duplicate-branch-label",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::ForkRejoined | Code::ForkNotRejoined | Code::NotLiteral => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// What the code means, one line (the group title in human output, the SARIF rule text).
    pub fn title(self) -> &'static str {
        match self {
            Code::MultipleHeads => "more than one head",
            Code::ForkRejoined => "a revision with several children, rejoined by a merge",
            Code::ForkNotRejoined => "a revision with several children that no merge rejoins",
            Code::UnknownDownRevision => "down_revision names an unknown revision",
            Code::UnknownDependency => "depends_on names an unknown revision or branch label",
            Code::DuplicateRevision => "two files define the same revision id",
            Code::Cycle => "revisions that descend from themselves",
            Code::NoRevision => "a file in a versions folder that defines no revision",
            Code::Unparsable => "a file that cannot be read or parsed",
            Code::RevisionTooLong => "a revision id longer than the version column",
            Code::NotLiteral => "a revision variable lint cannot read statically",
            Code::DuplicateBranchLabel => "two revisions use the same branch label",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One finding at a place in a revision file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub file: PathBuf,
    pub at: Position,
    pub message: String,
    pub hint: Option<String>,
}

impl Finding {
    pub fn new(code: Code, file: impl Into<PathBuf>, at: Position, message: String) -> Self {
        Self {
            code,
            file: file.into(),
            at,
            message,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}
