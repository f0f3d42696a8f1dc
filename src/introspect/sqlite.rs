//! SQLite introspection through sqlx: `sqlite_master` and the `pragma_*` table functions.

use std::collections::HashMap;

use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Connection, Row};

use super::IntrospectError;
use super::model::{Column, ForeignKey, Index, Schema, Table, Trigger, VersionTable, View};
use crate::dialect::{Dialect, SqliteAccess, connect_sqlite};

/// Reads the schema of the SQLite file at `path`. Opens it read-only: introspection never writes.
pub async fn inspect(
    path: &std::path::Path,
    version_table: Option<&str>,
) -> Result<Schema, IntrospectError> {
    let mut conn = connect_sqlite(path, SqliteAccess::ReadOnly)
        .await
        .map_err(sqlx::Error::from)?;
    let schema = read_schema(&mut conn, version_table).await;
    conn.close().await.ok();
    schema
}

async fn read_schema(
    conn: &mut SqliteConnection,
    version_table: Option<&str>,
) -> Result<Schema, IntrospectError> {
    let objects = sqlx::query(
        "SELECT type, name, tbl_name, COALESCE(sql, '') AS sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut schema = Schema::default();
    // Each index's CREATE statement, read from the listing above: looked up per table in
    // sqlite_master, the cost grew with the square of the tables.
    let mut index_sql: HashMap<String, String> = HashMap::new();
    for object in &objects {
        if object.try_get::<String, _>("type")? == "index" {
            index_sql.insert(object.try_get("name")?, object.try_get("sql")?);
        }
    }
    for object in objects {
        let kind: String = object.try_get("type")?;
        let name: String = object.try_get("name")?;
        let sql: String = object.try_get("sql")?;
        match kind.as_str() {
            "table" if Some(name.as_str()) == version_table => {
                schema.version_table = Some(read_version_table(conn, &name).await?);
            }
            "table" => {
                let mut table = read_table(conn, &name, &index_sql).await?;
                name_constraints(&mut table, &sql);
                schema.tables.push(table);
            }
            "view" => schema.views.push(View {
                name,
                definition: sql.trim().to_string(),
                materialized: false,
            }),
            "trigger" => schema.triggers.push(Trigger {
                name,
                table: object.try_get("tbl_name")?,
                definition: sql.trim().to_string(),
            }),
            _ => {}
        }
    }
    schema.normalize();
    Ok(schema)
}

async fn read_columns(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<(Vec<Column>, Vec<String>), IntrospectError> {
    let rows = sqlx::query(
        "SELECT cid, name, type, \"notnull\" AS nn, dflt_value, pk FROM pragma_table_xinfo(?) ORDER BY cid",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut columns = Vec::new();
    let mut key: Vec<(i64, String)> = Vec::new();
    for row in rows {
        let cid: i64 = row.try_get("cid")?;
        let name: String = row.try_get("name")?;
        let pk: i64 = row.try_get("pk")?;
        if pk > 0 {
            key.push((pk, name.clone()));
        }
        columns.push(Column {
            position: u32::try_from(cid + 1).unwrap_or(u32::MAX),
            name,
            data_type: row.try_get("type")?,
            nullable: row.try_get::<i64, _>("nn")? == 0,
            default: row.try_get("dflt_value")?,
            generated: None,
        });
    }
    key.sort();
    Ok((columns, key.into_iter().map(|(_, name)| name).collect()))
}

async fn read_table(
    conn: &mut SqliteConnection,
    name: &str,
    index_sql: &HashMap<String, String>,
) -> Result<Table, IntrospectError> {
    let (columns, primary_key) = read_columns(conn, name).await?;
    let indexes = read_indexes(conn, name, index_sql).await?;
    let foreign_keys = read_foreign_keys(conn, name).await?;
    Ok(Table {
        name: name.to_string(),
        columns,
        primary_key,
        indexes,
        foreign_keys,
        ..Table::default()
    })
}

async fn read_indexes(
    conn: &mut SqliteConnection,
    table: &str,
    index_sql: &HashMap<String, String>,
) -> Result<Vec<Index>, IntrospectError> {
    let list = sqlx::query(
        "SELECT l.name AS name, l.\"unique\" AS uniq, l.origin AS origin FROM pragma_index_list(?) AS l",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut indexes = Vec::new();
    for entry in list {
        let origin: String = entry.try_get("origin")?;
        if origin == "pk" {
            continue; // shown as the table's primary key
        }
        let name: String = entry.try_get("name")?;
        let sql = index_sql.get(&name).map_or("", String::as_str);
        let parts = sqlx::query(
            "SELECT seqno, name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        let columns = parts
            .iter()
            .map(|part| {
                part.try_get::<Option<String>, _>("name")
                    .map(|n| n.unwrap_or_else(|| "<expression>".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        indexes.push(Index {
            name,
            columns,
            unique: entry.try_get::<i64, _>("uniq")? != 0,
            predicate: partial_predicate(sql),
            method: None,
        });
    }
    Ok(indexes)
}

/// The names a table's own SQL gives its constraints (`CONSTRAINT uq_books_isbn UNIQUE (isbn)`,
/// `CONSTRAINT fk_books_author FOREIGN KEY (author_id) ...`), which SQLite's catalog does not keep:
/// a UNIQUE constraint's index is `sqlite_autoindex_<table>_N` there and a foreign key has no name.
fn name_constraints(table: &mut Table, sql: &str) {
    for (name, kind, columns) in named_constraints(sql) {
        match kind {
            ConstraintKind::Unique => {
                if let Some(index) = table.indexes.iter_mut().find(|index| {
                    index.unique
                        && index.name.starts_with("sqlite_autoindex_")
                        && index.columns == columns
                }) {
                    index.name = name;
                }
            }
            ConstraintKind::ForeignKey => {
                if let Some(key) = table
                    .foreign_keys
                    .iter_mut()
                    .find(|key| key.name.is_none() && key.columns == columns)
                {
                    key.name = Some(name);
                }
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ConstraintKind {
    Unique,
    ForeignKey,
}

/// `(name, kind, columns)` of each named UNIQUE or FOREIGN KEY constraint in a CREATE TABLE
/// statement.
fn named_constraints(sql: &str) -> Vec<(String, ConstraintKind, Vec<String>)> {
    let tokens = tokens(sql);
    let mut found = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        if !tokens[at].eq_ignore_ascii_case("constraint") || at + 2 >= tokens.len() {
            at += 1;
            continue;
        }
        let name = unquote(&tokens[at + 1]);
        let kind = match tokens[at + 2].to_ascii_uppercase().as_str() {
            "UNIQUE" => Some((ConstraintKind::Unique, at + 3)),
            "FOREIGN"
                if tokens
                    .get(at + 3)
                    .is_some_and(|t| t.eq_ignore_ascii_case("key")) =>
            {
                Some((ConstraintKind::ForeignKey, at + 4))
            }
            _ => None,
        };
        let Some((kind, open)) = kind else {
            at += 2;
            continue;
        };
        if tokens.get(open).map(String::as_str) != Some("(") {
            at = open;
            continue;
        }
        let mut columns = Vec::new();
        let mut next = open + 1;
        while let Some(token) = tokens.get(next) {
            next += 1;
            match token.as_str() {
                ")" => break,
                "," => {}
                _ => columns.push(unquote(token)),
            }
        }
        found.push((name, kind, columns));
        at = next;
    }
    found
}

/// Words, quoted identifiers and punctuation of SQL text.
fn tokens(sql: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let close = match c {
            '"' => Some('"'),
            '`' => Some('`'),
            '[' => Some(']'),
            '\'' => Some('\''),
            _ => None,
        };
        if let Some(close) = close {
            let mut token = c.to_string();
            for next in chars.by_ref() {
                token.push(next);
                if next == close {
                    break;
                }
            }
            tokens.push(token);
        } else if c.is_alphanumeric() || c == '_' {
            let mut token = c.to_string();
            while let Some(&next) = chars.peek() {
                if !(next.is_alphanumeric() || next == '_' || next == '$') {
                    break;
                }
                token.push(next);
                chars.next();
            }
            tokens.push(token);
        } else {
            tokens.push(c.to_string());
        }
    }
    tokens
}

/// An identifier without its quotes.
fn unquote(token: &str) -> String {
    let quoted = ['"', '`', '[', '\'']
        .iter()
        .any(|q| token.starts_with(*q) && token.len() >= 2);
    if quoted {
        token[1..token.len() - 1].to_string()
    } else {
        token.to_string()
    }
}

/// The WHERE clause of a `CREATE INDEX ... WHERE ...` statement.
fn partial_predicate(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.rfind(" WHERE ")?;
    Some(sql[at + 7..].trim().to_string())
}

async fn read_foreign_keys(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<ForeignKey>, IntrospectError> {
    let rows = sqlx::query(
        "SELECT id, seq, \"table\" AS target, \"from\" AS src, \"to\" AS dst, on_update, on_delete \
         FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut keys: Vec<(i64, ForeignKey)> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let src: String = row.try_get("src")?;
        let dst: Option<String> = row.try_get("dst")?;
        if keys.last().is_none_or(|(last, _)| *last != id) {
            keys.push((
                id,
                ForeignKey {
                    name: None,
                    columns: vec![],
                    referenced_table: row.try_get("target")?,
                    referenced_columns: vec![],
                    on_delete: row.try_get("on_delete")?,
                    on_update: row.try_get("on_update")?,
                },
            ));
        }
        if let Some((_, key)) = keys.last_mut() {
            key.columns.push(src);
            key.referenced_columns
                .push(dst.unwrap_or_else(|| "<primary key>".to_string()));
        }
    }
    Ok(keys.into_iter().map(|(_, key)| key).collect())
}

async fn read_version_table(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<VersionTable, IntrospectError> {
    let (columns, _) = read_columns(conn, name).await?;
    let sql = Dialect::Sqlite.rows_as_text_sql(
        &Dialect::Sqlite.quote(name),
        columns.iter().map(|c| c.name.as_str()),
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    let rows = rows
        .iter()
        .map(|row| row.try_get::<String, _>("row_text"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VersionTable {
        name: name.to_string(),
        columns,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_unique_and_foreign_key_constraints_are_read_from_the_table_sql() {
        let sql = "CREATE TABLE books (\n\tid INTEGER NOT NULL, \n\tisbn VARCHAR(13), \n\tauthor_id INTEGER, \"shelf code\" TEXT, \n\tPRIMARY KEY (id), \n\tCONSTRAINT uq_books_isbn UNIQUE (isbn), \n\tCONSTRAINT \"fk_books_author\" FOREIGN KEY(author_id) REFERENCES authors (id), \n\tCONSTRAINT ck_x CHECK (id > 0), \n\tCONSTRAINT [uq shelf] UNIQUE (\"shelf code\", isbn)\n)";
        assert_eq!(
            named_constraints(sql),
            vec![
                (
                    "uq_books_isbn".into(),
                    ConstraintKind::Unique,
                    vec!["isbn".into()]
                ),
                (
                    "fk_books_author".into(),
                    ConstraintKind::ForeignKey,
                    vec!["author_id".into()]
                ),
                (
                    "uq shelf".into(),
                    ConstraintKind::Unique,
                    vec!["shelf code".into(), "isbn".into()]
                ),
            ]
        );
    }
}
