//! PostgreSQL introspection from pg_catalog through sqlx (a PostgreSQL connection: names are cast
//! to text). Objects outside the system schemas and not owned by an extension; objects in `public`
//! are named bare, others as `schema.name`.

use std::collections::HashMap;

use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::IntrospectError;
use super::model::{
    CheckConstraint, Column, EnumType, Extension, ForeignKey, Index, Schema, Sequence, Table,
    Trigger, UniqueConstraint, VersionTable, View,
};
use crate::dialect::{Dialect, connect};

/// A schema filter on `n.nspname` shared by the queries.
const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// `NOT EXISTS` an extension membership of the object whose oid is `c.oid`.
const NOT_EXTENSION_MEMBER: &str =
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')";

/// Reads the schema of the database at `url`; only reads.
pub async fn inspect(url: &str, version_table: &str) -> Result<Schema, IntrospectError> {
    let mut conn = connect::<PgConnection>(url)
        .await
        .map_err(sqlx::Error::from)?;
    let schema = read_schema(&mut conn, version_table).await;
    conn.close().await.ok();
    schema
}

fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

async fn read_schema(
    conn: &mut PgConnection,
    version_table: &str,
) -> Result<Schema, IntrospectError> {
    let mut schema = Schema::default();
    let namespaces = sqlx::query(AssertSqlSafe(format!(
        "SELECT n.nspname::text AS name FROM pg_namespace n WHERE {USER_SCHEMAS} \
         AND n.nspname <> 'public' \
         AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = n.oid AND e.deptype = 'e')"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for row in namespaces {
        schema.namespaces.push(row.try_get("name")?);
    }
    for row in sqlx::query(
        "SELECT extname::text AS name, extversion::text AS version FROM pg_extension \
         WHERE extname <> 'plpgsql'",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        schema.extensions.push(Extension {
            name: row.try_get("name")?,
            version: row.try_get("version")?,
        });
    }
    schema.enums = read_enums(conn).await?;
    schema.sequences = read_sequences(conn).await?;

    let (mut version_schema, version_name) = match version_table.split_once('.') {
        Some((schema, name)) => (schema.to_string(), name.to_string()),
        None => ("public".to_string(), version_table.to_string()),
    };
    let named_schema = version_table.contains('.');
    let relations = sqlx::query(AssertSqlSafe(format!(
        "SELECT c.oid::int8 AS oid, n.nspname::text AS schema, c.relname::text AS name, \
         c.relkind::text AS kind, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS view \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER_SCHEMAS} AND {NOT_EXTENSION_MEMBER}"
    )))
    .fetch_all(&mut *conn)
    .await?;
    // A bare name is where the project's env.py put it: `public`, else the one schema that holds
    // a table of that name (an env.py that sets `version_table_schema`). With several, none is
    // taken: `version_table = "schema.name"` says which.
    if !named_schema {
        let holders: Vec<String> = relations
            .iter()
            .filter(|row| {
                row.try_get::<String, _>("kind")
                    .is_ok_and(|kind| kind == "r" || kind == "p")
                    && row
                        .try_get::<String, _>("name")
                        .is_ok_and(|name| name == version_name)
            })
            .filter_map(|row| row.try_get::<String, _>("schema").ok())
            .collect();
        if !holders.iter().any(|holder| holder == "public")
            && let [only] = holders.as_slice()
        {
            version_schema = only.clone();
        }
    }
    // Columns, constraints and indexes of every table in one query each (set-based: the cost
    // grows with the schema, not with the schema times the number of tables).
    let mut columns = read_all_columns(conn).await?;
    let mut constraints = read_all_constraints(conn).await?;
    let mut indexes = read_all_indexes(conn).await?;
    for relation in relations {
        let oid: i64 = relation.try_get("oid")?;
        let namespace: String = relation.try_get("schema")?;
        let name: String = relation.try_get("name")?;
        let kind: String = relation.try_get("kind")?;
        let full = qualified(&namespace, &name);
        match kind.as_str() {
            "v" | "m" => schema.views.push(View {
                name: full,
                definition: relation
                    .try_get::<Option<String>, _>("view")?
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                materialized: kind == "m",
            }),
            _ if namespace == version_schema && name == version_name => {
                let columns = columns.remove(&oid).unwrap_or_default();
                let rows = read_rows(conn, &namespace, &name, &columns).await?;
                schema.version_table = Some(VersionTable {
                    name: full,
                    columns,
                    rows,
                });
            }
            _ => schema.tables.push(table(
                full,
                columns.remove(&oid).unwrap_or_default(),
                constraints.remove(&oid).unwrap_or_default(),
                indexes.remove(&oid).unwrap_or_default(),
            )?),
        }
    }
    schema.triggers = read_triggers(conn).await?;
    schema.normalize();
    Ok(schema)
}

async fn read_enums(conn: &mut PgConnection) -> Result<Vec<EnumType>, IntrospectError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT n.nspname::text AS schema, t.typname::text AS name, \
         ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid \
               ORDER BY e.enumsortorder) AS labels \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype = 'e' AND {USER_SCHEMAS} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = t.oid AND e.deptype = 'e')"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(EnumType {
                name: qualified(
                    &row.try_get::<String, _>("schema")?,
                    &row.try_get::<String, _>("name")?,
                ),
                values: row.try_get("labels")?,
            })
        })
        .collect()
}

