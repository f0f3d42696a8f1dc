//! `harness init`'s choice of engines: from the evidence the project's files give
//! (`scaffold::engines`), the entries to try (the pinned major first, then the nearest this
//! machine can start), and from the trial on each, the `matrix.databases` init writes and why.

use crate::config::{BackendChoice, DatabaseSpec, EngineKind};
use crate::engine::trial::{EngineTrial, TrialOutcome};
use crate::scaffold::engines::{Target, TargetEngines};

/// One entry init tries: the specs in order of preference and why the entry is wanted.
#[derive(Debug, Clone)]
pub(super) struct Wanted {
    pub specs: Vec<DatabaseSpec>,
    pub why: String,
    pub note: Option<String>,
    /// SQLite tried only to see whether it reaches head: kept only when it does.
    pub only_if_it_passes: bool,
    /// SQLite for want of any evidence: written as the embedded default.
    pub embedded_default: bool,
}

/// The entries to try: each server engine the evidence names, then SQLite (wanted when the
/// project uses it or names no server; otherwise tried, and kept only when it reaches head).
pub(super) fn wanted(targets: &TargetEngines) -> Vec<Wanted> {
    let mut wanted: Vec<Wanted> = targets
        .servers()
        .into_iter()
        .filter_map(|chosen| {
            let spec = DatabaseSpec::parse(&chosen.entry).ok()?;
            let target = match spec.engine {
                EngineKind::Postgres => Target::Postgres,
                _ => Target::Mysql,
            };
            Some(Wanted {
                specs: with_nearest(spec),
                why: chosen.why,
                note: chosen.note,
                // Only an extra's driver or a test's image: kept when its migrations run there.
                only_if_it_passes: !targets.strong(target),
                embedded_default: false,
            })
        })
        .collect();
    let sqlite = DatabaseSpec::parse("sqlite").expect("a valid entry");
    let why = match targets.first(Target::Sqlite) {
        Some(evidence) => evidence.what.clone(),
        None if wanted.is_empty() => {
            "no server engine is named by the project's dependencies, settings, compose files, CI or migrations".into()
        }
        None => "a trial upgrade on SQLite reached head".into(),
    };
    let surely_server = wanted.iter().any(|w| !w.only_if_it_passes);
    let embedded_default = !targets.has_server() && targets.first(Target::Sqlite).is_none();
    wanted.push(Wanted {
        specs: vec![sqlite],
        why,
        note: None,
        only_if_it_passes: surely_server && !targets.uses_sqlite(),
        embedded_default,
    });
    // The engines the project surely targets come first (the first is the one init reports on);
    // those tried only to see whether they reach head, last.
    wanted.sort_by_key(|w| w.only_if_it_passes);
    wanted
}

/// A `--database` entry that is not one.
#[derive(Debug, thiserror::Error)]
#[error("--database {entry}: {why}")]
pub(super) struct BadEntry {
    entry: String,
    why: crate::config::SpecError,
}

/// The entries `--database` gives, tried as they are.
pub(super) fn given(entries: &[String]) -> Result<Vec<Wanted>, BadEntry> {
    entries
        .iter()
        .map(|text| {
            let spec = DatabaseSpec::parse(text).map_err(|why| BadEntry {
                entry: text.clone(),
                why,
            })?;
            Ok(Wanted {
                specs: vec![spec],
                why: "given with --database".into(),
                note: None,
                only_if_it_passes: false,
                embedded_default: false,
            })
        })
        .collect()
}

/// `spec`, then what this machine is known to start without a registry: the same major from local
/// server binaries, then the other majors (an image named by `HARNESS_IMAGE_<ENGINE>_<N>`, local
/// binaries with the `local` backend), nearest first, newer first on a tie.
fn with_nearest(spec: DatabaseSpec) -> Vec<DatabaseSpec> {
    let Some(major) = spec.version.as_deref().and_then(|v| v.parse::<u32>().ok()) else {
        return vec![spec];
    };
    let (images, local) = available_majors(spec.engine);
    let mut others: Vec<(u32, bool)> = images
        .iter()
        .filter(|m| **m != major)
        .map(|m| (*m, false))
        .chain(
            local
                .iter()
                .filter(|m| !images.contains(m) || **m == major)
                .map(|m| (*m, true)),
        )
        .collect();
    others.sort_by_key(|(m, local)| (m.abs_diff(major), std::cmp::Reverse(*m), *local));
    let name = spec.engine.name();
    let mut specs = vec![spec];
    for (m, local) in others {
        if let Ok(mut other) = DatabaseSpec::parse(&format!("{name}:{m}")) {
            if local {
                other.settings.backend = BackendChoice::Local;
            }
            specs.push(other);
        }
    }
    specs
}

