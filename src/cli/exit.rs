//! Exit codes, one per kind of outcome, and the CLI's error type.

use crate::config::ConfigError;
use crate::outcome::{RunReport, Verdict};

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every cell passed.
    Success,
    /// 1: a cell failed or a snapshot changed.
    Failed,
    /// 2: bad usage or configuration.
    Usage,
    /// 3: the environment could not be set up.
    Environment,
    /// 130: interrupted.
    Interrupted,
    /// 4: `harness drift` found no version table in the database.
    NoVersionTable,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Environment => 3,
            ExitStatus::Interrupted => 130,
            ExitStatus::NoVersionTable => 4,
        }
    }

    /// The status a report's verdicts call for: an error is 3, a failure or changed snapshot 1.
    pub fn of_report(report: &RunReport) -> Self {
        if report.count(Verdict::Error) > 0 {
            ExitStatus::Environment
        } else if report.count(Verdict::Failed) + report.count(Verdict::SnapshotChanged) > 0 {
            ExitStatus::Failed
        } else {
            ExitStatus::Success
        }
    }

    pub(crate) fn from_code(code: i32) -> Self {
        match code {
            0 => ExitStatus::Success,
            1 => ExitStatus::Failed,
            3 => ExitStatus::Environment,
            _ => ExitStatus::Usage,
        }
    }
}

/// Why a command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Environment(String),
}

impl Failure {
    pub fn status(&self) -> ExitStatus {
        match self {
            Failure::Config(_) | Failure::Usage(_) => ExitStatus::Usage,
            Failure::Environment(_) => ExitStatus::Environment,
        }
    }
}
