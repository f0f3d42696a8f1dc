//! Turns a scenario (its kind, steps and target) into the actions a cell runs, in order.

use super::cell::CellError;
use crate::adapters::{Action, Graph};
use crate::config::{Bootstrap, Kind, Location, Scenario, SqlText, StepKind};
use crate::outcome::StepRecord;

pub(super) enum PlannedAction {
    Tool(Action),
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

pub(super) struct Planned {
    pub steps: Vec<PlannedStep>,
    /// The final upgrade, whose failure may be expected; none for stepwise scenarios.
    pub target: Option<PlannedStep>,
}

/// Plans a scenario's cell. With `bootstrap`, a scenario of steps and the models check start from
/// a fresh install made the project's way (built with the release's code under `from_ref`), not
/// from an empty database; the checks that walk the migrations from base do not.
pub(super) fn plan(
    scenario: &Scenario,
    graph: Option<&Graph>,
    bootstrap: Option<&Bootstrap>,
) -> Result<Planned, CellError> {
    let mut steps = Vec::new();
    let at_ref = scenario.from_ref.is_some();
    let mut push =
        |action: PlannedAction, label: String, at: Option<Location>, revision: Option<String>| {
            let number = steps.len() + 1;
            steps.push(PlannedStep {
                action,
                record: record(number, label, at),
                revision,
                at_ref,
            });
        };
    let bootstrap_step = |bootstrap: &Bootstrap| match bootstrap {
        Bootstrap::Models { metadata } => PlannedAction::Tool(Action::Bootstrap {
            metadata: metadata.clone(),
        }),
        Bootstrap::Command(argv) => PlannedAction::Command(argv.clone()),
    };
    match (scenario.kind, bootstrap) {
        (Kind::Custom | Kind::Models, Some(bootstrap)) => {
            let label = match &scenario.from_ref {
                Some(from) => format!("{} at {}", bootstrap.label(), from.reference),
                None => bootstrap.label(),
            };
            let at = scenario.from_ref.as_ref().map(|from| from.at.clone());
            push(bootstrap_step(bootstrap), label, at, None);
            custom_steps(scenario, &mut push);
        }
        (Kind::Custom, None) => {
            if let Some(from) = &scenario.from_ref {
                // The release's own upgrade builds the starting state.
                push(
                    PlannedAction::Tool(Action::Upgrade("heads".into())),
                    format!("upgrade heads at {}", from.reference),
                    Some(from.at.clone()),
                    None,
                );
            }
            custom_steps(scenario, &mut push);
        }
        (Kind::Roundtrip, _) => {
            push(
                PlannedAction::Tool(Action::Upgrade("head".into())),
                "upgrade head".into(),
                None,
                None,
            );
            push(
                PlannedAction::Tool(Action::Downgrade("base".into())),
                "downgrade base".into(),
                None,
                None,
            );
        }
        // Their cells run their own sequence (see `checks`); the models check is the upgrade to
        // head followed by the comparison.
        (Kind::Models | Kind::Stairway | Kind::ForkOrder, _) => {}
        (Kind::Stepwise, _) => {
            let graph = graph.ok_or(CellError::Plan(
                "a stepwise scenario needs the revision graph, which the tool could not load",
            ))?;
            for revision in graph.upgrade_order() {
                let action = PlannedAction::Tool(Action::Upgrade(revision.clone()));
                push(action, format!("upgrade {revision}"), None, Some(revision));
            }
            return Ok(Planned {
                steps,
                target: None,
            });
        }
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
    let target = PlannedStep {
        action: PlannedAction::Tool(Action::Upgrade(target.value.clone())),
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
