//! A rolling deploy between a release (`from_ref`) and today: while it runs, the release's code
//! serves on the upgraded schema (migrate first), or today's code on the release's schema (code
//! first). Each code's models probe the tables ([`Action::Probe`]) on its own schema first, so a
//! table the harness cannot exercise there is named and left out rather than blamed, then on the
//! other schema: what worked at home and fails there breaks the deploy.

use std::time::Instant;

use super::checks::Outcome;
use super::plan::{PlannedAction, record};
use super::prepare::Context;
use super::step::{CellRun, StepRun, execute_with_output};
use crate::adapters::{Action, ProbedTable, TracedStatement};
use crate::database::{CellDatabase, Engine};
use crate::matrix::Cell;
use crate::runtime::Session;
use crate::words;

/// What the probes before the upgrade found: the release's models on the release's schema, and
/// today's models on it.
#[derive(Debug, Default)]
pub(super) struct Before {
    pub release: Option<Vec<ProbedTable>>,
    pub today: Option<Vec<ProbedTable>>,
}

/// Which code met which schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    MigrateFirst,
    CodeFirst,
}

/// After the upgrade to head: the release's models on the upgraded schema and today's on their
/// own, then the verdict.
pub(super) async fn after_upgrade(
    ctx: &Context,
    cell: &Cell,
    (session, ref_session): (&Session<'_>, Option<&Session<'_>>),
    (engine, database): (&dyn Engine, &CellDatabase),
    run: &mut CellRun,
    (before, statements): (&Before, &[TracedStatement]),
) -> Outcome {
    let scenario = &ctx.config.scenarios[cell.scenario];
    let Some(from) = &scenario.from_ref else {
        return Outcome::Error("a rolling scenario needs `from_ref`".into());
    };
    let reference = from.reference.as_str();
    let mut findings = Vec::new();
    let mut unjudged = Vec::new();
    let mut tables = 0;
    let mut orders = Vec::new();
    if scenario.order.migrate_first() {
        orders.push((Order::MigrateFirst, ref_session.unwrap_or(session)));
    }
    if scenario.order.code_first() {
        orders.push((Order::CodeFirst, session));
    }
    for (order, probe_session) in orders {
        let label = match order {
            Order::MigrateFirst => format!("the models of {reference} on the upgraded schema"),
            Order::CodeFirst => "today's models on their own schema".to_string(),
        };
        let at_ref = order == Order::MigrateFirst;
        let after = match probe(
            ctx,
            cell,
            probe_session,
            (engine, database),
            run,
            label,
            at_ref,
        )
        .await
        {
            Ok(after) => after,
            // It ran on its own schema, before the upgrade: the upgraded one stops it.
            Err(why) if order == Order::MigrateFirst => {
                return Outcome::Failed {
                    detail: format!(
                        "a rolling deploy from {reference} breaks it: {reference}'s code ran on its own schema but fails on the upgraded one before it reaches a table ({why}); an instance of {reference} that starts during the deploy would fail the same way (an app that runs its own migrations when it loads does not know today's revisions)"
                    ),
                    diff: None,
                };
            }
            Err(why) => {
                return Outcome::Error(format!(
                    "today's models could not be probed on their own schema: {why}"
                ));
            }
        };
        let (baseline, probed) = match order {
            Order::MigrateFirst => (before.release.as_deref(), Some(after.as_slice())),
            Order::CodeFirst => (Some(after.as_slice()), before.today.as_deref()),
        };
        let (Some(baseline), Some(probed)) = (baseline, probed) else {
            return Outcome::Error(
                "a probe before the upgrade did not run, so the deploy cannot be judged".into(),
            );
        };
        tables = tables.max(probed.len());
        let judged = judge(baseline, probed);
        for table in judged.broken {
            findings.push(finding(
                order,
                reference,
                table,
                changed_by(table, statements),
            ));
        }
        for (table, why) in judged.unjudged {
            let line = format!("{table}: {why}");
            if !unjudged.contains(&line) {
                unjudged.push(line);
            }
        }
    }
    let left_out = if unjudged.is_empty() {
        String::new()
    } else {
        format!(
            "\n{} not exercised (what the probe does fails on the code's own schema too, so it says nothing of the deploy):\n  - {}",
            words::plural(unjudged.len(), "table"),
            unjudged.join("\n  - ")
        )
    };
    if findings.is_empty() {
        let who = match scenario.order {
            crate::config::RollingOrder::MigrateFirst => format!("{reference}'s code"),
            crate::config::RollingOrder::CodeFirst => "today's code".to_string(),
            crate::config::RollingOrder::Both => format!("{reference}'s code and today's"),
        };
        return Outcome::Passed(Some(format!(
            "a rolling deploy from {reference} is safe here: {who} read and wrote {} of the other schema{left_out}",
            words::plural(tables, "table")
        )));
    }
    Outcome::Failed {
        detail: format!(
            "a rolling deploy from {reference} breaks {}:\n{}{left_out}",
            words::plural(findings.len(), "table"),
            findings.join("\n")
        ),
        diff: None,
    }
}

