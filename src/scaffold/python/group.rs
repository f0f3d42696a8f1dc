//! An optional set of dependencies, as every packaging file names one.

/// An optional set of dependencies: an extra, a dependency group, a development list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub specifiers: Vec<String>,
}
