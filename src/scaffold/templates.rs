//! The text of the files `harness init` writes: commented so that a reader learns the format from
//! them, and valid as written.

use super::{PlannedFile, Revisions};

/// What `harness init` found out about one project, in harness.toml's terms: every path relative
/// to the folder of the harness.toml it goes in, with `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectSetup {
    /// `project.path`: the folder Alembic runs in.
    pub path: String,
    /// `project.config`: alembic.ini relative to `path`, when it is not `alembic.ini` there.
    pub config: Option<String>,
    /// `project.script_location`, relative to `path`.
    pub script_location: Option<String>,
    /// `project.section`: the section of alembic.ini (`alembic -n NAME`).
    pub section: Option<String>,
    pub requirements: Vec<String>,
    pub packages: Vec<String>,
    pub pythonpath: Vec<String>,
    /// `[project.env]` entries with a comment each.
    pub env: Vec<(String, String, String)>,
    /// Variables the project reads without a default: commented lines for the owner to fill in.
    pub unset: Vec<(String, String)>,
    /// The runtimes of the matrix (`python:3.12`).
    pub runtimes: Vec<String>,
    /// The engines of the matrix (`postgres:17`, `sqlite`), why each in one sentence, and the
    /// backend when init had to choose one; empty for the embedded default, SQLite.
    pub databases: Vec<(String, String, Option<&'static str>)>,
    /// Lines of comments at the top of the file: what was inferred.
    pub notes: Vec<String>,
    /// Other harness configurations run with this one (folders holding harness.toml).
    pub members: Vec<String>,
    /// `foreign_urls = "redirect"`: the project connects on its own, to its own URL.
    pub redirect: bool,
    /// The table Alembic records applied revisions in (env.py may name another).
    pub version_table: String,
    /// A requirements file init writes beside harness.toml: (file name, text, the lock it came
    /// from).
    pub lock: Option<(String, String, String)>,
    /// `bootstrap = "models"`: the project creates its schema from its models, so a fresh install
    /// is made that way, and the starter scenarios are the fresh install and upgrades from a
    /// release.
    pub bootstrap: bool,
    /// The newest release tag, for the `from-release` scenario of a bootstrapped project.
    pub release_tag: Option<String>,
    /// `url_options`: Alembic options env.py reads the URL from.
    pub url_options: Vec<String>,
    /// `upgrade_first`: the folders (relative to harness.toml's) of the projects whose chains run
    /// before this one's.
    pub upgrade_first: Vec<String>,
    /// `services`: the entries (`redis`), each with the backend init had to choose.
    pub services: Vec<(String, Option<&'static str>)>,
    /// `tool = "command"`: the project's own migrate command (its arguments) and the variable it
    /// reads the URL from, for a project plain Alembic cannot migrate.
    pub command: Option<(Vec<String>, String)>,
    /// The trial upgrade reached head on the first engine: the `unset` lines are not needed for
    /// it, so init does not ask for them.
    pub trial_passed: bool,
}

/// harness.toml and the starter scenarios for one project, in `folder` (a workspace member's folder, relative to the root; `""` for the root).
pub fn files_in(folder: &str, setup: &ProjectSetup, revisions: &Revisions) -> Vec<PlannedFile> {
    let at = |name: &str| {
        if folder.is_empty() {
            name.to_string()
        } else {
            format!("{folder}/{name}")
        }
    };
    let mut files = vec![file(&at("harness.toml"), harness_toml(setup))];
    if setup.command.is_some() {
        files.push(file(&at("scenarios/fresh.toml"), fresh_command()));
    } else if setup.bootstrap {
        files.push(file(&at("scenarios/fresh.toml"), fresh_install(revisions)));
        if let Some(tag) = &setup.release_tag {
            files.push(file(&at("scenarios/from-release.toml"), from_release(tag)));
        }
    } else {
        files.push(file(&at("scenarios/fresh.toml"), fresh(revisions)));
        files.push(file(&at("scenarios/roundtrip.toml"), roundtrip(revisions)));
        if let Some(before) = &revisions.before_head {
            files.push(file(&at("scenarios/partial.toml"), partial(before)));
        }
    }
    if let Some((name, text, _)) = &setup.lock {
        files.push(file(&at(name), text.clone()));
    }
    files
}

fn file(path: &str, text: String) -> PlannedFile {
    PlannedFile {
        path: path.into(),
        text,
    }
}

fn harness_toml(setup: &ProjectSetup) -> String {
    let mut project = match &setup.command {
        Some((upgrade, url_env)) => vec![
            commented(
                "tool = \"command\"",
                "the project's own migrate command (plain Alembic cannot run its env.py)",
            ),
            commented(
                &format!("path = {}", quoted(&setup.path)),
                "the folder the command runs in",
            ),
            commented(
                &format!("upgrade = {}", list(upgrade)),
                "as the project's own files run it",
            ),
            commented(
                &format!("url_env = {}", quoted(url_env)),
                "the variable it reads the cell's URL from",
            ),
        ],
        None => vec![
            commented("tool = \"alembic\"", "the migration tool adapter"),
            commented(
                &format!("path = {}", quoted(&setup.path)),
                "the folder Alembic runs in (relative script_location values start here)",
            ),
        ],
    };
    let alembic = setup.command.is_none();
    if let Some(config) = setup.config.as_ref().filter(|_| alembic) {
        project.push(commented(
            &format!("config = {}", quoted(config)),
            "alembic.ini, relative to `path`",
        ));
    }
    if let Some(section) = setup.section.as_ref().filter(|_| alembic) {
        project.push(commented(
            &format!("section = {}", quoted(section)),
            "the section of alembic.ini to read (alembic -n)",
        ));
    }
    if let Some(location) = setup.script_location.as_ref().filter(|_| alembic) {
        project.push(commented(
            &format!("script_location = {}", quoted(location)),
            "env.py's folder: alembic.ini names no usable one",
        ));
    }
    match setup.requirements.as_slice() {
        [] => {}
        [one] => project.push(commented(
            &format!("requirements = {}", quoted(one)),
            "installed into one cached environment per interpreter",
        )),
        many => project.push(commented(
            &format!("requirements = {}", list(many)),
            "installed into one cached environment per interpreter",
        )),
    }
    if !setup.packages.is_empty() {
        project.push(commented(
            &format!("packages = {}", list(&setup.packages)),
            "installed too (the project's dependencies)",
        ));
    }
    if !setup.pythonpath.is_empty() {
        project.push(commented(
            &format!("pythonpath = {}", list(&setup.pythonpath)),
            "put first on PYTHONPATH: env.py imports the project's own modules",
        ));
    }
    project.push(commented(
        &format!("version_table = {}", quoted(&setup.version_table)),
        "the table Alembic records applied revisions in",
    ));
    if alembic && !setup.url_options.is_empty() {
        project.push(commented(
            &format!("url_options = {}", list(&setup.url_options)),
            "Alembic options env.py reads the URL from: set to the cell's",
        ));
    }
    if alembic && !setup.upgrade_first.is_empty() {
        project.push(commented(
            &format!("upgrade_first = {}", list(&setup.upgrade_first)),
            "upgraded to head before this project's migrations run",
        ));
    }
    if !setup.services.is_empty() {
        let entries: Vec<String> = setup.services.iter().map(|(e, _)| e.clone()).collect();
        project.push(commented(
            &format!("services = {}", list(&entries)),
            "started once per run; ${HARNESS_REDIS_URL} is its URL",
        ));
    }
    if alembic && setup.bootstrap {
        project.push(commented(
            "bootstrap = \"models\"",
            "a fresh install: the models' tables created, stamped at head",
        ));
    }
    let foreign = if setup.redirect {
        commented(
            "foreign_urls = \"redirect\"",
            "the project opens its own engine: it is pointed at each cell's database",
        )
    } else {
        commented(
            "foreign_urls = \"refuse\"",
            "an engine on any database but the cell's is refused (\"redirect\": pointed at the cell)",
        )
    };
    if alembic {
        project.push(foreign);
    }
    let mut env = String::from(if alembic {
        "\n[project.env]                      # the environment of every Alembic process; ${DATABASE_URL} is the cell's URL\n"
    } else {
        "\n[project.env]                      # the environment of the command; ${DATABASE_URL} is the cell's URL\n"
    });
    for (name, value, why) in &setup.env {
        env.push_str(&commented(&format!("{name} = {}", quoted(value)), why));
        env.push('\n');
    }
    for (name, why) in &setup.unset {
        match name.strip_prefix("# ") {
            Some(more) => env.push_str(&format!("# ({more} {why})\n")),
            None => env.push_str(&format!("# {name} = \"\"   # FILL IN: {why}\n")),
        }
    }
    if setup.env.is_empty() && setup.unset.is_empty() {
        env.push_str("# APP_ENV = \"test\"                 # e.g. settings your env.py reads\n");
    }
    let notes: String = setup
        .notes
        .iter()
        .map(|note| format!("# - {note}\n"))
        .collect();
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("#\n# What `harness init` found:\n{notes}")
    };
    let runtimes = list(&setup.runtimes);
    let members = if setup.members.is_empty() {
        String::new()
    } else {
        format!(
            "\n# The repository's other Alembic projects, each with its own harness.toml, scenarios and\n# snapshots; their cell ids start with the member's name.\nmembers = {}\n",
            list(&setup.members)
        )
    };
    format!(
        r#"# harness.toml: what `harness run` replays. Written by `harness init`; edit it freely.
# Every key is described in the harness documentation (docs/configuration.md).
{notes}{members}
# Checks that need no scenario file (docs/scenarios.md#checks): the models match what the migrations
# build, each downgrade undoes its upgrade, a merge's branches end the same in every order, and
# (PostgreSQL) no revision rewrites a table or holds a lock that blocks it for long.
# builtins = ["models", "stairway", "fork-order", "locks"]

[project]
{project}
{env}
[matrix]
{databases}
{runtimes}
# exclude = [{{ scenario = "partial", runtime = "python:3.10" }}]

{database_settings}{service_settings}[runtime]
backend = "local"                  # interpreters of this machine, checked by `harness init`

[paths]
scenarios = "scenarios"            # one scenario per *.toml file
snapshots = "snapshots"            # snapshots/<scenario>/<database>.snap; the first run writes them
"#,
        project = project.join("\n"),
        databases = databases(&setup.databases),
        database_settings = database_settings(&setup.databases),
        service_settings = service_settings(&setup.services),
        runtimes = commented(
            &format!("runtimes = {runtimes}"),
            "the oldest and newest local Pythons the project allows"
        ),
    )
}

