//! The checks that are more than a list of steps: the models against the migrated schema, the
//! stairway (each revision up, down one step, up again) and fork order (each merge's branches
//! applied in every order). Each runs inside one cell and says what it found as an [`Outcome`].

use std::time::Instant;

use super::plan::{PlannedAction, record};
use super::prepare::Context;
use super::seen::Seen;
use super::step::{CellRun, execute_with_output, failed_step_detail};
use crate::adapters::{Action, Graph};
use crate::config::Kind;
use crate::database::{CellDatabase, Engine};
use crate::introspect;
use crate::matrix::Cell;
use crate::runtime::Session;
use crate::snapshot;
use crate::words;

/// What a check found.
pub(super) enum Outcome {
    /// Nothing wrong; a note for the report.
    Passed(Option<String>),
    /// The migrations (or models) are wrong: what, and the schema diff that shows it.
    Failed {
        detail: String,
        diff: Option<String>,
    },
    /// The check could not give a verdict.
    Error(String),
    /// The engine stopped answering after the numbered step failed.
    EngineStopped(String, usize),
}

/// Runs a stairway or fork-order cell.
pub(super) async fn run(
    ctx: &Context,
    cell: &Cell,
    session: &Session<'_>,
    engine: &dyn Engine,
    database: &CellDatabase,
    run: &mut CellRun,
) -> Outcome {
    let Some(graph) = ctx.graph.as_ref() else {
        return Outcome::Error(
            "this check needs the revision graph, which the tool could not load".into(),
        );
    };
    let scenario = &ctx.config.scenarios[cell.scenario];
    let mut cell_run = Steps {
        ctx,
        cell,
        engine,
        run,
    };
    match scenario.kind {
        Kind::ForkOrder => fork_order(&mut cell_run, graph, session).await,
        _ => match cell_run.chains(session, database).await {
            Ok(()) => stairway(&mut cell_run, graph, session, database).await,
            Err(stop) => stop,
        },
    }
}

/// The models check, after the upgrade to head: autogenerate must find nothing to write.
pub(super) async fn models(
    ctx: &Context,
    cell: &Cell,
    session: &Session<'_>,
    run: &mut CellRun,
) -> Outcome {
    let scenario = &ctx.config.scenarios[cell.scenario];
    let started = Instant::now();
    let mut step = record(
        run.result.steps.len() + 1,
        "compare the models with the schema".into(),
        None,
    );
    let mut options = scenario.models.clone();
    // The version table is the tool's, never a model's.
    if let Some(table) = &ctx.config.project.version_table {
        options.ignore_tables.push(table.clone());
    }
    let output = ctx.tool.models(session, &options).await;
    step.duration = started.elapsed();
    let mut output = match output {
        Ok(output) => output,
        Err(err) => {
            step.ok = false;
            step.status = Some("could not run".into());
            let why = ctx.secrets.redact(&err.to_string());
            step.output_tail = Some(why.clone());
            run.result.steps.push(step);
            return Outcome::Error(format!("the models check could not run: {why}"));
        }
    };
    output.redact(|text| ctx.secrets.redact(text));
    run.result.tool_time += output.output.duration;
    let report = output.models().filter(|_| output.success()).cloned();
    let Some(report) = report else {
        step.ok = false;
        step.status = Some(output.output.status_text());
        step.output_tail = Some(crate::adapters::traceback::tool_excerpt(
            &output,
            &ctx.config.project.dir,
            super::step::TAIL_LINES,
        ));
        let detail = format!(
            "the models check could not compare: {}",
            output.failure_line()
        );
        run.result.steps.push(step);
        return Outcome::Error(detail);
    };
    run.result.steps.push(step);
    if report.differences.is_empty() {
        return Outcome::Passed(Some(
            "the models match the schema the migrations build".into(),
        ));
    }
    let mut detail = format!(
        "the models differ from the schema the migrations build ({}):",
        words::plural(report.differences.len(), "difference")
    );
    for line in &report.differences {
        detail.push_str(&format!("\n  - {line}"));
    }
    let operations = report.operations.trim_end();
    if !operations.is_empty() {
        detail.push_str("\nthe migration autogenerate would write:");
        for line in operations.lines() {
            detail.push_str(&format!("\n    {line}"));
        }
    }
    Outcome::Failed { detail, diff: None }
}

/// What the checks need to run steps in a cell and record them.
struct Steps<'a, 'r> {
    ctx: &'a Context,
    cell: &'a Cell,
    engine: &'a dyn Engine,
    run: &'r mut CellRun,
}

