//! harness: replays database migration scenarios with a project's real migration tool, across
//! database engines and runtimes, and snapshots the schema each one ends with.
//! See ARCHITECTURE.md for the module map and the invariants.

pub(crate) mod adapters;
pub mod cli;
pub mod config;
pub mod database;
pub(crate) mod dialect;
pub(crate) mod discover;
pub mod docker;
pub mod drift;
pub(crate) mod drivers;
pub(crate) mod engine;
pub mod introspect;
pub mod lint;
pub mod matrix;
pub mod outcome;
pub mod process;
pub mod report;
pub mod runtime;
pub(crate) mod scaffold;
pub(crate) mod service;
pub mod snapshot;
pub(crate) mod stack;
pub(crate) mod words;
