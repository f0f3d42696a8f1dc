//! Small phrases every report writes the same way: counted nouns and lists cut short.

/// `1 cell`, `2 cells` (nouns whose plural adds an s).
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The first `max` items joined with ", ", then "and N more" for the rest.
pub fn list_cut<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    let more = items.len().saturating_sub(shown.len());
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_cuts() {
        assert_eq!(plural(1, "cell"), "1 cell");
        assert_eq!(plural(0, "cell"), "0 cells");
        assert_eq!(list_cut(&["a", "b"], 3), "a, b");
        assert_eq!(list_cut(&["a", "b", "c", "d"], 2), "a, b and 2 more");
    }
}
