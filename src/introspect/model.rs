//! The engine-neutral schema model every introspector fills in. Collections are kept sorted by name
//! (columns by position) when rendered, so the order an engine returns rows in never matters.

/// What a database holds after a cell ran: its schema and its version table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Schemas (namespaces) other than the engine's default one (`public`), where an engine has them.
    pub namespaces: Vec<String>,
    /// Installed extensions other than the ones every database has (`plpgsql`).
    pub extensions: Vec<Extension>,
    pub enums: Vec<EnumType>,
    /// Sequences not owned by an identity column.
    pub sequences: Vec<Sequence>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub triggers: Vec<Trigger>,
    /// The migration tool's version table, kept apart from `tables`.
    pub version_table: Option<VersionTable>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Primary key columns in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Unique constraints (engines that tell them apart from unique indexes).
    pub uniques: Vec<UniqueConstraint>,
    pub checks: Vec<CheckConstraint>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckConstraint {
    pub name: String,
    /// As the engine prints it: `CHECK ((rating >= 0))`.
    pub expression: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnumType {
    pub name: String,
    /// Labels in their declared order (which is meaningful: it is the sort order).
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sequence {
    pub name: String,
    /// Type, bounds, step and owner, as one line.
    pub definition: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Column {
    /// 1-based position in the table.
    pub position: u32,
    pub name: String,
    /// The type as the engine reports it (SQLite: as declared).
    pub data_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    /// How the engine fills the column itself: `generated always as identity`, `auto_increment`,
    /// `generated always as (a + b) stored`.
    pub generated: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    /// Column names, or expressions, in index order.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The WHERE clause of a partial index.
    pub predicate: Option<String>,
    /// The access method when it is not the engine's default (`gin`, `gist`, `hash`, `FULLTEXT`).
    pub method: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint name where the engine keeps one.
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    pub name: String,
    pub definition: String,
    pub materialized: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub definition: String,
}

/// The version table: its columns (so `version_num VARCHAR(32)` is visible) and its rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionTable {
    pub name: String,
    pub columns: Vec<Column>,
    /// Each row's values joined by `, `, sorted.
    pub rows: Vec<String>,
}

impl Schema {
    /// Sorts every collection into its canonical order.
    /// Every named object, `kind name` (`table users`, `enum status`), in the order snapshots
    /// render them: what a short summary of two schemas' difference names.
    pub fn objects(&self) -> Vec<String> {
        let mut schema = self.clone();
        schema.normalize();
        let mut objects: Vec<String> = Vec::new();
        objects.extend(schema.namespaces.iter().map(|n| format!("schema {n}")));
        objects.extend(
            schema
                .extensions
                .iter()
                .map(|e| format!("extension {}", e.name)),
        );
        objects.extend(schema.enums.iter().map(|e| format!("enum {}", e.name)));
        objects.extend(
            schema
                .sequences
                .iter()
                .map(|s| format!("sequence {}", s.name)),
        );
        objects.extend(schema.tables.iter().map(|t| format!("table {}", t.name)));
        objects.extend(schema.views.iter().map(|v| format!("view {}", v.name)));
        objects.extend(
            schema
                .triggers
                .iter()
                .map(|t| format!("trigger {}", t.name)),
        );
        objects
    }

    pub fn normalize(&mut self) {
        self.namespaces.sort();
        self.extensions.sort_by(|a, b| a.name.cmp(&b.name));
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        self.sequences.sort_by(|a, b| a.name.cmp(&b.name));
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        for table in &mut self.tables {
            table.columns.sort_by_key(|c| c.position);
            // A column dropped and added again leaves a gap in the engine's numbering: the order
            // is what a schema is, not the numbers.
            for (rank, column) in table.columns.iter_mut().enumerate() {
                column.position = u32::try_from(rank + 1).unwrap_or(u32::MAX);
            }
            table
                .indexes
                .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.columns.cmp(&b.columns)));
            table
                .uniques
                .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.columns.cmp(&b.columns)));
            table.checks.sort_by(|a, b| {
                a.name
                    .cmp(&b.name)
                    .then_with(|| a.expression.cmp(&b.expression))
            });
            table.foreign_keys.sort_by(|a, b| {
                (&a.columns, &a.referenced_table, &a.name).cmp(&(
                    &b.columns,
                    &b.referenced_table,
                    &b.name,
                ))
            });
        }
        self.views.sort_by(|a, b| a.name.cmp(&b.name));
        self.triggers.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(version) = &mut self.version_table {
            version.columns.sort_by_key(|c| c.position);
            version.rows.sort();
        }
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}
