//! A schema as the engine compares it: the introspected model, normalized, so that two databases
//! hold the same schema exactly when their models are equal; and its snapshot text, kept for the
//! diff a failure shows. Comparisons never read the text back.

use crate::introspect::model::Schema;
use crate::snapshot::{self, RenderOptions};

#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub model: Schema,
    pub text: String,
}

impl Seen {
    /// `model` without its version table, normalized, and rendered as snapshots render it.
    pub fn new(mut model: Schema) -> Self {
        model.version_table = None;
        model.normalize();
        let text = snapshot::render(
            &model,
            RenderOptions {
                version_table: false,
            },
        );
        Self { model, text }
    }

    /// ` (left behind: table tmp; missing: table b)`: the objects only one side has, or nothing.
    pub fn summary(&self, after: &Seen, only_before: &str, only_after: &str) -> String {
        only_each(
            &after.model.objects(),
            &self.model.objects(),
            only_after,
            only_before,
        )
    }
}

/// ` (only_a: x, y; only_b: z)`: the names only `a` holds and those only `b` holds, each part
/// left out when empty; nothing when both hold the same.
pub fn only_each(a: &[String], b: &[String], only_a: &str, only_b: &str) -> String {
    let missing_from = |from: &[String], other: &[String]| -> Vec<String> {
        from.iter()
            .filter(|n| !other.contains(n))
            .cloned()
            .collect()
    };
    let mut parts = Vec::new();
    for (label, names) in [(only_a, missing_from(a, b)), (only_b, missing_from(b, a))] {
        if !names.is_empty() {
            parts.push(format!("{label}: {}", names.join(", ")));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

impl PartialEq for Seen {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::introspect::model::{EnumType, Table, View};

    #[test]
    fn a_gap_in_column_numbers_is_the_same_schema() {
        let column = |position: u32, name: &str| crate::introspect::model::Column {
            position,
            name: name.into(),
            data_type: "text".into(),
            ..crate::introspect::model::Column::default()
        };
        let with = |columns| Schema {
            tables: vec![Table {
                name: "activity".into(),
                columns,
                ..Table::default()
            }],
            ..Schema::default()
        };
        // `permission_labels` dropped by a downgrade and added again by the upgrade: number 3.
        let fresh = Seen::new(with(vec![column(1, "id"), column(2, "permission_labels")]));
        let again = Seen::new(with(vec![column(1, "id"), column(3, "permission_labels")]));
        assert!(fresh == again);
        let reordered = Seen::new(with(vec![column(2, "id"), column(1, "permission_labels")]));
        assert!(
            fresh != reordered,
            "the order of columns is part of the schema"
        );
    }

    #[test]
    fn the_summary_names_what_only_one_side_has() {
        let table = |name: &str| Table {
            name: name.into(),
            ..Table::default()
        };
        let before = Seen::new(Schema {
            tables: vec![table("b"), table("a")],
            ..Schema::default()
        });
        let after = Seen::new(Schema {
            enums: vec![EnumType {
                name: "status".into(),
                ..EnumType::default()
            }],
            tables: vec![table("tmp_a"), table("a")],
            views: vec![View {
                name: "totals".into(),
                materialized: true,
                ..View::default()
            }],
            ..Schema::default()
        });
        assert_eq!(
            before.summary(&after, "missing", "left behind"),
            " (left behind: enum status, table tmp_a, view totals; missing: table b)"
        );
        assert_eq!(before.summary(&before, "missing", "left behind"), "");
        assert_ne!(before, after);
        let reordered = Seen::new(Schema {
            tables: vec![table("a"), table("b")],
            ..Schema::default()
        });
        assert_eq!(before, reordered);
    }
}
