//! A revision a scenario names, with the place it was written.

use toml::Spanned;

use super::{ConfigError, Location, SourceFile};

/// A revision named in a scenario, with where it was written (for "unknown revision" errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevRef {
    pub value: String,
    pub at: Location,
}

pub(super) fn rev(file: &SourceFile, value: Spanned<String>) -> Result<RevRef, ConfigError> {
    let at = file.location(value.span().start);
    checked_rev(value.into_inner(), &at)
}

pub(super) fn checked_rev(value: String, at: &Location) -> Result<RevRef, ConfigError> {
    if value.trim().is_empty() || value.chars().any(char::is_whitespace) {
        return Err(
            ConfigError::at(at.clone(), format!("`{value}` is not a revision")).with_help(
                "write a revision id, a unique prefix of one, `head`, `heads` or `base`",
            ),
        );
    }
    Ok(RevRef {
        value,
        at: at.clone(),
    })
}
