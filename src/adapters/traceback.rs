//! Cuts a Python tool's output down to what a report needs: the last lines, plus the traceback frames
//! that point into the user's project (the migration file that failed), even when they scrolled out
//! of the tail behind frames of the installed libraries.

use std::path::Path;

/// The last `lines` lines of `text`; frames inside `project` that fall before them are kept too,
/// after a `...` marker.
pub fn excerpt(text: &str, project: &Path, lines: usize) -> String {
    let all = without_entry_frames(text.trim_end());
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

/// The lines of a traceback without the frames of the harness's own entry point (the wrapper that
/// names the revision a failure stopped in): they are not the project's, nor Alembic's.
fn without_entry_frames(text: &str) -> Vec<&str> {
    let mut kept = Vec::new();
    let mut skipping_deeper_than: Option<usize> = None;
    for line in text.lines() {
        let depth = line
            .find(|c: char| c != ' ' && c != '|')
            .unwrap_or(line.len());
        if let Some(frame) = skipping_deeper_than {
            if depth > frame {
                continue;
            }
            skipping_deeper_than = None;
        }
        if let Some(at) = line.find("File \"")
            && line[at..].contains("/alembic_entry_")
        {
            skipping_deeper_than = Some(at);
            continue;
        }
        kept.push(line);
    }
    kept
}

fn is_project_frame(line: &str, project: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("File \"") && line[6..].starts_with(project)
}

/// The line of a tool's output that names the error: the last `dotted.Name: message` line (how
/// Python prints an exception), else the last non-empty line.
pub fn error_line(output: &str) -> String {
    let name_of = |line: &str| -> Option<String> {
        let (name, _) = line.split_once(": ")?;
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        valid.then(|| name.to_string())
    };
    // Prefer an exception's line (`...Error: ...`) over notes such as `HINT: ...`.
    let exception = output.lines().rev().find(|line| {
        name_of(line).is_some_and(|name| {
            let last = name.rsplit('.').next().unwrap_or(&name).to_string();
            last.ends_with("Error") || last.ends_with("Exception") || last.ends_with("Exit")
        })
    });
    if let Some(line) = exception
        && line.contains("validation error")
    {
        let fields = missing_settings(output);
        if !fields.is_empty() {
            return format!("{}: missing {}", line.trim(), fields.join(", "));
        }
    }
    exception
        .or_else(|| output.lines().rev().find(|line| name_of(line).is_some()))
        .or_else(|| {
            output.lines().rev().find(|line| {
                !line.trim().is_empty()
                    && !line.trim_start().starts_with("(Background on this error")
            })
        })
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The settings fields a pydantic `ValidationError` says are required and missing: a field's name
/// on a line of its own, then `Field required` (pydantic 2) or `field required` (pydantic 1)
/// indented below it.
pub fn missing_settings(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().collect();
    let mut fields = Vec::new();
    for pair in lines.windows(2) {
        let (name, reason) = (pair[0], pair[1]);
        let is_field = !name.starts_with(' ')
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let required = reason.starts_with(' ')
            && (reason.trim_start().starts_with("Field required")
                || reason.trim_start().starts_with("field required"));
        if is_field && required && !fields.iter().any(|f| f == name) {
            fields.push(name.to_string());
        }
    }
    fields
}

/// Whether a failed upgrade's output is the database's dialect refusing what the migration asks
/// (SQL it does not accept, a type or an ALTER it cannot do): another engine may accept it.
pub fn dialect_error(text: &str) -> bool {
    const MARKERS: [&str; 9] = [
        "can't render element of type",
        ": syntax error",
        "No support for ALTER of constraints in SQLite",
        "UnsupportedCompilationError",
        "psycopg2.errors.SyntaxError",
        "psycopg.errors.SyntaxError",
        "You have an error in your SQL syntax",
        "Cannot add a NOT NULL column with default value NULL",
        "is not supported by this dialect",
    ];
    MARKERS.iter().any(|m| text.contains(m))
        || (text.contains("sqlite3.OperationalError") && text.contains("near \""))
        || (text.contains("NotImplementedError") && text.contains("SQLite"))
}

/// The module of the last `ModuleNotFoundError: No module named 'x.y'` in a traceback.
pub fn missing_module(text: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let rest = line.split("No module named ").nth(1)?;
        Some(rest.trim().trim_matches(['\'', '"']).to_string())
    })
}

