//! `harness init`'s files: the Alembic projects of a folder (found by `discover`) as init needs
//! them, a commented harness.toml, and the starter scenarios (`fresh`, `roundtrip`, `partial`)
//! from the revision graph the tool itself reported. Never overwrites a file; runs no process.

mod app_files;
pub mod documented;
pub mod engines;
pub mod image_env;
pub mod project_env;
pub mod python;
mod templates;

use std::path::{Path, PathBuf};

use crate::adapters::Graph;
use crate::discover::{self, AlembicProject, DiscoverError};

pub use app_files::{env_py_version_table, flask_app, member_name, relative_to};
pub use templates::{ProjectSetup, files_in};

/// Why the files cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// No Alembic project the harness can run: what was looked for, where, and what to do.
    #[error("{message}")]
    NoProject { message: String },
    #[error("{} already exist{}: `harness init` never overwrites a file", .0.join(", "), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<String>),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl From<DiscoverError> for ScaffoldError {
    fn from(err: DiscoverError) -> Self {
        ScaffoldError::NoProject {
            message: err.with_help(),
        }
    }
}

/// The Alembic projects found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The folder Alembic runs in for the first of `projects`, relative to the root (`.` for the
    /// root itself), with `/`.
    pub project: String,
    /// A requirements file for the runtimes, relative to the root, when one exists.
    pub requirements: Option<String>,
    /// Every project found: those with an alembic.ini first, closest to the root first, then by
    /// path; then those without one.
    pub projects: Vec<DetectedProject>,
    /// Alembic configurations that did not resolve while others did, with why (a plugin's broken
    /// alembic.ini): listed, not fatal.
    pub skipped: Vec<String>,
}

/// One project, as `harness init` writes it into harness.toml; paths relative to the root, with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedProject {
    /// Its alembic.ini, when it has one.
    pub ini: Option<String>,
    /// The section of alembic.ini when it is not `[alembic]` (`alembic -n NAME`).
    pub section: Option<String>,
    /// The folder Alembic runs in (`.` for the root).
    pub run_dir: String,
    /// The folder holding env.py.
    pub script_dir: String,
    /// The folder holding env.py relative to `run_dir`, when alembic.ini does not name a usable
    /// one and harness.toml must (`project.script_location`).
    pub script_location: Option<String>,
    /// Whether env.py takes its engine from a Flask application.
    pub flask: bool,
    /// What was inferred, one sentence each.
    pub notes: Vec<String>,
}

impl DetectedProject {
    fn new(root: &Path, project: &AlembicProject) -> Self {
        Self {
            ini: project
                .ini
                .as_deref()
                .map(|ini| discover::relative(root, ini)),
            run_dir: discover::relative(root, &project.run_dir),
            script_dir: discover::relative(root, &project.script_dir),
            section: project.section.clone(),
            script_location: project.script_location_override.clone(),
            flask: project.flask,
            notes: project.notes.clone(),
        }
    }
}

/// One file to write, relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub text: String,
}

/// What the graph says about the starter scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revisions {
    /// What the scenarios upgrade to: `head`, also on a forked graph, where the run then stops
    /// with the choice to make instead of init guessing `heads` for the user.
    pub target: &'static str,
    /// The revision before the (single) head, for `partial`.
    pub before_head: Option<String>,
    /// Every head of the graph.
    pub heads: Vec<String>,
}

impl Revisions {
    pub fn of(graph: &Graph) -> Self {
        let target = "head";
        let before_head = match graph.heads.as_slice() {
            [head] => graph
                .revisions
                .iter()
                .find(|r| &r.revision == head)
                .and_then(|r| {
                    let mut downs = r.down_revision.clone();
                    downs.sort();
                    downs.into_iter().next()
                }),
            _ => None,
        };
        Self {
            target,
            before_head,
            heads: graph.heads.clone(),
        }
    }
}

/// Whether a versions folder holds a revision file.
fn holds_revisions(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(".py") && name != "__init__.py"
        })
    })
}

