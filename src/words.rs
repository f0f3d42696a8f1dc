//! Small phrases every report writes the same way: counted nouns and lists cut short.

/// `1 cell`, `2 cells` (nouns whose plural adds an s).
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `100000` → `100,000`: a count a reader takes in at a glance.
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// ` at 1 row`, ` at 20,000 rows`: how many rows a table held, after what was done to it.
pub fn at_rows(count: u64) -> String {
    if count == 1 {
        " at 1 row".into()
    } else {
        format!(" at {} rows", thousands(count))
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

/// The one candidate `word` most likely misspells (a letter or two off, or swapped), for a
/// "did you mean" help; `None` when none is close or two are equally close.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = if word.chars().count() >= 4 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    let mut tied = false;
    for candidate in candidates {
        let distance = distance(&word, &candidate.to_lowercase());
        if distance == 0 || distance > limit {
            continue;
        }
        match best {
            Some((known, _)) if distance > known => {}
            Some((known, _)) if distance == known => tied = true,
            _ => {
                best = Some((distance, candidate));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, candidate)| candidate)
}

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(100_000), "100,000");
        assert_eq!(super::thousands(12_345_678), "12,345,678");
    }

    use super::*;

    #[test]
    fn the_closest_of_several_names_or_none() {
        assert_eq!(closest("qurey", ["query", "sql", "expect"]), Some("query"));
        assert_eq!(closest("sqlit", ["sqlite", "postgres:17"]), Some("sqlite"));
        assert_eq!(closest("004", ["0001", "0004", "0010"]), Some("0004"));
        assert_eq!(closest("book", ["books", "authors"]), Some("books"));
        assert_eq!(
            closest("descripton", ["description", "name"]),
            Some("description")
        );
        assert_eq!(closest("xyz", ["query", "sql"]), None);
        // Two equally close: no guess.
        assert_eq!(closest("0005", ["0004", "0006"]), None);
        assert_eq!(closest("query", ["query"]), None);
    }

    #[test]
    fn counts_and_cuts() {
        assert_eq!(plural(1, "cell"), "1 cell");
        assert_eq!(plural(0, "cell"), "0 cells");
        assert_eq!(list_cut(&["a", "b"], 3), "a, b");
        assert_eq!(list_cut(&["a", "b", "c", "d"], 2), "a, b and 2 more");
    }
}
