//! `requires-python`: the PEP 440 specifiers a project declares for its interpreter, on versions of
//! the form X.Y[.Z], and whether an interpreter version satisfies them. Pure: text in, answers out.

use std::cmp::Ordering;
use std::fmt;

use super::poetry_constraint;

/// A parsed `requires-python` (`>=3.9,<3.13`, `~=3.10`, `==3.11.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiresPython {
    clauses: Vec<Clause>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    Compatible,
}

impl Operator {
    /// Longest first, so `>=` is not read as `>`.
    const ALL: [(&'static str, Operator); 7] = [
        ("~=", Operator::Compatible),
        ("==", Operator::Eq),
        ("!=", Operator::Ne),
        (">=", Operator::Ge),
        ("<=", Operator::Le),
        (">", Operator::Gt),
        ("<", Operator::Lt),
    ];

    fn text(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(text, _)| text)
    }
}

/// One comma-separated part: an operator, a release, and `.*` for `==`/`!=` prefix matches.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    operator: Operator,
    release: Vec<u64>,
    wildcard: bool,
}

impl RequiresPython {
    /// Reads comma-joined PEP 440 specifiers; Poetry's `^3.10` and `~3.10` are read as the PEP 440
    /// they stand for. An empty text allows every version.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut clauses = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let is_poetry =
                part.starts_with('^') || (part.starts_with('~') && !part.starts_with("~="));
            if is_poetry {
                let converted = poetry_constraint::to_pep440(part)?;
                for converted_part in converted.split(',') {
                    clauses.push(Clause::parse(converted_part, text)?);
                }
            } else {
                clauses.push(Clause::parse(part, text)?);
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
        self.clauses.iter().all(|clause| clause.allows(&candidate))
    }
}

impl Clause {
    fn parse(part: &str, whole: &str) -> Result<Self, String> {
        let part = part.trim();
        let unreadable = || {
            format!(
                "cannot read `{part}` in requires-python `{whole}`: expected an operator (>=, >, <=, <, ==, !=, ~=) and a version such as 3.10"
            )
        };
        let (operator, rest) = Operator::ALL
            .iter()
            .find_map(|(text, op)| part.strip_prefix(text).map(|rest| (*op, rest.trim())))
            .ok_or_else(unreadable)?;
        if rest.starts_with('=') {
            return Err(format!(
                "`{part}` in requires-python `{whole}`: `===` (arbitrary equality) is not supported"
            ));
        }
        let (version, wildcard) = match rest.strip_suffix(".*") {
            Some(version) => (version, true),
            None => (rest, false),
        };
        if wildcard && !matches!(operator, Operator::Eq | Operator::Ne) {
            return Err(format!(
                "`{part}` in requires-python `{whole}`: `.*` is only allowed after == and !="
            ));
        }
        let release = version
            .split('.')
            .map(|n| {
                if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                    n.parse::<u64>().ok()
                } else {
                    None
                }
            })
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(unreadable)?;
        if operator == Operator::Compatible && release.len() < 2 {
            return Err(format!(
                "`{part}` in requires-python `{whole}`: ~= needs at least two components (~=3.10)"
            ));
        }
        Ok(Self {
            operator,
            release,
            wildcard,
        })
    }

    fn allows(&self, candidate: &[u64]) -> bool {
        let order = compare(candidate, &self.release);
        match self.operator {
            Operator::Ge => order != Ordering::Less,
            Operator::Gt => order == Ordering::Greater,
            Operator::Le => order != Ordering::Greater,
            Operator::Lt => order == Ordering::Less,
            Operator::Eq if self.wildcard => has_prefix(candidate, &self.release),
            Operator::Eq => order == Ordering::Equal,
            Operator::Ne if self.wildcard => !has_prefix(candidate, &self.release),
            Operator::Ne => order != Ordering::Equal,
            // ~=3.10 is >=3.10 together with ==3.*.
            Operator::Compatible => {
                order != Ordering::Less
                    && has_prefix(candidate, &self.release[..self.release.len() - 1])
            }
        }
    }
}

impl fmt::Display for RequiresPython {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clauses: Vec<String> = self.clauses.iter().map(Clause::to_string).collect();
        f.write_str(&clauses.join(","))
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let release: Vec<String> = self.release.iter().map(u64::to_string).collect();
        let wildcard = if self.wildcard { ".*" } else { "" };
        write!(f, "{}{}{wildcard}", self.operator.text(), release.join("."))
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

/// PEP 440 release order: missing components count as zero.
fn compare(a: &[u64], b: &[u64]) -> Ordering {
    (0..a.len().max(b.len()))
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|order| *order != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

/// Whether `candidate`, zero-padded, starts with `prefix`.
fn has_prefix(candidate: &[u64], prefix: &[u64]) -> bool {
    prefix
        .iter()
        .enumerate()
        .all(|(i, n)| candidate.get(i).copied().unwrap_or(0) == *n)
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
        let err = RequiresPython::parse(">=3.9,python3").unwrap_err();
        assert!(err.contains("cannot read `python3`"), "{err}");
        assert!(err.contains(">=, >, <=, <, ==, !=, ~="), "{err}");
        assert!(
            RequiresPython::parse("3.10").is_err(),
            "an operator is required"
        );
        assert!(
            RequiresPython::parse(">=3.10.*")
                .unwrap_err()
                .contains(".*")
        );
        assert!(
            RequiresPython::parse("===3.10")
                .unwrap_err()
                .contains("===")
        );
        assert!(RequiresPython::parse(">=3.x").is_err());
        assert!(RequiresPython::parse("^3.10 || ^4").is_err());
    }
}
