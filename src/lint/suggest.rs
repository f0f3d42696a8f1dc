//! "Did you mean": maps what a mistaken `down_revision` or `depends_on` usually holds (a file name,
//! a file stem, a revision's slug, or the start of an id) back to the revision it meant.

use std::collections::HashMap;

use super::graph::RevisionGraph;
use super::revision_file::RevisionFile;

/// Looks up a revision by the names people confuse with its id.
#[derive(Debug, Default)]
pub struct Suggester {
    /// name -> (revision id, file name); None when the name is ambiguous.
    names: HashMap<String, Option<(String, String)>>,
    ids: Vec<(String, String)>,
}

impl Suggester {
    pub fn new(files: &[RevisionFile], graph: &RevisionGraph) -> Self {
        let mut suggester = Self::default();
        for revision in &graph.revisions {
            let file = &files[revision.file];
            let target = (revision.id.clone(), file.name());
            let mut names = vec![file.name(), file.stem()];
            names.extend(file.slug());
            names.sort();
            names.dedup();
            for name in names {
                suggester
                    .names
                    .entry(name.to_lowercase())
                    .and_modify(|known| {
                        if known.as_ref() != Some(&target) {
                            *known = None;
                        }
                    })
                    .or_insert_with(|| Some(target.clone()));
            }
            suggester.ids.push(target);
        }
        suggester.ids.sort();
        suggester
    }

    /// The revision `name` most likely meant: `(revision id, file name)`.
    pub fn suggest(&self, name: &str) -> Option<(String, String)> {
        let key = name.trim().to_lowercase();
        if key.is_empty() {
            return None;
        }
        if let Some(Some(found)) = self.names.get(&key) {
            return Some(found.clone());
        }
        if let Some(Some(found)) = key.strip_suffix(".py").and_then(|k| self.names.get(k)) {
            return Some(found.clone());
        }
        let mut prefixed = self
            .ids
            .iter()
            .filter(|(id, _)| id.to_lowercase().starts_with(&key));
        match (prefixed.next(), prefixed.next()) {
            (Some(found), None) if key.len() >= 4 => Some(found.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn file_names_stems_slugs_and_prefixes() {
        let files = vec![
            RevisionFile::parse(
                Path::new("v/20250911_db_timeouts_relax_hotfix_0911.py"),
                "revision = 'db_timeouts_relax_hotfix_0911'\ndown_revision = None\n",
            ),
            RevisionFile::parse(
                Path::new("v/ae1027a6acf_add_users.py"),
                "revision = 'ae1027a6acf'\ndown_revision = None\n",
            ),
        ];
        let graph = RevisionGraph::build(&files);
        let s = Suggester::new(&files, &graph);
        let id = |name: &str| s.suggest(name).map(|(id, _)| id);
        assert_eq!(
            id("20250911_db_timeouts_relax_hotfix_0911").as_deref(),
            Some("db_timeouts_relax_hotfix_0911")
        );
        assert_eq!(
            id("20250911_db_timeouts_relax_hotfix_0911.py").as_deref(),
            Some("db_timeouts_relax_hotfix_0911")
        );
        assert_eq!(id("add_users").as_deref(), Some("ae1027a6acf"));
        assert_eq!(id("ae10").as_deref(), Some("ae1027a6acf"));
        assert_eq!(id("ae1"), None);
        assert_eq!(id("something_else"), None);
    }
}