/// Finds the Alembic projects of `root` and the folders below it (see [`discover::find_projects`]).
/// The harness runs Alembic through an alembic.ini, so finding only script folders without one is
/// an error that says so.
pub fn detect(root: &Path) -> Result<Detected, ScaffoldError> {
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let (mut found, skipped) = discover::find_projects_skipping(&root)?;
    let mut skipped: Vec<String> = skipped.iter().map(|err| err.to_string()).collect();
    // A plugin skeleton (a folder named like a template, whose versions folder holds no revision)
    // is what a generator copies, not a project, unless it is all there is.
    if found.len() > 1 {
        let (templates, projects): (Vec<_>, Vec<_>) = found.into_iter().partition(|p| {
            let named = p.script_dir.components().any(|c| {
                let name = c.as_os_str().to_string_lossy().to_ascii_lowercase();
                name.contains("template") || name.contains("skeleton") || name.contains("scaffold")
            });
            named && !p.version_dirs.dirs.iter().any(|dir| holds_revisions(dir))
        });
        found = if projects.is_empty() {
            templates
        } else {
            for template in &templates {
                skipped.push(format!(
                    "{}: a template with no revisions (a skeleton the project copies), not a project",
                    discover::relative(&root, template.origin())
                ));
            }
            projects
        };
    }
    found.sort_by_key(|p| {
        (
            p.ini.is_none(),
            p.ini.as_ref().map(|ini| ini.components().count()),
            p.origin().to_path_buf(),
        )
    });
    let Some(first) = found.first() else {
        return Err(ScaffoldError::NoProject {
            message: format!("no Alembic project in {}", root.display()),
        });
    };
    let requirements = requirements(&root, first);
    let projects: Vec<DetectedProject> = found
        .iter()
        .map(|p| DetectedProject::new(&root, p))
        .collect();
    Ok(Detected {
        project: projects[0].run_dir.clone(),
        requirements,
        projects,
        skipped,
    })
}

/// The first requirements.txt of the folder Alembic runs in, the folder of alembic.ini, or the
/// root.
fn requirements(root: &Path, project: &AlembicProject) -> Option<String> {
    let ini_dir = project.ini.as_deref().and_then(Path::parent);
    [Some(project.run_dir.as_path()), ini_dir, Some(root)]
        .into_iter()
        .flatten()
        .map(|dir| dir.join("requirements.txt"))
        .find(|file| file.is_file())
        .map(|file| discover::relative(root, &file))
}

