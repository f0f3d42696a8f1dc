//! Turns a scenario (its kind, steps and target) into the actions a cell runs, in order.

use crate::adapters::{Action, Graph};
use crate::config::{Bootstrap, Kind, Location, Scenario, SqlText, StepKind};
use crate::outcome::StepRecord;

pub(super) enum PlannedAction {
    Tool(Action),
    /// An action of the chain `upgrade_first[index]` names, run before the project's own.
    Chain {
        index: usize,
        action: Action,
    },
    Sql(SqlText),
    Command(Vec<String>),
    Dump(std::path::PathBuf),
}

pub(super) struct PlannedStep {
    pub action: PlannedAction,
    pub record: StepRecord,
    /// For stepwise scenarios: the revision this step upgrades to.
    pub revision: Option<String>,
    /// Run with the project as it was at the scenario's `from_ref`.
    pub at_ref: bool,
}

/// Why a scenario's cell cannot be planned.
#[derive(Debug)]
pub(super) struct PlanError(pub &'static str);

pub(super) struct Planned {
    pub steps: Vec<PlannedStep>,
    /// The final upgrade, whose failure may be expected; none for stepwise scenarios.
    pub target: Option<PlannedStep>,
}

/// Plans a scenario's cell. With `bootstrap`, a scenario of steps and the models check start from
/// a fresh install made the project's way (built with the release's code under `from_ref`), not
/// from an empty database; the checks that walk the migrations from base do not. `chains` names
/// the projects of `upgrade_first`: each is brought to head before the project's own steps
/// (stamped at its heads after a bootstrap, which made its tables), and under `from_ref` upgraded
/// again with today's code before the target.
pub(super) fn plan(
    scenario: &Scenario,
    graph: Option<&Graph>,
    bootstrap: Option<&Bootstrap>,
    chains: &[String],
) -> Result<Planned, PlanError> {
    let mut steps = Vec::new();
    let from = scenario.from_ref.as_ref();
    let at_ref = from.is_some();
    let at_release = |label: String| match from {
        Some(from) => format!("{label} at {}", from.reference),
        None => label,
    };
    let mut push = |action: PlannedAction,
                    label: String,
                    at: Option<Location>,
                    revision: Option<String>,
                    at_ref: bool| {
        let number = steps.len() + 1;
        steps.push(PlannedStep {
            action,
            record: record(number, label, at),
            revision,
            at_ref,
        });
    };
    let chain = |index: usize, action: Action| PlannedAction::Chain { index, action };
    let bootstrap_step = |bootstrap: &Bootstrap| match bootstrap {
        Bootstrap::Models { metadata } => PlannedAction::Tool(Action::Bootstrap {
            metadata: metadata.clone(),
        }),
        Bootstrap::Command(argv) => PlannedAction::Command(argv.clone()),
    };
    if scenario.kind == Kind::Rolling && from.is_none() {
        return Err(PlanError(
            "a rolling scenario needs the release it deploys from: the repository has no tag to default to (a shallow CI clone has none: fetch the tags, e.g. `fetch-depth: 0`); write `from_ref = \"<tag>\"` in the scenario, or run with --from-tags",
        ));
    }
    let release_at = from.map(|from| from.at.clone());
    match (scenario.kind, bootstrap) {
        (Kind::Custom | Kind::Models | Kind::Rolling, Some(bootstrap)) => {
            let label = at_release(bootstrap.label());
            push(
                bootstrap_step(bootstrap),
                label,
                release_at.clone(),
                None,
                at_ref,
            );
            for (index, name) in chains.iter().enumerate() {
                let action = chain(index, Action::Stamp(vec!["heads".into()]));
                let label = at_release(format!("{name}: stamp heads"));
                push(action, label, release_at.clone(), None, at_ref);
            }
            custom_steps(scenario, &mut |action, label, at, revision| {
                push(action, label, at, revision, at_ref)
            });
        }
        (Kind::Custom | Kind::Rolling, None) => {
            for (index, name) in chains.iter().enumerate() {
                let target = if at_ref { "heads" } else { "head" };
                let action = chain(index, Action::Upgrade(target.into()));
                let label = at_release(format!("{name}: upgrade {target}"));
                push(action, label, release_at.clone(), None, at_ref);
            }
            if let Some(from) = from {
                // The release's own upgrade builds the starting state.
                push(
                    PlannedAction::Tool(Action::Upgrade("heads".into())),
                    format!("upgrade heads at {}", from.reference),
                    Some(from.at.clone()),
                    None,
                    true,
                );
            }
            custom_steps(scenario, &mut |action, label, at, revision| {
                push(action, label, at, revision, at_ref)
            });
        }
        (Kind::Roundtrip | Kind::Models | Kind::Stepwise | Kind::Locks, _) => {
            for (index, name) in chains.iter().enumerate() {
                let action = chain(index, Action::Upgrade("head".into()));
                push(action, format!("{name}: upgrade head"), None, None, false);
            }
        }
        // Their cells run their own sequence (see `checks`), which brings the chains to head first.
        (Kind::Stairway | Kind::ForkOrder, _) => {}
    }
    // A rolling deploy's code on its own schema first: what it does there is what the schema it
    // meets later is judged against (see `rolling`).
    if let (Kind::Rolling, Some(from)) = (scenario.kind, from) {
        let probe = || PlannedAction::Tool(Action::Probe(scenario.models.clone()));
        if scenario.order.migrate_first() {
            let label = format!("the models of {} on its own schema", from.reference);
            push(probe(), label, None, None, true);
        }
        if scenario.order.code_first() {
            let label = format!("today's models on the schema of {}", from.reference);
            push(probe(), label, None, None, false);
        }
    }
    // Under from_ref, today's chains are upgraded before the project's own target.
    if at_ref {
        for (index, name) in chains.iter().enumerate() {
            let action = chain(index, Action::Upgrade("head".into()));
            push(action, format!("{name}: upgrade head"), None, None, false);
        }
    }
    match scenario.kind {
        Kind::Roundtrip => {
            push(
                PlannedAction::Tool(Action::Upgrade("head".into())),
                "upgrade head".into(),
                None,
                None,
                false,
            );
            push(
                PlannedAction::Tool(Action::Downgrade("base".into())),
                "downgrade base".into(),
                None,
                None,
                false,
            );
        }
        Kind::Stepwise | Kind::Locks => {
            let graph = graph.ok_or(PlanError(
                "a stepwise or locks scenario needs the revision graph, which the tool could not load",
            ))?;
            for revision in graph.upgrade_order() {
                let action = PlannedAction::Tool(if scenario.kind == Kind::Locks {
                    Action::TracedUpgrade(revision.clone())
                } else {
                    Action::Upgrade(revision.clone())
                });
                push(
                    action,
                    format!("upgrade {revision}"),
                    None,
                    Some(revision),
                    false,
                );
            }
            return Ok(Planned {
                steps,
                target: None,
            });
        }
        _ => {}
    }
    if let Some(interrupt) = &scenario.interrupt {
        let number = steps.len() + 1;
        let revision = interrupt.revision.value.clone();
        steps.push(PlannedStep {
            action: PlannedAction::Tool(Action::Interrupt {
                revision: revision.clone(),
                after: interrupt.after_statements,
            }),
            record: record(
                number,
                format!(
                    "upgrade {revision}, stopped after statement {} of {revision}",
                    interrupt.after_statements
                ),
                Some(interrupt.revision.at.clone()),
            ),
            revision: None,
            at_ref: false,
        });
    }
    let number = steps.len() + 1;
    let target = &scenario.target;
    let at = (target.value != "head" || target.at.line != 1).then(|| target.at.clone());
    // A rolling deploy's upgrade records its statements: a finding names the revision that
    // changed the table.
    let upgrade = if scenario.kind == Kind::Rolling {
        Action::TracedUpgrade(target.value.clone())
    } else {
        Action::Upgrade(target.value.clone())
    };
    let target = PlannedStep {
        action: PlannedAction::Tool(upgrade),
        record: record(number, format!("upgrade {} (target)", target.value), at),
        revision: None,
        at_ref: false,
    };
    Ok(Planned {
        steps,
        target: Some(target),
    })
}

/// A scenario's own `[[steps]]`, in order.
fn custom_steps(
    scenario: &Scenario,
    push: &mut impl FnMut(PlannedAction, String, Option<Location>, Option<String>),
) {
    for step in &scenario.steps {
        let action = match &step.kind {
            StepKind::Upgrade(rev) => PlannedAction::Tool(Action::Upgrade(rev.value.clone())),
            StepKind::Downgrade(rev) => PlannedAction::Tool(Action::Downgrade(rev.value.clone())),
            StepKind::Stamp(revs) => PlannedAction::Tool(Action::Stamp(
                revs.iter().map(|r| r.value.clone()).collect(),
            )),
            StepKind::Sql { sql, .. } => PlannedAction::Sql(sql.clone()),
            StepKind::Command(argv) => PlannedAction::Command(argv.clone()),
            StepKind::Dump(path) => PlannedAction::Dump(path.clone()),
        };
        let label = match &scenario.from_ref {
            Some(from) => format!("{} at {}", step.kind.label(), from.reference),
            None => step.kind.label(),
        };
        push(action, label, Some(step.at.clone()), None);
    }
}

pub(super) fn record(number: usize, label: String, at: Option<Location>) -> StepRecord {
    StepRecord {
        number,
        label,
        at,
        ok: true,
        duration: std::time::Duration::ZERO,
        status: None,
        output_tail: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FromRef;

    fn labels(planned: &Planned) -> Vec<(String, bool)> {
        planned
            .steps
            .iter()
            .chain(&planned.target)
            .map(|step| (step.record.label.clone(), step.at_ref))
            .collect()
    }

    #[test]
    fn chains_run_first_and_are_upgraded_with_todays_code_before_the_target() {
        let at = Location {
            path: "scenarios/fresh.toml".into(),
            line: 1,
            column: 1,
        };
        let mut scenario = Scenario::builtin_fresh(at.clone());
        let chains = ["shop/migration".to_string()];
        let owned = |steps: &[(&str, bool)]| -> Vec<(String, bool)> {
            steps.iter().map(|(l, r)| (l.to_string(), *r)).collect()
        };
        let fresh = plan(&scenario, None, None, &chains).unwrap();
        assert_eq!(
            labels(&fresh),
            owned(&[
                ("shop/migration: upgrade head", false),
                ("upgrade head (target)", false)
            ])
        );
        scenario.from_ref = Some(FromRef {
            reference: "v1.0".into(),
            at,
        });
        let models = Bootstrap::Models { metadata: None };
        let release = plan(&scenario, None, Some(&models), &chains).unwrap();
        assert_eq!(
            labels(&release),
            owned(&[
                (
                    "bootstrap from the models (create_all, stamp heads) at v1.0",
                    true
                ),
                ("shop/migration: stamp heads at v1.0", true),
                ("shop/migration: upgrade head", false),
                ("upgrade head (target)", false),
            ])
        );
        let release = plan(&scenario, None, None, &chains).unwrap();
        assert_eq!(
            labels(&release),
            owned(&[
                ("shop/migration: upgrade heads at v1.0", true),
                ("upgrade heads at v1.0", true),
                ("shop/migration: upgrade head", false),
                ("upgrade head (target)", false),
            ])
        );
    }

    #[test]
    fn a_rolling_deploy_probes_each_code_on_its_own_schema_before_the_upgrade() {
        let at = Location {
            path: "scenarios/rolling.toml".into(),
            line: 1,
            column: 1,
        };
        let mut scenario = Scenario::builtin_fresh(at.clone());
        scenario.kind = Kind::Rolling;
        scenario.order = crate::config::RollingOrder::Both;
        scenario.from_ref = Some(FromRef {
            reference: "v1.0".into(),
            at,
        });
        let planned = plan(&scenario, None, None, &[]).unwrap();
        let owned = |steps: &[(&str, bool)]| -> Vec<(String, bool)> {
            steps.iter().map(|(l, r)| (l.to_string(), *r)).collect()
        };
        assert_eq!(
            labels(&planned),
            owned(&[
                ("upgrade heads at v1.0", true),
                ("the models of v1.0 on its own schema", true),
                ("today's models on the schema of v1.0", false),
                ("upgrade head (target)", false),
            ])
        );
        scenario.order = crate::config::RollingOrder::MigrateFirst;
        let models = Bootstrap::Models { metadata: None };
        let planned = plan(&scenario, None, Some(&models), &[]).unwrap();
        assert_eq!(
            labels(&planned),
            owned(&[
                (
                    "bootstrap from the models (create_all, stamp heads) at v1.0",
                    true
                ),
                ("the models of v1.0 on its own schema", true),
                ("upgrade head (target)", false),
            ])
        );
    }
}
