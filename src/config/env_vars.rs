//! The variables `[project.env]` values may name (`${DATABASE_URL}`, `${HARNESS_RUN_SECRET}`) and how
//! they expand: part of the configuration's language, used where processes are started.

/// The variable `[project.env]` expands to a random value made once per run: a throwaway secret
/// for settings that refuse to load without one (`SECRET_KEY = "${HARNESS_RUN_SECRET}"`).
pub const RUN_SECRET: &str = "HARNESS_RUN_SECRET";

/// The cell variable naming the cell's own empty folder, for files the project writes (a data
/// folder its settings demand). Reading the revision graph, with no cell, it names a folder of
/// this process (`crate::runtime::shared_cell_dir`).
pub const CELL_DIR: &str = "HARNESS_CELL_DIR";

/// `text` with every `${NAME}` replaced by `lookup(NAME)` (empty when unknown); `$$` is `$`.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some((name, after)) = rest
            .strip_prefix("${")
            .and_then(|r| r.split_once('}'))
            .filter(|(name, _)| is_variable_name(name))
        {
            out.push_str(&lookup(name).unwrap_or_default());
            rest = after;
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The `${NAME}` references in `text`.
pub fn references(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("$$") {
            rest = after;
        } else if let Some((name, after)) = rest
            .strip_prefix("${")
            .and_then(|r| r.split_once('}'))
            .filter(|(name, _)| is_variable_name(name))
        {
            names.push(name);
            rest = after;
        } else {
            rest = &rest[1..];
        }
    }
    names
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
