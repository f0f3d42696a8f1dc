//! One virtual environment per (interpreter, requirements) in the cache, built once and reused by
//! every cell and run. Built in a scratch folder and renamed into place, so a half-built environment
//! is never used and concurrent runs cannot corrupt each other's.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::process::Command;

use super::{CacheDir, Interpreter, RuntimeError};
use crate::config::{Requirements, RuntimeSpec};
use crate::process;

/// Bump when what goes into an environment changes, so old ones are not reused.
const LAYOUT: &str = "harness-venv-1";
const READY: &str = ".harness-ready";

/// Returns the environment's folder and whether it came from the cache.
pub async fn prepare_venv(
    spec: &RuntimeSpec,
    interpreter: &Interpreter,
    requirements: &Requirements,
    cache: &CacheDir,
) -> Result<(PathBuf, bool), RuntimeError> {
    let io = |what: String| move |source| RuntimeError::Io { what, source };
    let requirements_text = requirements
        .key_text()
        .map_err(io("cannot read the requirements files".to_string()))?;
    let key = venv_key(interpreter, &requirements_text);
    let venvs = cache.venvs();
    let target = venvs.join(format!("python-{}-{key}", interpreter.version));
    if target.join(READY).is_file() && target.join("bin").join("python").exists() {
        return Ok((target, true));
    }
    std::fs::create_dir_all(&venvs).map_err(io(format!(
        "cannot create cache folder {}",
        venvs.display()
    )))?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!(".building-{key}-"))
        .tempdir_in(&venvs)
        .map_err(io(format!("cannot create a folder in {}", venvs.display())))?;
    let dir = scratch.path().join("venv");
    build(spec, interpreter, requirements, &dir).await?;
    std::fs::write(
        dir.join(READY),
        format!("{}\n{}\n", interpreter.path.display(), interpreter.version),
    )
    .map_err(io(format!("cannot write in {}", dir.display())))?;
    if target.exists() && !target.join(READY).is_file() {
        // A leftover from an interrupted build of an older layout: replace it.
        std::fs::remove_dir_all(&target).ok();
    }
    match std::fs::rename(&dir, &target) {
        Ok(()) => Ok((target, false)),
        // Another run finished the same environment first: use theirs, drop ours.
        Err(_) if target.join(READY).is_file() => Ok((target, false)),
        Err(err) => Err(RuntimeError::Io {
            what: format!("cannot move the environment to {}", target.display()),
            source: err,
        }),
    }
}

fn venv_key(interpreter: &Interpreter, requirements: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        LAYOUT,
        &interpreter.path.to_string_lossy(),
        &interpreter.version,
        requirements,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn build(
    spec: &RuntimeSpec,
    interpreter: &Interpreter,
    requirements: &Requirements,
    dir: &Path,
) -> Result<(), RuntimeError> {
    let python = dir.join("bin").join("python");
    let install_args = requirements.install_args();
    if let Some(uv) = process::which("uv") {
        let create = vec![
            "venv".to_string(),
            "--quiet".into(),
            "--no-python-downloads".into(),
            "--python".into(),
            interpreter.path.display().to_string(),
            dir.display().to_string(),
        ];
        step(spec, &uv, &create, &requirements.dir).await?;
        if install_args.is_empty() {
            return Ok(());
        }
        let mut install = vec![
            "pip".to_string(),
            "install".into(),
            "--quiet".into(),
            "--python".into(),
        ];
        install.push(python.display().to_string());
        install.extend(install_args);
        step(spec, &uv, &install, &requirements.dir).await
    } else {
        let create = vec!["-m".to_string(), "venv".into(), dir.display().to_string()];
        step(spec, &interpreter.path, &create, &requirements.dir).await?;
        if install_args.is_empty() {
            return Ok(());
        }
        let mut install = vec![
            "-m".to_string(),
            "pip".into(),
            "install".into(),
            "--quiet".into(),
            "--disable-pip-version-check".into(),
        ];
        install.extend(install_args);
        step(spec, &python, &install, &requirements.dir).await
    }
}

async fn step(
    spec: &RuntimeSpec,
    program: &Path,
    args: &[String],
    dir: &Path,
) -> Result<(), RuntimeError> {
    let command = process::display(program, args);
    let mut command_line = Command::new(program);
    if dir.is_dir() {
        command_line.current_dir(dir);
    }
    let out = process::run(command_line.args(args).env("UV_PYTHON_DOWNLOADS", "never"))
        .await
        .map_err(|source| RuntimeError::Io {
            what: format!("cannot run `{command}`"),
            source,
        })?;
    if out.success() {
        Ok(())
    } else {
        Err(RuntimeError::Setup {
            runtime: spec.key(),
            command,
            status: out.status_text(),
            tail: out.tail(15),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interpreter(version: &str) -> Interpreter {
        Interpreter {
            path: PathBuf::from("/usr/bin/python3"),
            version: version.into(),
            source: "PATH",
        }
    }

    #[test]
    fn the_key_changes_with_interpreter_and_requirements() {
        let a = venv_key(&interpreter("3.12.1"), "alembic==1.13.0");
        assert_eq!(a, venv_key(&interpreter("3.12.1"), "alembic==1.13.0"));
        assert_ne!(a, venv_key(&interpreter("3.12.2"), "alembic==1.13.0"));
        assert_ne!(a, venv_key(&interpreter("3.12.1"), "alembic==1.14.0"));
        assert_eq!(a.len(), 16);
    }
}
