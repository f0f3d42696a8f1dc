//! What a project's own documentation, CI workflows, images and scripts say about migrating it:
//! the command line its own migrate command is run with (`prefect server database upgrade -y`),
//! and the variable its database URL is given in. Reads files only.

use std::collections::BTreeMap;
use std::path::Path;

/// How deep below the root files are read.
const MAX_DEPTH: usize = 5;
/// How many files are read at most.
const MAX_FILES: usize = 4_000;
/// Larger files are not read.
const MAX_BYTES: u64 = 512 * 1024;

/// A command line or a variable, with how often the project's files say it and where first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documented<T> {
    pub what: T,
    /// The first file saying it, relative to the root, with `/`.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// How many places say it.
    pub places: usize,
}

/// The command line the project's files most often run `script` with to upgrade a database: its
/// arguments hold `upgrade` or `migrate` (never `downgrade`), and it stops before a shell operator,
/// a quote or a placeholder (`[OPTIONS]`, `<name>`, `$VAR`). Ties go to the line with a
/// non-interactive flag (`-y`, `--yes`), then to the shorter.
pub fn upgrade_command(root: &Path, script: &str) -> Option<Documented<Vec<String>>> {
    let mut found: BTreeMap<Vec<String>, Documented<Vec<String>>> = BTreeMap::new();
    for (file, text) in files(root) {
        for (index, line) in text.lines().enumerate() {
            for argv in invocations(line, script) {
                count(&mut found, argv, &file, index + 1);
            }
        }
    }
    found.into_values().max_by_key(|documented| {
        let yes = documented
            .what
            .iter()
            .any(|arg| matches!(arg.as_str(), "-y" | "--yes" | "--no-input" | "--noinput"));
        (
            documented.places,
            yes,
            std::cmp::Reverse(documented.what.len()),
        )
    })
}

/// The variable the project's files most often set to a database URL
/// (`PREFECT_SERVER_DATABASE_CONNECTION_URL="postgresql+asyncpg://..."`, `DATABASE_URL:
/// postgres://...` in a compose file); its name must say database.
pub fn url_variable(root: &Path) -> Option<Documented<String>> {
    let pattern = regex::Regex::new(
        r#"\b([A-Z][A-Z0-9_]*)\s*[=:]\s*["']?(?:postgresql|postgres|mysql|mariadb|sqlite)(?:\+[a-z0-9_]+)?://"#,
    )
    .expect("a valid pattern");
    let mut found: BTreeMap<String, Documented<String>> = BTreeMap::new();
    for (file, text) in files(root) {
        for (index, line) in text.lines().enumerate() {
            for caps in pattern.captures_iter(line) {
                let name = caps[1].to_string();
                let says_database = ["DATABASE", "DB", "SQL", "DSN"]
                    .iter()
                    .any(|word| name.contains(word));
                if !says_database {
                    continue;
                }
                count(&mut found, name, &file, index + 1);
            }
        }
    }
    found
        .into_values()
        .max_by_key(|documented| documented.places)
}

/// Whether the project's files name `word` (a variable such as `PREFECT_HOME`) as a whole word.
pub fn mentions(root: &Path, word: &str) -> bool {
    files(root).iter().any(|(_, text)| {
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            let outside =
                |c: Option<char>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            outside(before) && outside(after)
        })
    })
}

/// Counts one more place saying `what`, remembering the first.
fn count<T: Ord + Clone>(found: &mut BTreeMap<T, Documented<T>>, what: T, file: &str, line: usize) {
    found
        .entry(what.clone())
        .or_insert(Documented {
            what,
            file: file.to_string(),
            line,
            places: 0,
        })
        .places += 1;
}

