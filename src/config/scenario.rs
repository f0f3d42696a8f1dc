//! Scenario files (`scenarios/<name>.toml`): the steps that put a database into its starting state,
//! the upgrade target, what to expect and what to snapshot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::expect::{self, Expectations, RawExpect};
pub use super::revision::RevRef;
use super::revision::{checked_rev, rev};
use super::{ConfigError, EngineKind, Location, SourceFile, parse_toml, read};

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
    pub kind: Kind,
    /// With tool = "command": this scenario's upgrade command instead of the project's.
    pub upgrade_command: Option<Vec<String>>,
    pub expect: Expectations,
    pub snapshot: SnapshotOptions,
    /// `[models]`: how `kind = "models"` finds and compares the models.
    pub models: ModelsOptions,
    /// `from_ref = "v1.4.0"`: the starting state is built with the project as it was at that git
    /// ref; the steps run there too, and the final upgrade with today's code.
    pub from_ref: Option<FromRef>,
    /// `interrupt = { revision, after_statements }`: after the steps, an upgrade to that revision
    /// is stopped after its Nth SQL statement, as a crash would; the final upgrade is the retry.
    pub interrupt: Option<Interrupt>,
    /// `rows = N` (kind `locks`): before each revision, every empty table is filled with N rows.
    pub rows: Option<u64>,
    /// `rows_from = "stats.json"` (kind `locks`): the rows of each table named there, which take
    /// precedence over `rows`.
    pub table_rows: std::collections::BTreeMap<String, u64>,
    /// `order` (kind `rolling`): which code meets which schema.
    pub order: RollingOrder,
}

/// Options of the models check (`[models]` in a scenario, or in harness.toml for the built-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsOptions {
    /// `module:attribute` of a MetaData; `None`: the `target_metadata` env.py passes to Alembic.
    pub metadata: Option<String>,
    /// Tables left out of the comparison on both sides.
    pub ignore_tables: Vec<String>,
    pub compare_type: bool,
    pub compare_server_default: bool,
}

impl Default for ModelsOptions {
    fn default() -> Self {
        Self {
            metadata: None,
            ignore_tables: Vec::new(),
            compare_type: true,
            compare_server_default: false,
        }
    }
}

/// A git ref a scenario's starting state is built at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromRef {
    pub reference: String,
    pub at: Location,
}

/// Where an upgrade is stopped, as a crash or a killed deploy would stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupt {
    pub revision: RevRef,
    /// The process ends right after this many SQL statements of the revision ran (at least 1).
    pub after_statements: usize,
}

/// Built-in scenario kinds a user switches on without writing steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The steps as written (the default). `fresh` is an empty database upgraded to the target.
    Custom,
    /// Upgrade to head, downgrade to base, upgrade to head: every downgrade must work and the schema
    /// must equal a fresh install's.
    Roundtrip,
    /// Upgrade one revision at a time; report the first revision that fails; no snapshot.
    Stepwise,
    /// After the upgrade to head, the project's models must match the schema (autogenerate finds
    /// nothing to write).
    Models,
    /// For every revision: upgrade to it, downgrade one step, upgrade again; the downgrade must
    /// leave the schema as it was before the upgrade.
    Stairway,
    /// For every fork a merge joins: the branches applied in each order end in the same schema.
    #[serde(rename = "fork-order")]
    ForkOrder,
    /// Upgrade one revision at a time with every statement traced (PostgreSQL): the locks each
    /// takes and how long, the tables and indexes it rewrites; `[expect]` limits them.
    Locks,
    /// A rolling deploy between `from_ref` (default: the newest tag) and today: the release's
    /// models read and write the upgraded database (and, `order = "code-first"`, today's models
    /// the release's database).
    Rolling,
}

/// Which code meets which schema during a rolling deploy (`order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollingOrder {
    /// The migration runs first: the release's code keeps serving on the new schema.
    #[default]
    MigrateFirst,
    /// The new code ships first: today's code serves on the release's schema.
    CodeFirst,
    /// Both.
    Both,
}

impl RollingOrder {
    /// The release's code is run on the upgraded database.
    pub fn migrate_first(self) -> bool {
        matches!(self, RollingOrder::MigrateFirst | RollingOrder::Both)
    }

