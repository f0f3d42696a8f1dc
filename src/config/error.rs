//! The one error type of configuration loading: what is wrong, where (file:line:col when known),
//! and what is allowed instead.

use std::fmt;
use std::path::PathBuf;

use super::source::Location;

/// A configuration problem. Always a user's fix away, so it maps to the "bad configuration" exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the problem is: a location when the file was read, else just the path.
    pub at: Place,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Location(Location),
    File(PathBuf),
}

impl ConfigError {
    pub fn at(location: Location, message: impl Into<String>) -> Self {
        Self {
            at: Place::Location(location),
            message: message.into(),
            help: None,
        }
    }

    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            at: Place::File(path.into()),
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Place::Location(at) => write!(f, "{at}: {}", self.message)?,
            Place::File(path) => write!(f, "{}: {}", path.display(), self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
