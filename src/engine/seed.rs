//! Rows for a `locks` cell (PostgreSQL): before each revision, every table that is still empty is
//! filled with the scenario's `rows`, generated from the schema itself in one `INSERT ... SELECT
//! FROM generate_series` per table, parents before the tables that reference them. A table the
//! generator cannot fill is left empty, with why.

use std::collections::BTreeMap;

use crate::introspect::Schema;
use crate::introspect::model::{Column, Table};

/// One table's fill: the statement, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fill {
    Insert { table: String, sql: String },
    Skipped { table: String, why: String },
}

/// The fills of `schema`'s tables in `empty` (names), parents first, each with the rows `sizes`
/// gives it (the rows every table will hold). Foreign keys to an integer key point at the
/// parent's rows 1..its size (a parent filled here, whose identity or serial key starts at 1).
#[cfg(test)]
fn fills(schema: &Schema, empty: &[String], sizes: &BTreeMap<String, u64>) -> Vec<Fill> {
    parents_first(schema, empty)
        .into_iter()
        .map(|table| fill(schema, table, sizes))
        .collect()
}

/// The tables of `schema` named in `empty`, each after the tables it references (a cycle in its
/// listed order).
fn parents_first<'a>(schema: &'a Schema, empty: &[String]) -> Vec<&'a Table> {
    let mut order: Vec<&Table> = Vec::new();
    let mut pending: Vec<&Table> = schema
        .tables
        .iter()
        .filter(|t| empty.contains(&t.name))
        .collect();
    while !pending.is_empty() {
        let ready = pending.iter().position(|table| {
            table.foreign_keys.iter().all(|fk| {
                fk.referenced_table == table.name
                    || !pending.iter().any(|p| p.name == fk.referenced_table)
            })
        });
        let next = pending.remove(ready.unwrap_or(0));
        order.push(next);
    }
    order
}

fn fill(schema: &Schema, table: &Table, sizes: &BTreeMap<String, u64>) -> Fill {
    match insert(schema, table, sizes) {
        Ok(sql) => Fill::Insert {
            table: table.name.clone(),
            sql,
        },
        Err(why) => Fill::Skipped {
            table: table.name.clone(),
            why,
        },
    }
}

fn insert(schema: &Schema, table: &Table, sizes: &BTreeMap<String, u64>) -> Result<String, String> {
    let rows = sizes.get(&table.name).copied().unwrap_or_default();
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in &table.columns {
        if column.generated.is_some() {
            continue;
        }
        let referenced = table
            .foreign_keys
            .iter()
            .find(|fk| fk.columns.len() == 1 && fk.columns[0] == column.name);
        let value = match referenced {
            Some(fk) if fk.referenced_table == table.name => {
                // A tree: every row its own root.
                if column.nullable {
                    continue;
                }
                format!("g::{}", column.data_type)
            }
            Some(_) if !is_integer(&column.data_type) => {
                if column.nullable {
                    continue;
                }
                return Err(format!(
                    "`{}` references a key that is not an integer ({}): the generator fills integer keys only",
                    column.name, column.data_type
                ));
            }
            Some(fk) => {
                let parent = sizes.get(&fk.referenced_table).copied().unwrap_or_default();
                if parent == 0 {
                    if column.nullable {
                        continue;
                    }
                    return Err(format!(
                        "`{}` references {}, which holds no row",
                        column.name, fk.referenced_table
                    ));
                }
                format!("(((g - 1) % {parent}) + 1)::{}", column.data_type)
            }
            None if column.default.is_some() => continue,
            None => match value_of(schema, table, column) {
                Some(value) => value,
                None if column.nullable => continue,
                None => {
                    return Err(format!(
                        "`{}` is NOT NULL of a type the generator has no value for ({})",
                        column.name, column.data_type
                    ));
                }
            },
        };
        columns.push(quote(&column.name));
        values.push(value);
    }
    if columns.is_empty() {
        return Ok(format!(
            "INSERT INTO {} SELECT FROM generate_series(1, {rows}) g",
            quote(&table.name)
        ));
    }
    Ok(format!(
        "INSERT INTO {} ({}) SELECT {} FROM generate_series(1, {rows}) g",
        quote(&table.name),
        columns.join(", "),
        values.join(", ")
    ))
}

