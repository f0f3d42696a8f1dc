//! The snapshot text is a function of the schema alone: the order an engine returns tables, indexes,
//! foreign keys, views, triggers, version rows or columns in never changes it.

use harness::introspect::model::{
    Column, ForeignKey, Index, Schema, Table, Trigger, VersionTable, View,
};
use harness::snapshot::{RenderOptions, render};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,8}"
}

fn table() -> impl Strategy<Value = Table> {
    (
        name(),
        prop::collection::vec(
            (
                name(),
                "[A-Z]{3,8}",
                any::<bool>(),
                prop::option::of("[0-9]{1,3}"),
            ),
            1..6,
        ),
        prop::collection::btree_map(name(), (any::<bool>(), prop::option::of(name())), 0..4),
        prop::collection::vec((name(), name()), 0..3),
    )
        .prop_map(|(name, columns, indexes, keys)| Table {
            primary_key: vec![columns[0].0.clone()],
            columns: columns
                .into_iter()
                .enumerate()
                .map(|(i, (name, data_type, nullable, default))| Column {
                    position: i as u32 + 1,
                    name,
                    data_type,
                    nullable,
                    default,
                    ..Default::default()
                })
                .collect(),
            indexes: indexes
                .into_iter()
                .map(|(name, (unique, predicate))| Index {
                    columns: vec![name.clone()],
                    name,
                    unique,
                    predicate,
                    ..Default::default()
                })
                .collect(),
            foreign_keys: keys
                .into_iter()
                .map(|(column, target)| ForeignKey {
                    name: None,
                    columns: vec![column],
                    referenced_table: target,
                    referenced_columns: vec!["id".into()],
                    on_delete: "CASCADE".into(),
                    on_update: "NO ACTION".into(),
                })
                .collect(),
            name,
            ..Default::default()
        })
}

fn schema() -> impl Strategy<Value = Schema> {
    (
        prop::collection::btree_map(name(), table(), 0..6),
        prop::collection::btree_map(name(), "SELECT [a-z]{1,5}", 0..3),
        prop::collection::btree_map(name(), name(), 0..3),
        prop::collection::btree_set("[0-9a-f]{4,12}", 0..3),
    )
        .prop_map(|(tables, views, triggers, rows)| Schema {
            // Keyed by name: a database never holds two tables (or views, triggers) of one name.
            tables: tables
                .into_iter()
                .map(|(name, table)| Table { name, ..table })
                .collect(),
            views: views
                .into_iter()
                .map(|(name, definition)| View {
                    name,
                    definition,
                    ..Default::default()
                })
                .collect(),
            triggers: triggers
                .into_iter()
                .map(|(name, table)| Trigger {
                    definition: format!("CREATE TRIGGER {name}"),
                    name,
                    table,
                })
                .collect(),
            version_table: Some(VersionTable {
                name: "alembic_version".into(),
                columns: vec![Column {
                    position: 1,
                    name: "version_num".into(),
                    data_type: "VARCHAR(32)".into(),
                    nullable: false,
                    default: None,
                    ..Default::default()
                }],
                rows: rows.into_iter().collect(),
            }),
            ..Default::default()
        })
}

/// Reverses or rotates every collection, as a different engine or query plan might.
fn shuffle(mut schema: Schema, seed: usize) -> Schema {
    fn mix<T>(items: &mut [T], seed: usize) {
        if items.is_empty() {
            return;
        }
        if seed.is_multiple_of(2) {
            items.reverse();
        }
        let len = items.len();
        items.rotate_left(seed % len);
    }
    mix(&mut schema.tables, seed);
    for table in &mut schema.tables {
        mix(&mut table.columns, seed + 1);
        mix(&mut table.indexes, seed + 2);
        mix(&mut table.foreign_keys, seed + 3);
    }
    mix(&mut schema.views, seed);
    mix(&mut schema.triggers, seed + 1);
    if let Some(version) = &mut schema.version_table {
        mix(&mut version.rows, seed);
    }
    schema
}

proptest! {
    #[test]
    fn text_does_not_depend_on_input_order(schema in schema(), seed in 0usize..16) {
        let options = RenderOptions { version_table: true };
        let original = render(&schema, options);
        let shuffled = render(&shuffle(schema.clone(), seed), options);
        prop_assert_eq!(&original, &shuffled);
        prop_assert_eq!(original, render(&schema, options), "rendering twice gives the same text");
    }

    #[test]
    fn every_table_and_column_is_in_the_text(schema in schema()) {
        let text = render(&schema, RenderOptions { version_table: true });
        for table in &schema.tables {
            let header = format!("table {}\n", table.name);
            prop_assert!(text.contains(&header));
            for column in &table.columns {
                let line = format!("  column {} {}", column.name, column.data_type);
                prop_assert!(text.contains(&line));
            }
        }
    }
}