async fn read_sequences(conn: &mut PgConnection) -> Result<Vec<Sequence>, IntrospectError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT n.nspname::text AS schema, c.relname::text AS name, \
         format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, \
         s.seqcycle, \
         (SELECT tn.nspname::text || '.' || tc.relname::text || '.' || a.attname::text \
            FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid \
            JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
            WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'a' \
            LIMIT 1) AS owner \
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {USER_SCHEMAS} AND {NOT_EXTENSION_MEMBER} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let mut definition = format!(
                "{} start {} increment {} min {} max {}",
                row.try_get::<String, _>("type")?,
                row.try_get::<i64, _>("seqstart")?,
                row.try_get::<i64, _>("seqincrement")?,
                row.try_get::<i64, _>("seqmin")?,
                row.try_get::<i64, _>("seqmax")?,
            );
            if row.try_get::<bool, _>("seqcycle")? {
                definition.push_str(" cycle");
            }
            if let Some(owner) = row.try_get::<Option<String>, _>("owner")? {
                let owner = owner.strip_prefix("public.").unwrap_or(&owner).to_string();
                definition.push_str(&format!(" owned by {owner}"));
            }
            Ok(Sequence {
                name: qualified(
                    &row.try_get::<String, _>("schema")?,
                    &row.try_get::<String, _>("name")?,
                ),
                definition,
            })
        })
        .collect()
}

/// The tables (and partitioned tables) the schema holds: the relation filter of the set-based
/// queries.
const TABLES: &str = "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p')";

/// Rows of `query` grouped by their `rel` column (a relation's oid), in the order returned.
async fn by_relation(
    conn: &mut PgConnection,
    query: String,
) -> Result<HashMap<i64, Vec<PgRow>>, IntrospectError> {
    let mut grouped: HashMap<i64, Vec<PgRow>> = HashMap::new();
    for row in sqlx::query(AssertSqlSafe(query))
        .fetch_all(&mut *conn)
        .await?
    {
        let rel: i64 = row.try_get("rel")?;
        grouped.entry(rel).or_default().push(row);
    }
    Ok(grouped)
}

async fn read_all_columns(
    conn: &mut PgConnection,
) -> Result<HashMap<i64, Vec<Column>>, IntrospectError> {
    let rows = by_relation(
        conn,
        format!(
            "SELECT a.attrelid::int8 AS rel, a.attnum::int4 AS position, a.attname::text AS name, \
             format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, \
             pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity::text AS identity, \
             a.attgenerated::text AS generated \
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid IN ({TABLES} AND {USER_SCHEMAS} AND {NOT_EXTENSION_MEMBER}) \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum"
        ),
    )
    .await?;
    rows.into_iter()
        .map(|(rel, rows)| Ok((rel, rows.iter().map(column).collect::<Result<_, _>>()?)))
        .collect()
}

fn column(row: &PgRow) -> Result<Column, IntrospectError> {
    let mut default: Option<String> = row.try_get("dflt")?;
    let identity: String = row.try_get("identity")?;
    let computed: String = row.try_get("generated")?;
    let generated = match (identity.as_str(), computed.as_str()) {
        ("a", _) => Some("generated always as identity".to_string()),
        ("d", _) => Some("generated by default as identity".to_string()),
        (_, "s") => default
            .take()
            .map(|expr| format!("generated always as ({expr}) stored")),
        _ => None,
    };
    Ok(Column {
        position: u32::try_from(row.try_get::<i32, _>("position")?).unwrap_or(0),
        name: row.try_get("name")?,
        data_type: row.try_get("type")?,
        nullable: !row.try_get::<bool, _>("not_null")?,
        default,
        generated,
    })
}