/// A value for row `g` of a column of this type, distinct per row where the type allows it.
fn value_of(schema: &Schema, table: &Table, column: &Column) -> Option<String> {
    let data_type = column.data_type.to_ascii_lowercase();
    let unique = table
        .uniques
        .iter()
        .any(|u| u.columns.contains(&column.name))
        || table.primary_key.contains(&column.name);
    if let Some(values) = schema
        .enums
        .iter()
        .find(|e| e.name == column.data_type || e.name.ends_with(&format!(".{}", column.data_type)))
        .map(|e| &e.values)
        .filter(|values| !values.is_empty() && !unique)
    {
        return Some(format!(
            "'{}'::{}",
            values[0].replace('\'', "''"),
            column.data_type
        ));
    }
    let text_length = data_type.split_once('(').and_then(|(_, rest)| {
        rest.trim_end_matches(')')
            .split(',')
            .next()?
            .trim()
            .parse::<u32>()
            .ok()
    });
    Some(match data_type.as_str() {
        t if is_integer(t) && t.starts_with("smallint") => "(g % 32767)::smallint".into(),
        t if is_integer(t) => format!("g::{t}"),
        t if t.starts_with("numeric") || t.starts_with("decimal") => "(g % 1000)".into(),
        "real" | "double precision" => "g::double precision".into(),
        t if t.starts_with("character varying") || t.starts_with("varchar") || t == "text" => {
            match text_length {
                Some(n) => format!("left('v' || g, {n})"),
                None => "'v' || g".into(),
            }
        }
        t if t.starts_with("character") || t.starts_with("char") => match text_length {
            Some(n) if unique && n < 8 => return None,
            Some(n) => format!("rpad(left('v' || g, {n}), {n})"),
            None => "'v'".into(),
        },
        "boolean" if !unique => "(g % 2 = 0)".into(),
        t if t.starts_with("timestamp") => "now() - g * interval '1 second'".into(),
        "date" if !unique => "current_date - (g % 3650)::int".into(),
        t if t.starts_with("time") && !unique => "time '12:00'".into(),
        "uuid" => "md5(g::text)::uuid".into(),
        "json" | "jsonb" if !unique => format!("'{{}}'::{data_type}"),
        "bytea" => "decode(md5(g::text), 'hex')".into(),
        "interval" => "g * interval '1 second'".into(),
        "inet" | "cidr" if !unique => "'10.0.0.1'::inet".into(),
        t if t.ends_with("[]") && !unique => format!("'{{}}'::{t}"),
        _ => return None,
    })
}

fn is_integer(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    t.starts_with("integer") || t.starts_with("bigint") || t.starts_with("smallint")
}

fn quote(name: &str) -> String {
    crate::dialect::Dialect::Postgres.quote(name)
}

/// Why the tables could not be filled at all.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Inspect(#[from] crate::introspect::IntrospectError),
    #[error(transparent)]
    Query(#[from] crate::database::DatabaseError),
}

/// What a fill before one revision left: the tables left empty, each with why (a value the
/// generator has none for, or the database's refusal), and the rows every table then held.
#[derive(Debug, Default)]
pub struct Seeded {
    pub left_empty: Vec<String>,
    pub rows: std::collections::BTreeMap<String, u64>,
}

