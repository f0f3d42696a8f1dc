//! What to install for a project: the first dependency list found (a requirements file, PEP 621,
//! Poetry, setup.cfg, setup.py, Pipfile; nearest folder first), optional groups left out but named,
//! those whose name says the migrations need them kept, and alembic always.

use super::package_name::PackageName;
use super::project_files::ProjectFiles;
use super::requirements_txt::{DEV_FILES, MAIN_FILES, RequirementsTxt};

/// Optional groups installed anyway: their name says the migrations need them.
const INCLUDED_GROUPS: &[&str] = &["alembic", "migrations", "db", "database", "server"];

/// The installation, in harness.toml's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Requirements files, relative to the root.
    pub requirements_files: Vec<String>,
    /// PEP 508 specifiers installed besides them.
    pub packages: Vec<String>,
    /// Every name installed, for telling the project's own modules from its dependencies.
    pub installed: Vec<PackageName>,
    pub notes: Vec<String>,
}

/// Where the main list came from.
enum Source {
    /// Requirements files, relative to the root, with the names they install.
    Files(Vec<(String, RequirementsTxt)>),
    /// Specifiers, and the file and table they were read from.
    List(Vec<String>, String),
}

impl Dependencies {
    /// Chooses from `folders` (nearest first, ending at the root).
    pub fn choose(folders: &[ProjectFiles]) -> Self {
        let mut deps = Self::default();
        let mut found = folders
            .iter()
            .find_map(|files| main_list(files, &mut deps.notes).map(|s| (files, s)));
        if found.is_none() {
            found = development_list(folders);
            if let Some((_, Source::Files(requirements))) = &found {
                deps.notes.push(format!(
                    "only a development list was found: {} is installed",
                    requirements[0].0
                ));
            }
        }
        match found {
            Some((files, source)) => {
                deps.take(files, source);
                deps.add_groups(files);
                deps.add_alembic(true);
            }
            None => match folders.iter().find_map(wheel_metadata) {
                // A tree unpacked from a wheel has no packaging file, only its metadata.
                Some((origin, requires)) => {
                    deps.notes
                        .push(format!("dependencies from {origin} (Requires-Dist)"));
                    for specifier in requires {
                        deps.add_package(specifier);
                    }
                    deps.add_alembic(true);
                }
                None => {
                    deps.notes.push(
                        "no dependency list found (requirements.txt, pyproject.toml, setup.cfg, setup.py, Pipfile, a wheel's METADATA): alembic alone is installed; add what env.py imports to `packages`"
                            .to_string(),
                    );
                    deps.add_alembic(false);
                }
            },
        }
        for files in folders {
            for (lock, export) in &files.locks {
                if *lock == "uv.lock" {
                    // `harness init` exports it itself when uv is at hand (and says so).
                    deps.notes.push(format!("{} seen", files.path(lock)));
                    continue;
                }
                deps.notes.push(format!(
                    "{} seen: the versions it pins are not used; to install exactly those, export them (`{export}`) and name that file in `requirements`",
                    files.path(lock)
                ));
            }
        }
        deps
    }

    /// Installs the main list.
    fn take(&mut self, files: &ProjectFiles, source: Source) {
        match source {
            Source::Files(requirements) => {
                let paths: Vec<&str> = requirements.iter().map(|(p, _)| p.as_str()).collect();
                self.notes
                    .push(format!("dependencies from {}", paths.join(", ")));
                for (path, file) in requirements {
                    self.requirements_files.push(path);
                    self.add_names(file.names);
                }
                self.note_development_files(files);
            }
            Source::List(specifiers, origin) => {
                self.notes.push(format!("dependencies from {origin}"));
                for specifier in specifiers {
                    self.add_package(specifier);
                }
            }
        }
    }

    fn add_package(&mut self, specifier: String) {
        if let Some(name) = PackageName::of_specifier(&specifier) {
            self.add_names([name]);
        }
        if !self.packages.contains(&specifier) {
            self.packages.push(specifier);
        }
    }

