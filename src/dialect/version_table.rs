//! The SQL that reads a version table, per dialect: one column of it (drift's revisions) and its
//! rows as text (introspection). Only the text of the queries; callers run them on their own
//! connections and name the table and columns their migration tool uses.

use super::Dialect;

impl Dialect {
    /// `schema.name` (PostgreSQL) or `database.name` (MySQL, MariaDB), both parts quoted.
    pub fn qualified(self, schema: &str, name: &str) -> String {
        format!("{}.{}", self.quote(schema), self.quote(name))
    }

    /// `column` of every row of `table` (quoted or qualified already), one text value a row.
    pub fn column_as_text_sql(self, table: &str, column: &str) -> String {
        format!("SELECT CAST({column} AS {}) FROM {table}", self.text_type())
    }

    /// Every row of `table` (quoted or qualified already) as one text value `row_text`: the
    /// `columns` in order, each cast to text (`NULL` for null), joined by `, `.
    pub fn rows_as_text_sql<'a>(
        self,
        table: &str,
        columns: impl IntoIterator<Item = &'a str>,
    ) -> String {
        let values: Vec<String> = columns
            .into_iter()
            .map(|column| {
                format!(
                    "COALESCE(CAST({} AS {}), 'NULL')",
                    self.quote(column),
                    self.text_type()
                )
            })
            .collect();
        let row = match self {
            Dialect::Sqlite | Dialect::Postgres => values.join(" || ', ' || "),
            Dialect::Mysql => format!("CONCAT({})", values.join(", ', ', ")),
        };
        format!("SELECT {row} AS row_text FROM {table}")
    }

    /// The type a value is cast to for reading it as text.
    fn text_type(self) -> &'static str {
        match self {
            Dialect::Sqlite | Dialect::Postgres => "TEXT",
            Dialect::Mysql => "CHAR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_as_text_per_dialect() {
        let columns = ["version_num", "note"];
        assert_eq!(
            Dialect::Postgres.rows_as_text_sql(&Dialect::Postgres.qualified("s", "v"), columns),
            "SELECT COALESCE(CAST(\"version_num\" AS TEXT), 'NULL') || ', ' || \
             COALESCE(CAST(\"note\" AS TEXT), 'NULL') AS row_text FROM \"s\".\"v\""
        );
        assert_eq!(
            Dialect::Mysql.rows_as_text_sql("`v`", columns),
            "SELECT CONCAT(COALESCE(CAST(`version_num` AS CHAR), 'NULL'), ', ', \
             COALESCE(CAST(`note` AS CHAR), 'NULL')) AS row_text FROM `v`"
        );
    }

    #[test]
    fn version_numbers_per_dialect() {
        assert_eq!(
            Dialect::Sqlite
                .column_as_text_sql(&Dialect::Sqlite.quote("alembic_version"), "version_num"),
            "SELECT CAST(version_num AS TEXT) FROM \"alembic_version\""
        );
        assert_eq!(
            Dialect::Mysql.column_as_text_sql(&Dialect::Mysql.qualified("app", "v"), "version_num"),
            "SELECT CAST(version_num AS CHAR) FROM `app`.`v`"
        );
    }
}