/// The PostgreSQL majors init looks for local server binaries of.
const POSTGRES_MAJORS: std::ops::RangeInclusive<u32> = 10..=18;

/// The majors of `engine` that start here without a registry: from images the environment names,
/// and from local server binaries.
fn available_majors(engine: EngineKind) -> (Vec<u32>, Vec<u32>) {
    let prefix = format!("HARNESS_IMAGE_{}_", engine.name().to_ascii_uppercase());
    let mut images: Vec<u32> = std::env::vars()
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix(&prefix)?;
            (!value.is_empty()).then_some(())?;
            rest.parse().ok()
        })
        .collect();
    images.sort_unstable();
    images.dedup();
    let mut majors = Vec::new();
    if engine == EngineKind::Postgres {
        // The majors the local backend would find binaries for, where it looks for them.
        majors.extend(POSTGRES_MAJORS.filter(|major| crate::database::has_local_postgres(*major)));
    }
    majors.sort_unstable();
    majors.dedup();
    (images, majors)
}

/// What init writes for the trials: the `matrix.databases` entries with why, and notes.
#[derive(Debug, Default)]
pub(super) struct Settled {
    /// Each entry, why, and the backend to write when init had to choose one (`local`).
    pub databases: Vec<(String, String, Option<&'static str>)>,
    pub notes: Vec<String>,
    /// Printed while init runs.
    pub said: Vec<String>,
}

/// The entries to write from what the trial on each wanted entry showed.
pub(super) fn settle(wanted: &[Wanted], trials: &[EngineTrial]) -> Settled {
    let mut settled = Settled::default();
    for (want, trial) in wanted.iter().zip(trials) {
        let entry = trial.spec.to_string();
        if want.only_if_it_passes {
            if matches!(trial.outcome, TrialOutcome::Passed) {
                settled.databases.push((entry, want.why.clone(), None));
            } else if trial.spec.engine != EngineKind::Sqlite {
                settled.said.push(format!(
                    "{entry} is left out: only {} names it, and a trial upgrade on it did not reach head",
                    want.why
                ));
                settled.notes.push(format!(
                    "{entry} is not in the matrix: only {} names it, and the migrations do not reach head on it",
                    want.why
                ));
            } else {
                settled.said.push(format!(
                    "SQLite is left out: the project names no use of it, and a trial upgrade on it did not reach head{}",
                    match &trial.outcome {
                        TrialOutcome::Failed { line, .. } => format!(" ({line})"),
                        _ => String::new(),
                    }
                ));
                settled.notes.push(
                    "SQLite is not in the matrix: the project does not use it, and its migrations do not reach head on it".into(),
                );
            }
            continue;
        }
        let mut why = want.why.clone();
        if !trial.skipped.is_empty() && trial.skipped[0].entry == entry {
            settled.notes.push(format!(
                "{entry} could not be started from its image here ({}): it runs from this machine's server binaries (backend = \"local\"); drop that line where the image can be pulled",
                first_line(&trial.skipped[0].error.to_string())
            ));
        } else if !trial.skipped.is_empty() {
            let wanted_entry = &trial.skipped[0].entry;
            settled.notes.push(format!(
                "{wanted_entry} could not be started here ({}): {entry} is the nearest that could; write {wanted_entry} where it starts (a CI runner that pulls images)",
                first_line(&trial.skipped[0].error.to_string())
            ));
            why = format!("{why} ({wanted_entry} could not be started here)");
        }
        if let TrialOutcome::NoEngine(reason) = &trial.outcome {
            settled.said.push(format!(
                "{entry} could not be started, so init could not try the upgrade on it: {}\n  help: start a Docker engine, or install PostgreSQL's server binaries (Debian: postgresql), then `harness run`",
                first_line(&reason.to_string())
            ));
            settled.notes.push(format!(
                "{entry} was not tried: it could not be started when init ran"
            ));
        }
        if let Some(note) = &want.note {
            settled.notes.push(note.clone());
        }
        let backend = (trial.spec.settings.backend == BackendChoice::Local).then_some("local");
        settled.databases.push((entry, why, backend));
    }
    // Only SQLite, chosen for want of any other evidence: the embedded default, written as before.
    if wanted.len() == 1 && wanted[0].embedded_default {
        settled.databases.clear();
    }
    settled
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::engines::{Evidence, Source};

    fn evidence(target: Target, major: Option<u32>, what: &str) -> Evidence {
        Evidence {
            target,
            source: Source::Image,
            major,
            mariadb: false,
            what: what.into(),
        }
    }

    fn trial(entry: &str, outcome: TrialOutcome) -> EngineTrial {
        EngineTrial {
            spec: DatabaseSpec::parse(entry).unwrap(),
            version_tables: Vec::new(),
            skipped: Vec::new(),
            outcome,
        }
    }

    #[test]
    fn a_postgres_project_keeps_sqlite_only_when_it_reaches_head() {
        let targets = TargetEngines {
            evidence: vec![evidence(Target::Postgres, Some(17), "image postgres:17.5")],
        };
        let wanted = wanted(&targets);
        assert_eq!(wanted.len(), 2);
        assert_eq!(wanted[0].specs[0].to_string(), "postgres:17");
        assert!(wanted[1].only_if_it_passes);
        let failed = TrialOutcome::Failed {
            line: "near \"SET\": syntax error".into(),
            dialect: true,
            needs_bootstrap: false,
            settings: Vec::new(),
            refused: None,
        };
        let settled = settle(
            &wanted,
            &[
                trial("postgres:17", TrialOutcome::Passed),
                trial("sqlite", failed),
            ],
        );
        assert_eq!(settled.databases.len(), 1, "{settled:?}");
        assert_eq!(settled.databases[0].0, "postgres:17");
        assert!(settled.said[0].contains("SQLite is left out"));
        let settled = settle(
            &wanted,
            &[
                trial("postgres:17", TrialOutcome::Passed),
                trial("sqlite", TrialOutcome::Passed),
            ],
        );
        assert_eq!(settled.databases.len(), 2);
    }

    #[test]
    fn a_driver_only_an_extra_installs_is_tried_and_kept_only_when_it_reaches_head() {
        let targets = TargetEngines {
            evidence: vec![
                evidence(Target::Postgres, Some(17), "image postgres:17"),
                Evidence {
                    target: Target::Mysql,
                    source: Source::Weak,
                    major: None,
                    mariadb: false,
                    what: "the driver mysqlclient in pyproject.toml".into(),
                },
            ],
        };
        let wanted = wanted(&targets);
        let entries: Vec<(String, bool)> = wanted
            .iter()
            .map(|w| (w.specs[0].to_string(), w.only_if_it_passes))
            .collect();
        assert_eq!(
            entries,
            [
                ("postgres:17".to_string(), false),
                ("mariadb:11".to_string(), true),
                ("sqlite".to_string(), true)
            ]
        );
        let failed = TrialOutcome::Failed {
            line: "x".into(),
            dialect: false,
            needs_bootstrap: false,
            settings: Vec::new(),
            refused: None,
        };
        let settled = settle(
            &wanted,
            &[
                trial("postgres:17", TrialOutcome::Passed),
                trial("mariadb:11", failed.clone()),
                trial("sqlite", failed),
            ],
        );
        assert_eq!(settled.databases.len(), 1, "{settled:?}");
        assert!(
            settled.said[0].contains("mariadb:11 is left out"),
            "{settled:?}"
        );
    }

    #[test]
    fn a_project_with_no_evidence_gets_the_embedded_default() {
        let wanted = wanted(&TargetEngines::default());
        assert_eq!(wanted.len(), 1);
        let settled = settle(&wanted, &[trial("sqlite", TrialOutcome::Passed)]);
        assert!(settled.databases.is_empty());
    }

    #[test]
    fn an_engine_that_did_not_start_is_replaced_by_the_nearest_with_a_note() {
        let targets = TargetEngines {
            evidence: vec![evidence(Target::Postgres, Some(16), "image postgres:16")],
        };
        let wanted = wanted(&targets);
        let mut ran = trial("postgres:15", TrialOutcome::Passed);
        ran.skipped = vec![crate::engine::trial::Unstarted {
            entry: "postgres:16".into(),
            error: std::sync::Arc::new(crate::database::DatabaseError::Unsupported(
                "postgres:16".into(),
            )),
        }];
        let settled = settle(&wanted[..1], &[ran]);
        assert_eq!(settled.databases[0].0, "postgres:15");
        assert!(settled.notes[0].contains("postgres:16 could not be started here"));
    }
}
