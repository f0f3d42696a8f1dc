//! A scenario's expectations: what must hold after the upgrade, and the narrowed variants
//! (`[[expect.when]]`) that hold only for some databases or runtimes.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::revision::{RevRef, rev};
use super::{ConfigError, DatabaseSpec, Location, RuntimeSpec, SourceFile};

/// What must hold after the upgrade in one cell.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub outcome: Outcome,
    /// With `Outcome::Failure`: the tool's output must match this.
    pub fails_with: Option<Pattern>,
    /// Rows of the version table; `head` stands for the graph's heads.
    pub version: Option<Vec<RevRef>>,
    pub tables_include: Vec<String>,
    pub tables_exclude: Vec<String>,
    /// Row counts per table.
    pub rows: BTreeMap<String, u64>,
    /// Queries and the rows they must return (values as text; NULL as "NULL").
    pub queries: Vec<QueryCheck>,
    /// The final schema must equal this scenario's on the same database and runtime.
    pub converges_with: Option<String>,
    /// The final schema must differ from this scenario's (a reproduced divergence).
    pub diverges_from: Option<String>,
    /// `Some(true)`: the version table must be behind (or beside) the code's heads, as when an app
    /// ships ahead of its migrations; `Some(false)`: it must be at the heads.
    pub drift: Option<bool>,
    /// A `locks` scenario's limits.
    pub locks: LockLimits,
}

/// What a `locks` scenario allows a revision to do to the tables that existed before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockLimits {
    /// An ACCESS EXCLUSIVE lock (blocks reads and writes) held longer fails.
    pub max_exclusive_ms: Option<u64>,
    /// A lock that blocks writes (SHARE and stronger) held longer fails.
    pub max_write_block_ms: Option<u64>,
    /// `rewrites = "forbid"`: a table or index rewritten fails.
    pub forbid_rewrites: bool,
    /// Revisions exempt from the limits, each with why.
    pub allow: Vec<(String, String)>,
}

impl LockLimits {
    pub fn is_set(&self) -> bool {
        *self != LockLimits::default()
    }
}

/// `rewrites = "forbid"` or `"allow"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rewrites {
    Forbid,
    Allow,
}

/// One `allow` entry of a `locks` scenario.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAllow {
    revision: String,
    reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The upgrade must succeed (the default).
    #[default]
    Success,
    /// The upgrade must fail: reproducing a known incident is a passing test.
    Failure,
}

impl Expect {
    /// True when the upgrade is expected to fail.
    pub fn expects_failure(&self) -> bool {
        self.outcome == Outcome::Failure || self.fails_with.is_some()
    }
}

/// A compiled regular expression with the text it came from.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub regex: regex::Regex,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCheck {
    pub sql: String,
    pub returns: Vec<Vec<String>>,
    pub at: Location,
}

/// Which cells a narrowed expectation holds for.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub database: Option<DatabaseSpec>,
    /// An engine name without version (`postgres`): every version of it.
    pub engine: Option<String>,
    pub runtime: Option<RuntimeSpec>,
}

impl Selector {
    pub fn matches(&self, database: &DatabaseSpec, runtime: &RuntimeSpec) -> bool {
        self.database.as_ref().is_none_or(|d| d == database)
            && self
                .engine
                .as_ref()
                .is_none_or(|e| e == database.engine.name())
            && self
                .runtime
                .as_ref()
                .is_none_or(|r| r.key() == runtime.key())
    }
}

/// The base expectations and their narrowed overrides, resolved per cell.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    pub base: Expect,
    pub when: Vec<(Selector, RawExpectFields, Location)>,
    /// Every scenario named by `converges_with` / `diverges_from`, with where.
    pub refs: Vec<(String, Location)>,
    source: Option<SourceFile>,
}

impl Expectations {
    /// Every revision named in `version`, in the base and in every `when`.
    pub fn version_refs(&self) -> Vec<RevRef> {
        let mut refs = self.base.version.clone().unwrap_or_default();
        for (_, fields, _) in &self.when {
            let mut expect = Expect::default();
            if let Some(source) = &self.source {
                let _ = apply(source, &mut expect, fields.clone());
            }
            refs.extend(expect.version.unwrap_or_default());
        }
        refs
    }

    /// The expectations for one cell: the base, then every matching `when` in file order.
    pub fn for_cell(&self, database: &DatabaseSpec, runtime: &RuntimeSpec) -> Expect {
        let mut expect = self.base.clone();
        for (selector, fields, _) in &self.when {
            if selector.matches(database, runtime)
                && let Some(source) = &self.source
            {
                // Validated when the file was loaded, so applying again cannot fail.
                let _ = apply(source, &mut expect, fields.clone());
            }
        }
        expect
    }
}

