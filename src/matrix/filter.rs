//! `--filter` patterns on cell ids: `*` matches any run of characters, anything else matches itself;
//! a pattern without `*` matches ids that contain it.

/// A set of patterns; a cell is kept when any pattern matches (or when there are none).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    patterns: Vec<String>,
}

impl Filter {
    pub fn new(patterns: Vec<String>) -> Self {
        Self { patterns }
    }

    pub fn matches(&self, id: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|pattern| matches(pattern, id))
    }
}

fn matches(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    glob(pattern.as_bytes(), id.as_bytes())
}

/// Iterative wildcard matching with backtracking to the last `*`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("partial", "partial/sqlite/python-3.12", true)]
    #[case("sqlite", "partial/sqlite/python-3.12", true)]
    #[case("partial/*/python-3.10", "partial/sqlite/python-3.10", true)]
    #[case("partial/*/python-3.10", "partial/sqlite/python-3.12", false)]
    #[case("*3.12", "fresh/sqlite/python-3.12", true)]
    #[case("fresh/*", "partial/sqlite/python-3.12", false)]
    #[case("*", "anything", true)]
    fn patterns(#[case] pattern: &str, #[case] id: &str, #[case] expected: bool) {
        assert_eq!(Filter::new(vec![pattern.to_string()]).matches(id), expected);
    }

    #[test]
    fn no_pattern_keeps_everything() {
        assert!(Filter::default().matches("a/b/c"));
    }
}
