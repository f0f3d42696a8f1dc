//! `requires-python`: the PEP 440 specifiers a project declares for its interpreter, and whether
//! an interpreter version satisfies them, read by `pep440_rs` (as uv reads them). Pure: text in,
//! answers out.

use std::fmt;
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifier};

use super::poetry_constraint;

/// A parsed `requires-python` (`>=3.9,<3.13`, `~=3.10`, `==3.11.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiresPython {
    clauses: Vec<VersionSpecifier>,
}

/// Why a `requires-python` cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequiresPythonError {
    #[error(
        "cannot read `{part}` in requires-python `{whole}`: expected an operator (>=, >, <=, <, ==, !=, ~=) and a version such as 3.10 ({why})"
    )]
    Unreadable {
        part: String,
        whole: String,
        why: String,
    },
    #[error("`{part}` in requires-python `{whole}`: `===` (arbitrary equality) is not supported")]
    ArbitraryEquality { part: String, whole: String },
    /// Poetry's `^`/`~` constraint that does not translate.
    #[error(transparent)]
    Poetry(#[from] poetry_constraint::ConstraintError),
}

impl RequiresPython {
    /// Reads comma-joined PEP 440 specifiers; Poetry's `^3.10` and `~3.10` are read as the PEP 440
    /// they stand for. An empty text allows every version.
    pub fn parse(text: &str) -> Result<Self, RequiresPythonError> {
        let mut clauses = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let is_poetry =
                part.starts_with('^') || (part.starts_with('~') && !part.starts_with("~="));
            if is_poetry {
                let converted = poetry_constraint::to_pep440(part)?;
                for converted_part in converted.split(',') {
                    clauses.push(clause(converted_part, text)?);
                }
            } else {
                clauses.push(clause(part, text)?);
            }
        }
        Ok(Self { clauses })
    }

    /// Whether an interpreter of `version` (`3.12`, `3.12.1`; a suffix such as `rc1` is ignored)
    /// satisfies every clause. `3.12` compares as 3.12.0, except against `==3.12.*`/`!=3.12.*`,
    /// which match on the prefix. A version without a number is never allowed.
    pub fn allows(&self, version: &str) -> bool {
        let Some(candidate) = interpreter_release(version) else {
            return false;
        };
        let candidate = Version::new(candidate);
        self.clauses
            .iter()
            .all(|clause| clause.contains(&candidate))
    }
}

/// One comma-separated part.
fn clause(part: &str, whole: &str) -> Result<VersionSpecifier, RequiresPythonError> {
    let part = part.trim();
    let parsed =
        VersionSpecifier::from_str(part).map_err(|why| RequiresPythonError::Unreadable {
            part: part.to_string(),
            whole: whole.to_string(),
            why: why.to_string(),
        })?;
    if *parsed.operator() == Operator::ExactEqual {
        return Err(RequiresPythonError::ArbitraryEquality {
            part: part.to_string(),
            whole: whole.to_string(),
        });
    }
    Ok(parsed)
}

impl fmt::Display for RequiresPython {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clauses: Vec<String> = self.clauses.iter().map(ToString::to_string).collect();
        f.write_str(&clauses.join(","))
    }
}