/// The `databases` line: the engines init chose, each with its reason above it, or SQLite.
fn databases(chosen: &[(String, String, Option<&'static str>)]) -> String {
    if chosen.is_empty() {
        return commented(
            "databases = [\"sqlite\"]",
            "add \"postgres:17\", \"mariadb:11\" for server engines",
        );
    }
    let mut text = String::from("# The engines the project targets, and what says so:\n");
    for (entry, why, _) in chosen {
        text.push_str(&format!("#   {entry}: {why}\n"));
    }
    let entries: Vec<String> = chosen.iter().map(|(entry, ..)| entry.clone()).collect();
    text.push_str(&format!("databases = {}", list(&entries)));
    text
}

/// `[services.<name>]` tables for the services whose backend init chose.
fn service_settings(chosen: &[(String, Option<&'static str>)]) -> String {
    chosen
        .iter()
        .filter_map(|(entry, backend)| {
            let name = entry.split(':').next().unwrap_or(entry);
            backend.map(|backend| {
                format!(
                    "[services.{name}]\n{}\n\n",
                    commented(
                        &format!("backend = {}", quoted(backend)),
                        "how init could start it on this machine"
                    )
                )
            })
        })
        .collect()
}

/// `[databases."<entry>"]` tables for the entries whose backend init chose.
fn database_settings(chosen: &[(String, String, Option<&'static str>)]) -> String {
    chosen
        .iter()
        .filter_map(|(entry, _, backend)| {
            backend.map(|backend| {
                format!(
                    "[databases.{}]\n{}\n\n",
                    quoted(entry),
                    commented(
                        &format!("backend = {}", quoted(backend)),
                        "how init could start it on this machine"
                    )
                )
            })
        })
        .collect()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| quoted(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn fresh(revisions: &Revisions) -> String {
    format!(
        r#"# An empty database upgraded to the newest revision.
description = "An empty database upgraded to {target}: the schema a new install gets."
{target_line}
[expect]
version = ["{target}"]               # the version table afterwards holds the graph's head(s)
"#,
        target = revisions.target,
        target_line = target_line(revisions),
    )
}

fn fresh_command() -> String {
    r#"# An empty database migrated by the project's own command (`upgrade` in harness.toml): the schema
# a new install gets.
description = "An empty database migrated by the project's own command."
"#
    .to_string()
}

fn fresh_install(revisions: &Revisions) -> String {
    format!(
        r#"# A fresh install as this project makes one: its models' tables created and the version table
# stamped at the heads (`bootstrap` in harness.toml), then upgraded to {target}, which must change
# nothing.
description = "A fresh install made from the models, then upgraded to {target}: a no-op."
{target_line}
[expect]
version = ["{target}"]
"#,
        target = revisions.target,
        target_line = target_line(revisions),
    )
}

fn from_release(tag: &str) -> String {
    format!(
        r#"# An install of release {tag}, made by that release's own code (its models, created and
# stamped), upgraded with today's migrations. Its schema must end as a fresh install's does
# (the `fresh` scenario). Point from_ref at another release, or run `harness run --from-tags 'v*'`.
description = "A fresh install of {tag}, upgraded to head with today's migrations."
from_ref = "{tag}"

[expect]
version = ["head"]
"#
    )
}

fn roundtrip(revisions: &Revisions) -> String {
    format!(
        r#"# Every migration's downgrade runs and undoes its upgrade: up to {target}, down to base, and up
# again. Its snapshot should read like the `fresh` one's.
description = "Upgraded to {target}, downgraded to base, then upgraded to {target} again."
{target_line}
[[steps]]
upgrade = "{target}"

[[steps]]
downgrade = "base"

# After the steps, the harness upgrades to the target ({target}) and snapshots the schema.
[expect]
version = ["{target}"]
"#,
        target = revisions.target,
        target_line = target_line(revisions),
    )
}

fn partial(before_head: &str) -> String {
    format!(
        r#"# A database one revision behind, as an existing install is when this change ships.
description = "Migrated to {before_head} (the revision before head), then upgraded to head."

[[steps]]
upgrade = "{before_head}"

# Rows an existing database holds make the last migration run against data, e.g.:
# [[steps]]
# sql = "INSERT INTO users (id, name) VALUES (1, 'Ada');"

[expect]
version = ["head"]
"#
    )
}

fn target_line(revisions: &Revisions) -> String {
    if revisions.target == "head" {
        String::new()
    } else {
        format!(
            "target = \"{}\"                   # the graph has several heads\n",
            revisions.target
        )
    }
}

/// `line` with `# comment` aligned with the other comments of the file.
fn commented(line: &str, comment: &str) -> String {
    format!("{line:<34} # {comment}")
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
