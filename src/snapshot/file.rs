//! `.snap` files in insta's format: a `---` front matter saying what produced the snapshot, then the
//! body. A mismatch is written beside the file as `.snap.new` for review.

use std::path::{Path, PathBuf};

/// The front matter of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub description: String,
    pub expression: String,
}

/// Reads the body of a snapshot file; `Ok(None)` when it does not exist.
pub fn read_body(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(body_of(&text).to_string())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// The text after the front matter (the whole text when there is none), without trailing newlines.
pub fn body_of(text: &str) -> &str {
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|end| &rest[end + 5..]))
        .unwrap_or(text);
    body.trim_end_matches('\n')
}

/// The snapshot file's text.
pub fn compose(header: &Header, body: &str) -> String {
    format!(
        "---\nsource: harness\ndescription: {}\nexpression: {}\n---\n{}\n",
        yaml_string(&header.description),
        yaml_string(&header.expression),
        body.trim_end_matches('\n')
    )
}

/// Writes through a temporary file and a rename, so a reader never sees half a snapshot.
pub fn write(path: &Path, header: &Header, body: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let scratch = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(scratch.path(), compose(header, body))?;
    scratch.persist(path).map_err(|err| err.error)?;
    Ok(())
}

/// `x.snap` -> `x.snap.new`.
pub fn pending_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// JSON strings are YAML strings: quoting this way is always valid front matter.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composed_file_reads_back_and_insta_can_load_it() {
        let header = Header {
            description: "scenario \"partial\" on sqlite".into(),
            expression: "after upgrade".into(),
        };
        let body = "table a\n  column id INTEGER\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sqlite.snap");
        write(&path, &header, body).unwrap();
        assert_eq!(read_body(&path).unwrap().unwrap(), body.trim_end());
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        let text = snapshot
            .contents()
            .as_text()
            .expect("a text snapshot")
            .to_string();
        assert_eq!(text.trim_end(), body.trim_end());
    }

    #[test]
    fn missing_files_read_as_none() {
        assert!(
            read_body(Path::new("/nonexistent/x.snap"))
                .unwrap()
                .is_none()
        );
    }
}
