//! `rows_from`: the rows each table holds in production, read from a JSON object of table name to
//! row count, as a catalog exports it (`pg_class.reltuples`, `information_schema.TABLES.TABLE_ROWS`).

use std::collections::BTreeMap;
use std::path::Path;

use super::source::Location;
use super::{ConfigError, read};

/// Table name → rows, from the JSON object in `path`. A name may carry its schema (`public.users`
/// is `users`); a count may be a float (`reltuples`), rounded; a negative one (a table never
/// analyzed) is left out, so that table gets the scenario's `rows`.
pub fn load(path: &Path) -> Result<BTreeMap<String, u64>, ConfigError> {
    let text = read(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        ConfigError::at(
            Location {
                path: path.to_path_buf(),
                line: err.line(),
                column: err.column(),
            },
            format!("not valid JSON: {err}"),
        )
        .with_help(HELP)
    })?;
    let serde_json::Value::Object(tables) = value else {
        return Err(
            ConfigError::file(path, "not a JSON object of table name to row count").with_help(HELP),
        );
    };
    let mut sizes = BTreeMap::new();
    for (name, count) in tables {
        let rows = match &count {
            serde_json::Value::Number(number) => number.as_f64(),
            _ => None,
        };
        let Some(rows) = rows else {
            return Err(
                ConfigError::file(path, format!("`{name}`: {count} is not a row count"))
                    .with_help(HELP),
            );
        };
        if rows < 0.0 {
            continue;
        }
        let table = name
            .rsplit_once('.')
            .map_or(name.as_str(), |(_, table)| table);
        sizes.insert(table.to_string(), rows.round() as u64);
    }
    Ok(sizes)
}

const HELP: &str = "write an object such as {\"users\": 120000, \"orders\": 2500000}; from PostgreSQL: psql -At -c \"SELECT json_object_agg(relname, reltuples::bigint) FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace WHERE relkind = 'r' AND nspname = 'public'\" > stats.json";

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(text: &str) -> Result<BTreeMap<String, u64>, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.json");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    #[test]
    fn counts_are_read_with_schemas_dropped_and_unanalyzed_tables_left_out() {
        let read = sizes(r#"{"public.users": 120000, "orders": 2.5e6, "audit": -1}"#).unwrap();
        assert_eq!(
            read,
            BTreeMap::from([("orders".into(), 2_500_000), ("users".into(), 120_000)])
        );
    }

    #[test]
    fn bad_files_say_where_and_what_to_write() {
        let err = sizes("{\n  \"users\": 12,\n  oops\n}").unwrap_err();
        let Place::Location(at) = &err.at else {
            panic!("{err:?}")
        };
        assert_eq!(at.line, 3, "{err:?}");
        assert!(err.help.as_deref().unwrap().contains("json_object_agg"));
        let err = sizes(r#"{"users": "many"}"#).unwrap_err();
        assert!(err.message.contains("`users`"), "{err:?}");
        assert!(sizes("[1, 2]").unwrap_err().message.contains("JSON object"));
    }

    use crate::config::Place;
}