    fn add_names(&mut self, names: impl IntoIterator<Item = PackageName>) {
        for name in names {
            if !self.installed.contains(&name) {
                self.installed.push(name);
            }
        }
    }

    /// Installs the groups whose name says the migrations need them; names the others.
    fn add_groups(&mut self, files: &ProjectFiles) {
        let mut left_out: Vec<&str> = Vec::new();
        for group in files.groups() {
            if INCLUDED_GROUPS.contains(&group.name.as_str()) {
                self.notes.push(format!(
                    "optional group `{}` installed: its name says the migrations may need it",
                    group.name
                ));
                for specifier in &group.specifiers {
                    self.add_package(specifier.clone());
                }
            } else if !left_out.contains(&group.name.as_str()) {
                left_out.push(&group.name);
            }
        }
        if !left_out.is_empty() {
            self.notes.push(format!(
                "optional groups not installed: {}; add them to `packages` if env.py needs them",
                left_out.join(", ")
            ));
        }
    }

    /// Adds alembic unless a list names it; `explain` says so in a note.
    fn add_alembic(&mut self, explain: bool) {
        let alembic = PackageName::new("alembic");
        if !self.installed.contains(&alembic) {
            if explain {
                self.notes
                    .push("alembic added to `packages`: no dependency names it".to_string());
            }
            self.add_package("alembic".to_string());
        }
    }

    fn note_development_files(&mut self, files: &ProjectFiles) {
        let present: Vec<String> = DEV_FILES
            .iter()
            .filter(|name| files.folder.join(name).is_file())
            .map(|name| files.path(name))
            .filter(|path| !self.requirements_files.contains(path))
            .collect();
        if !present.is_empty() {
            self.notes.push(format!(
                "development lists not installed: {}",
                present.join(", ")
            ));
        }
    }
}

