//! The environment init writes under `[project.env]`: what the project's settings read (the
//! database's URL or its parts, a Flask app's own configuration, secrets, values its image sets),
//! and the values only its owner knows, as lines to fill in.

use std::path::Path;

use super::image_env::{self, ImageEnv};
use super::python::{self, PythonProject};
use super::{DetectedProject, flask_app, relative_to};

/// How many variables read without a default init writes as `FILL IN` lines.
const MAX_UNSET: usize = 8;

/// `[project.env]` as init writes it.
pub struct ProjectEnv {
    /// (variable, value, why) in the order init found them.
    pub env: Vec<(String, String, String)>,
    /// Variables the settings read without a default that init cannot give a value: (variable,
    /// why), at most [`MAX_UNSET`] and a line saying how many more.
    pub unset: Vec<(String, String)>,
    /// What the project's own image sets, for values the trial later finds required.
    pub image_env: Vec<ImageEnv>,
}

/// The environment of `detected` at `root`; a Flask app's module and the variables its own
/// configuration reads are added to `found` (its folder to `pythonpath`).
pub fn infer(root: &Path, detected: &DetectedProject, found: &mut PythonProject) -> ProjectEnv {
    let mut env: Vec<(String, String, String)> = Vec::new();
    for read in &found.url_variables {
        if read.name != "DATABASE_URL" && !env.iter().any(|(n, ..)| *n == read.name) {
            env.push((
                read.name.clone(),
                "${DATABASE_URL}".into(),
                format!("the cell's database, read at {}:{}", read.file, read.line),
            ));
        }
    }
    if detected.flask
        && let Some((module, why, from)) = flask_app(root, &root.join(&detected.run_dir))
    {
        // The module is imported from its base folder: the root, src/ for a src layout, or the
        // app folder that holds its package.
        let nested = from.is_some();
        let (module, base) = match (from, module.strip_prefix("src.")) {
            (Some(base), _) => (module.clone(), base),
            (None, Some(inner)) => (inner.to_string(), "src".to_string()),
            (None, None) => (module, ".".to_string()),
        };
        let base = base.as_str();
        if (nested || module.contains('.') || root.join(format!("{module}.py")).is_file())
            && !found.pythonpath.iter().any(|p| p == base)
        {
            found.pythonpath.push(base.to_string());
        }
        // The variables the app's configuration reads, which env.py (taking its engine from
        // `current_app`) never names.
        let (urls, parts, required) = python::flask_app_reads(root, &root.join(base), &module);
        for read in urls {
            if read.name != "DATABASE_URL" && !env.iter().any(|(n, ..)| *n == read.name) {
                env.push((
                    read.name.clone(),
                    "${DATABASE_URL}".into(),
                    format!(
                        "the cell's database, read by the Flask app's configuration at {}:{}",
                        read.file, read.line
                    ),
                ));
            }
        }
        for part in parts {
            if !found
                .part_variables
                .iter()
                .any(|(r, _)| r.name == part.0.name)
            {
                found.part_variables.push(part);
            }
        }
        for read in required {
            if !found.required_variables.iter().any(|r| r.name == read.name) {
                found.required_variables.push(read);
            }
        }
        // Flask reads FLASK_APP relative to the folder it runs in, and when that folder is itself
        // a package it prefixes the package's name ("zou.zou.app"): the module's file, relative to
        // the run folder, then names it unambiguously.
        let module = if root.join(&detected.run_dir).join("__init__.py").is_file()
            && !module.contains(':')
        {
            let dotted = module.replace('.', "/");
            let file = if root.join(base).join(&dotted).is_dir() {
                format!("{dotted}/__init__.py")
            } else {
                format!("{dotted}.py")
            };
            let file = if base == "." {
                file
            } else {
                format!("{base}/{file}")
            };
            if root.join(&file).is_file() {
                relative_to(&file, &detected.run_dir)
            } else {
                module
            }
        } else {
            module
        };
        env.push((
            "FLASK_APP".into(),
            module,
            format!("the Flask app env.py takes its engine from ({why})"),
        ));
    }
    for (read, part) in &found.part_variables {
        if !env.iter().any(|(n, ..)| *n == read.name) {
            env.push((
                read.name.clone(),
                part.value(),
                format!("{}, read at {}:{}", part.noun(), read.file, read.line),
            ));
        }
    }
    // A secret the settings demand at import gets a throwaway value, new each run.
    for read in &found.required_variables {
        if python::is_secret(&read.name) && !env.iter().any(|(n, ..)| *n == read.name) {
            env.push((
                read.name.clone(),
                format!("${{{}}}", crate::config::env_vars::RUN_SECRET),
                format!(
                    "a secret the settings require, read at {}:{}: a random value, new each run",
                    read.file, read.line
                ),
            ));
        }
    }
    // A value the settings require that the project's own image sets is the value its installs
    // run with (`ENV PRODUCTION=true`).
    let image_env = image_env::image_env(root);
    for read in &found.required_variables {
        if env.iter().any(|(n, ..)| *n == read.name) {
            continue;
        }
        if let Some(set) = image_env::value_for(&image_env, &read.name) {
            env.push((
                read.name.clone(),
                set.value.clone(),
                format!(
                    "required by the settings at {}:{}; the value the project's image gives it ({}:{})",
                    read.file, read.line, set.file, set.line
                ),
            ));
        }
    }
    let mut unset: Vec<(String, String)> = found
        .required_variables
        .iter()
        .filter(|read| !env.iter().any(|(n, ..)| *n == read.name))
        .map(|read| {
            (
                read.name.clone(),
                format!(
                    "read without a default at {}:{}; only the project's owner knows its value",
                    read.file, read.line
                ),
            )
        })
        .collect();

    if unset.len() > MAX_UNSET {
        let more = unset.len() - MAX_UNSET;
        unset.truncate(MAX_UNSET);
        unset.push((
            format!("# and {more} more"),
            "variables read without a default; see the notes above".into(),
        ));
    }
    ProjectEnv {
        env,
        unset,
        image_env,
    }
}
