//! Finds a local interpreter for `python:X.Y`: the path given in harness.toml, else `uv python find`,
//! else pyenv's versions folder, else `pythonX.Y` on PATH. Every candidate is run once to check that
//! it really is that version; an error lists every place looked at.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::RuntimeError;
use crate::config::RuntimeSpec;
use crate::process;

/// A verified interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// `sys.executable` as the interpreter reports it.
    pub path: PathBuf,
    /// The full version, e.g. `3.12.1`.
    pub version: String,
    /// Where it was found: `harness.toml`, `uv`, `pyenv` or `PATH`.
    pub source: &'static str,
}

pub(crate) const PROBE: &str =
    "import platform, sys; print(platform.python_version()); print(sys.executable)";

impl Interpreter {
    /// Its `major.minor` (`3.12.1` -> `3.12`), as runtimes are named.
    pub fn minor(&self) -> String {
        self.version
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Resolves `spec` to a verified interpreter.
pub async fn find_interpreter(spec: &RuntimeSpec) -> Result<Interpreter, RuntimeError> {
    let mut looked = Vec::new();
    if let Some(path) = &spec.interpreter {
        return match probe(path, spec).await {
            Ok(version) => Ok(verified(path, version, "harness.toml")),
            Err(why) => {
                looked.push(format!(
                    "harness.toml [runtimes.\"{}\"]: {} ({why})",
                    spec.key(),
                    path.display()
                ));
                Err(RuntimeError::NotFound {
                    runtime: spec.key(),
                    looked,
                })
            }
        };
    }
    match uv_find(spec).await {
        Ok(path) => match probe(&path, spec).await {
            Ok(version) => return Ok(verified(&path, version, "uv")),
            Err(why) => looked.push(format!(
                "uv python find {}: {} ({why})",
                spec.version,
                path.display()
            )),
        },
        Err(why) => looked.push(format!("uv python find {}: {why}", spec.version)),
    }
    let pyenv = pyenv_root();
    match pyenv_candidate(&pyenv, spec) {
        Some(path) => match probe(&path, spec).await {
            Ok(version) => return Ok(verified(&path, version, "pyenv")),
            Err(why) => looked.push(format!("pyenv: {} ({why})", path.display())),
        },
        None => looked.push(format!(
            "pyenv: no {}* folder in {}",
            spec.version,
            pyenv.join("versions").display()
        )),
    }
    let name = format!("python{}", spec.version);
    match process::which(&name) {
        Some(path) => match probe(&path, spec).await {
            Ok(version) => return Ok(verified(&path, version, "PATH")),
            Err(why) => looked.push(format!("PATH: {} ({why})", path.display())),
        },
        None => looked.push(format!("PATH: no `{name}`")),
    }
    Err(RuntimeError::NotFound {
        runtime: spec.key(),
        looked,
    })
}

fn verified(
    found: &Path,
    (version, executable): (String, PathBuf),
    source: &'static str,
) -> Interpreter {
    let path = if executable.as_os_str().is_empty() {
        found.to_path_buf()
    } else {
        executable
    };
    Interpreter {
        path,
        version,
        source,
    }
}

/// Runs the candidate and checks its version; returns (version, sys.executable).
async fn probe(path: &Path, spec: &RuntimeSpec) -> Result<(String, PathBuf), String> {
    let out = process::run(Command::new(path).args(["-c", PROBE]))
        .await
        .map_err(|err| err.to_string())?;
    if !out.success() {
        return Err(format!("does not run: {}", process::tail(&out.stderr, 1)));
    }
    let mut lines = out.stdout.lines();
    let version = lines.next().unwrap_or_default().trim().to_string();
    let executable = PathBuf::from(lines.next().unwrap_or_default().trim());
    if version_matches(&version, &spec.version) {
        Ok((version, executable))
    } else {
        Err(format!("it is Python {version}"))
    }
}

/// `3.12.1` matches `3.12` and `3`, not `3.1`.
pub(crate) fn version_matches(full: &str, wanted: &str) -> bool {
    full == wanted || full.starts_with(&format!("{wanted}."))
}

async fn uv_find(spec: &RuntimeSpec) -> Result<PathBuf, String> {
    let uv = process::which("uv").ok_or_else(|| "uv is not on PATH".to_string())?;
    let out = process::run(
        Command::new(uv)
            .args([
                "python",
                "find",
                "--system",
                "--no-python-downloads",
                &spec.version,
            ])
            .env("UV_PYTHON_DOWNLOADS", "never"),
    )
    .await
    .map_err(|err| err.to_string())?;
    if out.success() && !out.stdout.trim().is_empty() {
        Ok(PathBuf::from(out.stdout.trim()))
    } else {
        Err(format!("not found ({})", process::tail(&out.stderr, 1)))
    }
}

fn pyenv_root() -> PathBuf {
    match std::env::var_os("PYENV_ROOT").filter(|v| !v.is_empty()) {
        Some(root) => PathBuf::from(root),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".pyenv"),
    }
}

/// The newest `versions/<X.Y.Z>` folder matching the spec, and its python binary.
fn pyenv_candidate(root: &Path, spec: &RuntimeSpec) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root.join("versions")).ok()?;
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            let numbers: Option<Vec<u32>> = name.split('.').map(|part| part.parse().ok()).collect();
            let numbers = numbers?;
            version_matches(&name, &spec.version).then_some((numbers, entry.path()))
        })
        .collect();
    versions.sort();
    let (numbers, dir) = versions.pop()?;
    let minor = format!("python{}.{}", numbers.first()?, numbers.get(1)?);
    [minor.as_str(), "python3", "python"]
        .iter()
        .map(|name| dir.join("bin").join(name))
        .find(|path| process::is_executable(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("3.12.1", "3.12", true)]
    #[case("3.12.1", "3", true)]
    #[case("3.12.1", "3.1", false)]
    #[case("3.10.13", "3.10.13", true)]
    fn versions(#[case] full: &str, #[case] wanted: &str, #[case] ok: bool) {
        assert_eq!(version_matches(full, wanted), ok);
    }

    #[test]
    fn pyenv_picks_the_newest_matching_folder() {
        let root = tempfile::tempdir().unwrap();
        for version in ["3.12.1", "3.12.10", "3.1.5", "3.12-dev"] {
            let bin = root.path().join("versions").join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            let python = bin.join("python3.12");
            std::fs::write(&python, "").unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let spec = RuntimeSpec::parse("python:3.12").unwrap();
        let found = pyenv_candidate(root.path(), &spec).unwrap();
        assert!(
            found.ends_with("versions/3.12.10/bin/python3.12"),
            "{}",
            found.display()
        );
    }

    #[tokio::test]
    async fn an_explicit_path_that_is_not_python_is_reported() {
        let mut spec = RuntimeSpec::parse("python:3.12").unwrap();
        spec.interpreter = Some(PathBuf::from("/nonexistent/python3.12"));
        let err = find_interpreter(&spec).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("no interpreter found for python:3.12"),
            "{text}"
        );
        assert!(text.contains("/nonexistent/python3.12"), "{text}");
    }
}
