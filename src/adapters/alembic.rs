//! Alembic: runs the project's own Alembic, from the runtime's environment, through a small entry
//! point that loads alembic.ini and sets the cell's URL in memory (the user's files stay untouched).
//! DATABASE_URL is exported too, for env.py files that read it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::protocol::{self, RecordsFile, ToolRun};
use super::{Action, AdapterError, Graph};
use crate::config::ModelsOptions;
use crate::runtime::{CacheDir, Invocation, Program, Session};

const ENTRY: &str = include_str!("alembic_entry.py");

/// The Alembic adapter for one project.
#[derive(Debug, Clone)]
pub struct Alembic {
    /// The folder Alembic runs in (relative `script_location`s resolve from here).
    dir: PathBuf,
    /// alembic.ini; `None`: an in-memory configuration (script_location from the environment).
    ini: Option<PathBuf>,
    env: BTreeMap<String, String>,
    entry: PathBuf,
}

impl Alembic {
    /// Writes the entry point into the cache (once per content) and returns the adapter.
    pub fn new(
        dir: &Path,
        ini: Option<&Path>,
        env: &BTreeMap<String, String>,
        cache: &CacheDir,
    ) -> Result<Self, AdapterError> {
        let entry = cache
            .script(
                "alembic_entry",
                &crate::drivers::install(&protocol::install(ENTRY)),
            )
            .map_err(|source| AdapterError::Io {
                what: format!(
                    "cannot write the Alembic entry point in {}",
                    cache.scripts().display()
                ),
                source,
            })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            ini: ini.map(Path::to_path_buf),
            env: env.clone(),
            entry,
        })
    }

    /// Runs an action against the session's database; a failing tool is an `Ok` run whose outcome
    /// says how it failed, so the caller can report the tool's own words.
    pub async fn run(
        &self,
        session: &Session<'_>,
        action: &Action,
    ) -> Result<ToolRun, AdapterError> {
        let mut env = BTreeMap::new();
        let args: Vec<String> = match action {
            Action::Upgrade(rev) => vec!["upgrade".into(), rev.clone()],
            Action::TracedUpgrade(rev) => {
                env.insert("HARNESS_TRACE_LOCKS".into(), "1".into());
                vec!["upgrade".into(), rev.clone()]
            }
            Action::Downgrade(rev) => vec!["downgrade".into(), rev.clone()],
            Action::Stamp(revs) => std::iter::once("stamp".to_string())
                .chain(revs.iter().cloned())
                .collect(),
            Action::Interrupt { revision, after } => {
                env.insert("HARNESS_INTERRUPT".into(), format!("{revision}:{after}"));
                vec!["upgrade".into(), revision.clone()]
            }
            Action::Bootstrap { metadata } => {
                if let Some(metadata) = metadata {
                    env.insert("HARNESS_MODELS_METADATA".into(), metadata.clone());
                }
                vec!["bootstrap".into()]
            }
            Action::Probe(options) => {
                if let Some(metadata) = &options.metadata {
                    env.insert("HARNESS_MODELS_METADATA".into(), metadata.clone());
                }
                let ignored = serde_json::to_string(&options.ignore_tables).unwrap_or_default();
                env.insert("HARNESS_MODELS_IGNORE_TABLES".into(), ignored);
                vec!["probe".into()]
            }
        };
        self.invoke(session, &args, env).await
    }

    /// Compares the project's models with the session's database, as autogenerate does; the run's
    /// [`ToolRun::models`] is what it found.
    pub async fn models(
        &self,
        session: &Session<'_>,
        options: &ModelsOptions,
    ) -> Result<ToolRun, AdapterError> {
        let mut env = BTreeMap::new();
        if let Some(metadata) = &options.metadata {
            env.insert("HARNESS_MODELS_METADATA".to_string(), metadata.clone());
        }
        let ignored = serde_json::to_string(&options.ignore_tables).unwrap_or_default();
        env.insert("HARNESS_MODELS_IGNORE_TABLES".into(), ignored);
        let flag = |on: bool| if on { "1" } else { "0" }.to_string();
        env.insert(
            "HARNESS_MODELS_COMPARE_TYPE".into(),
            flag(options.compare_type),
        );
        env.insert(
            "HARNESS_MODELS_COMPARE_SERVER_DEFAULT".into(),
            flag(options.compare_server_default),
        );
        self.invoke(session, &["models".to_string()], env).await
    }

    /// The revision graph as Alembic loads it (the session needs no database).
    pub async fn graph(&self, session: &Session<'_>) -> Result<Graph, AdapterError> {
        let args = vec!["revisions".to_string()];
        let run = self.invoke(session, &args, BTreeMap::new()).await?;
        let out = &run.output;
        let command = format!(
            "alembic (via {}) revisions",
            session.runtime().python_display()
        );
        if !out.success() {
            return Err(AdapterError::Failed {
                command,
                missing_setting: run.missing_setting(),
                status: out.status_text(),
                // The entry point's own words (a Flask app that did not load) come first, wherever
                // they were in the output.
                tail: {
                    let said: Vec<&str> = out
                        .stderr
                        .lines()
                        .filter(|line| line.starts_with("harness: "))
                        .take(2)
                        .collect();
                    let tail = out.tail(20);
                    if said.is_empty() || said.iter().all(|line| tail.contains(line)) {
                        tail
                    } else {
                        format!("{}\n{tail}", said.join("\n"))
                    }
                },
            });
        }
        run.graph()
            .cloned()
            .ok_or_else(|| AdapterError::Unreadable {
                command,
                detail: "no graph record".into(),
            })
    }

    /// The folder holding the entry point (mounted into runtime containers).
    pub fn entry_dir(&self) -> Option<&Path> {
        self.entry.parent()
    }

    async fn invoke(
        &self,
        session: &Session<'_>,
        args: &[String],
        extra_env: BTreeMap<String, String>,
    ) -> Result<ToolRun, AdapterError> {
        let mut argv = vec![
            self.entry.display().to_string(),
            self.ini
                .as_ref()
                .map_or_else(|| "-".to_string(), |ini| ini.display().to_string()),
        ];
        argv.extend(args.iter().cloned());
        let mut invocation = Invocation::new(Program::Python, argv, &self.dir);
        invocation.env = self.env.clone();
        invocation.env.extend(extra_env);
        let records = RecordsFile::new().map_err(|source| AdapterError::Io {
            what: format!(
                "cannot make a records file in {}",
                crate::runtime::records_dir().display()
            ),
            source,
        })?;
        invocation.env.insert(
            protocol::RECORDS_ENV.into(),
            records.path().display().to_string(),
        );
        let output = session
            .run(&invocation)
            .await
            .map_err(AdapterError::Runtime)?;
        Ok(ToolRun::new(output, records.read()))
    }
}
