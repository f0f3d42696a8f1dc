//! Poetry's version constraints (`^1.2.3`, `~1.2`, `*`, `1.2.3`, `>= 1.2, < 2`) written as the PEP 440
//! specifiers pip understands. Text in, text out.

/// A constraint with no PEP 440 form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    #[error("`{0}` is a union of constraints, which a PEP 440 specifier cannot express")]
    Union(String),
    #[error("`{constraint}`: {why}")]
    Unreadable { constraint: String, why: String },
}

/// The operators a constraint part may start with, longest first.
const OPERATORS: &[&str] = &["===", "~=", "==", "!=", ">=", "<=", ">", "<", "^", "~"];

/// `constraint` as a PEP 440 specifier set (`""` for any version).
///
/// `^1.2.3` is `>=1.2.3,<2`, `^0.4` is `>=0.4,<0.5`, `~1.2` is `>=1.2,<1.3`, a bare `1.2.3` is
/// `==1.2.3`; parts may be joined with commas or spaces. A union (`||`) has no PEP 440 form and is
/// an error, as is a caret or tilde on something that is not a version.
pub fn to_pep440(constraint: &str) -> Result<String, ConstraintError> {
    if constraint.contains("||") || constraint.contains('|') {
        return Err(ConstraintError::Union(constraint.to_string()));
    }
    let mut specifiers = Vec::new();
    for part in parts(constraint) {
        specifiers.extend(convert(&part).map_err(|why| ConstraintError::Unreadable {
            constraint: constraint.to_string(),
            why,
        })?);
    }
    Ok(specifiers.join(","))
}

/// The parts of a constraint: separated by commas or spaces, an operator standing alone joined to
/// the version after it (`>= 1.2` is one part).
fn parts(constraint: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut pending_operator = false;
    for token in constraint.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        if pending_operator && let Some(last) = parts.last_mut() {
            last.push_str(token);
        } else {
            parts.push(token.to_string());
        }
        pending_operator = OPERATORS.contains(&token);
    }
    parts
}

/// One part as zero, one or two PEP 440 specifiers.
fn convert(part: &str) -> Result<Vec<String>, String> {
    if part == "*" {
        return Ok(Vec::new());
    }
    if let Some(version) = part.strip_prefix('^') {
        let release = release_of(version)?;
        // The leftmost non-zero component is bumped; all zeros bump the last one written.
        let bumped = release
            .iter()
            .position(|&n| n != 0)
            .unwrap_or(release.len() - 1);
        return Ok(vec![
            format!(">={version}"),
            format!("<{}", upper(&release, bumped)),
        ]);
    }
    if let Some(version) = part.strip_prefix('~')
        && !version.starts_with('=')
    {
        let release = release_of(version)?;
        let bumped = if release.len() >= 2 { 1 } else { 0 };
        return Ok(vec![
            format!(">={version}"),
            format!("<{}", upper(&release, bumped)),
        ]);
    }
    if part.starts_with(['<', '>', '=', '!', '~']) {
        return Ok(vec![part.to_string()]);
    }
    if part.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(vec![format!("=={part}")]);
    }
    Err(format!("cannot read `{part}` as a version constraint"))
}

/// The numeric release of a version (`1.2.3b1` → [1, 2, 3]).
fn release_of(version: &str) -> Result<Vec<u64>, String> {
    let mut release = Vec::new();
    for component in version.split('.') {
        let digits: String = component.chars().take_while(char::is_ascii_digit).collect();
        let Ok(number) = digits.parse::<u64>() else {
            break;
        };
        release.push(number);
        if digits.len() != component.len() {
            break;
        }
    }
    if release.is_empty() {
        Err(format!("`{version}` is not a version"))
    } else {
        Ok(release)
    }
}

/// The release cut after `index`, with that component incremented: (1.2.3, 0) → `2`.
fn upper(release: &[u64], index: usize) -> String {
    release[..=index]
        .iter()
        .enumerate()
        .map(|(i, n)| if i == index { n + 1 } else { *n }.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_bumps_the_leftmost_non_zero_component() {
        assert_eq!(to_pep440("^1.2.3").unwrap(), ">=1.2.3,<2");
        assert_eq!(to_pep440("^0.4").unwrap(), ">=0.4,<0.5");
        assert_eq!(to_pep440("^0.0.3").unwrap(), ">=0.0.3,<0.0.4");
        assert_eq!(to_pep440("^0").unwrap(), ">=0,<1");
        assert_eq!(to_pep440("^0.0").unwrap(), ">=0.0,<0.1");
        assert_eq!(to_pep440("^3.10").unwrap(), ">=3.10,<4");
        assert_eq!(to_pep440("^2.0.0b1").unwrap(), ">=2.0.0b1,<3");
    }

    #[test]
    fn tilde_bumps_the_minor_version() {
        assert_eq!(to_pep440("~1.2").unwrap(), ">=1.2,<1.3");
        assert_eq!(to_pep440("~1.2.3").unwrap(), ">=1.2.3,<1.3");
        assert_eq!(to_pep440("~1").unwrap(), ">=1,<2");
        assert_eq!(to_pep440("~=1.2").unwrap(), "~=1.2", "PEP 440's ~= is kept");
    }

    #[test]
    fn exact_any_and_comparisons() {
        assert_eq!(to_pep440("*").unwrap(), "");
        assert_eq!(to_pep440("").unwrap(), "");
        assert_eq!(to_pep440("1.2.3").unwrap(), "==1.2.3");
        assert_eq!(to_pep440("1.2.*").unwrap(), "==1.2.*");
        assert_eq!(to_pep440(">=1.2,<2.0").unwrap(), ">=1.2,<2.0");
        assert_eq!(to_pep440(">= 1.2, < 2.0").unwrap(), ">=1.2,<2.0");
        assert_eq!(to_pep440(">=1.2 <2.0").unwrap(), ">=1.2,<2.0");
        assert_eq!(to_pep440("!=1.5").unwrap(), "!=1.5");
    }

    #[test]
    fn unions_and_nonsense_are_errors() {
        assert!(matches!(
            to_pep440("^1.2 || ^2.0"),
            Err(ConstraintError::Union(_))
        ));
        assert!(
            to_pep440("^latest")
                .unwrap_err()
                .to_string()
                .contains("not a version")
        );
        assert!(to_pep440("main").is_err());
    }
}
