//! Drift: the revisions a live database's version table records against the heads of the migration
//! files. Reading is read-only and split by engine (one file per engine, like introspection): a
//! SQLite file is opened read-only, a server connection is read-only and reads in a read-only
//! transaction that is rolled back. The comparison is pure. URLs are shown redacted everywhere.
//! Beside `lint`, whose revision graph it reads: lint never touches a database, drift never writes.

mod mysql;
mod postgres;
mod sqlite;
mod url;

use std::collections::HashSet;
use std::fmt;

pub use url::{DatabaseUrl, redact};

use crate::database::ServerUrl;
use crate::dialect::{self, ConnectError, Family};
use crate::lint::RevisionGraph;

/// The column Alembic records a revision in, one row per head.
const REVISION_COLUMN: &str = "version_num";

/// Why the version table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("database URL `{url}`: {why}")]
    BadUrl { url: String, why: String },
    #[error("cannot read the database {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// Connected, but the version table could not be read (no permission, no `version_num`).
    #[error("cannot read the version table of {url}: {detail}")]
    Unreadable { url: String, detail: String },
}

impl DriftError {
    fn unreachable(url: &DatabaseUrl, detail: impl fmt::Display) -> Self {
        DriftError::Unreachable {
            url: url.shown().to_string(),
            detail: detail.to_string(),
        }
    }

    fn unreadable(url: &DatabaseUrl, detail: impl fmt::Display) -> Self {
        DriftError::Unreadable {
            url: url.shown().to_string(),
            detail: detail.to_string(),
        }
    }
}

impl DriftError {
    /// Whether trying again later can help (a database still starting); the others are mistakes.
    pub fn is_transient(&self) -> bool {
        matches!(self, DriftError::Unreachable { .. })
    }
}

/// Connects client `C` to the server's database, with the options `configure` adds; a server
/// that does not answer within the dialect's connect timeout is unreachable.
async fn connect<C: sqlx::Connection>(
    url: &DatabaseUrl,
    server: &ServerUrl,
    configure: impl FnOnce(C::Options) -> C::Options,
) -> Result<C, DriftError> {
    dialect::connect_with::<C>(&server.sqlx(&server.database), configure)
        .await
        .map_err(|err| match err {
            ConnectError::BadUrl(err) => DriftError::BadUrl {
                url: url.shown().to_string(),
                why: format!(
                    "{err} (in a URL, a password holding / ? @ # or : is written percent-encoded: %2F %3F %40 %23 %3A)"
                ),
            },
            ConnectError::TimedOut | ConnectError::Failed(_) => DriftError::unreachable(url, err),
        })
}

/// What the database's version table holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionTable {
    /// There is no version table: the database was never migrated or stamped.
    Missing,
    /// The recorded revisions, sorted (empty when the table has no row).
    Revisions(Vec<String>),
}

/// Reads the version table `table` of the database at `url`. Never writes.
pub async fn read_versions(url: &DatabaseUrl, table: &str) -> Result<VersionTable, DriftError> {
    match url {
        DatabaseUrl::Sqlite { path, shown } => sqlite::read_versions(path, table, shown).await,
        DatabaseUrl::Server { server, .. } => match server.family() {
            Family::Postgres => postgres::read_versions(url, server, table).await,
            Family::Mysql => mysql::read_versions(url, server, table).await,
        },
    }
}

/// The database's revisions against the files' heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// What the database records, sorted.
    pub db: Vec<String>,
    /// The heads of the migration files, sorted.
    pub expected: Vec<String>,
    /// Database revisions no migration file defines (the code is older than the database, or a
    /// file is missing).
    pub unknown: Vec<String>,
    /// How many revisions an upgrade to the heads would apply.
    pub pending: usize,
}

impl Drift {
    pub fn compare(db: &[String], graph: &RevisionGraph) -> Self {
        let mut db = db.to_vec();
        db.sort();
        db.dedup();
        let mut expected: Vec<String> = graph
            .heads()
            .into_iter()
            .map(|h| graph.id(h).to_string())
            .collect();
        expected.sort();
        let unknown: Vec<String> = db
            .iter()
            .filter(|rev| graph.find(rev).is_none())
            .cloned()
            .collect();
        let applied: HashSet<usize> = db
            .iter()
            .filter_map(|rev| graph.find(rev))
            .flat_map(|node| graph.ancestors(node))
            .collect();
        let wanted: HashSet<usize> = graph
            .heads()
            .into_iter()
            .flat_map(|node| graph.ancestors(node))
            .collect();
        let pending = wanted.difference(&applied).count();
        Self {
            db,
            expected,
            unknown,
            pending,
        }
    }

    pub fn is_current(&self) -> bool {
        self.db == self.expected
    }

    /// `current`, or `drift: db=<revs> expected=<heads>`.
    pub fn line(&self) -> String {
        if self.is_current() {
            "current".to_string()
        } else {
            format!(
                "drift: db={} expected={}",
                list(&self.db),
                list(&self.expected)
            )
        }
    }
}

fn list(revisions: &[String]) -> String {
    if revisions.is_empty() {
        "(none)".to_string()
    } else {
        revisions.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::RevisionFile;
    use std::path::Path;

    fn chain() -> RevisionGraph {
        let files: Vec<RevisionFile> = [("a", "None"), ("b", "'a'"), ("c", "'b'")]
            .iter()
            .map(|(id, down)| {
                RevisionFile::parse(
                    Path::new(&format!("{id}.py")),
                    &format!("revision = '{id}'\ndown_revision = {down}\n"),
                )
            })
            .collect();
        RevisionGraph::build(&files)
    }

    #[test]
    fn behind_unknown_and_current() {
        let graph = chain();
        let behind = Drift::compare(&["a".to_string()], &graph);
        assert_eq!(behind.line(), "drift: db=a expected=c");
        assert_eq!(behind.pending, 2);
        let empty = Drift::compare(&[], &graph);
        assert_eq!(empty.line(), "drift: db=(none) expected=c");
        assert_eq!(empty.pending, 3);
        let unknown = Drift::compare(&["zz".to_string()], &graph);
        assert_eq!(unknown.unknown, ["zz"]);
        let current = Drift::compare(&["c".to_string()], &graph);
        assert!(current.is_current());
        assert_eq!(current.line(), "current");
        assert_eq!(current.pending, 0);
    }
}
