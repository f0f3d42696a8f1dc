//! MariaDB and MySQL introspection from information_schema through sqlx (a MySQL connection;
//! text columns are cast to CHAR so both servers decode alike). The cell's database is the scope;
//! its name is removed from view definitions so snapshots do not depend on it.

use std::collections::{BTreeMap, HashMap};

use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Connection, Row};

use super::IntrospectError;
use super::model::{
    CheckConstraint, Column, ForeignKey, Index, Schema, Sequence, Table, Trigger, VersionTable,
    View,
};
use crate::dialect::{Dialect, connect};

/// Reads the schema of `database` on the server at `url`; only reads.
pub async fn inspect(
    url: &str,
    database: &str,
    version_table: &str,
) -> Result<Schema, IntrospectError> {
    let mut conn = connect::<MySqlConnection>(url)
        .await
        .map_err(sqlx::Error::from)?;
    let schema = read_schema(&mut conn, database, version_table).await;
    conn.close().await.ok();
    schema
}

async fn read_schema(
    conn: &mut MySqlConnection,
    db: &str,
    version_table: &str,
) -> Result<Schema, IntrospectError> {
    let version: String = sqlx::query_scalar("SELECT CAST(VERSION() AS CHAR)")
        .fetch_one(&mut *conn)
        .await?;
    let mariadb = version.contains("MariaDB");
    let mut schema = Schema::default();
    let relations = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS name, CAST(TABLE_TYPE AS CHAR) AS kind \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    // Every table's columns in one query (information_schema is slow to ask table by table).
    let mut columns = read_columns(conn, db).await?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for relation in relations {
        let name: String = relation.try_get("name")?;
        let kind: String = relation.try_get("kind")?;
        match kind.as_str() {
            "VIEW" | "SYSTEM VIEW" => {}
            "SEQUENCE" => schema.sequences.push(Sequence {
                name,
                definition: String::new(),
            }),
            _ if name == version_table => {
                let columns = columns.remove(&name).unwrap_or_default();
                let rows = read_rows(conn, &name, &columns).await?;
                schema.version_table = Some(VersionTable {
                    name,
                    columns,
                    rows,
                });
            }
            _ => {
                let columns = columns.remove(&name).unwrap_or_default();
                tables.insert(
                    name.clone(),
                    Table {
                        name,
                        columns,
                        ..Table::default()
                    },
                );
            }
        }
    }
    read_keys(conn, db, &mut tables).await?;
    read_checks(conn, db, mariadb, &mut tables).await?;
    read_indexes(conn, db, &mut tables).await?;
    schema.tables = tables.into_values().collect();
    schema.views = read_views(conn, db).await?;
    schema.triggers = read_triggers(conn, db).await?;
    schema.normalize();
    Ok(schema)
}

/// The columns of every table of `db`, by table name, in position order.
async fn read_columns(
    conn: &mut MySqlConnection,
    db: &str,
) -> Result<BTreeMap<String, Vec<Column>>, IntrospectError> {
    let rows = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(COLUMN_NAME AS CHAR) AS name, \
         CAST(ORDINAL_POSITION AS SIGNED) AS position, \
         CAST(COLUMN_TYPE AS CHAR) AS type, CAST(IS_NULLABLE AS CHAR) AS nullable, \
         CAST(COLUMN_DEFAULT AS CHAR) AS dflt, CAST(EXTRA AS CHAR) AS extra, \
         CAST(GENERATION_EXPRESSION AS CHAR) AS expr \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_table: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get("tbl")?;
        let columns = by_table.entry(table).or_default();
        let nullable: String = row.try_get("nullable")?;
        // MariaDB spells "no default" on a nullable column as the text NULL.
        let default: Option<String> = row
            .try_get::<Option<String>, _>("dflt")?
            .filter(|d| d != "NULL");
        let extra: String = row
            .try_get::<Option<String>, _>("extra")?
            .unwrap_or_default();
        let expression: String = row
            .try_get::<Option<String>, _>("expr")?
            .unwrap_or_default();
        let extra = extra
            .replace("DEFAULT_GENERATED", "")
            .trim()
            .to_ascii_lowercase();
        let generated = if !expression.is_empty() {
            let kind = if extra.contains("stored") || extra.contains("persistent") {
                "stored"
            } else {
                "virtual"
            };
            Some(format!("generated always as ({expression}) {kind}"))
        } else if extra.is_empty() {
            None
        } else {
            Some(extra)
        };
        columns.push(Column {
            position: u32::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0),
            name: row.try_get("name")?,
            data_type: row.try_get("type")?,
            nullable: nullable == "YES",
            default: if expression.is_empty() { default } else { None },
            generated,
        });
    }
    for columns in by_table.values_mut() {
        columns.sort_by_key(|c| c.position);
    }
    Ok(by_table)
}