/// The leading numeric components of an interpreter version (`3.13t` → [3, 13]).
fn interpreter_release(version: &str) -> Option<Vec<u64>> {
    let mut release = Vec::new();
    for component in version.trim().split('.') {
        let digits: String = component.chars().take_while(char::is_ascii_digit).collect();
        let Ok(number) = digits.parse::<u64>() else {
            break;
        };
        release.push(number);
        if digits.len() != component.len() {
            break;
        }
    }
    (!release.is_empty()).then_some(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(spec: &str, versions: &[&str]) -> Vec<String> {
        let parsed = RequiresPython::parse(spec).unwrap();
        versions
            .iter()
            .filter(|v| parsed.allows(v))
            .map(|v| v.to_string())
            .collect()
    }

    const MINORS: &[&str] = &["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "4.0"];

    #[test]
    fn a_lower_and_an_upper_bound() {
        assert_eq!(
            allowed(">=3.9,<3.12", MINORS),
            ["3.9", "3.10", "3.11"],
            "3.12 is excluded by <3.12"
        );
        assert_eq!(allowed(">=3.13,<3.14", MINORS), ["3.13"]);
        assert_eq!(
            allowed(" >= 3.10 , < 3.13 ", MINORS),
            ["3.10", "3.11", "3.12"]
        );
        assert_eq!(allowed(">3.11", MINORS), ["3.12", "3.13", "3.14", "4.0"]);
        assert_eq!(allowed("<=3.9", MINORS), ["3.8", "3.9"]);
    }

    #[test]
    fn compatible_release_keeps_the_major_version() {
        // ~=3.10 is >=3.10,==3.*: every later 3.x, never 4.0.
        assert_eq!(
            allowed("~=3.10", MINORS),
            ["3.10", "3.11", "3.12", "3.13", "3.14"]
        );
        // ~=3.10.2 is >=3.10.2,==3.10.*.
        let spec = RequiresPython::parse("~=3.10.2").unwrap();
        assert!(spec.allows("3.10.5"));
        assert!(!spec.allows("3.10.1"));
        assert!(!spec.allows("3.11"));
        assert!(RequiresPython::parse("~=3").is_err());
    }

    #[test]
    fn poetry_caret_and_tilde() {
        assert_eq!(
            RequiresPython::parse("^3.10").unwrap().to_string(),
            ">=3.10,<4"
        );
        assert_eq!(
            allowed("^3.10", MINORS),
            ["3.10", "3.11", "3.12", "3.13", "3.14"]
        );
        assert_eq!(allowed("~3.11", MINORS), ["3.11"]);
        assert_eq!(allowed(">=3.8,<4", MINORS), allowed("^3.8", MINORS));
    }

    #[test]
    fn wildcards_match_on_the_prefix() {
        assert_eq!(allowed("==3.11.*", MINORS), ["3.11"]);
        assert!(RequiresPython::parse("==3.11.*").unwrap().allows("3.11.9"));
        assert_eq!(
            allowed("!=3.12.*,>=3.10", MINORS),
            ["3.10", "3.11", "3.13", "3.14", "4.0"]
        );
        assert!(!RequiresPython::parse("!=3.12.*").unwrap().allows("3.12.4"));
        assert_eq!(allowed("==3.*", MINORS).len(), 7);
    }

    #[test]
    fn a_short_version_compares_as_its_zero_patch_release() {
        let spec = RequiresPython::parse(">=3.8.1").unwrap();
        assert!(!spec.allows("3.8"), "3.8 is 3.8.0, below 3.8.1");
        assert!(spec.allows("3.8.1"));
        assert!(spec.allows("3.9"));
        assert!(RequiresPython::parse("==3.12").unwrap().allows("3.12"));
        assert!(!RequiresPython::parse("==3.12").unwrap().allows("3.12.1"));
        assert!(!RequiresPython::parse("!=3.12").unwrap().allows("3.12.0"));
        assert!(RequiresPython::parse("!=3.12").unwrap().allows("3.12.1"));
        assert!(RequiresPython::parse("<3.12.4").unwrap().allows("3.12"));
    }

    #[test]
    fn interpreter_versions_with_suffixes() {
        let spec = RequiresPython::parse(">=3.13").unwrap();
        assert!(spec.allows("3.13t"));
        assert!(spec.allows("3.13.0rc1"));
        assert!(!spec.allows("python"));
        assert!(!spec.allows(""));
    }

    #[test]
    fn empty_allows_everything_and_display_is_normalised() {
        assert_eq!(allowed("", MINORS).len(), MINORS.len());
        assert_eq!(
            RequiresPython::parse(" >= 3.9 , != 3.9.1, <4 ")
                .unwrap()
                .to_string(),
            ">=3.9,!=3.9.1,<4"
        );
    }

    #[test]
    fn unreadable_specifiers_say_what_is_allowed() {
        let err = RequiresPython::parse(">=3.9,python3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read `python3`"), "{err}");
        assert!(err.contains(">=, >, <=, <, ==, !=, ~="), "{err}");
        assert!(
            RequiresPython::parse("3.10").is_err(),
            "an operator is required"
        );
        assert!(
            RequiresPython::parse(">=3.10.*")
                .unwrap_err()
                .to_string()
                .contains(".*")
        );
        assert!(
            RequiresPython::parse("===3.10")
                .unwrap_err()
                .to_string()
                .contains("===")
        );
        assert!(RequiresPython::parse(">=3.x").is_err());
        assert!(RequiresPython::parse("^3.10 || ^4").is_err());
    }
}
