//! `harness drift`: compares the revisions a live database records with the heads of the migration
//! files (the deploy-time guard). Read-only. `--wait` polls until they match.

use std::time::{Duration, Instant};

use clap::Args;

use super::lint::{ProjectArgs, analyze, warn_if_errors};
use super::{ExitStatus, Failure, GlobalArgs};

use crate::drift::{DatabaseUrl, Drift, DriftError, VersionTable, read_versions};

pub(super) const DRIFT_EXIT_CODES: &str = "\
Exit codes:
  0  current: the database records exactly the heads of the migration files
  1  drift: it records other revisions (or none)
  2  bad usage: a malformed URL, an unknown engine, no project
  3  the database could not be read (no such file, connection refused, login failed)
  4  the database has no version table (never migrated or stamped)";

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The database to check, as a SQLAlchemy URL (sqlite:///file.db, postgresql://..., mysql://...);
    /// passwords are never printed. Without it: HARNESS_DATABASE_URL, else DATABASE_URL (so a
    /// deploy guard keeps credentials out of the process list)
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The version table [default: project.version_table of harness.toml, else alembic_version]
    #[arg(long, value_name = "NAME")]
    pub version_table: Option<String>,
    /// Poll until the database is current, for at most this long
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
    /// Seconds between two polls with --wait
    #[arg(long, value_name = "SECONDS", default_value_t = 2, requires = "wait")]
    pub interval: u64,
}

/// The URL to check: the flag's, else HARNESS_DATABASE_URL's, else DATABASE_URL's.
fn database_url(
    flag: Option<String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<String, Failure> {
    flag.or_else(|| {
        ["HARNESS_DATABASE_URL", "DATABASE_URL"]
            .into_iter()
            .find_map(|name| env(name).filter(|value| !value.trim().is_empty()))
    })
    .ok_or_else(|| {
        Failure::Usage(
            "no database to check: give --database-url URL, or set HARNESS_DATABASE_URL (or DATABASE_URL) in the environment, which keeps the credentials out of the process list".into(),
        )
    })
}

/// One look at the database.
enum Outcome {
    Compared(Drift),
    NoTable,
    Failed(DriftError),
}

pub(super) fn execute(global: &GlobalArgs, args: DriftArgs) -> Result<ExitStatus, Failure> {
    let given = database_url(args.database_url.clone(), |name| std::env::var(name).ok())?;
    let url = DatabaseUrl::parse(&given).map_err(|err| Failure::Usage(err.to_string()))?;
    let (report, configured_table) = analyze(global, &args.project, None)?;
    warn_if_errors(&report);
    let table = args
        .version_table
        .clone()
        .or(configured_table)
        .unwrap_or_else(|| "alembic_version".to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::Environment(format!("cannot start the async runtime: {err}")))?;
    let deadline = args
        .wait
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let interval = Duration::from_secs(args.interval.max(1));
    let outcome = runtime.block_on(async {
        loop {
            let outcome = match read_versions(&url, &table).await {
                Ok(VersionTable::Missing) => Outcome::NoTable,
                Ok(VersionTable::Revisions(revisions)) => {
                    Outcome::Compared(Drift::compare(&revisions, &report.graph))
                }
                Err(err) => Outcome::Failed(err),
            };
            let retry = match &outcome {
                Outcome::Compared(drift) => !drift.is_current(),
                Outcome::NoTable => true,
                Outcome::Failed(err) => err.is_transient(),
            };
            let Some(deadline) = deadline.filter(|_| retry) else {
                return outcome;
            };
            let now = Instant::now();
            if now >= deadline {
                return outcome;
            }
            eprintln!(
                "waiting: {} ({}s left)",
                describe(&outcome, &table),
                (deadline - now).as_secs()
            );
            tokio::time::sleep(interval.min(deadline - now)).await;
        }
    });
    match outcome {
        Outcome::Compared(drift) => {
            println!("{}", drift.line());
            if drift.is_current() {
                return Ok(ExitStatus::Success);
            }
            if !drift.unknown.is_empty() {
                eprintln!(
                    "  note: no migration file defines {}: the code is older than the database, or a revision file is missing",
                    drift.unknown.join(", ")
                );
            }
            if drift.pending > 0 {
                eprintln!(
                    "  note: {} revision{} to apply: `alembic upgrade heads`",
                    drift.pending,
                    if drift.pending == 1 { "" } else { "s" }
                );
            }
            Ok(ExitStatus::Failed)
        }
        Outcome::NoTable => {
            println!("no version table: {table} does not exist in {url}");
            Ok(ExitStatus::NoVersionTable)
        }
        Outcome::Failed(err @ DriftError::Unreadable { .. }) => Err(Failure::Environment(format!(
            "{err}\n  help: check that the URL's user may read {table}, and that it is Alembic's version table (a version_num column)"
        ))),
        Outcome::Failed(err) if err.is_transient() => {
            let help = match url {
                DatabaseUrl::Sqlite { .. } => {
                    "check the path: sqlite:///name.db is relative to the working folder, sqlite:////abs/name.db is absolute"
                }
                DatabaseUrl::Server { .. } => {
                    "check the host, port, user, password and database of the URL; for a server still starting, wait for it with --wait SECONDS"
                }
            };
            Err(Failure::Environment(format!("{err}\n  help: {help}")))
        }
        Outcome::Failed(err) => Err(Failure::Usage(err.to_string())),
    }
}

fn describe(outcome: &Outcome, table: &str) -> String {
    match outcome {
        Outcome::Compared(drift) => drift.line(),
        Outcome::NoTable => format!("no version table {table} yet"),
        Outcome::Failed(err) => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_comes_from_the_flag_then_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[
            ("HARNESS_DATABASE_URL", "sqlite:///harness.db"),
            ("DATABASE_URL", "sqlite:///app.db"),
        ]);
        assert_eq!(
            database_url(Some("sqlite:///flag.db".into()), both).unwrap(),
            "sqlite:///flag.db"
        );
        assert_eq!(database_url(None, both).unwrap(), "sqlite:///harness.db");
        let app = env(&[
            ("HARNESS_DATABASE_URL", " "),
            ("DATABASE_URL", "sqlite:///app.db"),
        ]);
        assert_eq!(database_url(None, app).unwrap(), "sqlite:///app.db");
        let err = database_url(None, env(&[])).unwrap_err().to_string();
        assert!(err.contains("no database to check"), "{err}");
    }
}
