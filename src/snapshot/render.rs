//! Schema model -> deterministic, human-readable text. Sorted; no paths, times or random names.

use std::borrow::Cow;
use std::fmt::Write;

use crate::introspect::model::{Column, Schema, Table};

/// What to put in the text.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub version_table: bool,
}

/// Renders `schema` (normalized first, so input order never matters).
pub fn render(schema: &Schema, options: RenderOptions) -> String {
    let mut schema = schema.clone();
    schema.normalize();
    let mut blocks: Vec<String> = Vec::new();
    let mut preamble = String::new();
    for namespace in &schema.namespaces {
        let _ = writeln!(preamble, "schema {namespace}");
    }
    for extension in &schema.extensions {
        let _ = writeln!(
            preamble,
            "extension {} {}",
            extension.name, extension.version
        );
    }
    for kind in &schema.enums {
        let values: Vec<String> = kind
            .values
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .collect();
        let _ = writeln!(preamble, "enum {} ({})", kind.name, values.join(", "));
    }
    for sequence in &schema.sequences {
        let _ = write!(preamble, "sequence {}", sequence.name);
        if !sequence.definition.is_empty() {
            let _ = write!(preamble, " {}", one_line(&sequence.definition));
        }
        preamble.push('\n');
    }
    if !preamble.is_empty() {
        blocks.push(preamble);
    }
    for table in &schema.tables {
        blocks.push(table_block(table));
    }
    for view in &schema.views {
        blocks.push(format!(
            "{}view {}\n{}\n",
            if view.materialized {
                "materialized "
            } else {
                ""
            },
            view.name,
            indent(&view.definition)
        ));
    }
    for trigger in &schema.triggers {
        blocks.push(format!(
            "trigger {} on {}\n{}\n",
            trigger.name,
            trigger.table,
            indent(&trigger.definition)
        ));
    }
    if schema.tables.is_empty() && schema.views.is_empty() {
        blocks.push("(no tables)\n".to_string());
    }
    if options.version_table {
        blocks.push(match &schema.version_table {
            Some(version) => {
                let mut text = format!("version table {}\n", version.name);
                for column in &version.columns {
                    column_line(&mut text, column);
                }
                if version.rows.is_empty() {
                    text.push_str("  (no rows)\n");
                }
                for row in &version.rows {
                    let _ = writeln!(text, "  row {row}");
                }
                text
            }
            None => "version table: absent\n".to_string(),
        });
    }
    // The snapshot body: compared with the stored one, which keeps no trailing newline.
    blocks.join("\n").trim_end_matches('\n').to_string()
}

fn table_block(table: &Table) -> String {
    let mut text = format!("table {}\n", table.name);
    for column in &table.columns {
        column_line(&mut text, column);
    }
    if !table.primary_key.is_empty() {
        let _ = writeln!(text, "  primary key ({})", table.primary_key.join(", "));
    }
    for index in &table.indexes {
        let _ = write!(
            text,
            "  {}index {}",
            if index.unique { "unique " } else { "" },
            index.name,
        );
        if let Some(method) = &index.method {
            let _ = write!(text, " using {method}");
        }
        let columns: Vec<Cow<str>> = index.columns.iter().map(|c| one_line(c)).collect();
        let _ = write!(text, " ({})", columns.join(", "));
        if let Some(predicate) = &index.predicate {
            let _ = write!(text, " where {}", one_line(predicate));
        }
        text.push('\n');
    }
    for unique in &table.uniques {
        let _ = writeln!(
            text,
            "  unique constraint {} ({})",
            unique.name,
            unique.columns.join(", ")
        );
    }
    for check in &table.checks {
        let _ = writeln!(
            text,
            "  check {} {}",
            check.name,
            one_line(&check.expression)
        );
    }
    for key in &table.foreign_keys {
        text.push_str("  foreign key ");
        if let Some(name) = &key.name {
            let _ = write!(text, "{name} ");
        }
        let _ = writeln!(
            text,
            "({}) references {} ({}) on delete {} on update {}",
            key.columns.join(", "),
            key.referenced_table,
            key.referenced_columns.join(", "),
            key.on_delete,
            key.on_update
        );
    }
    text
}

fn column_line(text: &mut String, column: &Column) {
    let data_type = if column.data_type.is_empty() {
        "(no type)"
    } else {
        column.data_type.as_str()
    };
    let _ = write!(
        text,
        "  column {} {data_type}{}",
        column.name,
        if column.nullable { "" } else { " not null" }
    );
    if let Some(default) = &column.default {
        let _ = write!(text, " default {}", one_line(default));
    }
    if let Some(generated) = &column.generated {
        let _ = write!(text, " {}", one_line(generated));
    }
    text.push('\n');
}

fn indent(definition: &str) -> String {
    definition
        .lines()
        .map(|line| format!("  {}", line.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An expression on one line of the snapshot: an engine may keep the line breaks it was written
/// with (PostgreSQL prints `CASE ... END` in an index over several lines), and a line of its own
/// would read as a block of the snapshot and split the diff there.
fn one_line(expression: &str) -> Cow<'_, str> {
    if !expression.contains('\n') {
        return Cow::Borrowed(expression);
    }
    let words: Vec<&str> = expression
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    Cow::Owned(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::introspect::model::{CheckConstraint, Index};

    #[test]
    fn an_expression_written_over_several_lines_stays_on_its_line() {
        let mut table = Table {
            name: "user".to_string(),
            ..Table::default()
        };
        table.indexes.push(Index {
            name: "idx_user_name_index".to_string(),
            columns: vec![
                "(\nCASE\n    WHEN fullname IS NULL THEN name\n    ELSE fullname\nEND)".to_string(),
            ],
            ..Index::default()
        });
        table.checks.push(CheckConstraint {
            name: "ck_name".to_string(),
            expression: "CHECK (\n  name <> ''\n)".to_string(),
        });
        let text = table_block(&table);
        assert_eq!(
            text,
            "table user\n  index idx_user_name_index (( CASE WHEN fullname IS NULL THEN name ELSE fullname END))\n  check ck_name CHECK ( name <> '' )\n"
        );
    }
}