/// The runs of `script` on one line, each as its argument vector (the script first).
fn invocations(line: &str, script: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = line[from..].find(script) {
        let start = from + at;
        from = start + script.len();
        let before = line[..start].chars().next_back();
        let starts_word = before.is_none_or(|c| {
            c.is_whitespace() || matches!(c, '`' | '"' | '\'' | '$' | '(' | ';' | '&' | '|' | '>')
        });
        if !starts_word || !line[from..].starts_with(' ') {
            continue;
        }
        let rest = &line[from..];
        let end = rest
            .find([
                '`', '"', '\'', ';', '|', '&', ')', '#', '\\', '<', '[', '$', '{',
            ])
            .unwrap_or(rest.len());
        let args: Vec<String> = rest[..end]
            .split_whitespace()
            .take_while(|arg| {
                arg.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '='))
            })
            .map(str::to_string)
            .collect();
        // `upgrade`, `migrate`, or a word of a compound (`db-upgrade`, `db:migrate`).
        let upgrades = args.iter().any(|arg| {
            arg.split(['-', '_', ':'])
                .any(|word| word == "upgrade" || word == "migrate")
        });
        let other = args.iter().any(|arg| {
            matches!(
                arg.as_str(),
                "downgrade" | "--help" | "-h" | "revision" | "reset" | "stamp"
            )
        });
        if upgrades && !other {
            found.push(
                std::iter::once(script.to_string())
                    .chain(args)
                    .collect::<Vec<_>>(),
            );
        }
    }
    found
}

/// The text files that document running the project: documentation, CI workflows, Dockerfiles,
/// compose files, shell scripts, Makefiles; with their paths relative to the root, in a stable
/// order.
fn files(root: &Path) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    walk(root, root, 0, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|relative| {
            let text = std::fs::read_to_string(root.join(&relative)).ok()?;
            Some((relative, text))
        })
        .collect()
}

fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        if found.len() >= MAX_FILES {
            return;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let skipped = (name.starts_with('.') && name != ".github" && name != "workflows")
                || [
                    "node_modules",
                    "site-packages",
                    "vendor",
                    "__pycache__",
                    "tests",
                    "test",
                ]
                .contains(&name.as_str());
            if depth < MAX_DEPTH && !skipped {
                walk(root, &path, depth + 1, found);
            }
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let wanted = [".md", ".mdx", ".rst", ".yml", ".yaml", ".sh"]
            .iter()
            .any(|ext| lower.ends_with(ext))
            || lower.starts_with("dockerfile")
            || lower.ends_with(".dockerfile")
            || ["makefile", "justfile", "procfile"].contains(&lower.as_str());
        if wanted && entry.metadata().is_ok_and(|m| m.len() <= MAX_BYTES) {
            found.push(crate::discover::relative(root, &path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_the_script_on_a_line() {
        assert_eq!(
            invocations(
                "docker run img sh -c \"tool db downgrade --yes -r base && tool db upgrade --yes\"",
                "tool"
            ),
            [vec!["tool", "db", "upgrade", "--yes"]]
        );
        assert_eq!(
            invocations("$ tool db upgrade [OPTIONS]", "tool"),
            [vec!["tool", "db", "upgrade"]]
        );
        assert_eq!(
            invocations("    tool db-upgrade", "tool"),
            [vec!["tool", "db-upgrade"]]
        );
        assert!(invocations("mytool db upgrade", "tool").is_empty());
        assert!(invocations("tool server start", "tool").is_empty());
        assert!(invocations("tool db upgrade --help", "tool").is_empty());
    }

    #[test]
    fn the_most_documented_line_and_url_variable_win() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "docs/self-hosting.md",
            "Run `tool db upgrade -y` once.\n\n```\ntool db upgrade -y\n```\nSet TOOL_DATABASE_URL=\"postgresql+asyncpg://u:p@db/tool\"\n",
        );
        write(
            ".github/workflows/ci.yml",
            "      - run: tool db upgrade\n      - run: echo TOOL_DATABASE_URL=postgresql+asyncpg://x@localhost/t >> $GITHUB_ENV\n        env:\n          REDIS_URL: redis://localhost\n",
        );
        write(
            "tests/notes.md",
            "tool db migrate\ntool db migrate\ntool db migrate\n",
        );
        let command = upgrade_command(root.path(), "tool").unwrap();
        assert_eq!(command.what, ["tool", "db", "upgrade", "-y"]);
        assert_eq!(
            (command.file.as_str(), command.line, command.places),
            ("docs/self-hosting.md", 1, 2)
        );
        assert!(mentions(root.path(), "TOOL_DATABASE_URL"));
        assert!(!mentions(root.path(), "TOOL_DATABASE"));
        let variable = url_variable(root.path()).unwrap();
        assert_eq!(variable.what, "TOOL_DATABASE_URL");
        assert_eq!(variable.places, 2);
        assert!(upgrade_command(root.path(), "other").is_none());
    }
}
