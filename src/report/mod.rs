//! Run results -> text for people (terminal, Markdown) and for machines (JSON, JUnit), and the merge
//! of several jobs' JSON reports. Makes no decisions: verdicts come from the engine.

pub mod colour;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
mod merge;
mod terminal;
pub(crate) use crate::words;

pub use merge::{MergeError, merge};
pub use terminal::{engine_line, render, render_with, runtime_line};
