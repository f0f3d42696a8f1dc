//! What a runtime's preparation is doing, told as it changes: finding the interpreter, reusing
//! or building an environment or image, resolving and installing packages. The runtime code says
//! which phase it is in; how (and whether) a phase is shown is the caller's business.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Requirements;

/// One phase of a runtime's preparation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    FindingInterpreter,
    /// The cache holds what is needed: an environment, or a prepared image.
    Reusing(Prepared),
    /// A new environment is made, with `installer` (`uv`, `python -m venv`).
    CreatingEnvironment {
        installer: &'static str,
    },
    /// The installer works out what the requirements need (it may download meanwhile).
    Resolving {
        requirements: usize,
        installer: &'static str,
    },
    /// The installer said how many distributions it installs.
    Installing {
        packages: usize,
    },
    /// Installing without a word from the installer until it ends (inside a container).
    InstallingRequirements {
        requirements: usize,
        installer: &'static str,
    },
    /// A container of the runtime's image starts (the image is pulled first when missing).
    StartingContainer {
        image: String,
    },
    /// The container that installed the requirements becomes the prepared image.
    Committing,
    /// The versions of what is installed are read (a prepared image that has no record of them).
    ReadingVersions,
    /// uv itself is installed into the cache (once per machine; it is downloaded).
    InstallingUv,
}

/// What the cache held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    Environment,
    Image,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Phase::FindingInterpreter => f.write_str("finding the interpreter"),
            Phase::Reusing(Prepared::Environment) => {
                f.write_str("reusing the environment from the cache")
            }
            Phase::Reusing(Prepared::Image) => {
                f.write_str("reusing the prepared image from the cache")
            }
            Phase::CreatingEnvironment { installer } => {
                write!(f, "creating the environment with {installer}")
            }
            Phase::Resolving {
                requirements,
                installer,
            } => write!(
                f,
                "resolving {} with {installer}",
                counted(*requirements, "requirement")
            ),
            Phase::Installing { packages } => {
                write!(f, "installing {}", counted(*packages, "package"))
            }
            Phase::InstallingRequirements {
                requirements,
                installer,
            } => write!(
                f,
                "installing {} with {installer}",
                counted(*requirements, "requirement")
            ),
            Phase::StartingContainer { image } => write!(f, "starting a container of {image}"),
            Phase::Committing => f.write_str("committing the prepared image"),
            Phase::ReadingVersions => f.write_str("reading the installed package versions"),
            Phase::InstallingUv => {
                f.write_str("installing uv into the cache (once for this machine)")
            }
        }
    }
}

fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Where a preparation tells its phases; [`PhaseSink::none`] when nobody listens.
#[derive(Clone, Default)]
pub struct PhaseSink {
    tell: Option<Arc<dyn Fn(Phase) + Send + Sync>>,
}

impl std::fmt::Debug for PhaseSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.tell.is_some() {
            "PhaseSink(listened)"
        } else {
            "PhaseSink(none)"
        })
    }
}

impl PhaseSink {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn new(tell: impl Fn(Phase) + Send + Sync + 'static) -> Self {
        Self {
            tell: Some(Arc::new(tell)),
        }
    }

    pub fn tell(&self, phase: Phase) {
        if let Some(tell) = &self.tell {
            tell(phase);
        }
    }

    /// Tells [`Phase::Installing`] when `line` of an installer's output says how many
    /// distributions it installs: uv's `Resolved 12 packages in 0.3s`, pip's `Installing collected
    /// packages: a, b, c`.
    pub(super) fn installer_line(&self, line: &str) {
        if let Some(packages) = packages_in(line) {
            self.tell(Phase::Installing { packages });
        }
    }
}

fn packages_in(line: &str) -> Option<usize> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("Resolved ") {
        let (count, noun) = rest.split_once(' ')?;
        return noun
            .starts_with("package")
            .then(|| count.parse().ok())
            .flatten();
    }
    let names = line.strip_prefix("Installing collected packages:")?;
    Some(
        names
            .split(',')
            .filter(|name| !name.trim().is_empty())
            .count(),
    )
}

/// How many requirements `requirements` lists: the packages, and the requirement lines of its
/// files and of the files they include with `-r` (constraints files list none).
pub fn requirement_count(requirements: &Requirements) -> usize {
    let mut seen = Vec::new();
    let from_files: usize = requirements
        .files
        .iter()
        .map(|file| count_in_file(file, &mut seen, 0))
        .sum();
    let listed = requirements
        .packages
        .iter()
        .filter(|package| is_requirement(package))
        .count();
    from_files + listed
}

fn count_in_file(path: &Path, seen: &mut Vec<PathBuf>, depth: usize) -> usize {
    if depth > 8 || seen.iter().any(|p| p == path) {
        return 0;
    }
    seen.push(path.to_path_buf());
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut count = 0;
    for line in text.lines() {
        let line = match line.find(" #") {
            Some(at) => &line[..at],
            None => line,
        }
        .trim();
        if let Some(included) = included(line) {
            count += count_in_file(&folder.join(included), seen, depth + 1);
        } else if is_requirement(line) {
            count += 1;
        }
    }
    count
}

/// The file of `-r file`, `-rfile`, `--requirement file`, `--requirement=file`.
fn included(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("--requirement")
        .or_else(|| line.strip_prefix("-r"))?;
    let file = rest.trim_start_matches('=').trim();
    (!file.is_empty()).then_some(file)
}

/// A package specifier or an editable install; not an option, a comment or an empty line.
fn is_requirement(line: &str) -> bool {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return false;
    }
    !line.starts_with('-') || line.starts_with("-e") || line.starts_with("--editable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_read_as_what_the_preparation_does() {
        let said: Vec<String> = [
            Phase::FindingInterpreter,
            Phase::Reusing(Prepared::Environment),
            Phase::Resolving {
                requirements: 1,
                installer: "uv",
            },
            Phase::Installing { packages: 5 },
            Phase::InstallingRequirements {
                requirements: 3,
                installer: "pip",
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            said,
            [
                "finding the interpreter",
                "reusing the environment from the cache",
                "resolving 1 requirement with uv",
                "installing 5 packages",
                "installing 3 requirements with pip",
            ]
        );
    }

    #[test]
    fn the_installers_say_how_many_packages_they_install() {
        assert_eq!(packages_in("Resolved 12 packages in 356ms"), Some(12));
        assert_eq!(packages_in("Resolved 1 package in 2ms"), Some(1));
        assert_eq!(
            packages_in("Installing collected packages: typing-extensions, MarkupSafe, alembic"),
            Some(3)
        );
        assert_eq!(packages_in("Installed 5 packages in 28ms"), None);
        assert_eq!(packages_in("Collecting alembic"), None);
        assert_eq!(packages_in("Resolved the thing"), None);
    }

    #[test]
    fn requirements_are_counted_through_included_files() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "requirements.txt",
            "# the app\n-rbase.txt\n-c constraints.txt\nalembic  # the tool\n\n--index-url x\n",
        );
        write("base.txt", "sqlalchemy\n-e ./lib\n-r requirements.txt\n");
        write("constraints.txt", "sqlalchemy<2.1\n");
        let mut requirements = Requirements::file(dir.path().join("requirements.txt"));
        assert_eq!(requirement_count(&requirements), 3);
        requirements.packages = vec!["psycopg2-binary".into(), "--pre".into(), "-e .".into()];
        assert_eq!(requirement_count(&requirements), 5);
    }
}
