//! Scenario files (`scenarios/<name>.toml`): the steps that put a database into its starting state,
//! the upgrade target, what to expect and what to snapshot.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Location, SourceFile, parse_toml, read};

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Unique; used in cell ids and snapshot paths.
    pub name: String,
    pub description: String,
    pub file: PathBuf,
    pub steps: Vec<Step>,
    /// What the final upgrade goes to (`head` unless given).
    pub target: RevRef,
    pub expect: Expect,
    pub snapshot: SnapshotOptions,
}

/// One step that builds the starting state, in file order.
#[derive(Debug, Clone)]
pub struct Step {
    pub kind: StepKind,
    pub at: Location,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    /// Run the real tool up to a revision.
    Upgrade(RevRef),
    /// Run the real tool down to a revision.
    Downgrade(RevRef),
    /// Record revisions in the version table without running them.
    Stamp(Vec<RevRef>),
    /// Run SQL against the cell's database.
    Sql { sql: String, origin: SqlOrigin },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlOrigin {
    Inline,
    File(PathBuf),
}

impl StepKind {
    /// A short label for reports: `upgrade 0002`, `sql (inline)`.
    pub fn label(&self) -> String {
        match self {
            StepKind::Upgrade(rev) => format!("upgrade {}", rev.value),
            StepKind::Downgrade(rev) => format!("downgrade {}", rev.value),
            StepKind::Stamp(revs) => {
                format!(
                    "stamp {}",
                    revs.iter()
                        .map(|r| r.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
            StepKind::Sql {
                origin: SqlOrigin::Inline,
                ..
            } => "sql (inline)".to_string(),
            StepKind::Sql {
                origin: SqlOrigin::File(path),
                ..
            } => {
                format!(
                    "sql {}",
                    path.file_name().unwrap_or_default().to_string_lossy()
                )
            }
        }
    }
}

/// A revision named in a scenario, with where it was written (for "unknown revision" errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevRef {
    pub value: String,
    pub at: Location,
}

/// What must hold after the upgrade.
#[derive(Debug, Clone)]
pub struct Expect {
    pub outcome: Outcome,
    /// Per-engine narrowing of `outcome`, first match wins (`[[expect.when]]`).
    pub when: Vec<ExpectWhen>,
    /// Rows of the version table after the upgrade; `head` stands for the graph's heads.
    pub version: Option<Vec<RevRef>>,
}

/// `[[expect.when]] database = "postgres", outcome = "failure"`: the outcome on some engines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectWhen {
    /// An engine (`postgres`) or one entry (`postgres:17`).
    pub database: String,
    pub outcome: Outcome,
}

impl Expect {
    /// The outcome expected on `database`.
    pub fn outcome_for(&self, database: &super::DatabaseSpec) -> Outcome {
        self.when
            .iter()
            .find(|when| {
                when.database == database.engine.name() || when.database == database.to_string()
            })
            .map_or(self.outcome, |when| when.outcome)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The upgrade must succeed (the default).
    Success,
    /// The upgrade must fail: reproducing a known incident is a passing test.
    Failure,
}

/// What goes into the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotOptions {
    pub enabled: bool,
    pub version_table: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<Spanned<String>>,
    description: Option<String>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
    target: Option<Spanned<String>>,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    snapshot: RawSnapshot,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    upgrade: Option<Spanned<String>>,
    downgrade: Option<Spanned<String>>,
    stamp: Option<Spanned<OneOrMany>>,
    sql: Option<Spanned<String>>,
    sql_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a revision or a list of revisions")]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    outcome: Option<Outcome>,
    version: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    when: Vec<Spanned<RawWhen>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    database: Spanned<String>,
    outcome: Outcome,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnapshot {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "yes")]
    version_table: bool,
}

impl Default for RawSnapshot {
    fn default() -> Self {
        Self {
            enabled: true,
            version_table: true,
        }
    }
}

fn yes() -> bool {
    true
}

const STEP_KINDS: &str = "`upgrade`, `downgrade`, `stamp`, `sql`, `sql_file`";

/// Reads and validates one scenario file.
pub(super) fn load(path: &Path) -> Result<Scenario, ConfigError> {
    let file = SourceFile::new(path, read(path)?);
    let raw: RawScenario = parse_toml(&file)?;
    let stem = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let name = match raw.name {
        Some(name) => {
            check_name(name.get_ref())
                .map_err(|msg| ConfigError::at(file.location(name.span().start), msg))?;
            name.into_inner()
        }
        None => {
            check_name(&stem).map_err(|msg| {
                ConfigError::at(file.start(), msg)
                    .with_help("rename the file or set `name = \"...\"` in it")
            })?;
            stem
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let steps = raw
        .steps
        .into_iter()
        .map(|step| convert_step(&file, dir, step))
        .collect::<Result<_, _>>()?;
    let target = match raw.target {
        Some(target) => rev(&file, target)?,
        None => RevRef {
            value: "head".to_string(),
            at: file.start(),
        },
    };
    let version = raw
        .expect
        .version
        .map(|revs| {
            revs.into_iter()
                .map(|r| rev(&file, r))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let mut when = Vec::new();
    for entry in raw.expect.when {
        let entry = entry.into_inner();
        let text = entry.database.get_ref().clone();
        let engine_only = matches!(text.as_str(), "sqlite" | "postgres" | "mariadb" | "mysql");
        let database = if engine_only {
            text
        } else {
            super::DatabaseSpec::parse(&text)
                .map_err(|msg| {
                    ConfigError::at(file.location(entry.database.span().start), msg).with_help(
                        "name an engine (sqlite, postgres, mariadb, mysql) or an entry such as postgres:17",
                    )
                })?
                .to_string()
        };
        when.push(ExpectWhen {
            database,
            outcome: entry.outcome,
        });
    }
    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        file: path.to_path_buf(),
        steps,
        target,
        expect: Expect {
            outcome: raw.expect.outcome.unwrap_or(Outcome::Success),
            when,
            version,
        },
        snapshot: SnapshotOptions {
            enabled: raw.snapshot.enabled,
            version_table: raw.snapshot.version_table,
        },
    })
}

fn convert_step(
    file: &SourceFile,
    dir: &Path,
    step: Spanned<RawStep>,
) -> Result<Step, ConfigError> {
    let at = file.location(step.span().start);
    let raw = step.into_inner();
    let given = [
        raw.upgrade.is_some(),
        raw.downgrade.is_some(),
        raw.stamp.is_some(),
        raw.sql.is_some(),
        raw.sql_file.is_some(),
    ]
    .iter()
    .filter(|given| **given)
    .count();
    if given != 1 {
        let message = if given == 0 {
            "a step names no action"
        } else {
            "a step names more than one action"
        };
        return Err(ConfigError::at(at, message).with_help(format!(
            "give each [[steps]] table exactly one of {STEP_KINDS}"
        )));
    }
    let kind = if let Some(r) = raw.upgrade {
        StepKind::Upgrade(rev(file, r)?)
    } else if let Some(r) = raw.downgrade {
        StepKind::Downgrade(rev(file, r)?)
    } else if let Some(stamp) = raw.stamp {
        let location = file.location(stamp.span().start);
        let revs = match stamp.into_inner() {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        };
        if revs.is_empty() {
            return Err(ConfigError::at(
                location,
                "`stamp` needs at least one revision",
            ));
        }
        let revs = revs
            .into_iter()
            .map(|value| checked_rev(value, &location))
            .collect::<Result<_, _>>()?;
        StepKind::Stamp(revs)
    } else if let Some(sql) = raw.sql {
        let location = file.location(sql.span().start);
        if sql.get_ref().trim().is_empty() {
            return Err(ConfigError::at(location, "`sql` is empty"));
        }
        StepKind::Sql {
            sql: sql.into_inner(),
            origin: SqlOrigin::Inline,
        }
    } else if let Some(sql_file) = raw.sql_file {
        let location = file.location(sql_file.span().start);
        let path = dir.join(sql_file.get_ref());
        let sql = std::fs::read_to_string(&path).map_err(|err| {
            ConfigError::at(
                location,
                format!("cannot read SQL file `{}`: {err}", path.display()),
            )
            .with_help("`sql_file` is relative to the scenario file's folder")
        })?;
        StepKind::Sql {
            sql,
            origin: SqlOrigin::File(path),
        }
    } else {
        unreachable!("exactly one action was counted above")
    };
    Ok(Step { kind, at })
}

fn rev(file: &SourceFile, value: Spanned<String>) -> Result<RevRef, ConfigError> {
    let at = file.location(value.span().start);
    checked_rev(value.into_inner(), &at)
}

fn checked_rev(value: String, at: &Location) -> Result<RevRef, ConfigError> {
    if value.trim().is_empty() || value.chars().any(char::is_whitespace) {
        return Err(
            ConfigError::at(at.clone(), format!("`{value}` is not a revision")).with_help(
                "write a revision id, a unique prefix of one, `head`, `heads` or `base`",
            ),
        );
    }
    Ok(RevRef {
        value,
        at: at.clone(),
    })
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "scenario name `{name}` may hold only lowercase letters, digits, `-` and `_`"
        ))
    }
}