async fn read_all_constraints(
    conn: &mut PgConnection,
) -> Result<HashMap<i64, Vec<PgRow>>, IntrospectError> {
    by_relation(
        conn,
        format!(
            "SELECT con.conrelid::int8 AS rel, con.conname::text AS name, con.contype::text AS kind, \
             pg_get_constraintdef(con.oid, true) AS def, \
             ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, i) \
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num \
                   ORDER BY k.i) AS cols, \
             fn.nspname::text AS ref_schema, fc.relname::text AS ref_table, \
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(num, i) \
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num \
                   ORDER BY k.i) AS ref_cols, \
             con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete \
             FROM pg_constraint con \
             LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
             LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
             WHERE con.conrelid IN ({TABLES} AND {USER_SCHEMAS} AND {NOT_EXTENSION_MEMBER})"
        ),
    )
    .await
}

async fn read_all_indexes(
    conn: &mut PgConnection,
) -> Result<HashMap<i64, Vec<PgRow>>, IntrospectError> {
    by_relation(
        conn,
        format!(
            "SELECT i.indrelid::int8 AS rel, ic.relname::text AS name, i.indisunique AS uniq, \
             am.amname::text AS method, pg_get_expr(i.indpred, i.indrelid, true) AS predicate, \
             ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) \
                   FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS cols \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_am am ON am.oid = ic.relam \
             WHERE i.indrelid IN ({TABLES} AND {USER_SCHEMAS} AND {NOT_EXTENSION_MEMBER}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                   WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid \
                   AND c.contype IN ('p', 'u', 'x'))"
        ),
    )
    .await
}

/// A table from its columns and the rows of its constraints and indexes.
fn table(
    name: String,
    columns: Vec<Column>,
    constraints: Vec<PgRow>,
    indexes: Vec<PgRow>,
) -> Result<Table, IntrospectError> {
    let mut table = Table {
        name,
        columns,
        ..Table::default()
    };
    for row in constraints {
        let name: String = row.try_get("name")?;
        let kind: String = row.try_get("kind")?;
        let columns: Vec<String> = row.try_get("cols")?;
        match kind.as_str() {
            "p" => table.primary_key = columns,
            "u" => table.uniques.push(UniqueConstraint { name, columns }),
            "c" | "x" => table.checks.push(CheckConstraint {
                name,
                expression: row.try_get("def")?,
            }),
            "f" => table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                referenced_table: qualified(
                    &row.try_get::<Option<String>, _>("ref_schema")?
                        .unwrap_or_default(),
                    &row.try_get::<Option<String>, _>("ref_table")?
                        .unwrap_or_default(),
                ),
                referenced_columns: row.try_get("ref_cols")?,
                on_delete: action(&row.try_get::<String, _>("on_delete")?),
                on_update: action(&row.try_get::<String, _>("on_update")?),
            }),
            _ => {}
        }
    }
    for row in indexes {
        let method: String = row.try_get("method")?;
        table.indexes.push(Index {
            name: row.try_get("name")?,
            columns: row.try_get("cols")?,
            unique: row.try_get("uniq")?,
            predicate: row.try_get("predicate")?,
            method: (method != "btree").then_some(method),
        });
    }
    Ok(table)
}

fn action(code: &str) -> String {
    match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        other => other,
    }
    .to_string()
}

async fn read_triggers(conn: &mut PgConnection) -> Result<Vec<Trigger>, IntrospectError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT t.tgname::text AS name, n.nspname::text AS schema, c.relname::text AS table_name, \
         pg_get_triggerdef(t.oid, true) AS def \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT t.tgisinternal AND {USER_SCHEMAS}"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Trigger {
                name: row.try_get("name")?,
                table: qualified(
                    &row.try_get::<String, _>("schema")?,
                    &row.try_get::<String, _>("table_name")?,
                ),
                definition: row.try_get("def")?,
            })
        })
        .collect()
}

async fn read_rows(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
    columns: &[Column],
) -> Result<Vec<String>, IntrospectError> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let sql = Dialect::Postgres.rows_as_text_sql(
        &Dialect::Postgres.qualified(schema, table),
        columns.iter().map(|c| c.name.as_str()),
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>("row_text").map_err(Into::into))
        .collect()
}
