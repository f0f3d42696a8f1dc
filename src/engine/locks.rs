//! A `locks` cell's verdict: what each traced statement did to the tables and indexes that existed
//! before its revision (the locks it took and how long they were held, the rewrites), against the
//! scenario's limits, each finding with what to do instead.

use crate::adapters::{TracedLock, TracedStatement};
use crate::config::{EngineKind, LockLimits};

use crate::outcome::{WRITE_BLOCKING_LOCKS as WRITE_BLOCKING, lock_mode_name as mode_name};

/// The rows each table held when a revision began (counted after the seeding, before it ran).
pub type TableRows = std::sync::Arc<std::collections::BTreeMap<String, u64>>;

/// ` at 20,000 rows` when the count of `relation` is known, else nothing.
fn at_rows(rows: Option<&TableRows>, relation: &str) -> String {
    rows.and_then(|rows| rows.get(relation))
        .map(|count| crate::words::at_rows(*count))
        .unwrap_or_default()
}

/// The findings of `statements` against `limits`, one sentence each, in statement order; on
/// SQLite and MariaDB, rewrites only (no lock is read there). `rows` holds, for the statement at
/// the same index, the rows each table held when its revision began (it may be shorter).
pub fn findings(
    statements: &[TracedStatement],
    rows: &[TableRows],
    limits: &LockLimits,
    engine: EngineKind,
) -> Vec<String> {
    let mut found = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let rows = rows.get(index);
        let revision = statement.revision.as_deref().unwrap_or("?");
        if limits
            .allow
            .iter()
            .any(|(allowed, _)| revision.starts_with(allowed.as_str()) && !allowed.is_empty())
        {
            continue;
        }
        let place = place(statement);
        if limits.forbid_rewrites {
            for rewritten in rewrites(statement) {
                let what = if rewritten.index { "index" } else { "table" };
                found.push(format!(
                    "{place}: rewrites {what} {}{} (`{}`); instead: {}",
                    rewritten.relation,
                    at_rows(rows, &rewritten.relation),
                    short(&statement.sql),
                    rewrite_advice(&statement.sql, engine)
                ));
            }
        }
        for lock in strongest_locks(statement) {
            let limit = if lock.mode == "AccessExclusiveLock" {
                limits
                    .max_exclusive_ms
                    .map(|ms| (ms, "max_exclusive_ms"))
                    .or(limits
                        .max_write_block_ms
                        .map(|ms| (ms, "max_write_block_ms")))
            } else if WRITE_BLOCKING.contains(&lock.mode.as_str()) {
                limits
                    .max_write_block_ms
                    .map(|ms| (ms, "max_write_block_ms"))
            } else {
                None
            };
            if let Some((ms, key)) = limit
                && lock.held_ms > ms as f64
            {
                found.push(format!(
                    "{place}: {} on {} held {}{} ({key} = {ms}) from `{}`; instead: {}",
                    mode_name(&lock.mode),
                    lock.relation,
                    millis(lock.held_ms),
                    at_rows(rows, &lock.relation),
                    short(&statement.sql),
                    advice(&statement.sql, false)
                ));
            }
        }
    }
    found
}

/// One line per revision: its statements' locks on existing relations (strongest first) and
/// rewrites, `0003: ACCESS EXCLUSIVE on users 12 ms at 20,000 rows; rewrites users at 20,000 rows`.
pub fn summary(statements: &[TracedStatement], rows: &[TableRows]) -> Vec<String> {
    let mut revisions: Vec<(String, Option<&TableRows>, Vec<&TracedStatement>)> = Vec::new();
    // Alembic's own statements before the first revision (the version table) are no revision's.
    for (index, statement) in statements.iter().enumerate() {
        let Some(revision) = statement.revision.clone() else {
            continue;
        };
        match revisions.iter_mut().find(|(r, _, _)| *r == revision) {
            Some((_, _, list)) => list.push(statement),
            None => revisions.push((revision, rows.get(index), vec![statement])),
        }
    }
    revisions
        .into_iter()
        .map(|(revision, rows, list)| {
            let mut locks: Vec<&TracedLock> = list
                .iter()
                .flat_map(|s| strongest_locks(s))
                .filter(|l| WRITE_BLOCKING.contains(&l.mode.as_str()))
                .collect();
            locks.sort_by(|a, b| {
                strength(&b.mode)
                    .cmp(&strength(&a.mode))
                    .then(b.held_ms.total_cmp(&a.held_ms))
            });
            let mut parts: Vec<String> = locks
                .iter()
                .map(|l| {
                    format!(
                        "{} on {} {}{}",
                        mode_name(&l.mode),
                        l.relation,
                        millis(l.held_ms),
                        at_rows(rows, &l.relation)
                    )
                })
                .collect();
            let rewrites: Vec<String> = list
                .iter()
                .flat_map(|s| rewrites(s))
                .map(|r| format!("{}{}", r.relation, at_rows(rows, &r.relation)))
                .collect();
            if !rewrites.is_empty() {
                parts.push(format!("rewrites {}", rewrites.join(", ")));
            }
            if parts.is_empty() {
                parts.push("no lock that blocks writes on an existing table".into());
            }
            format!(
                "{revision}: {} ({} statements, {})",
                parts.join("; "),
                list.len(),
                millis(list.iter().map(|s| s.ms).sum())
            )
        })
        .collect()
}