/// The first main list of one folder, in the documented order.
fn main_list(files: &ProjectFiles, notes: &mut Vec<String>) -> Option<Source> {
    // A requirements file that names no package (only `-e .`, a VCS or URL line) installs the
    // project itself: its dependencies are then the packaging file's.
    let mut main = requirements(files, MAIN_FILES);
    let names_none = main.iter().all(|(_, file)| file.names.is_empty());
    if let Some(source) = main.iter().position(|(_, file)| !file.names.is_empty()) {
        return Some(Source::Files(vec![main.swap_remove(source)]));
    }
    let has_packaging = files.pyproject.is_some();
    if let Some(source) = main
        .into_iter()
        .next()
        .filter(|_| !(names_none && has_packaging))
    {
        return Some(Source::Files(vec![source]));
    }
    if let Some(pyproject) = &files.pyproject {
        let path = files.path("pyproject.toml");
        if let Some(list) = pyproject.dependencies.clone().filter(|l| !l.is_empty()) {
            return Some(Source::List(
                list,
                format!("{path} ([project] dependencies)"),
            ));
        }
        if pyproject.dynamic_dependencies {
            let sources = requirements(
                files,
                &pyproject
                    .dependency_files
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
            if !sources.is_empty() {
                return Some(Source::Files(sources));
            }
        }
        if let Some(list) = pyproject
            .poetry_dependencies
            .clone()
            .filter(|l| !l.is_empty())
        {
            notes.extend(pyproject.notes.iter().cloned());
            return Some(Source::List(
                list,
                format!("{path} ([tool.poetry.dependencies])"),
            ));
        }
        if pyproject.dynamic_dependencies {
            notes.push(format!(
                "{path} declares its dependencies dynamic, computed by its build backend: they are not read"
            ));
        }
    }
    if let Some(cfg) = &files.setup_cfg {
        if let Some(list) = cfg.install_requires.clone().filter(|l| !l.is_empty()) {
            return Some(Source::List(
                list,
                format!("{} ([options] install_requires)", files.path("setup.cfg")),
            ));
        }
        let names: Vec<&str> = cfg
            .install_requires_files
            .iter()
            .map(String::as_str)
            .collect();
        let sources = requirements(files, &names);
        if !sources.is_empty() {
            return Some(Source::Files(sources));
        }
    }
    if let Some(setup) = &files.setup_py {
        if let Some(list) = setup.install_requires.clone().filter(|l| !l.is_empty()) {
            return Some(Source::List(
                list,
                format!("{} (install_requires)", files.path("setup.py")),
            ));
        }
        if setup.unread.contains(&"install_requires") {
            notes.push(format!(
                "{}'s install_requires is computed, not a literal list: it is not read",
                files.path("setup.py")
            ));
        }
    }
    if let Some(pipfile) = &files.pipfile
        && !pipfile.packages.is_empty()
    {
        notes.extend(pipfile.notes.iter().cloned());
        return Some(Source::List(
            pipfile.packages.clone(),
            format!("{} ([packages])", files.path("Pipfile")),
        ));
    }
    None
}

/// When no folder has a main list: the first development list, with a note saying so.
fn development_list(folders: &[ProjectFiles]) -> Option<(&ProjectFiles, Source)> {
    folders.iter().find_map(|files| {
        requirements(files, DEV_FILES)
            .into_iter()
            .next()
            .map(|source| (files, Source::Files(vec![source])))
    })
}

/// The files among `names` (relative to the folder) that exist and install something.
fn requirements(files: &ProjectFiles, names: &[&str]) -> Vec<(String, RequirementsTxt)> {
    names
        .iter()
        .filter_map(|name| {
            let file = RequirementsTxt::read(&files.folder.join(name))?;
            (file.entries > 0).then(|| (files.path(name), file))
        })
        .collect()
}

/// The `Requires-Dist` lines of a `*.dist-info/METADATA` in `files`' folder (a tree unpacked from a
/// wheel), without those of extras, and the file's path.
fn wheel_metadata(files: &ProjectFiles) -> Option<(String, Vec<String>)> {
    let mut infos: Vec<std::path::PathBuf> = std::fs::read_dir(&files.folder)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.extension().is_some_and(|e| e == "dist-info")
                && p.join("METADATA").is_file()
        })
        .collect();
    infos.sort();
    let info = infos.first()?;
    let text = std::fs::read_to_string(info.join("METADATA")).ok()?;
    let requires: Vec<String> = text
        .lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix("Requires-Dist:"))
        .map(str::trim)
        .filter(|spec| !spec.contains("extra =="))
        .map(str::to_string)
        .filter(|spec| !spec.is_empty())
        .collect();
    let name = info.file_name()?.to_string_lossy().into_owned();
    Some((files.path(&format!("{name}/METADATA")), requires))
}

#[cfg(test)]
mod wheel_tests {
    use super::*;

    #[test]
    fn a_wheels_metadata_gives_the_dependencies_of_a_tree_that_has_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let info = dir.path().join("depot-2.1.0.dist-info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            "Metadata-Version: 2.1\nName: depot\nRequires-Dist: SQLAlchemy>=2.0\nRequires-Dist: alembic (>=1.12)\nRequires-Dist: psycopg2 ; extra == 'postgres'\nRequires-Dist: tomli ; python_version < \"3.11\"\n\nRequires-Dist: not-a-header\n",
        )
        .unwrap();
        let files = ProjectFiles::read(dir.path(), dir.path());
        let (origin, requires) = wheel_metadata(&files).unwrap();
        assert_eq!(origin, "depot-2.1.0.dist-info/METADATA");
        assert_eq!(
            requires,
            [
                "SQLAlchemy>=2.0",
                "alembic (>=1.12)",
                "tomli ; python_version < \"3.11\""
            ]
        );
    }
}