/// The last file of the project (below `dir`'s repository) a traceback passes through.
pub fn importing_file(text: &str, dir: &Path) -> Option<String> {
    let dir = dir.display().to_string();
    text.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix("File \"")?;
        let (path, _) = rest.split_once('"')?;
        (path.starts_with(&dir) && !path.contains("site-packages")).then(|| {
            let line_no = rest
                .split("line ")
                .nth(1)
                .and_then(|l| l.split(',').next())
                .unwrap_or("?");
            format!("{path}:{line_no}")
        })
    })
}

/// A process's output like [`crate::process::Output::tail`], but keeping the traceback frames
/// that point into `project`: from stderr, or stdout when stderr is empty.
pub fn output_excerpt(output: &crate::process::Output, project: &Path, lines: usize) -> String {
    let text = if output.stderr.trim().is_empty() {
        &output.stdout
    } else {
        &output.stderr
    };
    excerpt(text, project, lines)
}

/// A tool process's excerpt for a report: [`output_excerpt`] without terminal control codes, and
/// ending with the exception's own line when the tail cut it (a database error's SQL can be longer
/// than the tail).
pub fn tool_excerpt(run: &super::ToolRun, project: &Path, lines: usize) -> String {
    let mut text = without_terminal_codes(&output_excerpt(&run.output, project, lines));
    if let Some(line) = run.exception_line()
        && !text.contains(line)
    {
        text.push_str("\n  ...\n");
        text.push_str(line);
    }
    text
}

/// `text` without ANSI escape sequences (colours, cursor moves) and other control characters but
/// newlines and tabs.
pub fn without_terminal_codes(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte; other escapes: ESC and one character.
            if chars.next_if_eq(&'[').is_some() {
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
        } else if !c.is_control() || c == '\n' || c == '\t' {
            kept.push(c);
        }
    }
    kept
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

#[cfg(test)]
mod entry_frame_tests {
    use super::without_entry_frames;

    #[test]
    fn the_entry_points_own_frames_are_left_out() {
        let text = "Traceback (most recent call last):\n  File \"/x/alembic/runtime/migration.py\", line 628, in run_migrations\n    step.migration_fn(**kw)\n  File \"/c/scripts/alembic_entry_0487.py\", line 293, in migration\n    result = function(*args, **kwargs)\n             ^^^^^^^^^\n  File \"/p/versions/0007.py\", line 11, in upgrade\n    raise RuntimeError(\"x\")\nRuntimeError: x";
        let kept = without_entry_frames(text).join("\n");
        assert!(!kept.contains("alembic_entry"), "{kept}");
        assert!(!kept.contains("result = function"), "{kept}");
        assert!(
            kept.contains("step.migration_fn(**kw)\n  File \"/p/versions/0007.py\""),
            "{kept}"
        );
        assert!(kept.ends_with("RuntimeError: x"), "{kept}");
    }
}

#[cfg(test)]
mod settings_tests {
    use super::{error_line, missing_settings, without_terminal_codes};

    #[test]
    fn terminal_codes_are_dropped() {
        assert_eq!(
            without_terminal_codes("\u{1b}[31mERROR\u{1b}[0m: x\r\n\tdone\u{7}"),
            "ERROR: x\n\tdone"
        );
    }

    #[test]
    fn a_settings_validation_error_names_the_missing_fields() {
        let v2 = "Traceback (most recent call last):\n  File \"x.py\", line 1\npydantic_core._pydantic_core.ValidationError: 2 validation errors for ProdAppSettings\nsecret_key\n  Field required [type=missing, input_value={}, input_type=dict]\ndatabase_url\n  Field required [type=missing]\n";
        assert_eq!(missing_settings(v2), ["secret_key", "database_url"]);
        assert_eq!(
            error_line(v2),
            "pydantic_core._pydantic_core.ValidationError: 2 validation errors for ProdAppSettings: missing secret_key, database_url"
        );
        let v1 = "pydantic.error_wrappers.ValidationError: 1 validation error for Settings\nsecret_key\n  field required (type=value_error.missing)\n";
        assert_eq!(missing_settings(v1), ["secret_key"]);
    }
}