    /// Today's code is run on the release's database.
    pub fn code_first(self) -> bool {
        matches!(self, RollingOrder::CodeFirst | RollingOrder::Both)
    }
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Custom => "custom",
            Kind::Roundtrip => "roundtrip",
            Kind::Stepwise => "stepwise",
            Kind::Models => "models",
            Kind::Stairway => "stairway",
            Kind::ForkOrder => "fork-order",
            Kind::Locks => "locks",
            Kind::Rolling => "rolling",
        }
    }

    /// Kinds that check the migrations themselves: no snapshot, no convergence with `fresh`.
    pub fn is_check(self) -> bool {
        matches!(
            self,
            Kind::Stepwise
                | Kind::Models
                | Kind::Stairway
                | Kind::ForkOrder
                | Kind::Locks
                | Kind::Rolling
        )
    }
}

impl Scenario {
    /// The built-in `fresh` scenario: an empty database upgraded to head.
    pub fn builtin_fresh(at: Location) -> Self {
        Self {
            name: "fresh".to_string(),
            description: "An empty database upgraded to head (built in).".to_string(),
            file: at.path.clone(),
            steps: Vec::new(),
            target: RevRef {
                value: "head".to_string(),
                at,
            },
            kind: Kind::Custom,
            upgrade_command: None,
            expect: Expectations::default(),
            snapshot: SnapshotOptions {
                enabled: true,
                version_table: true,
            },
            models: ModelsOptions::default(),
            from_ref: None,
            interrupt: None,
            rows: None,
            table_rows: Default::default(),
            order: RollingOrder::default(),
        }
    }
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
    /// Run SQL against the cell's database: one text for every engine, or one per engine.
    Sql { sql: SqlText, origin: SqlOrigin },
    /// Run a program in the cell's runtime, with the database URL in its environment.
    Command(Vec<String>),
    /// Load a dump file with the engine's own client (`psql`, `mariadb`).
    Dump(PathBuf),
}

/// SQL for every engine, or per engine (`sql.postgres = ...`, with `default` for the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlText {
    All(String),
    PerEngine(BTreeMap<String, String>),
}