/// Primary keys and foreign keys (unique keys are unique indexes on these engines). Each
/// information_schema view is read alone and joined here: the server joins two of them by filling
/// one again for every row of the other, which made a schema of 2,000 tables cost 6 times one of
/// 1,000.
async fn read_keys(
    conn: &mut MySqlConnection,
    db: &str,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    let rules = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(CONSTRAINT_NAME AS CHAR) AS name, \
         CAST(UPDATE_RULE AS CHAR) AS on_update, CAST(DELETE_RULE AS CHAR) AS on_delete \
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    let mut rules_by_key: HashMap<(String, String), (String, String)> = HashMap::new();
    for row in rules {
        rules_by_key.insert(
            (row.try_get("table_name")?, row.try_get("name")?),
            (
                row.try_get::<Option<String>, _>("on_update")?
                    .unwrap_or_default(),
                row.try_get::<Option<String>, _>("on_delete")?
                    .unwrap_or_default(),
            ),
        );
    }
    let rows = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, \
         CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(COLUMN_NAME AS CHAR) AS col, \
         CAST(ORDINAL_POSITION AS SIGNED) AS pos, \
         CAST(REFERENCED_TABLE_NAME AS CHAR) AS ref_table, \
         CAST(REFERENCED_COLUMN_NAME AS CHAR) AS ref_col \
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let table_name: String = row.try_get("table_name")?;
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let name: String = row.try_get("name")?;
        let column: String = row.try_get("col")?;
        let ref_table: Option<String> = row.try_get("ref_table")?;
        if name == "PRIMARY" {
            table.primary_key.push(column);
            continue;
        }
        let Some(ref_table) = ref_table else {
            continue; // a unique key: read with the indexes
        };
        let ref_col: String = row
            .try_get::<Option<String>, _>("ref_col")?
            .unwrap_or_default();
        match table
            .foreign_keys
            .iter_mut()
            .find(|fk| fk.name.as_deref() == Some(name.as_str()))
        {
            Some(key) => {
                key.columns.push(column);
                key.referenced_columns.push(ref_col);
            }
            None => {
                let (on_update, on_delete) = rules_by_key
                    .remove(&(table_name, name.clone()))
                    .unwrap_or_default();
                table.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns: vec![column],
                    referenced_table: ref_table,
                    referenced_columns: vec![ref_col],
                    on_delete,
                    on_update,
                })
            }
        }
    }
    Ok(())
}