/// Runs one probe step and records it; its tables, or why it did not run.
async fn probe(
    ctx: &Context,
    cell: &Cell,
    session: &Session<'_>,
    (engine, database): (&dyn Engine, &CellDatabase),
    run: &mut CellRun,
    label: String,
    at_ref: bool,
) -> Result<Vec<ProbedTable>, String> {
    let scenario = &ctx.config.scenarios[cell.scenario];
    let started = Instant::now();
    let step = record(run.result.steps.len() + 1, label, None);
    let action = PlannedAction::Tool(Action::Probe(scenario.models.clone()));
    let StepRun { record, output, .. } = execute_with_output(
        (ctx, cell, session),
        (engine, database),
        &action,
        (step, at_ref),
        &mut run.result,
    )
    .await;
    let mut record = record;
    record.duration = started.elapsed();
    let tables = output
        .as_ref()
        .and_then(|output| output.probed())
        .map(<[ProbedTable]>::to_vec);
    let why = match (&tables, record.ok) {
        (Some(_), true) => None,
        _ => Some(match output.as_ref().map(|o| o.failure_line()) {
            Some(line) if !line.is_empty() => {
                format!("{}: {line}", super::step::failed_step_detail(&record))
            }
            _ => super::step::failed_step_detail(&record),
        }),
    };
    run.result.steps.push(record);
    match (tables, why) {
        (Some(tables), None) => Ok(tables),
        (_, why) => Err(why.unwrap_or_default()),
    }
}

/// The tables of `probed` that broke, and those that cannot be judged (with why): a table is
/// judged only when its code could do everything on its own schema (`baseline`).
struct Judged<'a> {
    broken: Vec<&'a ProbedTable>,
    unjudged: Vec<(String, String)>,
}

fn judge<'a>(baseline: &[ProbedTable], probed: &'a [ProbedTable]) -> Judged<'a> {
    let mut judged = Judged {
        broken: Vec::new(),
        unjudged: Vec::new(),
    };
    for table in probed {
        let home = baseline.iter().find(|b| b.table == table.table);
        if let Some(why) = home.and_then(not_exercised) {
            judged.unjudged.push((table.table.clone(), why));
        } else if table.failed.is_some() {
            judged.broken.push(table);
        } else if let Some(why) = not_exercised(table) {
            judged.unjudged.push((table.table.clone(), why));
        }
    }
    judged
}

/// Why a probe did not exercise a table on its own schema, when it did not.
fn not_exercised(table: &ProbedTable) -> Option<String> {
    if let Some(why) = &table.skipped {
        return Some(why.clone());
    }
    table.failed.as_ref().map(|operation| {
        format!(
            "its {} fails: {}",
            operation_text(operation),
            table.error.as_deref().unwrap_or("it failed")
        )
    })
}

