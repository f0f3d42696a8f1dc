//! SQL that asks a database's catalog about its tables, per dialect: whether a table exists, and
//! which tables have a column of a given name. Only the text of the queries, with the names as
//! string literals; callers run them and name what their migration tool uses.

use super::Dialect;

/// `text` as a SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Dialect {
    /// One row (the name) when the table exists: `schema.name`, or a bare name in any schema
    /// (PostgreSQL), the connection's database (MySQL, MariaDB) or the file (SQLite).
    pub fn table_exists_sql(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = {}",
                literal(table)
            ),
            Dialect::Postgres => match table.split_once('.') {
                Some((schema, name)) => format!(
                    "SELECT table_name FROM information_schema.tables \
                     WHERE table_schema = {} AND table_name = {}",
                    literal(schema),
                    literal(name)
                ),
                None => format!(
                    "SELECT table_name FROM information_schema.tables WHERE table_name = {}",
                    literal(table)
                ),
            },
            Dialect::Mysql => format!(
                "SELECT table_name FROM information_schema.tables WHERE table_name = {} \
                 AND table_schema = DATABASE()",
                literal(table)
            ),
        }
    }

    /// The names of the user's tables that have a column called `column`.
    pub fn tables_with_column_sql(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND p.name = {}",
                literal(column)
            ),
            Dialect::Postgres => format!(
                "SELECT table_name FROM information_schema.columns WHERE column_name = {} \
                 AND table_schema NOT IN ('pg_catalog', 'information_schema')",
                literal(column)
            ),
            Dialect::Mysql => format!(
                "SELECT table_name FROM information_schema.columns WHERE column_name = {} \
                 AND table_schema = DATABASE()",
                literal(column)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_string_literals_with_quotes_doubled() {
        assert_eq!(
            Dialect::Sqlite.table_exists_sql("o'brien"),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'o''brien'"
        );
        assert!(
            Dialect::Postgres
                .table_exists_sql("core.versions")
                .contains("table_schema = 'core' AND table_name = 'versions'")
        );
        assert!(
            Dialect::Mysql
                .tables_with_column_sql("rev")
                .contains("column_name = 'rev' AND table_schema = DATABASE()")
        );
    }
}