/// The relations a statement rewrote that existed before: the tables, or the indexes alone when
/// it rewrote no table (a table's rewrite rebuilds its indexes too).
fn rewrites(statement: &TracedStatement) -> Vec<&crate::adapters::TracedRelation> {
    let existing: Vec<_> = statement.rewrites.iter().filter(|r| r.existed).collect();
    if existing.iter().any(|r| !r.index) {
        existing.into_iter().filter(|r| !r.index).collect()
    } else {
        existing
    }
}

/// A statement's locks on relations that existed before, the strongest per relation: on tables,
/// or on indexes alone when it locked no table.
fn strongest_locks(statement: &TracedStatement) -> Vec<&TracedLock> {
    let existing: Vec<&TracedLock> = statement.locks.iter().filter(|l| l.existed).collect();
    let tables = existing.iter().any(|l| !l.index);
    let mut kept: Vec<&TracedLock> = Vec::new();
    for lock in existing.into_iter().filter(|l| !tables || !l.index) {
        match kept.iter_mut().find(|k| k.relation == lock.relation) {
            Some(known) if lock_rank(&lock.mode) > lock_rank(&known.mode) => *known = lock,
            Some(_) => {}
            None => kept.push(lock),
        }
    }
    kept
}

/// PostgreSQL's table lock modes, weakest first.
fn lock_rank(mode: &str) -> usize {
    [
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ]
    .iter()
    .position(|m| *m == mode)
    .unwrap_or_default()
}

/// A traced statement as the cell's result keeps it: what it did to relations that existed before,
/// and the rows those held when its revision began.
pub fn kept(statement: &TracedStatement, rows: &TableRows) -> crate::outcome::TracedStatement {
    let touched = rewrites(statement)
        .into_iter()
        .map(|r| &r.relation)
        .chain(strongest_locks(statement).into_iter().map(|l| &l.relation));
    let rows = touched
        .filter_map(|relation| Some((relation.clone(), *rows.get(relation)?)))
        .collect();
    crate::outcome::TracedStatement {
        rows,
        revision: statement.revision.clone(),
        file: statement.file.clone(),
        line: statement.line,
        sql: statement.sql.clone(),
        ms: statement.ms,
        rewrites: rewrites(statement)
            .into_iter()
            .map(|r| r.relation.clone())
            .collect(),
        locks: strongest_locks(statement)
            .into_iter()
            .map(|l| crate::outcome::HeldLock {
                relation: l.relation.clone(),
                mode: l.mode.clone(),
                held_ms: l.held_ms,
            })
            .collect(),
    }
}

fn strength(mode: &str) -> usize {
    WRITE_BLOCKING
        .iter()
        .position(|m| *m == mode)
        .unwrap_or_default()
}

fn place(statement: &TracedStatement) -> String {
    let revision = statement.revision.as_deref().unwrap_or("?");
    match (&statement.file, statement.line) {
        (Some(file), Some(line)) => {
            let name = std::path::Path::new(file)
                .file_name()
                .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
            format!("{revision} ({name}:{line})")
        }
        _ => revision.to_string(),
    }
}

fn short(sql: &str) -> String {
    let mut text: String = sql.chars().take(80).collect();
    if sql.chars().count() > 80 {
        text.push_str("...");
    }
    text
}

fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{} ms", ms.round())
    }
}

/// What to write instead of `sql`, which rewrote a table on `engine`.
fn rewrite_advice(sql: &str, engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Sqlite => {
            "SQLite rebuilds the table to alter it (Alembic's batch mode copies every row while the database's write lock is held): where the change is only a new nullable column, op.add_column() adds it in place"
        }
        EngineKind::Mariadb => {
            "MariaDB copied the table (every row, writes blocked): ask for ALGORITHM=INSTANT or INPLACE (op.execute(\"ALTER TABLE ... , ALGORITHM=INPLACE, LOCK=NONE\")) so the server refuses what it cannot do in place, or split the change into steps it can"
        }
        _ => advice(sql, true),
    }
}

