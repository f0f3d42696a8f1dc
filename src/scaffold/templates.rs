//! The text of the files `harness init` writes: commented so that a reader learns the format from
//! them, and valid as written.

use super::{Detected, PlannedFile, Revisions};

/// harness.toml and the starter scenarios for `detected`, with `runtimes` (`python:3.12`) as the
/// matrix's runtimes.
pub fn files(detected: &Detected, runtimes: &[String], revisions: &Revisions) -> Vec<PlannedFile> {
    let mut files = vec![
        file("harness.toml", harness_toml(detected, runtimes)),
        file("scenarios/fresh.toml", fresh(revisions)),
        file("scenarios/roundtrip.toml", roundtrip(revisions)),
    ];
    if let Some(before) = &revisions.before_head {
        files.push(file("scenarios/partial.toml", partial(before)));
    }
    files
}

fn file(path: &str, text: String) -> PlannedFile {
    PlannedFile {
        path: path.into(),
        text,
    }
}

fn harness_toml(detected: &Detected, runtimes: &[String]) -> String {
    let requirements = match &detected.requirements {
        Some(path) => commented(
            &format!("requirements = {}", quoted(path)),
            "installed into one cached environment per interpreter",
        ),
        None => commented(
            "# requirements = \"requirements.txt\"",
            "pip requirements; without them, the latest alembic is installed",
        ),
    };
    let runtimes = runtimes
        .iter()
        .map(|r| quoted(r))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# harness.toml: what `harness run` replays. Written by `harness init`; edit it freely.
# Every key is described in the harness documentation (docs/configuration.md).

[project]
tool = "alembic"                   # the migration tool adapter
{path}
{requirements}
# packages = ["alembic", "SQLAlchemy"]   # instead of a requirements file
version_table = "alembic_version"  # the table Alembic records applied revisions in

# [project.env]                    # extra environment for every Alembic process, e.g. settings
# APP_ENV = "test"                 # your env.py reads (the cell's URL is in DATABASE_URL)

[matrix]
databases = ["sqlite"]             # one fresh SQLite file per cell
{runtimes}
# exclude = [{{ scenario = "partial", runtime = "python:3.10" }}]

[paths]
scenarios = "scenarios"            # one scenario per *.toml file
snapshots = "snapshots"            # snapshots/<scenario>/<database>.snap; the first run writes them
"#,
        path = commented(
            &format!("path = {}", quoted(&detected.project)),
            "the folder Alembic runs in; alembic.ini is read from there"
        ),
        runtimes = commented(
            &format!("runtimes = [{runtimes}]"),
            "more interpreters: [\"python:3.10\", \"python:3.12\"]"
        ),
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
