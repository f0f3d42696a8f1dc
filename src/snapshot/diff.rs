//! A unified diff of two snapshot texts, grouped per table: each hunk is headed by the table (or
//! view, trigger, version table) it belongs to, so a reviewer reads "players gained a column" rather
//! than line numbers. Pure text in, text out.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

/// Lines of unchanged context kept around a change inside one block.
const CONTEXT: usize = 3;

/// One block of snapshot text: a header line (`table players`) and its indented lines.
#[derive(Debug, PartialEq, Eq)]
struct Block<'a> {
    header: &'a str,
    lines: Vec<&'a str>,
}

/// The diff from `old` to `new`: `--- old_label` / `+++ new_label`, then one `@@ <block> @@` hunk per
/// block that was added, removed or changed, in the order the blocks appear (removed blocks where
/// they stood). Empty when the texts are equal.
pub fn diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    let before = blocks(old);
    let after = blocks(new);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    let mut changed = false;
    let mut next_old = 0;
    for block in &after {
        match before.iter().position(|b| b.header == block.header) {
            Some(index) => {
                // Blocks only in `old` that come before this one were removed.
                if index >= next_old {
                    for removed in before[next_old..index]
                        .iter()
                        .filter(|b| !after.iter().any(|a| a.header == b.header))
                    {
                        changed = true;
                        whole(&mut out, removed, '-', "removed");
                    }
                    next_old = index + 1;
                }
                if before[index] != *block {
                    changed = true;
                    inside(&mut out, &before[index], block);
                }
            }
            None => {
                changed = true;
                whole(&mut out, block, '+', "added");
            }
        }
    }
    for removed in before[next_old..]
        .iter()
        .filter(|b| !after.iter().any(|a| a.header == b.header))
    {
        changed = true;
        whole(&mut out, removed, '-', "removed");
    }
    if changed { out } else { String::new() }
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks: Vec<Block<'_>> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match blocks.last_mut() {
            Some(block) if line.starts_with(' ') => block.lines.push(line),
            _ => blocks.push(Block {
                header: line,
                lines: Vec::new(),
            }),
        }
    }
    blocks
}

fn whole(out: &mut String, block: &Block<'_>, sign: char, what: &str) {
    let _ = writeln!(out, "@@ {} ({what}) @@", block.header);
    let _ = writeln!(out, "{sign}{}", block.header);
    for line in &block.lines {
        let _ = writeln!(out, "{sign}{line}");
    }
}

/// The changed lines of one block, with [`CONTEXT`] lines around them; `...` marks a gap.
fn inside(out: &mut String, old: &Block<'_>, new: &Block<'_>) {
    let _ = writeln!(out, "@@ {} @@", new.header);
    let old_text = old.lines.join("\n") + "\n";
    let new_text = new.lines.join("\n") + "\n";
    let diff = TextDiff::from_lines(&old_text, &new_text);
    for (index, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if index > 0 {
            out.push_str(" ...\n");
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => ' ',
                };
                let _ = writeln!(out, "{sign}{}", change.value().trim_end_matches('\n'));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "table players\n  column id INTEGER\n  column name TEXT\n\ntable teams\n  column id INTEGER\n\nversion table alembic_version\n  row 0006";

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(diff(OLD, OLD, "a", "b"), "");
    }

    #[test]
    fn a_changed_table_is_one_hunk_headed_by_its_name() {
        let new = OLD
            .replace(
                "  column name TEXT",
                "  column name TEXT\n  column nickname TEXT",
            )
            .replace("row 0006", "row 0007");
        let text = diff(OLD, &new, "old.snap", "python-3.12");
        assert_eq!(
            text,
            "--- old.snap\n+++ python-3.12\n@@ table players @@\n   column id INTEGER\n   column name TEXT\n+  column nickname TEXT\n@@ version table alembic_version @@\n-  row 0006\n+  row 0007\n"
        );
    }

    #[test]
    fn added_and_removed_tables_are_shown_whole() {
        let new = "table audit\n  column id INTEGER\n\ntable players\n  column id INTEGER\n  column name TEXT\n\nversion table alembic_version\n  row 0006";
        let text = diff(OLD, new, "a", "b");
        assert_eq!(
            text,
            "--- a\n+++ b\n@@ table audit (added) @@\n+table audit\n+  column id INTEGER\n@@ table teams (removed) @@\n-table teams\n-  column id INTEGER\n"
        );
    }

    #[test]
    fn distant_changes_in_one_table_are_separated() {
        let columns: Vec<String> = (0..12).map(|i| format!("  column c{i} INT")).collect();
        let old = format!("table wide\n{}", columns.join("\n"));
        let new = old
            .replace("c0 INT", "c0 TEXT")
            .replace("c11 INT", "c11 TEXT");
        let text = diff(&old, &new, "a", "b");
        assert!(text.contains("+  column c0 TEXT\n"), "{text}");
        assert!(text.contains(" ...\n"), "{text}");
        assert!(!text.contains("c5 INT"), "{text}");
    }
}
