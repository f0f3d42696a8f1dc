//! Helpers shared by the integration tests (and the lint benchmark).

pub mod project;