/// `[expect]` and each `[[expect.when]]` entry: the same keys, plus the selectors for `when`.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawExpectFields {
    outcome: Option<Outcome>,
    fails_with: Option<Spanned<String>>,
    version: Option<Vec<Spanned<String>>>,
    tables_include: Option<Vec<String>>,
    tables_exclude: Option<Vec<String>>,
    rows: Option<BTreeMap<String, u64>>,
    query: Option<Vec<Spanned<RawQuery>>>,
    converges_with: Option<Spanned<StrOrBool>>,
    diverges_from: Option<Spanned<String>>,
    drift: Option<bool>,
    max_exclusive_ms: Option<u64>,
    max_write_block_ms: Option<u64>,
    rewrites: Option<Rewrites>,
    allow: Option<Vec<RawAllow>>,
    database: Option<Spanned<String>>,
    engine: Option<Spanned<String>>,
    runtime: Option<Spanned<String>>,
    when: Option<Vec<Spanned<RawExpectFields>>>,
}

impl RawExpectFields {
    /// True when these fields expect the upgrade to fail.
    pub fn expects_failure(&self) -> bool {
        self.outcome == Some(Outcome::Failure) || self.fails_with.is_some()
    }
}

pub(super) type RawExpect = RawExpectFields;

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    sql: String,
    returns: Vec<Vec<toml::Value>>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(untagged, expecting = "a scenario name, or false")]
pub enum StrOrBool {
    Str(String),
    Bool(bool),
}

/// Validates `[expect]`; `default_converges` is the scenario that success converges with by default.
pub(super) fn convert(
    file: &SourceFile,
    raw: RawExpect,
    default_converges: Option<&str>,
) -> Result<Expectations, ConfigError> {
    let mut raw = raw;
    if let Some(selector) = [&raw.database, &raw.engine, &raw.runtime]
        .into_iter()
        .flatten()
        .next()
    {
        return Err(ConfigError::at(file.location(selector.span().start), "selectors belong in [[expect.when]] entries")
            .with_help("move `database` / `engine` / `runtime` with the expectations they narrow into an [[expect.when]] table"));
    }
    let entries = raw.when.take().unwrap_or_default();
    let mut refs = Vec::new();
    collect_refs(file, &raw, &mut refs);
    let mut base = Expect {
        converges_with: default_converges.map(str::to_string),
        ..Expect::default()
    };
    let explicit_convergence = raw.converges_with.is_some();
    apply(file, &mut base, raw)?;
    if base.outcome == Outcome::Failure && !explicit_convergence {
        // An upgrade that must fail has no final schema to converge.
        base.converges_with = None;
    }
    let mut when = Vec::new();
    for entry in entries {
        let at = file.location(entry.span().start);
        let mut raw_when = entry.into_inner();
        if let Some(nested) = &raw_when.when {
            let at = nested
                .first()
                .map_or(at.clone(), |n| file.location(n.span().start));
            return Err(ConfigError::at(at, "[[expect.when]] entries do not nest"));
        }
        collect_refs(file, &raw_when, &mut refs);
        let spec_error = |text: &Spanned<String>, msg: String| {
            ConfigError::at(file.location(text.span().start), msg)
        };
        const ENGINES: [&str; 4] = ["sqlite", "postgres", "mariadb", "mysql"];
        let mut engine = match &raw_when.engine {
            Some(engine) if !ENGINES.contains(&engine.get_ref().as_str()) => {
                return Err(spec_error(
                    engine,
                    format!(
                        "unknown engine `{}`; allowed: {}",
                        engine.get_ref(),
                        ENGINES.join(", ")
                    ),
                ));
            }
            Some(engine) => Some(engine.get_ref().clone()),
            None => None,
        };
        // `database = "postgres"` (no version) selects every version of the engine.
        let database = match &raw_when.database {
            Some(text) if ENGINES.contains(&text.get_ref().as_str()) && text.get_ref() != "sqlite" => {
                engine = Some(text.get_ref().clone());
                None
            }
            Some(text) => Some(DatabaseSpec::parse(text.get_ref()).map_err(|msg| {
                spec_error(text, msg.to_string()).with_help("name an engine (sqlite, postgres, mariadb, mysql) or an entry such as postgres:17")
            })?),
            None => None,
        };
        let selector = Selector {
            database,
            engine,
            runtime: raw_when
                .runtime
                .as_ref()
                .map(|r| {
                    RuntimeSpec::parse(r.get_ref()).map_err(|msg| spec_error(r, msg.to_string()))
                })
                .transpose()?,
        };
        if selector.database.is_none() && selector.engine.is_none() && selector.runtime.is_none() {
            return Err(ConfigError::at(at, "an [[expect.when]] entry selects nothing")
                .with_help("give `database` (e.g. \"postgres:17\"), `engine` (e.g. \"postgres\") or `runtime` (e.g. \"python:3.10\")"));
        }
        raw_when.database = None;
        raw_when.engine = None;
        raw_when.runtime = None;
        // Validate now, so resolving per cell cannot fail later.
        let mut probe = base.clone();
        apply(file, &mut probe, raw_when.clone())?;
        when.push((selector, raw_when, at));
    }
    Ok(Expectations {
        base,
        when,
        refs,
        source: Some(file.clone()),
    })
}

