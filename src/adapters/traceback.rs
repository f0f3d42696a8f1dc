//! Cuts a Python tool's output down to what a report needs: the last lines, plus the traceback frames
//! that point into the user's project (the migration file that failed), even when they scrolled out
//! of the tail behind frames of the installed libraries.

use std::path::Path;

/// The last `lines` lines of `text`; frames inside `project` that fall before them are kept too,
/// after a `...` marker.
pub fn excerpt(text: &str, project: &Path, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    let start = all.len().saturating_sub(lines);
    let project = project.to_string_lossy();
    let mut kept: Vec<&str> = Vec::new();
    let mut index = 0;
    while index < start {
        let line = all[index];
        if is_project_frame(line, &project) {
            kept.push(line);
            if let Some(code) = all
                .get(index + 1)
                .filter(|next| index + 1 < start && !next.trim_start().starts_with("File \""))
            {
                kept.push(code);
                index += 1;
            }
        }
        index += 1;
    }
    let mut out: Vec<&str> = Vec::new();
    if !kept.is_empty() {
        if let Some(first) = all.first().filter(|first| first.starts_with("Traceback")) {
            out.push(first);
        }
        out.extend(kept);
        out.push("  ...");
    }
    out.extend(&all[start..]);
    out.join("\n")
}

fn is_project_frame(line: &str, project: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("File \"") && line[6..].starts_with(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_frames_survive_a_long_library_traceback() {
        let mut text = String::from("Traceback (most recent call last):\n");
        text.push_str("  File \"/proj/migrations/versions/0007_tokens.py\", line 3, in <module>\n");
        text.push_str("    from datetime import UTC\n");
        for n in 0..30 {
            text.push_str(&format!(
                "  File \"/venv/lib/site-packages/lib{n}.py\", line 1, in f\n    f()\n"
            ));
        }
        text.push_str("ImportError: cannot import name 'UTC' from 'datetime'\n");
        let out = excerpt(&text, Path::new("/proj"), 4);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "Traceback (most recent call last):");
        assert!(lines[1].contains("0007_tokens.py"), "{out}");
        assert_eq!(lines[2].trim(), "from datetime import UTC");
        assert_eq!(lines[3], "  ...");
        assert_eq!(
            lines.last().copied(),
            Some("ImportError: cannot import name 'UTC' from 'datetime'")
        );
        assert_eq!(lines.len(), 8);
    }

    #[test]
    fn short_output_is_kept_whole() {
        assert_eq!(excerpt("a\nb\n", Path::new("/proj"), 10), "a\nb");
    }
}