fn operation_text(operation: &str) -> &'static str {
    match operation {
        "select" => "SELECT of the mapped columns",
        "insert" => "INSERT of a row built from the model",
        "update" => "UPDATE of that row",
        "delete" => "DELETE of that row",
        _ => "probe",
    }
}

/// The first statement of today's upgrade that names the table and, when the table is still
/// there, one of the columns that differ: the revision that changed it, with its file and line.
fn changed_by(table: &ProbedTable, statements: &[TracedStatement]) -> Option<String> {
    let name = table.table.rsplit('.').next().unwrap_or(&table.table);
    let columns: Vec<&str> = table
        .missing_columns
        .iter()
        .chain(&table.required_columns)
        .map(String::as_str)
        .chain(table.narrowed.iter().map(|n| n.column.as_str()))
        .collect();
    let statement = statements.iter().find(|statement| {
        statement.revision.is_some()
            && names(&statement.sql, name)
            && (table.missing_table
                || columns.is_empty()
                || columns.iter().any(|c| names(&statement.sql, c)))
    })?;
    let revision = statement.revision.as_deref()?;
    let place = match (&statement.file, statement.line) {
        (Some(file), Some(line)) => {
            let file = std::path::Path::new(file)
                .file_name()
                .map_or_else(|| file.clone(), |f| f.to_string_lossy().into_owned());
            format!(" ({file}:{line})")
        }
        _ => String::new(),
    };
    Some(format!("{revision}{place}"))
}