/// What to write instead of `sql`, by what it does.
fn advice(sql: &str, rewrite: bool) -> &'static str {
    let upper = sql.to_ascii_uppercase();
    if upper.starts_with("CREATE INDEX") || upper.starts_with("CREATE UNIQUE INDEX") {
        "CREATE INDEX CONCURRENTLY outside the transaction (op.create_index(..., postgresql_concurrently=True) inside op.get_context().autocommit_block())"
    } else if upper.contains("FOREIGN KEY") || upper.contains("ADD CONSTRAINT") {
        "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later revision (it takes a weaker lock)"
    } else if upper.contains(" TYPE ") && upper.contains("ALTER COLUMN") {
        "add a new column of the new type, backfill it in batches, then switch to it"
    } else if upper.contains("ADD COLUMN") && (rewrite || upper.contains("DEFAULT")) {
        "add the column nullable without a volatile default, then backfill it in batches"
    } else if upper.starts_with("UPDATE") || upper.starts_with("DELETE") {
        "update in batches, each in a short transaction of its own"
    } else {
        "keep the lock short: set a lock_timeout and split the revision so the lock is not held across other work"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::TracedRelation;

    fn statement(revision: &str, sql: &str, locks: Vec<TracedLock>) -> TracedStatement {
        TracedStatement {
            revision: Some(revision.into()),
            file: Some("/p/migrations/versions/0002_idx.py".into()),
            line: Some(18),
            sql: sql.into(),
            ms: 4.0,
            rewrites: Vec::new(),
            locks,
        }
    }

    fn lock(relation: &str, mode: &str, held_ms: f64, existed: bool) -> TracedLock {
        TracedLock {
            relation: relation.into(),
            index: false,
            mode: mode.into(),
            held_ms,
            existed,
        }
    }

    #[test]
    fn locks_over_their_limit_on_existing_tables_are_findings_with_advice() {
        let index = statement(
            "0002",
            "CREATE INDEX ix_users_email ON users (email)",
            vec![lock("users", "ShareLock", 2500.0, true)],
        );
        let created = statement(
            "0003",
            "CREATE TABLE audit (id INTEGER)",
            vec![lock("audit", "AccessExclusiveLock", 9000.0, false)],
        );
        let limits = LockLimits {
            max_exclusive_ms: Some(200),
            max_write_block_ms: Some(2000),
            ..LockLimits::default()
        };
        let rows = TableRows::new([("users".to_string(), 100_000)].into());
        let found = findings(
            &[index.clone(), created.clone()],
            &[rows.clone(), rows],
            &limits,
            EngineKind::Postgres,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "0002 (0002_idx.py:18): SHARE on users held 2.5 s at 100,000 rows (max_write_block_ms = 2000)"
            ),
            "{}",
            found[0]
        );
        assert!(
            found[0].contains("CREATE INDEX CONCURRENTLY"),
            "{}",
            found[0]
        );
        let allowed = LockLimits {
            allow: vec![("0002".into(), "maintenance window".into())],
            ..limits
        };
        assert!(findings(&[index, created], &[], &allowed, EngineKind::Postgres).is_empty());
    }

    #[test]
    fn a_rewrite_of_an_existing_table_is_a_finding_when_forbidden() {
        let mut add = statement(
            "0004",
            "ALTER TABLE users ADD COLUMN token TEXT DEFAULT md5(random()::text)",
            vec![lock("users", "AccessExclusiveLock", 3.0, true)],
        );
        add.rewrites.push(TracedRelation {
            relation: "users".into(),
            index: false,
            existed: true,
        });
        let forbid = LockLimits {
            forbid_rewrites: true,
            ..LockLimits::default()
        };
        let found = findings(
            std::slice::from_ref(&add),
            &[],
            &forbid,
            EngineKind::Postgres,
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("rewrites table users (`"), "{}", found[0]);
        assert!(
            found[0].contains("nullable without a volatile default"),
            "{}",
            found[0]
        );
        assert!(
            findings(
                &[add.clone()],
                &[],
                &LockLimits::default(),
                EngineKind::Postgres
            )
            .is_empty()
        );
        let rows = TableRows::new([("users".to_string(), 1)].into());
        assert_eq!(
            summary(&[add.clone()], std::slice::from_ref(&rows)),
            [
                "0004: ACCESS EXCLUSIVE on users 3 ms at 1 row; rewrites users at 1 row (1 statements, 4 ms)"
            ]
        );
        let kept = kept(&add, &rows);
        assert_eq!(kept.rows.get("users"), Some(&1));
        assert_eq!(kept.rewrites, ["users"]);
    }
}