impl Steps<'_, '_> {
    /// Runs one tool step on `database` and records it; `Err` holds why the check stops there.
    async fn tool(
        &mut self,
        session: &Session<'_>,
        database: &CellDatabase,
        action: Action,
        label: String,
    ) -> Result<(), Outcome> {
        self.step(session, database, PlannedAction::Tool(action), label)
            .await
    }

    /// Brings the chains this project's migrations need to head (`upgrade_first`).
    async fn chains(
        &mut self,
        session: &Session<'_>,
        database: &CellDatabase,
    ) -> Result<(), Outcome> {
        for (index, chain) in self.ctx.chains.iter().enumerate() {
            let action = PlannedAction::Chain {
                index,
                action: Action::Upgrade("head".into()),
            };
            let label = format!("{}: upgrade head", chain.name);
            self.step(session, database, action, label).await?;
        }
        Ok(())
    }

    /// Runs one step of the plan's kind on `database` and records it (see [`Self::tool`]).
    async fn step(
        &mut self,
        session: &Session<'_>,
        database: &CellDatabase,
        action: PlannedAction,
        label: String,
    ) -> Result<(), Outcome> {
        let number = self.run.result.steps.len() + 1;
        let run = execute_with_output(
            (self.ctx, self.cell, session),
            (self.engine, database),
            &action,
            (record(number, label, None), false),
            &mut self.run.result,
        )
        .await;
        let step = run.record;
        let ok = step.ok;
        let detail = failed_step_detail(&step);
        if run.worker_lost {
            let lost = super::step::CellError::WorkerLost {
                step: number,
                label: step.label.clone(),
            };
            self.run.result.steps.push(step);
            return Err(Outcome::Error(lost.to_string()));
        }
        self.run.result.steps.push(step);
        if ok {
            return Ok(());
        }
        if let Err(why) = self.engine.responds().await {
            return Err(Outcome::EngineStopped(why.to_string(), number));
        }
        Err(Outcome::Failed { detail, diff: None })
    }

    /// The schema of `database` without the version table.
    async fn schema(&self, database: &CellDatabase) -> Result<Seen, Outcome> {
        Ok(self.state(database).await?.0)
    }

    /// The schema as [`Self::schema`] reads it, and the version table's rows, sorted.
    async fn state(&self, database: &CellDatabase) -> Result<(Seen, Vec<String>), Outcome> {
        let version_table = self.ctx.config.project.version_table.as_deref();
        let schema = introspect::inspect(database, version_table)
            .await
            .map_err(|err| Outcome::Error(err.to_string()))?;
        let mut versions = schema
            .version_table
            .as_ref()
            .map(|table| table.rows.clone())
            .unwrap_or_default();
        versions.sort();
        Ok((Seen::new(schema), versions))
    }
}

