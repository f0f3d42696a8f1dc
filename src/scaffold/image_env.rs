//! The environment a project's own image gives its app: `ENV` instructions of its Dockerfiles. A
//! value the settings require and the image sets is the value a real install runs with
//! (`ENV PRODUCTION=true`). Reads files only.

use std::path::Path;

/// How deep below the root Dockerfiles are looked for.
const MAX_DEPTH: usize = 3;

/// A variable a Dockerfile sets, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEnv {
    pub name: String,
    pub value: String,
    /// The Dockerfile, relative to the root, with `/`.
    pub file: String,
    /// 1-based line of the `ENV` instruction.
    pub line: usize,
}

/// Every literal `ENV` value of the Dockerfiles below `root` (shallowest file first; within a
/// file, in order). Values that expand a variable or an argument (`$HOME/data`) are left out:
/// they mean something only inside the image.
pub fn image_env(root: &Path) -> Vec<ImageEnv> {
    let mut files = Vec::new();
    find_dockerfiles(root, root, 0, &mut files);
    files.sort_by_key(|file| (file.matches('/').count(), file.clone()));
    files
        .iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(root.join(file)).ok()?;
            Some(parse(&text, file))
        })
        .flatten()
        .collect()
}

/// The value the shallowest Dockerfile setting `name` gives it last.
pub fn value_for<'a>(found: &'a [ImageEnv], name: &str) -> Option<&'a ImageEnv> {
    let first = found.iter().find(|env| env.name == name)?;
    found
        .iter()
        .rfind(|env| env.name == name && env.file == first.file)
}

fn find_dockerfiles(root: &Path, dir: &Path, depth: usize, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            let skipped = name.starts_with('.')
                || ["node_modules", "tests", "test", "vendor", "site-packages"]
                    .contains(&name.as_str());
            if depth < MAX_DEPTH && !skipped {
                find_dockerfiles(root, &path, depth + 1, found);
            }
        } else if name == "Dockerfile"
            || name.starts_with("Dockerfile.")
            || name.ends_with(".Dockerfile")
        {
            found.push(crate::discover::relative(root, &path));
        }
    }
}

/// The `ENV` values of one Dockerfile: `ENV A=1 B="two words"` and the older `ENV A value`, over
/// continued lines.
fn parse(text: &str, file: &str) -> Vec<ImageEnv> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let mut instruction = line.trim().to_string();
        while instruction.ends_with('\\') {
            instruction.pop();
            match lines.next() {
                Some((_, next)) => {
                    instruction.push(' ');
                    instruction.push_str(next.trim());
                }
                None => break,
            }
        }
        let Some(rest) = instruction
            .get(..4)
            .filter(|head| head.eq_ignore_ascii_case("ENV "))
            .map(|_| instruction[4..].trim())
        else {
            continue;
        };
        let mut push = |name: &str, value: &str| {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if valid && !value.contains('$') {
                found.push(ImageEnv {
                    name: name.to_string(),
                    value: value.to_string(),
                    file: file.to_string(),
                    line: index + 1,
                });
            }
        };
        let words = split_words(rest);
        if words.first().is_some_and(|word| word.contains('=')) {
            for word in &words {
                if let Some((name, value)) = word.split_once('=') {
                    push(name, value);
                }
            }
        } else if let Some((name, value)) = rest.split_once(char::is_whitespace) {
            push(name, unquote(value.trim()));
        }
    }
    found
}

/// Words separated by white space, quotes kept together and removed.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_over_continued_lines_and_never_an_expansion() {
        let text = "FROM python:3.12\nENV PYTHONUNBUFFERED=1 \\\n    APP_HOME=\"/srv/my app\" \\\n    PATH=\"$APP_HOME/bin:$PATH\"\nenv PRODUCTION true\nENV GREETING 'hello there'\nRUN echo ENV NOT=this\n";
        let found: Vec<(String, String, usize)> = parse(text, "Dockerfile")
            .into_iter()
            .map(|env| (env.name, env.value, env.line))
            .collect();
        assert_eq!(
            found,
            [
                ("PYTHONUNBUFFERED".into(), "1".into(), 2),
                ("APP_HOME".into(), "/srv/my app".into(), 2),
                ("PRODUCTION".into(), "true".into(), 5),
                ("GREETING".into(), "hello there".into(), 6),
            ]
        );
    }

    #[test]
    fn the_shallowest_dockerfile_gives_the_value_and_tests_are_not_read() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("docker/Dockerfile", "ENV MODE=first\nENV MODE=final\n");
        write("deploy/images/web/Dockerfile.prod", "ENV MODE=deeper\n");
        write("tests/Dockerfile", "ENV MODE=test\n");
        let found = image_env(root.path());
        let chosen = value_for(&found, "MODE").unwrap();
        assert_eq!(
            (chosen.value.as_str(), chosen.file.as_str(), chosen.line),
            ("final", "docker/Dockerfile", 2)
        );
        assert!(found.iter().all(|env| env.value != "test"));
        assert!(value_for(&found, "OTHER").is_none());
    }
}