/// Check constraints. MariaDB's CHECK_CONSTRAINTS names the table (and names column checks after
/// their column, so names repeat across tables); MySQL's does not, so there the table comes from
/// TABLE_CONSTRAINTS, read alone and joined here by the constraint's name (unique in a schema).
async fn read_checks(
    conn: &mut MySqlConnection,
    db: &str,
    mariadb: bool,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    let mut owners: HashMap<String, String> = HashMap::new();
    if !mariadb {
        let rows = sqlx::query(
            "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(CONSTRAINT_NAME AS CHAR) AS name \
             FROM information_schema.TABLE_CONSTRAINTS \
             WHERE CONSTRAINT_TYPE = 'CHECK' AND TABLE_SCHEMA = ?",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            owners.insert(row.try_get("name")?, row.try_get("table_name")?);
        }
    }
    let table_column = if mariadb {
        "CAST(TABLE_NAME AS CHAR)"
    } else {
        "NULL"
    };
    let sql = format!(
        "SELECT {table_column} AS table_name, CAST(CONSTRAINT_NAME AS CHAR) AS name, \
         CAST(CHECK_CLAUSE AS CHAR) AS clause \
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(db)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let name: String = row.try_get("name")?;
        let table_name = match row.try_get::<Option<String>, _>("table_name")? {
            Some(table_name) => table_name,
            None => match owners.get(&name) {
                Some(table_name) => table_name.clone(),
                None => continue,
            },
        };
        if let Some(table) = tables.get_mut(&table_name) {
            table.checks.push(CheckConstraint {
                name,
                expression: format!("CHECK ({})", row.try_get::<String, _>("clause")?),
            });
        }
    }
    Ok(())
}

async fn read_indexes(
    conn: &mut MySqlConnection,
    db: &str,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    let rows = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS name, \
         CAST(NON_UNIQUE AS SIGNED) AS non_unique, CAST(COLUMN_NAME AS CHAR) AS col, \
         CAST(SUB_PART AS SIGNED) AS sub_part, CAST(INDEX_TYPE AS CHAR) AS method \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME <> 'PRIMARY' \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let table_name: String = row.try_get("table_name")?;
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let name: String = row.try_get("name")?;
        let mut column = row
            .try_get::<Option<String>, _>("col")?
            .unwrap_or_else(|| "<expression>".to_string());
        if let Some(part) = row.try_get::<Option<i64>, _>("sub_part")? {
            column = format!("{column}({part})");
        }
        let method: String = row.try_get("method")?;
        match table.indexes.iter_mut().find(|index| index.name == name) {
            Some(index) => index.columns.push(column),
            None => table.indexes.push(Index {
                name,
                columns: vec![column],
                unique: row.try_get::<i64, _>("non_unique")? == 0,
                predicate: None,
                method: (method != "BTREE").then_some(method),
            }),
        }
    }
    Ok(())
}

async fn read_views(conn: &mut MySqlConnection, db: &str) -> Result<Vec<View>, IntrospectError> {
    let rows = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS name, CAST(VIEW_DEFINITION AS CHAR) AS def \
         FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    let qualifier = format!("{}.", Dialect::Mysql.quote(db));
    rows.iter()
        .map(|row| {
            let definition: String = row.try_get("def")?;
            Ok(View {
                name: row.try_get("name")?,
                definition: definition.replace(&qualifier, "").trim().to_string(),
                materialized: false,
            })
        })
        .collect()
}

async fn read_triggers(
    conn: &mut MySqlConnection,
    db: &str,
) -> Result<Vec<Trigger>, IntrospectError> {
    let rows = sqlx::query(
        "SELECT CAST(TRIGGER_NAME AS CHAR) AS name, CAST(EVENT_OBJECT_TABLE AS CHAR) AS tbl, \
         CAST(ACTION_TIMING AS CHAR) AS timing, CAST(EVENT_MANIPULATION AS CHAR) AS event, \
         CAST(ACTION_STATEMENT AS CHAR) AS body \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
    )
    .bind(db)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Trigger {
                name: row.try_get("name")?,
                table: row.try_get("tbl")?,
                definition: format!(
                    "{} {} FOR EACH ROW {}",
                    row.try_get::<String, _>("timing")?,
                    row.try_get::<String, _>("event")?,
                    row.try_get::<String, _>("body")?.trim()
                ),
            })
        })
        .collect()
}

async fn read_rows(
    conn: &mut MySqlConnection,
    table: &str,
    columns: &[Column],
) -> Result<Vec<String>, IntrospectError> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let sql = Dialect::Mysql.rows_as_text_sql(
        &Dialect::Mysql.quote(table),
        columns.iter().map(|c| c.name.as_str()),
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>("row_text").map_err(Into::into))
        .collect()
}