fn collect_refs(file: &SourceFile, raw: &RawExpectFields, refs: &mut Vec<(String, Location)>) {
    if let Some(converges) = &raw.converges_with
        && let StrOrBool::Str(name) = converges.get_ref()
    {
        refs.push((name.clone(), file.location(converges.span().start)));
    }
    if let Some(diverges) = &raw.diverges_from {
        refs.push((
            diverges.get_ref().clone(),
            file.location(diverges.span().start),
        ));
    }
}

fn apply(
    file: &SourceFile,
    expect: &mut Expect,
    fields: RawExpectFields,
) -> Result<(), ConfigError> {
    if let Some(outcome) = fields.outcome {
        expect.outcome = outcome;
        if outcome == Outcome::Success {
            expect.fails_with = None;
        }
    }
    if let Some(pattern) = fields.fails_with {
        let at = file.location(pattern.span().start);
        let text = pattern.into_inner();
        let regex = regex::Regex::new(&text).map_err(|err| {
            ConfigError::at(
                at,
                format!("`fails_with` is not a valid regular expression: {err}"),
            )
        })?;
        expect.outcome = Outcome::Failure;
        expect.fails_with = Some(Pattern { text, regex });
    }
    if let Some(version) = fields.version {
        expect.version = Some(
            version
                .into_iter()
                .map(|r| rev(file, r))
                .collect::<Result<_, _>>()?,
        );
    }
    if let Some(tables) = fields.tables_include {
        expect.tables_include = tables;
    }
    if let Some(tables) = fields.tables_exclude {
        expect.tables_exclude = tables;
    }
    if let Some(rows) = fields.rows {
        expect.rows = rows;
    }
    if let Some(queries) = fields.query {
        expect.queries = queries
            .into_iter()
            .map(|query| {
                let at = file.location(query.span().start);
                let raw = query.into_inner();
                let returns = raw
                    .returns
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|value| value_text(&value))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|msg| ConfigError::at(at.clone(), msg))?;
                Ok(QueryCheck {
                    sql: raw.sql,
                    returns,
                    at,
                })
            })
            .collect::<Result<_, ConfigError>>()?;
    }
    if let Some(converges) = fields.converges_with {
        expect.converges_with = match converges.into_inner() {
            StrOrBool::Str(name) => Some(name),
            StrOrBool::Bool(false) => None,
            StrOrBool::Bool(true) => Some("fresh".to_string()),
        };
    }
    if let Some(drift) = fields.drift {
        expect.drift = Some(drift);
    }
    if let Some(diverges) = fields.diverges_from {
        expect.diverges_from = Some(diverges.into_inner());
        expect.converges_with = None;
    }
    if let Some(ms) = fields.max_exclusive_ms {
        expect.locks.max_exclusive_ms = Some(ms);
    }
    if let Some(ms) = fields.max_write_block_ms {
        expect.locks.max_write_block_ms = Some(ms);
    }
    if let Some(rewrites) = fields.rewrites {
        expect.locks.forbid_rewrites = rewrites == Rewrites::Forbid;
    }
    if let Some(allow) = fields.allow {
        expect.locks.allow = allow
            .into_iter()
            .map(|entry| (entry.revision, entry.reason))
            .collect();
    }
    Ok(())
}

/// A TOML value in a `returns` row as the text the database gives back.
fn value_text(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(text) => Ok(text.clone()),
        toml::Value::Integer(number) => Ok(number.to_string()),
        toml::Value::Float(number) => Ok(number.to_string()),
        other => Err(format!(
            "`returns` holds strings and numbers, not {}; write other values as the database prints them, e.g. \"1\" or \"t\"",
            other.type_str()
        )),
    }
}