/// For every revision in dependency order: upgrade to it, downgrade one step, compare with the
/// schema before the upgrade, upgrade again and compare with the schema after the first upgrade.
async fn stairway(
    steps: &mut Steps<'_, '_>,
    graph: &Graph,
    session: &Session<'_>,
    database: &CellDatabase,
) -> Outcome {
    let order = graph.upgrade_order();
    let outcome: Result<(), Outcome> = async {
        // The cell's database is empty (for SQLite, not even a file yet), or holds the chains of
        // `upgrade_first` at their heads.
        let mut before = if steps.ctx.chains.is_empty() {
            Seen::new(introspect::Schema::default())
        } else {
            steps.schema(database).await?
        };
        let mut versions_before: Vec<String> = Vec::new();
        for revision in &order {
            let down = graph
                .revisions
                .iter()
                .find(|r| &r.revision == revision)
                .map(|r| r.down_revision.clone())
                .unwrap_or_default();
            // `rev@-1` takes back that revision alone, whatever else is applied; a merge has no
            // single step back, and downgrading to one of its parents takes back the merge only.
            let (target, shown) = match down.as_slice() {
                [] => (format!("{revision}@-1"), "base".to_string()),
                [one] => (format!("{revision}@-1"), one.clone()),
                [first, ..] => (first.clone(), down.join(", ")),
            };
            let upgrade = Action::Upgrade(revision.clone());
            if let Err(stop) = steps
                .tool(session, database, upgrade.clone(), format!("upgrade {revision}"))
                .await
            {
                return Err(named(stop, &format!("first failing revision: {revision}")));
            }
            let (upgraded, versions_upgraded) = steps.state(database).await?;
            let label = format!("downgrade {revision} -> {shown}");
            if let Err(stop) = steps
                .tool(session, database, Action::Downgrade(target), label)
                .await
            {
                return Err(named(stop, &format!("the downgrade of {revision} fails")));
            }
            let (after, versions_after) = steps.state(database).await?;
            if versions_after != versions_before {
                return Err(Outcome::Failed {
                    detail: format!(
                        "after the downgrade of {revision} the version table holds [{}], not [{}] as before its upgrade: the downgrade went elsewhere (does the project create or migrate its schema itself when it is loaded, e.g. create_all() and stamp, or upgrade() in its app factory?)",
                        versions_after.join(", "),
                        versions_before.join(", ")
                    ),
                    diff: (after != before).then(|| {
                        snapshot::diff(
                            &before.text,
                            &after.text,
                            &format!("before upgrade {revision}"),
                            &format!("after downgrade {revision} -> {shown}"),
                        )
                    }),
                });
            }
            if after != before {
                return Err(Outcome::Failed {
                    detail: format!(
                        "the downgrade of {revision} does not undo its upgrade: the schema after it differs from the schema before the upgrade{}",
                        before.summary(&after, "missing", "left behind")
                    ),
                    diff: Some(snapshot::diff(
                        &before.text,
                        &after.text,
                        &format!("before upgrade {revision}"),
                        &format!("after downgrade {revision} -> {shown}"),
                    )),
                });
            }
            let label = format!("upgrade {revision} again");
            if let Err(stop) = steps.tool(session, database, upgrade, label).await {
                return Err(named(
                    stop,
                    &format!("upgrading {revision} again after its downgrade fails"),
                ));
            }
            let (again, versions_again) = steps.state(database).await?;
            if again != upgraded {
                return Err(Outcome::Failed {
                    detail: format!(
                        "upgrading {revision} again after its downgrade ends in another schema than its first upgrade{}",
                        upgraded.summary(&again, "missing", "left behind")
                    ),
                    diff: Some(snapshot::diff(
                        &upgraded.text,
                        &again.text,
                        &format!("after upgrade {revision}"),
                        &format!("after upgrade {revision} again"),
                    )),
                });
            }
            if versions_again != versions_upgraded {
                return Err(Outcome::Failed {
                    detail: format!(
                        "upgrading {revision} again leaves the version table at [{}], not [{}] as its first upgrade did",
                        versions_again.join(", "),
                        versions_upgraded.join(", ")
                    ),
                    diff: None,
                });
            }
            before = again;
            versions_before = versions_again;
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => Outcome::Passed(Some(format!(
            "{}: each downgrade undid its upgrade",
            words::plural(order.len(), "revision")
        ))),
        Err(stop) => stop,
    }
}

/// Every fork a merge joins: its branches applied in each order must end in the same schema at
/// the merge. Each order runs on a database of its own.
async fn fork_order(steps: &mut Steps<'_, '_>, graph: &Graph, session: &Session<'_>) -> Outcome {
    let order = graph.upgrade_order();
    let merges: Vec<&crate::adapters::Revision> = order
        .iter()
        .filter_map(|id| graph.revisions.iter().find(|r| &r.revision == id))
        .filter(|r| r.down_revision.len() >= 2)
        .collect();
    if merges.is_empty() {
        return Outcome::Passed(Some(
            "no fork is joined by a merge: nothing to compare".into(),
        ));
    }
    let mut databases = Vec::new();
    for merge in &merges {
        let fork = fork_point(graph, &merge.down_revision);
        let mut first: Option<(String, Seen)> = None;
        for (index, parents) in orders(&merge.down_revision).into_iter().enumerate() {
            let shown = parents.join(" then ");
            let database = match steps.engine.create().await {
                Ok(database) => database.with_services(&steps.ctx.services),
                Err(err) => {
                    return Outcome::Error(format!(
                        "cannot create a database for the order {shown}: {err}"
                    ));
                }
            };
            let order_session = Session::new(
                session.runtime(),
                Some(&database),
                format!("{}-order-{}", steps.cell.id, index + 1),
            );
            let applied: Result<Seen, Outcome> = async {
                steps.chains(&order_session, &database).await?;
                for parent in &parents {
                    let label = format!("fork at {fork}, order {shown}: upgrade {parent}");
                    steps
                        .tool(
                            &order_session,
                            &database,
                            Action::Upgrade(parent.clone()),
                            label,
                        )
                        .await?;
                }
                let label = format!("fork at {fork}, order {shown}: upgrade {}", merge.revision);
                steps
                    .tool(
                        &order_session,
                        &database,
                        Action::Upgrade(merge.revision.clone()),
                        label,
                    )
                    .await?;
                steps.schema(&database).await
            }
            .await;
            order_session.close().await;
            databases.push(database);
            let schema = match applied {
                Ok(schema) => schema,
                Err(stop) => {
                    return named(
                        stop,
                        &format!(
                            "fork at {fork} (merged by {}): the order {shown} fails",
                            merge.revision
                        ),
                    );
                }
            };
            match &first {
                None => first = Some((shown, schema)),
                Some((first_shown, first_schema)) if *first_schema != schema => {
                    return Outcome::Failed {
                        detail: format!(
                            "fork at {fork} (merged by {}): applying {shown} ends in another schema than {first_shown}{}",
                            merge.revision,
                            first_schema.summary(&schema, "missing", "left behind")
                        ),
                        diff: Some(snapshot::diff(
                            &first_schema.text,
                            &schema.text,
                            first_shown,
                            &shown,
                        )),
                    };
                }
                Some(_) => {}
            }
        }
    }
    Outcome::Passed(Some(format!(
        "{}: every order of the branches ends in the same schema",
        words::plural(merges.len(), "fork")
    )))
}

/// Says where a check stopped, before the step's own detail.
fn named(outcome: Outcome, context: &str) -> Outcome {
    match outcome {
        Outcome::Failed { detail, diff } => Outcome::Failed {
            detail: format!("{context}; {detail}"),
            diff,
        },
        other => other,
    }
}

/// The orders a merge's parents are applied in: every permutation of up to three, else each
/// rotation.
fn orders(parents: &[String]) -> Vec<Vec<String>> {
    if parents.len() > 3 {
        return (0..parents.len())
            .map(|start| {
                parents[start..]
                    .iter()
                    .chain(&parents[..start])
                    .cloned()
                    .collect()
            })
            .collect();
    }
    let mut all = Vec::new();
    permute(parents.to_vec(), 0, &mut all);
    all
}

fn permute(mut items: Vec<String>, from: usize, all: &mut Vec<Vec<String>>) {
    if from + 1 >= items.len() {
        all.push(items);
        return;
    }
    for index in from..items.len() {
        items.swap(from, index);
        permute(items.clone(), from + 1, all);
        items.swap(from, index);
    }
}

/// The nearest revision every parent descends from, or `base` when they share none.
fn fork_point(graph: &Graph, parents: &[String]) -> String {
    let ancestors = |start: &str| {
        let mut seen: Vec<String> = Vec::new();
        let mut stack = vec![start.to_string()];
        while let Some(id) = stack.pop() {
            if seen.contains(&id) {
                continue;
            }
            if let Some(revision) = graph.revisions.iter().find(|r| r.revision == id) {
                stack.extend(revision.down_revision.iter().cloned());
            }
            seen.push(id);
        }
        seen
    };
    let sets: Vec<Vec<String>> = parents.iter().map(|p| ancestors(p)).collect();
    let common: Vec<&String> = sets[0]
        .iter()
        .filter(|id| sets[1..].iter().all(|set| set.contains(id)))
        .collect();
    // The nearest: a common ancestor no other common ancestor descends from.
    common
        .iter()
        .find(|candidate| {
            !common
                .iter()
                .any(|other| other != *candidate && ancestors(other).contains(candidate))
        })
        .map_or_else(|| "base".to_string(), |id| (*id).clone())
}

/// ` (left behind: table tmp_a, enum status; missing: table b)`: the objects (tables, views,
/// types, sequences, ...) only one side has, or nothing when both have the same.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::Revision;

    fn graph(edges: &[(&str, &[&str])]) -> Graph {
        Graph {
            heads: Vec::new(),
            revisions: edges
                .iter()
                .rev()
                .map(|(id, down)| Revision {
                    revision: (*id).into(),
                    down_revision: down.iter().map(|d| (*d).to_string()).collect(),
                    branch_labels: Vec::new(),
                    path: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn every_order_of_a_merge_is_tried() {
        let two = orders(&["a".into(), "b".into()]);
        assert_eq!(two, [vec!["a", "b"], vec!["b", "a"]]);
        let three = orders(&["a".into(), "b".into(), "c".into()]);
        assert_eq!(three.len(), 6);
        let mut unique = three.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 6);
        let four: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(orders(&four).len(), 4);
    }

    #[test]
    fn the_fork_point_is_the_nearest_shared_ancestor() {
        let g = graph(&[
            ("r1", &[]),
            ("r2", &["r1"]),
            ("a1", &["r2"]),
            ("a2", &["a1"]),
            ("b1", &["r2"]),
            ("m", &["a2", "b1"]),
        ]);
        assert_eq!(fork_point(&g, &["a2".into(), "b1".into()]), "r2");
        let roots = graph(&[("x", &[]), ("y", &[])]);
        assert_eq!(fork_point(&roots, &["x".into(), "y".into()]), "base");
    }
}
