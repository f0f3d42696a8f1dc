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

/// [`find_interpreter`], remembered in `cache`: the interpreter found for the same spec, with the
/// same search environment (PATH, PYENV_ROOT, UV_PYTHON_*), on an earlier run is used again while
/// its executable is unchanged (size and modification time), without running `uv python find` or
/// the interpreter itself. With `look_again` (`--refresh`) it is looked for as if nothing were
/// remembered. An interpreter named in harness.toml is only probed.
pub async fn find_interpreter_remembered(
    spec: &RuntimeSpec,
    cache: &crate::runtime::CacheDir,
    look_again: bool,
) -> Result<Interpreter, RuntimeError> {
    if spec.interpreter.is_some() {
        return find_interpreter(spec).await;
    }
    let file = remembered_file(cache, spec);
    if !look_again && let Some(found) = recall(&file, spec) {
        return Ok(found);
    }
    let found = find_interpreter(spec).await?;
    remember(&file, &found);
    Ok(found)
}

/// `interpreters/python-3.12_<digest of the search environment>`.
fn remembered_file(cache: &crate::runtime::CacheDir, spec: &RuntimeSpec) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for name in ["PATH", "PYENV_ROOT", "PYENV_VERSION", "HOME"] {
        hash.update(name.as_bytes());
        hash.update(
            std::env::var_os(name)
                .unwrap_or_default()
                .as_encoded_bytes(),
        );
        hash.update([0]);
    }
    let mut uv: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| name.starts_with("UV_PYTHON"))
        .collect();
    uv.sort();
    for (name, value) in uv {
        hash.update(format!("{name}={value}\0").as_bytes());
    }
    let digest: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    cache
        .root()
        .join("interpreters")
        .join(format!("python-{}_{digest}", spec.version))
}

/// What identifies an executable's file as unchanged: its size and modification time.
fn stamp(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", meta.len(), modified.as_nanos()))
}

fn recall(file: &Path, spec: &RuntimeSpec) -> Option<Interpreter> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    let (path, version, source, stamped) =
        (lines.next()?, lines.next()?, lines.next()?, lines.next()?);
    let path = PathBuf::from(path);
    let source = ["harness.toml", "uv", "pyenv", "PATH"]
        .into_iter()
        .find(|known| *known == source)?;
    (version_matches(version, &spec.version) && stamp(&path)? == stamped).then(|| Interpreter {
        path,
        version: version.to_string(),
        source,
    })
}

/// Written to a scratch file, then renamed: a concurrent run reads the whole of it or nothing.
fn remember(file: &Path, found: &Interpreter) {
    let Some(stamped) = stamp(&found.path) else {
        return;
    };
    let Some(folder) = file.parent() else {
        return;
    };
    let text = format!(
        "{}\n{}\n{}\n{stamped}\n",
        found.path.display(),
        found.version,
        found.source
    );
    let scratch = folder.join(format!(".{}.tmp", std::process::id()));
    let written = std::fs::create_dir_all(folder)
        .and_then(|()| std::fs::write(&scratch, text))
        .and_then(|()| std::fs::rename(&scratch, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&scratch);
    }
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

    #[test]
    fn a_remembered_interpreter_is_used_while_its_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let cache = crate::runtime::CacheDir::new(dir.path().join("cache"));
        let executable = dir.path().join("python3.12");
        std::fs::write(&executable, "an interpreter").unwrap();
        let spec = RuntimeSpec::parse("python:3.12").unwrap();
        let file = remembered_file(&cache, &spec);
        assert_eq!(recall(&file, &spec), None, "nothing remembered yet");
        let found = Interpreter {
            path: executable.clone(),
            version: "3.12.1".into(),
            source: "pyenv",
        };
        remember(&file, &found);
        assert_eq!(recall(&file, &spec), Some(found.clone()));
        // Another spec's file, and a wrong version, are not this one.
        let other = RuntimeSpec::parse("python:3.10").unwrap();
        assert_ne!(remembered_file(&cache, &other), file);
        assert_eq!(recall(&file, &other), None);
        // An interpreter replaced (another size) or removed is looked for again.
        std::fs::write(&executable, "another interpreter, longer").unwrap();
        assert_eq!(recall(&file, &spec), None);
        remember(&file, &found);
        std::fs::remove_file(&executable).unwrap();
        assert_eq!(recall(&file, &spec), None);
    }

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
