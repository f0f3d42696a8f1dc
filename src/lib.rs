//! harness: replays database migration scenarios with a project's real migration tool, across
//! database engines and runtimes, and snapshots the schema each one ends with.
//! See ARCHITECTURE.md for the module map and the invariants.

pub mod adapters;
pub mod cli;
pub mod config;
pub mod database;
pub mod dialect;
pub mod discover;
pub mod docker;
pub mod drift;
pub mod drivers;
pub mod engine;
pub mod introspect;
pub mod lint;
pub mod matrix;
pub mod outcome;
pub mod process;
pub mod report;
pub mod runtime;
pub mod scaffold;
pub mod service;
pub mod snapshot;
pub mod stack;
pub mod words;