impl SqlText {
    /// The SQL for an engine, if the step has any for it.
    pub fn for_engine(&self, engine: EngineKind) -> Option<&str> {
        match self {
            SqlText::All(sql) => Some(sql),
            SqlText::PerEngine(map) => map
                .get(engine.name())
                .or_else(|| map.get("default"))
                .map(String::as_str),
        }
    }
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
            StepKind::Command(argv) => format!("command {}", argv.join(" ")),
            StepKind::Dump(path) => format!(
                "dump {}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
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
    kind: Option<Kind>,
    upgrade_command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
    target: Option<Spanned<String>>,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    snapshot: RawSnapshot,
    models: Option<Spanned<RawModels>>,
    from_ref: Option<Spanned<String>>,
    interrupt: Option<Spanned<RawInterrupt>>,
    rows: Option<Spanned<u64>>,
    rows_from: Option<Spanned<String>>,
    order: Option<Spanned<RollingOrder>>,
}

/// `[models]`, in a scenario file or in harness.toml.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModels {
    metadata: Option<Spanned<String>>,
    #[serde(default)]
    ignore_tables: Vec<String>,
    compare_type: Option<bool>,
    compare_server_default: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInterrupt {
    revision: Spanned<String>,
    after_statements: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    upgrade: Option<Spanned<String>>,
    downgrade: Option<Spanned<String>>,
    stamp: Option<Spanned<OneOrMany>>,
    sql: Option<Spanned<StringOrMap>>,
    sql_file: Option<Spanned<StringOrMap>>,
    command: Option<Spanned<Vec<String>>>,
    dump: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a string, or a table of strings per engine (sqlite, postgres, mariadb, mysql, default)"
)]
enum StringOrMap {
    One(String),
    PerEngine(BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "`stamp` takes a revision (\"0003\") or a list of revisions ([\"0003a\", \"0003b\"])"
)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnapshot {
    /// Unset: a snapshot for every kind that is not a check.
    enabled: Option<Spanned<bool>>,
    #[serde(default = "yes")]
    version_table: bool,
}

impl Default for RawSnapshot {
    fn default() -> Self {
        Self {
            enabled: None,
            version_table: true,
        }
    }
}

fn yes() -> bool {
    true
}

const STEP_KINDS: &str = "`upgrade`, `downgrade`, `stamp`, `sql`, `sql_file`, `command`, `dump`";
const ENGINE_KEYS: [&str; 5] = ["sqlite", "postgres", "mariadb", "mysql", "default"];

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
    let steps: Vec<Step> = raw
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
    let kind = raw.kind.unwrap_or(Kind::Custom);
    let models = match raw.models {
        Some(models) if !matches!(kind, Kind::Models | Kind::Rolling) => {
            return Err(ConfigError::at(
                file.location(models.span().start),
                "`[models]` configures the models check: it needs `kind = \"models\"` or `kind = \"rolling\"`",
            ));
        }
        Some(models) => models_options(&file, models.into_inner())?,
        None => ModelsOptions::default(),
    };
    let from_ref = match raw.from_ref {
        Some(reference) => {
            let at = file.location(reference.span().start);
            let reference = reference.into_inner();
            if reference.trim().is_empty() || reference.starts_with('-') {
                return Err(
                    ConfigError::at(at, format!("`{reference}` is not a git ref"))
                        .with_help("write a tag, branch or commit, e.g. from_ref = \"v1.4.0\""),
                );
            }
            Some(FromRef { reference, at })
        }
        None => None,
    };
    let interrupt = match raw.interrupt {
        Some(interrupt) => {
            let raw_interrupt = interrupt.into_inner();
            let count = raw_interrupt.after_statements;
            let after_statements = usize::try_from(*count.get_ref())
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ConfigError::at(
                        file.location(count.span().start),
                        "`after_statements` must be 1 or more",
                    )
                })?;
            Some(Interrupt {
                revision: rev(&file, raw_interrupt.revision)?,
                after_statements,
            })
        }
        None => None,
    };
    if let Some(rows) = &raw.rows
        && kind != Kind::Locks
    {
        return Err(ConfigError::at(
            file.location(rows.span().start),
            "`rows` belongs to kind = \"locks\"",
        )
        .with_help(
            "it is how many rows every table holds before each revision of a locks scenario",
        ));
    }
    let rows = raw.rows.map(Spanned::into_inner).filter(|rows| *rows > 0);
    let table_rows = match &raw.rows_from {
        Some(from) if kind != Kind::Locks => {
            return Err(ConfigError::at(
                file.location(from.span().start),
                "`rows_from` belongs to kind = \"locks\"",
            ));
        }
        Some(from) => {
            // A path relative to the scenario file's folder.
            let folder = path.parent().unwrap_or(Path::new("."));
            super::table_sizes::load(&folder.join(from.get_ref())).map_err(|err| {
                // An error inside the file points into it; one about the file, at this line.
                let super::Place::File(stats) = &err.at else {
                    return err;
                };
                let at = file.location(from.span().start);
                let error = ConfigError::at(
                    at,
                    format!("`rows_from`: {}: {}", stats.display(), err.message),
                );
                match err.help {
                    Some(help) => error.with_help(help),
                    None => error,
                }
            })?
        }
        None => Default::default(),
    };
    if let Some(order) = &raw.order
        && kind != Kind::Rolling
    {
        return Err(ConfigError::at(
            file.location(order.span().start),
            "`order` belongs to kind = \"rolling\"",
        ));
    }
    let order = raw.order.map(Spanned::into_inner).unwrap_or_default();
    if kind == Kind::Rolling && interrupt.is_some() {
        return Err(ConfigError::at(
            file.start(),
            "a `rolling` scenario takes no `interrupt`",
        ));
    }
    if !matches!(kind, Kind::Custom | Kind::Rolling) && (from_ref.is_some() || interrupt.is_some())
    {
        return Err(ConfigError::at(
            file.start(),
            format!(
                "a `{}` scenario takes no `from_ref` or `interrupt`",
                kind.name()
            ),
        )
        .with_help("write `from_ref` and `interrupt` in a scenario of steps (no `kind`)"));
    }
    let upgrade_command = match raw.upgrade_command {
        Some(argv) if argv.get_ref().first().is_none_or(|p| p.trim().is_empty()) => {
            return Err(ConfigError::at(
                file.location(argv.span().start),
                "`upgrade_command` needs a program",
            ));
        }
        Some(argv) => Some((file.location(argv.span().start), argv.into_inner())),
        None => None,
    };
    let upgrade_command = upgrade_command.map(|(_, argv)| argv);
    if kind != Kind::Custom && !steps.is_empty() {
        return Err(ConfigError::at(
            file.start(),
            format!("a `{}` scenario takes no steps", kind.name()),
        )
        .with_help("remove `kind` to write the steps yourself, or remove the steps"));
    }
    // Success converges with a fresh install by default; fresh itself and stepwise do not.
    // A scenario without steps is itself a fresh install: nothing to converge with.
    let is_fresh_install =
        kind == Kind::Custom && steps.is_empty() && from_ref.is_none() && interrupt.is_none();
    let default_converges =
        (name != "fresh" && !kind.is_check() && !is_fresh_install).then_some("fresh");
    let expect = expect::convert(&file, raw.expect, default_converges)?;
    // A check takes no snapshot; a `locks` cell, which ends at its target like a fresh install,
    // may keep one of the schema its traced upgrade left (`[snapshot] enabled = true`).
    let enabled = match raw.snapshot.enabled {
        None => !kind.is_check(),
        Some(enabled) if *enabled.get_ref() && kind.is_check() && kind != Kind::Locks => {
            return Err(ConfigError::at(
                file.location(enabled.span().start),
                format!(
                    "kind = \"{}\" takes no snapshot: it checks the migrations themselves",
                    kind.name()
                ),
            )
            .with_help("drop `enabled = true`; a `locks` scenario may keep one"));
        }
        Some(enabled) => enabled.into_inner(),
    };
    let snapshot = SnapshotOptions {
        enabled,
        version_table: raw.snapshot.version_table,
    };
    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        file: path.to_path_buf(),
        steps,
        target,
        kind,
        upgrade_command,
        expect,
        snapshot,
        models,
        from_ref,
        interrupt,
        rows,
        table_rows,
        order,
    })
}