/// Writes every file, or none when any of them exists.
pub fn write(root: &Path, files: &[PlannedFile]) -> Result<(), ScaffoldError> {
    let existing: Vec<String> = files
        .iter()
        .filter(|f| root.join(&f.path).exists())
        .map(|f| f.path.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(ScaffoldError::Exists(existing));
    }
    for file in files {
        let path = root.join(&file.path);
        let io = |source| ScaffoldError::Io {
            path: file.path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // create_new: a file that appeared since the check is still not overwritten.
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io)?;
        std::io::Write::write_all(&mut handle, file.text.as_bytes()).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::Revision;

    fn graph(heads: &[&str], revisions: &[(&str, &[&str])]) -> Graph {
        Graph {
            heads: heads.iter().map(|h| h.to_string()).collect(),
            revisions: revisions
                .iter()
                .map(|(id, downs)| Revision {
                    revision: id.to_string(),
                    down_revision: downs.iter().map(|d| d.to_string()).collect(),
                    branch_labels: vec![],
                    path: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_revision_before_a_single_head() {
        let g = graph(&["c"], &[("c", &["b"]), ("b", &["a"]), ("a", &[])]);
        assert_eq!(
            Revisions::of(&g),
            Revisions {
                target: "head",
                before_head: Some("b".into()),
                heads: vec!["c".into()],
            }
        );
        let single = graph(&["a"], &[("a", &[])]);
        assert_eq!(Revisions::of(&single).before_head, None);
        let forked = graph(&["b", "c"], &[("b", &["a"]), ("c", &["a"]), ("a", &[])]);
        assert_eq!(
            Revisions::of(&forked).target,
            "head",
            "never `heads` silently"
        );
        assert_eq!(Revisions::of(&forked).heads, ["b", "c"]);
        assert_eq!(Revisions::of(&forked).before_head, None);
    }

    const ENV_PY: &str = "from alembic import context\ncontext.configure()\n";

    fn touch(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn alembic_ini_is_found_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(
            root,
            "app/db/alembic.ini",
            "[alembic]\nscript_location = migrations\n",
        );
        touch(root, "app/db/migrations/env.py", ENV_PY);
        std::fs::create_dir_all(root.join("app/db/migrations/versions")).unwrap();
        touch(root, "requirements.txt", "alembic\n");
        assert_eq!(
            detect(root).unwrap(),
            Detected {
                project: "app/db".into(),
                requirements: Some("requirements.txt".into()),
                projects: vec![DetectedProject {
                    ini: Some("app/db/alembic.ini".into()),
                    section: None,
                    run_dir: "app/db".into(),
                    script_dir: "app/db/migrations".into(),
                    script_location: None,
                    flask: false,
                    notes: vec![],
                }],
                skipped: vec![],
            }
        );
    }

    #[test]
    fn a_broken_plugin_ini_is_skipped_and_template_folders_are_not_projects() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(
            root,
            "alembic.ini",
            "[alembic]\nscript_location = migrations\n",
        );
        touch(root, "migrations/env.py", ENV_PY);
        std::fs::create_dir_all(root.join("migrations/versions")).unwrap();
        touch(
            root,
            "plugins/broken/alembic.ini",
            "[alembic]\nscript_location = nowhere\n",
        );
        touch(
            root,
            "{{cookiecutter.slug}}/alembic.ini",
            "[alembic]\nscript_location = migrations\n",
        );
        touch(root, "{{cookiecutter.slug}}/migrations/env.py", ENV_PY);
        std::fs::create_dir_all(root.join("{{cookiecutter.slug}}/migrations/versions")).unwrap();
        touch(
            root,
            "app/plugin_alembic_template/alembic.ini",
            "[alembic]\nscript_location = .\n",
        );
        touch(root, "app/plugin_alembic_template/env.py", ENV_PY);
        std::fs::create_dir_all(root.join("app/plugin_alembic_template/versions")).unwrap();
        let detected = detect(root).unwrap();
        assert_eq!(detected.projects.len(), 1, "{detected:?}");
        assert_eq!(detected.projects[0].script_dir, "migrations");
        assert_eq!(detected.skipped.len(), 2, "{detected:?}");
        assert!(
            detected.skipped[1].contains("a template with no revisions"),
            "{detected:?}"
        );
        assert!(
            detected.skipped[0].contains("plugins/broken/alembic.ini"),
            "{detected:?}"
        );
    }

    #[test]
    fn several_projects_come_closest_to_the_root_first_with_what_init_must_set() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(
            root,
            "services/a/b/c/alembic.ini",
            "[alembic]\nscript_location = migrations\n",
        );
        touch(root, "services/a/b/c/migrations/env.py", ENV_PY);
        std::fs::create_dir_all(root.join("services/a/b/c/migrations/versions")).unwrap();
        touch(root, "web/migrations/alembic.ini", "[alembic]\n");
        touch(
            root,
            "web/migrations/env.py",
            "from flask import current_app\n",
        );
        touch(root, "web/requirements.txt", "flask-migrate\n");
        let detected = detect(root).unwrap();
        assert_eq!(detected.project, "web");
        assert_eq!(
            detected.requirements.as_deref(),
            Some("web/requirements.txt")
        );
        let web = &detected.projects[0];
        assert_eq!(web.ini.as_deref(), Some("web/migrations/alembic.ini"));
        assert_eq!(web.script_location.as_deref(), Some("migrations"));
        assert!(web.flask);
        assert_eq!(web.notes.len(), 1, "{:?}", web.notes);
        assert_eq!(detected.projects[1].run_dir, "services/a/b/c");
    }

    #[test]
    fn a_migrations_folder_without_alembic_ini_is_a_project_with_its_script_location() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "migrations/env.py", ENV_PY);
        std::fs::create_dir_all(dir.path().join("migrations/versions")).unwrap();
        let detected = detect(dir.path()).unwrap();
        assert_eq!(detected.projects.len(), 1);
        let project = &detected.projects[0];
        assert_eq!(project.ini, None);
        assert_eq!(project.run_dir, ".");
        assert_eq!(project.script_location.as_deref(), Some("migrations"));
        let empty = tempfile::tempdir().unwrap();
        let err = detect(empty.path()).unwrap_err().to_string();
        assert!(err.starts_with("no Alembic project in"), "{err}");
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("harness.toml"), "mine").unwrap();
        let files = vec![
            PlannedFile {
                path: "scenarios/fresh.toml".into(),
                text: "x".into(),
            },
            PlannedFile {
                path: "harness.toml".into(),
                text: "theirs".into(),
            },
        ];
        let err = write(dir.path(), &files).unwrap_err().to_string();
        assert_eq!(
            err,
            "harness.toml already exists: `harness init` never overwrites a file"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("harness.toml")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("scenarios").exists(), "nothing is written");
    }
}
