//! The packaging files of one folder of the repository (pyproject.toml, setup.cfg, setup.py,
//! Pipfile, lock files), each read once; what cannot be read becomes a note.

use std::path::{Path, PathBuf};

use super::group::Group;
use super::pipfile::Pipfile;
use super::pyproject::Pyproject;
use super::setup_cfg::SetupCfg;
use super::setup_py::SetupPy;

/// Lock files, and the command that exports one as a requirements file.
const LOCK_FILES: &[(&str, &str)] = &[
    ("uv.lock", "uv export -o requirements.txt"),
    ("poetry.lock", "poetry export -o requirements.txt"),
    ("pdm.lock", "pdm export -o requirements.txt"),
    ("Pipfile.lock", "pipenv requirements > requirements.txt"),
];

/// One folder's packaging files.
#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    /// The folder, absolute.
    pub folder: PathBuf,
    /// The folder relative to the root with a trailing `/`, or `""` for the root itself.
    pub prefix: String,
    pub pyproject: Option<Pyproject>,
    pub setup_cfg: Option<SetupCfg>,
    pub setup_py: Option<SetupPy>,
    pub pipfile: Option<Pipfile>,
    /// Lock files present, with their export command.
    pub locks: Vec<(&'static str, &'static str)>,
    pub notes: Vec<String>,
}

impl ProjectFiles {
    /// Reads the files of `folder`, named in notes relative to `root`.
    pub fn read(root: &Path, folder: &Path) -> Self {
        let prefix = match folder.strip_prefix(root) {
            Ok(rel) if rel.as_os_str().is_empty() => String::new(),
            Ok(rel) => format!("{}/", slashed(rel)),
            Err(_) => String::new(),
        };
        let mut files = Self {
            folder: folder.to_path_buf(),
            prefix,
            ..Self::default()
        };
        files.pyproject = files.read_toml("pyproject.toml", Pyproject::parse);
        files.pipfile = files.read_toml("Pipfile", Pipfile::parse);
        files.setup_cfg = files.text("setup.cfg").map(|t| SetupCfg::parse(&t));
        files.setup_py = files.text("setup.py").map(|t| SetupPy::parse(&t));
        files.locks = LOCK_FILES
            .iter()
            .filter(|(name, _)| folder.join(name).is_file())
            .copied()
            .collect();
        files
    }

    /// `name` relative to the root (`backend/pyproject.toml`).
    pub fn path(&self, name: &str) -> String {
        let name = name.strip_prefix("./").unwrap_or(name);
        format!("{}{name}", self.prefix)
    }

    /// Every optional group of the folder's files.
    pub fn groups(&self) -> Vec<&Group> {
        let pyproject = self.pyproject.iter().flat_map(|p| &p.groups);
        let setup_cfg = self.setup_cfg.iter().flat_map(|c| &c.groups);
        let setup_py = self.setup_py.iter().flat_map(|s| &s.groups);
        let pipfile = self.pipfile.iter().flat_map(|p| &p.groups);
        pyproject
            .chain(setup_cfg)
            .chain(setup_py)
            .chain(pipfile)
            .collect()
    }

    fn text(&mut self, name: &str) -> Option<String> {
        let path = self.folder.join(name);
        if !path.is_file() {
            return None;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) => {
                self.notes
                    .push(format!("{} could not be read: {e}", self.path(name)));
                None
            }
        }
    }

    fn read_toml<T>(
        &mut self,
        name: &str,
        parse: fn(&str) -> Result<T, toml::de::Error>,
    ) -> Option<T> {
        let text = self.text(name)?;
        match parse(&text) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.notes.push(format!(
                    "{} is not valid TOML and was not read: {}",
                    self.path(name),
                    e.to_string().trim()
                ));
                None
            }
        }
    }
}

/// A relative path with `/` between its components.
pub fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
