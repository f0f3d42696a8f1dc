//! Run results -> text for people (and, later, machine formats). Makes no decisions: verdicts come
//! from the engine.

mod terminal;

pub use terminal::{cell_line, engine_line, render, runtime_line};
