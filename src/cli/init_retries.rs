//! The trial upgrades `harness init` runs again after changing the setup: a project that opens its
//! own engine (pointed at the cell), a member whose migrations need the first project's chain
//! (`upgrade_first`), a project that starts from its models (`bootstrap = "models"`).

use std::path::Path;

use super::Failure;
use super::init::outcome_line;
use crate::config::{self, DatabaseSpec, ForeignUrls, Project};
use crate::engine::trial::{self, Trial, TrialOutcome};
use crate::runtime::Interpreter;

/// What a trial runs with: the project as set up so far, the interpreter and the engines.
pub(super) struct Retry<'a> {
    pub project: &'a mut Project,
    pub python: &'a Interpreter,
    pub candidates: &'a [Vec<DatabaseSpec>],
}

impl Retry<'_> {
    /// The trial again, with the project as it is now.
    pub async fn trial(&self) -> Result<Trial, Failure> {
        Retry::once(self.project, self.python, self.candidates).await
    }

    /// A trial of `project` as it is.
    pub async fn once(
        project: &Project,
        python: &Interpreter,
        candidates: &[Vec<DatabaseSpec>],
    ) -> Result<Trial, Failure> {
        trial::trial(project, python, candidates)
            .await
            .map_err(|err| Failure::Environment(err.to_string()))
    }
}

/// A project that opens its own engine on a URL of its own: its engines are pointed at the cell's
/// database (`foreign_urls = "redirect"`), and the trial runs again.
pub(super) async fn redirect_own_engine(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
) -> Result<(), Failure> {
    // (On any engine whose kind the URL names: a project whose default is its own SQLite file
    // opens it in the SQLite trial only. A server's URL built on a SQLite cell is no such case.)
    let foreign = trial.engines.iter().find_map(|ran| match &ran.outcome {
        TrialOutcome::Foreign(url) => {
            let scheme = url.split([':', '+']).next().unwrap_or_default();
            let family = crate::dialect::Family::from_scheme(&scheme.to_ascii_lowercase());
            let same = match crate::dialect::Family::of(ran.spec.engine) {
                None => scheme.eq_ignore_ascii_case("sqlite"),
                Some(engine) => family == Some(engine),
            };
            same.then(|| url.clone())
        }
        _ => None,
    });
    if let Some(url) = foreign {
        eprintln!(
            "  note: the project connects to {url} on its own; its engines are redirected to the cell's database, and the trial runs again"
        );
        notes.push(format!(
            "the project opens its own engine on {url} rather than the URL it is given; \
             foreign_urls = \"redirect\" points that engine at each cell's database"
        ));
        retry.project.foreign_urls = ForeignUrls::Redirect;
        *trial = retry.trial().await?;
    }
    Ok(())
}

/// A member whose migrations stop in their first revisions on a table none of them creates may
/// need the first project's schema (`core`): tried with its chain upgraded first; the
/// `upgrade_first` entries to write (relative to the member's harness.toml by `rel`).
pub(super) async fn chain_first(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
    root: &Path,
    core: Option<&Path>,
    rel: &dyn Fn(&str) -> String,
) -> Result<Vec<String>, Failure> {
    let mut upgrade_first = Vec::new();
    if let (
        TrialOutcome::Failed {
            line,
            needs_bootstrap: true,
            ..
        },
        Some(core),
    ) = (trial.outcome(), core)
    {
        let shown = core
            .strip_prefix(root)
            .unwrap_or(core)
            .display()
            .to_string();
        eprintln!(
            "  note: the upgrade from an empty database stops in its first revisions on a table none of them creates ({line}); trying with {shown}'s migrations first (upgrade_first)"
        );
        retry.project.upgrade_first = vec![core.to_path_buf()];
        let again = retry.trial().await?;
        if *again.outcome() == TrialOutcome::Passed {
            notes.push(format!(
                "the migrations need {shown}'s schema (an upgrade from an empty database stops with {line}): upgrade_first upgrades that chain to head before this one's, as the project's own upgrade does"
            ));
            upgrade_first.push(rel(&shown));
            *trial = again;
        } else {
            retry.project.upgrade_first = Vec::new();
            eprintln!(
                "  note: with {shown}'s migrations first, the upgrade did not reach head either: {}",
                outcome_line(again.outcome())
            );
        }
    }
    Ok(upgrade_first)
}

/// Migrations that stop in their first revisions on a table none of them creates start from a
/// schema the project makes from its models: tried with `bootstrap = "models"`; whether it is.
pub(super) async fn models_bootstrap(
    retry: &mut Retry<'_>,
    trial: &mut Trial,
    notes: &mut Vec<String>,
) -> Result<bool, Failure> {
    let mut bootstrap = false;
    if let TrialOutcome::Failed {
        line,
        needs_bootstrap: true,
        ..
    } = trial.outcome()
    {
        eprintln!(
            "  note: the upgrade from an empty database stops in its first revisions on a table none of them creates ({line}); trying a fresh install made from the models (bootstrap = \"models\")"
        );
        retry.project.bootstrap = Some(config::Bootstrap::Models { metadata: None });
        let again = retry.trial().await?;
        if *again.outcome() == TrialOutcome::Passed {
            notes.push(format!(
                "the migrations do not start from an empty database (an upgrade from one stops with {line}): the project creates its schema from its models and stamps it, so bootstrap = \"models\" starts each cell from such a fresh install"
            ));
            bootstrap = true;
            *trial = again;
        } else {
            retry.project.bootstrap = None;
            eprintln!(
                "  note: a fresh install from the models did not reach head either: {}",
                outcome_line(again.outcome())
            );
        }
    }
    Ok(bootstrap)
}