/// Converts `[models]`.
pub(super) fn models_options(
    file: &SourceFile,
    raw: RawModels,
) -> Result<ModelsOptions, ConfigError> {
    let defaults = ModelsOptions::default();
    let metadata = match raw.metadata {
        Some(metadata) => {
            let value = metadata.get_ref().trim();
            let valid = value.split_once(':').is_some_and(|(module, attribute)| {
                !module.is_empty()
                    && !attribute.is_empty()
                    && !value.chars().any(char::is_whitespace)
            });
            if !valid {
                return Err(ConfigError::at(
                    file.location(metadata.span().start),
                    format!("`{value}` does not name a MetaData as `module:attribute`"),
                )
                .with_help("e.g. metadata = \"app.models:Base.metadata\""));
            }
            Some(value.to_string())
        }
        None => None,
    };
    Ok(ModelsOptions {
        metadata,
        ignore_tables: raw.ignore_tables,
        compare_type: raw.compare_type.unwrap_or(defaults.compare_type),
        compare_server_default: raw
            .compare_server_default
            .unwrap_or(defaults.compare_server_default),
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
        raw.command.is_some(),
        raw.dump.is_some(),
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
        let text = match sql.into_inner() {
            StringOrMap::One(text) => SqlText::All(text),
            StringOrMap::PerEngine(map) => SqlText::PerEngine(map),
        };
        check_sql(&text, &location)?;
        StepKind::Sql {
            sql: text,
            origin: SqlOrigin::Inline,
        }
    } else if let Some(sql_file) = raw.sql_file {
        let location = file.location(sql_file.span().start);
        let read_sql = |relative: &str| {
            let path = dir.join(relative);
            std::fs::read_to_string(&path)
                .map(|sql| (path.clone(), sql))
                .map_err(|err| {
                    ConfigError::at(
                        location.clone(),
                        format!("cannot read SQL file `{}`: {err}", path.display()),
                    )
                    .with_help("`sql_file` is relative to the scenario file's folder")
                })
        };
        let (text, first) = match sql_file.into_inner() {
            StringOrMap::One(relative) => {
                let (path, sql) = read_sql(&relative)?;
                (SqlText::All(sql), path)
            }
            StringOrMap::PerEngine(map) => {
                let mut texts = BTreeMap::new();
                let mut first = None;
                for (engine, relative) in map {
                    let (path, sql) = read_sql(&relative)?;
                    first.get_or_insert(path);
                    texts.insert(engine, sql);
                }
                (SqlText::PerEngine(texts), first.unwrap_or_default())
            }
        };
        check_sql(&text, &location)?;
        StepKind::Sql {
            sql: text,
            origin: SqlOrigin::File(first),
        }
    } else if let Some(command) = raw.command {
        let location = file.location(command.span().start);
        let argv = command.into_inner();
        if argv.first().is_none_or(|program| program.trim().is_empty()) {
            return Err(ConfigError::at(location, "`command` needs a program")
                .with_help("write the program and its arguments as a list, e.g. command = [\"python\", \"scripts/init_db.py\"]"));
        }
        StepKind::Command(argv)
    } else if let Some(dump) = raw.dump {
        let location = file.location(dump.span().start);
        let path = dir.join(dump.get_ref());
        if !path.is_file() {
            return Err(
                ConfigError::at(location, format!("no dump file at `{}`", path.display()))
                    .with_help("`dump` is relative to the scenario file's folder"),
            );
        }
        StepKind::Dump(path)
    } else {
        unreachable!("exactly one action was counted above")
    };
    Ok(Step { kind, at })
}

fn check_sql(text: &SqlText, at: &Location) -> Result<(), ConfigError> {
    match text {
        SqlText::All(sql) if sql.trim().is_empty() => {
            Err(ConfigError::at(at.clone(), "the SQL is empty"))
        }
        SqlText::All(_) => Ok(()),
        SqlText::PerEngine(map) => {
            if let Some(key) = map.keys().find(|key| !ENGINE_KEYS.contains(&key.as_str())) {
                return Err(ConfigError::at(
                    at.clone(),
                    format!("unknown engine `{key}` in per-engine SQL"),
                )
                .with_help(format!("allowed: {}", ENGINE_KEYS.join(", "))));
            }
            if map.is_empty() {
                return Err(ConfigError::at(
                    at.clone(),
                    "the per-engine SQL table is empty",
                ));
            }
            Ok(())
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Result<Scenario, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("check.toml");
        std::fs::write(&path, text).unwrap();
        load(&path).map_err(|err| {
            err.to_string()
                .replace(&path.display().to_string(), "check.toml")
        })
    }

    #[test]
    fn a_rolling_scenario_reads_its_order_and_the_models_options() {
        let rolling = scenario(
            "kind = \"rolling\"\nfrom_ref = \"v1.0\"\norder = \"both\"\n[models]\nignore_tables = [\"audit\"]\n",
        )
        .unwrap();
        assert_eq!(rolling.order, RollingOrder::Both);
        assert!(rolling.order.migrate_first() && rolling.order.code_first());
        assert_eq!(rolling.models.ignore_tables, ["audit"]);
        assert!(rolling.kind.is_check() && !rolling.snapshot.enabled);
        let default = scenario("kind = \"rolling\"\nfrom_ref = \"v1.0\"\n").unwrap();
        assert_eq!(default.order, RollingOrder::MigrateFirst);
        assert!(!default.order.code_first());
    }

    #[test]
    fn a_locks_scenario_may_keep_a_snapshot_and_no_other_check_may() {
        let locks = scenario("kind = \"locks\"\n[snapshot]\nenabled = true\n").unwrap();
        assert!(locks.snapshot.enabled);
        assert!(!scenario("kind = \"locks\"\n").unwrap().snapshot.enabled);
        assert_eq!(
            scenario("kind = \"stairway\"\n[snapshot]\nenabled = true\n").unwrap_err(),
            "check.toml:3:11: kind = \"stairway\" takes no snapshot: it checks the migrations themselves\n  help: drop `enabled = true`; a `locks` scenario may keep one"
        );
    }

    #[test]
    fn the_check_kinds_take_no_snapshot_and_converge_with_nothing() {
        for kind in ["models", "stairway", "fork-order"] {
            let loaded = scenario(&format!("kind = \"{kind}\"\n")).unwrap();
            assert_eq!(loaded.kind.name(), kind);
            assert!(!loaded.snapshot.enabled, "{kind}");
            assert_eq!(loaded.expect.base.converges_with, None, "{kind}");
        }
        let models = scenario(
            "kind = \"models\"\n[models]\nmetadata = \"app.models:Base.metadata\"\nignore_tables = [\"x\"]\ncompare_server_default = true\n",
        )
        .unwrap();
        assert_eq!(
            models.models,
            ModelsOptions {
                metadata: Some("app.models:Base.metadata".into()),
                ignore_tables: vec!["x".into()],
                compare_type: true,
                compare_server_default: true,
            }
        );
    }

    #[test]
    fn bad_check_settings_are_errors_where_they_are_written() {
        let cases = [
            (
                "kind = \"models\"\n[models]\nmetadata = \"app.models\"\n",
                "check.toml:3:12: `app.models` does not name a MetaData as `module:attribute`",
            ),
            (
                "kind = \"stairway\"\n[models]\nignore_tables = []\n",
                "check.toml:2:1: `[models]` configures the models check",
            ),
            (
                "interrupt = { revision = \"0004\", after_statements = 0 }\n",
                "check.toml:1:53: `after_statements` must be 1 or more",
            ),
            (
                "interrupt = { revision = \"0004\" }\n",
                "check.toml:1:13: missing field `after_statements`",
            ),
            ("from_ref = \"\"\n", "check.toml:1:12: `` is not a git ref"),
            (
                "kind = \"fork-order\"\nfrom_ref = \"v1\"\n",
                "check.toml:1:1: a `fork-order` scenario takes no `from_ref` or `interrupt`",
            ),
            (
                "kind = \"stepwise\"\nrows = 1000\n",
                "check.toml:2:8: `rows` belongs to kind = \"locks\"",
            ),
            (
                "from_ref = \"v1\"\norder = \"code-first\"\n",
                "check.toml:2:9: `order` belongs to kind = \"rolling\"",
            ),
            (
                "kind = \"rolling\"\nfrom_ref = \"v1\"\norder = \"sideways\"\n",
                "check.toml:3:9: unknown variant `sideways`, expected one of `migrate-first`, `code-first`, `both`",
            ),
        ];
        for (text, expected) in cases {
            let err = scenario(text).unwrap_err();
            assert!(err.starts_with(expected), "{text}\n{err}");
        }
    }

    #[test]
    fn a_locks_scenario_reads_its_rows_and_limits() {
        let loaded = scenario(
            "kind = \"locks\"\nrows = 100_000\n[expect]\nrewrites = \"forbid\"\nmax_exclusive_ms = 200\nallow = [{ revision = \"0007\", reason = \"maintenance window\" }]\n",
        )
        .unwrap();
        assert_eq!(loaded.kind, Kind::Locks);
        assert_eq!(loaded.rows, Some(100_000));
        let limits = &loaded.expect.base.locks;
        assert!(limits.forbid_rewrites);
        assert_eq!(limits.max_exclusive_ms, Some(200));
        assert_eq!(limits.max_write_block_ms, None);
        assert_eq!(
            limits.allow,
            [("0007".to_string(), "maintenance window".to_string())]
        );
    }

    #[test]
    fn rows_from_reads_sizes_beside_the_scenario_and_says_where_it_failed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks.toml");
        std::fs::write(
            dir.path().join("stats.json"),
            r#"{"public.orders": 2500000}"#,
        )
        .unwrap();
        std::fs::write(
            &path,
            "kind = \"locks\"\nrows = 1000\nrows_from = \"stats.json\"\n",
        )
        .unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.table_rows.get("orders"), Some(&2_500_000));
        assert_eq!(loaded.rows, Some(1000));
        std::fs::write(&path, "kind = \"locks\"\nrows_from = \"missing.json\"\n").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("locks.toml:2:13: `rows_from`:"), "{err}");
        assert!(err.contains("missing.json: cannot read the file"), "{err}");
        assert_eq!(
            scenario("kind = \"stepwise\"\nrows_from = \"stats.json\"\n").unwrap_err(),
            "check.toml:2:13: `rows_from` belongs to kind = \"locks\""
        );
    }

    #[test]
    fn interrupt_and_from_ref_are_read() {
        let loaded = scenario(
            "from_ref = \"v1.4.0\"\ninterrupt = { revision = \"0004\", after_statements = 2 }\n[[steps]]\nsql = \"SELECT 1\"\n",
        )
        .unwrap();
        assert_eq!(loaded.from_ref.unwrap().reference, "v1.4.0");
        let interrupt = loaded.interrupt.unwrap();
        assert_eq!(
            (
                interrupt.revision.value.as_str(),
                interrupt.after_statements
            ),
            ("0004", 2)
        );
        assert_eq!(loaded.expect.base.converges_with.as_deref(), Some("fresh"));
    }
}
