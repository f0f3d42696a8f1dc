//! What the adapters ask a runtime to run: a program, its arguments, its folder and environment,
//! and which variables carry the cell's database URL. The runtime decides how the URL reads from
//! where the program runs (the host's mapped port, or the database's name on the run's network).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The program to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// The runtime's own Python (its environment's interpreter).
    Python,
    /// A program looked up on the runtime's PATH (its environment's `bin` first), or a path.
    Named(String),
}

/// One process to run in a runtime.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub program: Program,
    pub args: Vec<String>,
    /// The working folder (the project's folder: the same path in a runtime container).
    pub dir: PathBuf,
    /// Extra environment (the project's `env`).
    pub env: BTreeMap<String, String>,
    /// Variables set to the database URL besides HARNESS_DATABASE_URL and DATABASE_URL (a command
    /// tool's `url_env`).
    pub url_vars: Vec<String>,
}

impl Invocation {
    pub fn new(program: Program, args: Vec<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            program,
            args,
            dir: dir.into(),
            env: BTreeMap::new(),
            url_vars: Vec::new(),
        }
    }

    /// The command line for messages.
    pub fn display(&self, python: &str) -> String {
        let program = match &self.program {
            Program::Python => python,
            Program::Named(name) => name.as_str(),
        };
        std::iter::once(program)
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