/// Whether `sql` names `identifier` as a whole word (quoted or not).
fn names(sql: &str, identifier: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.match_indices(identifier).any(|(at, _)| {
        let before = sql[..at].chars().next_back();
        let after = sql[at + identifier.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// One broken table: what failed, why, which revision changed it, and how to split the migration.
fn finding(
    order: Order,
    reference: &str,
    table: &ProbedTable,
    changed_by: Option<String>,
) -> String {
    let name = &table.table;
    let operation = table.failed.as_deref().unwrap_or("probe").to_uppercase();
    let code = match order {
        Order::MigrateFirst => format!("{reference}'s code on the upgraded schema"),
        Order::CodeFirst => format!("today's code on the schema of {reference}"),
    };
    let mut text = format!(
        "  - {name}: {code}: {operation} fails: {}",
        table.error.as_deref().unwrap_or("it failed")
    );
    if let Some(revision) = changed_by {
        text.push_str(&format!("\n      changed by {revision}"));
    }
    let mut why = |line: String| text.push_str(&format!("\n      {line}"));
    let later = match order {
        Order::MigrateFirst => format!("once no instance of {reference} runs"),
        Order::CodeFirst => "in a release after the migration is everywhere".to_string(),
    };
    if table.missing_table {
        why(match order {
            Order::MigrateFirst => format!(
                "the table is gone (renamed or dropped) while {reference}'s models map it: keep it (or a view by its name) and remove it {later}"
            ),
            Order::CodeFirst => format!(
                "today's models map a table {reference}'s schema does not have yet: run the migration that creates it before the code that uses it ships"
            ),
        });
    }
    if !table.missing_columns.is_empty() {
        let columns = table.missing_columns.join(", ");
        why(match order {
            Order::MigrateFirst => format!(
                "{name} no longer has {columns}, which {reference}'s models map (renamed or dropped): add the new column beside the old one, keep both written, and drop the old one {later}"
            ),
            Order::CodeFirst => format!(
                "today's models map {columns}, which {name} does not have at {reference}: add the column in a migration that ships before the code that uses it"
            ),
        });
    }
    for column in &table.required_columns {
        why(match order {
            Order::MigrateFirst => format!(
                "{name}.{column} is NOT NULL without a default, and {reference}'s code does not write it: give it a server default, or add it nullable and make it NOT NULL {later}"
            ),
            Order::CodeFirst => format!(
                "{name}.{column} is NOT NULL without a default at {reference}, and today's code no longer writes it: make it nullable (or give it a default) in a migration that ships first"
            ),
        });
    }
    for narrowed in &table.narrowed {
        why(format!(
            "{name}.{} holds {} characters where the models write up to {}: narrow it {later}",
            narrowed.column, narrowed.database, narrowed.model
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, failed: Option<&str>, skipped: Option<&str>) -> ProbedTable {
        ProbedTable {
            table: name.into(),
            failed: failed.map(str::to_string),
            error: failed.map(|_| "IntegrityError: NOT NULL constraint failed: users.age".into()),
            skipped: skipped.map(str::to_string),
            missing_table: false,
            missing_columns: Vec::new(),
            required_columns: Vec::new(),
            narrowed: Vec::new(),
        }
    }

    #[test]
    fn a_table_is_blamed_only_when_its_code_worked_on_its_own_schema() {
        let baseline = [
            table("users", None, None),
            table("events", Some("insert"), None),
            table(
                "tags",
                None,
                Some("no value of type POINT for the required column at"),
            ),
            table("notes", None, None),
        ];
        let probed = [
            table("users", Some("insert"), None),
            table("events", Some("insert"), None),
            table("tags", None, None),
            table("notes", None, None),
        ];
        let judged = judge(&baseline, &probed);
        let broken: Vec<&str> = judged.broken.iter().map(|t| t.table.as_str()).collect();
        assert_eq!(broken, ["users"]);
        let unjudged: Vec<&str> = judged.unjudged.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(unjudged, ["events", "tags"]);
        assert!(judged.unjudged[0].1.starts_with(
            "its INSERT of a row built from the model fails: IntegrityError: NOT NULL constraint failed"
        ));
    }

    #[test]
    fn the_revision_that_changed_a_table_is_its_first_statement_naming_it() {
        let statement = |revision: &str, sql: &str, line: u32| TracedStatement {
            revision: Some(revision.into()),
            file: Some(format!("/x/versions/{revision}_change.py")),
            line: Some(line),
            sql: sql.into(),
            ms: 0.1,
            rewrites: Vec::new(),
            locks: Vec::new(),
        };
        let statements = [
            statement("0002", "CREATE TABLE users_archive (id INTEGER)", 10),
            statement(
                "0002",
                "ALTER TABLE users ADD COLUMN nickname VARCHAR(20)",
                11,
            ),
            statement(
                "0003",
                "ALTER TABLE \"users\" RENAME COLUMN name TO full_name",
                15,
            ),
            statement("0004", "ALTER TABLE notes RENAME TO memos", 9),
        ];
        let mut users = table("users", Some("select"), None);
        users.missing_columns = vec!["name".into()];
        assert_eq!(
            changed_by(&users, &statements).as_deref(),
            Some("0003 (0003_change.py:15)")
        );
        let mut notes = table("notes", Some("select"), None);
        notes.missing_table = true;
        assert_eq!(
            changed_by(&notes, &statements).as_deref(),
            Some("0004 (0004_change.py:9)")
        );
        assert_eq!(
            changed_by(&table("tags", Some("insert"), None), &statements),
            None
        );
    }

    #[test]
    fn a_finding_says_how_to_split_the_migration_in_either_order() {
        let mut users = table("users", Some("select"), None);
        users.missing_columns = vec!["name".into()];
        users.required_columns = vec!["age".into()];
        let first = finding(
            Order::MigrateFirst,
            "v1.0",
            &users,
            Some("0002 (0002_users.py:14)".into()),
        );
        assert!(first.contains("\n      changed by 0002 (0002_users.py:14)\n"));
        assert!(first.contains("users: v1.0's code on the upgraded schema: SELECT fails"));
        assert!(first.contains("users no longer has name, which v1.0's models map"));
        assert!(first.contains("drop the old one once no instance of v1.0 runs"));
        assert!(first.contains("users.age is NOT NULL without a default"));
        let code_first = finding(Order::CodeFirst, "v1.0", &users, None);
        assert!(code_first.contains("today's code on the schema of v1.0"));
        assert!(code_first.contains("ships before the code that uses it"));
    }
}