/// Fills the cell's empty tables (the version table aside): each with the rows `size` gives it
/// (none when 0).
pub async fn seed(
    engine: &dyn crate::database::Engine,
    database: &crate::database::CellDatabase,
    version_table: Option<&str>,
    size: &(dyn Fn(&str) -> u64 + Sync),
) -> Result<Seeded, SeedError> {
    let schema = crate::introspect::inspect(database, version_table).await?;
    let names: Vec<&str> = schema
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .filter(|name| Some(*name) != version_table)
        .collect();
    if names.is_empty() {
        return Ok(Seeded::default());
    }
    // Every table's rows, counted in one statement: the empty ones are filled, and a finding says
    // how many rows the table it names held.
    let probe = names
        .iter()
        .map(|name| {
            format!(
                "SELECT '{}', count(*) FROM {}",
                name.replace('\'', "''"),
                quote(name)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let mut seeded = Seeded::default();
    for row in engine.query(database, &probe).await? {
        if let [name, count] = row.as_slice() {
            seeded
                .rows
                .insert(name.clone(), count.parse().unwrap_or_default());
        }
    }
    // What every table will hold: its rows, or those it is to be filled with.
    let mut sizes = seeded.rows.clone();
    let mut empty = Vec::new();
    for (name, count) in sizes.iter_mut() {
        if *count == 0 && size(name) > 0 {
            *count = size(name);
            empty.push(name.clone());
        }
    }
    // One table at a time, parents first: a parent left empty leaves its children's keys nothing
    // to point at, which they then say.
    for table in parents_first(&schema, &empty) {
        let why = match fill(&schema, table, &sizes) {
            Fill::Insert { sql, .. } => match engine.execute(database, &sql).await {
                Ok(()) => {
                    seeded.rows.insert(table.name.clone(), sizes[&table.name]);
                    continue;
                }
                Err(err) => err.server_message().unwrap_or_else(|| err.to_string()),
            },
            Fill::Skipped { why, .. } => why,
        };
        sizes.insert(table.name.clone(), 0);
        seeded.left_empty.push(format!("{} ({why})", table.name));
    }
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::introspect::model::{ForeignKey, UniqueConstraint};

    fn column(name: &str, data_type: &str, nullable: bool, default: Option<&str>) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable,
            default: default.map(str::to_string),
            ..Column::default()
        }
    }

    #[test]
    fn parents_first_keys_from_their_sequences_and_values_by_type() {
        let users = Table {
            name: "users".into(),
            columns: vec![
                column(
                    "id",
                    "integer",
                    false,
                    Some("nextval('users_id_seq'::regclass)"),
                ),
                column("email", "character varying(120)", false, None),
                column("active", "boolean", true, None),
            ],
            primary_key: vec!["id".into()],
            uniques: vec![UniqueConstraint {
                name: "uq_users_email".into(),
                columns: vec!["email".into()],
            }],
            ..Table::default()
        };
        let orders = Table {
            name: "orders".into(),
            columns: vec![
                column(
                    "id",
                    "bigint",
                    false,
                    Some("nextval('orders_id_seq'::regclass)"),
                ),
                column("user_id", "integer", false, None),
                column("placed_at", "timestamp with time zone", false, None),
                column("token", "uuid", true, None),
            ],
            foreign_keys: vec![ForeignKey {
                columns: vec!["user_id".into()],
                referenced_table: "users".into(),
                referenced_columns: vec!["id".into()],
                ..ForeignKey::default()
            }],
            ..Table::default()
        };
        let schema = Schema {
            tables: vec![orders, users],
            ..Schema::default()
        };
        // Sizes per table (`rows_from`): the orders' keys point at the 50 users there are.
        let sizes = BTreeMap::from([("users".to_string(), 50), ("orders".to_string(), 1000)]);
        let fills = fills(&schema, &["orders".into(), "users".into()], &sizes);
        assert_eq!(
            fills,
            [
                Fill::Insert {
                    table: "users".into(),
                    sql: "INSERT INTO \"users\" (\"email\", \"active\") SELECT left('v' || g, 120), (g % 2 = 0) FROM generate_series(1, 50) g".into()
                },
                Fill::Insert {
                    table: "orders".into(),
                    sql: "INSERT INTO \"orders\" (\"user_id\", \"placed_at\", \"token\") SELECT (((g - 1) % 50) + 1)::integer, now() - g * interval '1 second', md5(g::text)::uuid FROM generate_series(1, 1000) g".into()
                },
            ]
        );
    }

    #[test]
    fn a_table_the_generator_cannot_fill_says_why() {
        let table = Table {
            name: "shapes".into(),
            columns: vec![column("outline", "polygon", false, None)],
            ..Table::default()
        };
        let schema = Schema {
            tables: vec![table],
            ..Schema::default()
        };
        assert_eq!(
            fills(
                &schema,
                &["shapes".into()],
                &BTreeMap::from([("shapes".to_string(), 10)])
            ),
            [Fill::Skipped {
                table: "shapes".into(),
                why: "`outline` is NOT NULL of a type the generator has no value for (polygon)"
                    .into()
            }]
        );
    }
}
