//! One virtual environment per (interpreter, requirements) in the cache, built once and reused by
//! every cell and run. Built in a scratch folder, its scripts rewritten to name the final folder,
//! then renamed into place: a half-built environment is never used and concurrent runs cannot
//! corrupt each other's; a refresh replaces the cached one the same way. Records what it installed
//! in `.harness-freeze.txt`, and the requirements' hash in `.harness-ready`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tokio::process::Command;

use super::folders::{relocate, remove_stale_scratch};
use super::phase::{Phase, PhaseSink, Prepared, requirement_count};
use super::uv::{self, Installer, UvLookup};
use super::{CacheDir, Interpreter, Refresh, RuntimeError};
use crate::config::{Requirements, RuntimeSpec};
use crate::process;

/// Bump when what goes into an environment changes, so old ones are not reused.
/// 2: console scripts name the final folder, not the scratch one; `.harness-freeze.txt`.
const LAYOUT: &str = "harness-venv-2";
/// Written last, before the rename: an environment without it is never used. Holds the
/// interpreter's path, its version, the installer, then `requirements <hash>`.
pub(super) const READY: &str = ".harness-ready";
/// The installed distributions, one `name==version` line each.
pub(super) const FREEZE: &str = ".harness-freeze.txt";
/// An environment ready to use.
#[derive(Debug, Clone)]
pub struct PreparedVenv {
    pub dir: PathBuf,
    /// Whether it came from the cache.
    pub reused: bool,
    /// What built it; `None` when it came from the cache.
    pub installer: Option<Installer>,
}

/// Returns the environment's folder and whether it came from the cache. Builds with uv
/// (`HARNESS_UV`, PATH, or installed into the cache) unless `HARNESS_NO_UV` is set; with
/// `refresh` on, builds it again even when the cache holds it, and replaces the cached one.
/// Tells `phases` what it does.
pub async fn prepare_venv(
    spec: &RuntimeSpec,
    interpreter: &Interpreter,
    requirements: &Requirements,
    cache: &CacheDir,
    refresh: &Refresh,
    phases: &PhaseSink,
) -> Result<(PathBuf, bool), RuntimeError> {
    let lookup = UvLookup::from_env();
    let venv = prepare_venv_refreshing(
        spec,
        interpreter,
        requirements,
        cache,
        &lookup,
        refresh,
        phases,
    )
    .await?;
    Ok((venv.dir, venv.reused))
}

/// [`prepare_venv`] with uv looked for as `lookup` says, reusing what the cache holds.
pub async fn prepare_venv_with(
    spec: &RuntimeSpec,
    interpreter: &Interpreter,
    requirements: &Requirements,
    cache: &CacheDir,
    lookup: &UvLookup,
) -> Result<PreparedVenv, RuntimeError> {
    prepare_venv_refreshing(
        spec,
        interpreter,
        requirements,
        cache,
        lookup,
        &Refresh::off(),
        &PhaseSink::none(),
    )
    .await
}

/// [`prepare_venv_with`], rebuilding a cached environment when `refresh` says it is due, and
/// telling `phases` what it does.
pub async fn prepare_venv_refreshing(
    spec: &RuntimeSpec,
    interpreter: &Interpreter,
    requirements: &Requirements,
    cache: &CacheDir,
    lookup: &UvLookup,
    refresh: &Refresh,
    phases: &PhaseSink,
) -> Result<PreparedVenv, RuntimeError> {
    let io = |what: String| move |source| RuntimeError::Io { what, source };
    let requirements_text = requirements
        .key_text()
        .map_err(io("cannot read the requirements files".to_string()))?;
    let key = venv_key(interpreter, &requirements_text);
    let venvs = cache.venvs();
    let target = venvs.join(format!("python-{}-{key}", interpreter.version));
    // A develop-mode install that writes a file into the checkout (a version file) is redone in a
    // fresh checkout, which lacks it even when the environment is cached.
    let refreshing = refresh.is_due(&target.display().to_string())
        || (is_ready(&target) && requirements.missing_build_output().is_some());
    if is_ready(&target) && !refreshing {
        phases.tell(Phase::Reusing(Prepared::Environment));
        touch(&target);
        if !target.join(FREEZE).is_file() {
            phases.tell(Phase::ReadingVersions);
            let installer = existing_installer(&target, cache, lookup);
            record_installed(&target, installer.as_ref()).await;
        }
        return Ok(PreparedVenv {
            dir: target,
            reused: true,
            installer: None,
        });
    }
    std::fs::create_dir_all(&venvs).map_err(io(format!(
        "cannot create cache folder {}",
        venvs.display()
    )))?;
    remove_stale_scratch(&venvs);
    if lookup.will_install(cache) {
        phases.tell(Phase::InstallingUv);
    }
    let installer = lookup.find(cache, &interpreter.path).await?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!(".building-{key}-"))
        .tempdir_in(&venvs)
        .map_err(io(format!("cannot create a folder in {}", venvs.display())))?;
    let dir = scratch.path().join("venv");
    build(
        spec,
        interpreter,
        requirements,
        &dir,
        &installer,
        refreshing,
        phases,
    )
    .await?;
    record_installed(&dir, Some(&installer)).await;
    relocate(&dir, &target).map_err(io(format!(
        "cannot rewrite the scripts of {} for {}",
        dir.display(),
        target.display()
    )))?;
    std::fs::write(
        dir.join(READY),
        format!(
            "{}\n{}\n{}\nrequirements {}\n",
            interpreter.path.display(),
            interpreter.version,
            installer.describe(),
            requirements_hash(&requirements_text)
        ),
    )
    .map_err(io(format!("cannot write in {}", dir.display())))?;
    if target.exists() && !target.join(READY).is_file() {
        // A leftover from an interrupted build of an older layout: replace it.
        std::fs::remove_dir_all(&target).ok();
    }
    let prepared = PreparedVenv {
        dir: target.clone(),
        reused: false,
        installer: Some(installer),
    };
    refresh.built(&target.display().to_string());
    if refreshing && target.exists() {
        // The cached one goes to the scratch folder, and with it.
        return replace(&dir, &target, &scratch.path().join("replaced"))
            .map(|()| prepared)
            .map_err(io(format!(
                "cannot replace the environment {}",
                target.display()
            )));
    }
    match std::fs::rename(&dir, &target) {
        Ok(()) => Ok(prepared),
        // Another run finished the same environment first: use theirs, drop ours.
        Err(_) if target.join(READY).is_file() => Ok(prepared),
        Err(err) => Err(RuntimeError::Io {
            what: format!("cannot move the environment to {}", target.display()),
            source: err,
        }),
    }
}

fn is_ready(venv: &Path) -> bool {
    venv.join(READY).is_file() && venv.join("bin").join("python").exists()
}

/// Marks a reused environment as used now (its folder's modification time): `harness cache`
/// shows it as its last use, and `cache remove --unused-for` goes by it.
fn touch(venv: &Path) {
    if let Ok(folder) = std::fs::File::open(venv) {
        folder.set_modified(SystemTime::now()).ok();
    }
}

/// Puts the environment built at `built` in place of the one at `target`, so that `target`
/// always holds a whole environment: swapped in one step where the system can (Linux), else the
/// old one is moved to `aside` first and put back if the new one cannot take its place. The old
/// one ends at `built` or `aside`, both in the scratch folder.
fn replace(built: &Path, target: &Path, aside: &Path) -> std::io::Result<()> {
    if exchange(built, target).is_ok() {
        return Ok(());
    }
    if !target.exists() {
        // Removed meanwhile (`harness cache remove`): nothing to replace.
        return std::fs::rename(built, target);
    }
    std::fs::rename(target, aside)?;
    std::fs::rename(built, target).inspect_err(|_| {
        std::fs::rename(aside, target).ok();
    })
}

/// Swaps two paths atomically (renameat2 with RENAME_EXCHANGE).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated and live across the call.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The short hash of the requirements' text recorded with an environment (`.harness-ready`) and
/// a prepared image (its `dev.harness.requirements` label): environments of one project's
/// requirements share it across interpreters.
pub(crate) fn requirements_hash(requirements: &str) -> String {
    Sha256::digest(requirements.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
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
    installer: &Installer,
    refreshing: bool,
    phases: &PhaseSink,
) -> Result<(), RuntimeError> {
    let python = dir.join("bin").join("python");
    let install_args = requirements.install_args();
    let resolving = |installer| Phase::Resolving {
        requirements: requirement_count(requirements),
        installer,
    };
    match installer {
        Installer::Uv(uv) => {
            phases.tell(Phase::CreatingEnvironment { installer: "uv" });
            let env = uv::command_env(|name| std::env::var(name).ok());
            let create = vec![
                "venv".to_string(),
                "--quiet".into(),
                "--no-python-downloads".into(),
                "--python".into(),
                interpreter.path.display().to_string(),
                dir.display().to_string(),
            ];
            step(spec, &uv.path, &create, &requirements.dir, &env, None).await?;
            if install_args.is_empty() {
                return Ok(());
            }
            phases.tell(resolving("uv"));
            // Compiled now, as pip does: tool processes run with PYTHONDONTWRITEBYTECODE, so
            // without it every one of them compiles SQLAlchemy and Alembic again (about 0.7 s).
            // Not quiet: its `Resolved N packages` line tells how many it installs.
            let mut install = vec![
                "pip".to_string(),
                "install".into(),
                "--compile-bytecode".into(),
                "--python".into(),
                python.display().to_string(),
            ];
            if refreshing {
                // uv keeps the index's answers for a while; a refresh asks again. (pip always
                // revalidates the index pages it has cached.)
                install.push("--refresh".into());
            }
            install.extend(install_args);
            step(
                spec,
                &uv.path,
                &install,
                &requirements.dir,
                &env,
                Some(phases),
            )
            .await
        }
        Installer::Pip { why } => {
            phases.tell(Phase::CreatingEnvironment {
                installer: "python -m venv",
            });
            let create = vec!["-m".to_string(), "venv".into(), dir.display().to_string()];
            let mut result = step(
                spec,
                &interpreter.path,
                &create,
                &requirements.dir,
                &[],
                None,
            )
            .await;
            if result.is_ok() && !install_args.is_empty() {
                phases.tell(resolving("pip"));
                // Not quiet: its `Installing collected packages:` line tells how many.
                let mut install = vec![
                    "-m".to_string(),
                    "pip".into(),
                    "install".into(),
                    "--disable-pip-version-check".into(),
                ];
                install.extend(install_args);
                result = step(
                    spec,
                    &python,
                    &install,
                    &requirements.dir,
                    &[],
                    Some(phases),
                )
                .await;
            }
            result.map_err(|err| match err {
                RuntimeError::Setup {
                    runtime,
                    command,
                    status,
                    tail,
                    failure,
                    named_at,
                } => RuntimeError::Setup {
                    runtime,
                    command,
                    status,
                    tail: format!("{tail}\n(built with python -m venv and pip: {why})"),
                    failure,
                    named_at,
                },
                other => other,
            })
        }
    }
}

/// Runs one step of a build; with `watch`, its output is read as it comes for the number of
/// packages the installer says it installs.
async fn step(
    spec: &RuntimeSpec,
    program: &Path,
    args: &[String],
    dir: &Path,
    env: &[(&str, String)],
    watch: Option<&PhaseSink>,
) -> Result<(), RuntimeError> {
    let command = process::display(program, args);
    let mut command_line = Command::new(program);
    if dir.is_dir() {
        command_line.current_dir(dir);
    }
    command_line
        .args(args)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .envs(env.iter().map(|(name, value)| (name, value)));
    let out = match watch {
        Some(phases) => {
            super::watched::run_watched(&mut command_line, &|line| phases.installer_line(line))
                .await
        }
        None => process::run(&mut command_line).await,
    }
    .map_err(|source| RuntimeError::Io {
        what: format!("cannot run `{command}`"),
        source,
    })?;
    if out.success() {
        Ok(())
    } else {
        // The environment being built is a scratch folder removed after the failure: its path
        // would only send the reader to a folder that is gone.
        let scratch = std::iter::once(program.to_string_lossy().into_owned())
            .chain(args.iter().cloned())
            .find_map(|arg| {
                let at = arg.find("/.building-")?;
                let end = arg[at + 1..]
                    .find("/venv")
                    .map(|i| at + 1 + i + "/venv".len())?;
                Some(arg[..end].to_string())
            });
        let scrub = |text: String| match &scratch {
            Some(folder) => text.replace(folder.as_str(), "<the new environment>"),
            None => text,
        };
        Err(RuntimeError::Setup {
            runtime: spec.key(),
            command: scrub(command),
            status: out.status_text(),
            tail: scrub(out.tail(15)),
            failure: Box::new(super::InstallFailure::of(&format!(
                "{}\n{}",
                out.stdout, out.stderr
            ))),
            named_at: None,
        })
    }
}

/// The installer of an environment that came from the cache: its own pip, else a uv that is
/// already there. `None` when neither is.
fn existing_installer(venv: &Path, cache: &CacheDir, lookup: &UvLookup) -> Option<Installer> {
    if process::is_executable(&venv.join("bin").join("pip")) {
        return Some(Installer::Pip {
            why: "the environment's own pip".into(),
        });
    }
    let uv = lookup.existing(cache).ok().flatten()?;
    Some(Installer::Uv(uv))
}

/// Writes the environment's distributions to `.harness-freeze.txt` (`name==version` lines, as
/// `pip list --format freeze` prints them: editable installs keep their name). Best effort: an
/// environment whose list cannot be read has no file, and [`installed`] is then empty.
async fn record_installed(venv: &Path, installer: Option<&Installer>) {
    let python = venv.join("bin").join("python");
    let mut command = match installer {
        Some(Installer::Uv(uv)) => {
            let mut command = Command::new(&uv.path);
            command
                .args(["pip", "list", "--format", "freeze", "--python"])
                .arg(&python)
                .envs(uv::command_env(|name| std::env::var(name).ok()));
            command
        }
        Some(Installer::Pip { .. }) => {
            let mut command = Command::new(&python);
            command.args([
                "-m",
                "pip",
                "list",
                "--format",
                "freeze",
                "--disable-pip-version-check",
            ]);
            command
        }
        None => return,
    };
    let Ok(out) = process::run(&mut command).await else {
        return;
    };
    if !out.success() {
        return;
    }
    // Written beside and renamed: a reader never sees half a list.
    if let Ok(mut file) = tempfile::NamedTempFile::new_in(venv) {
        use std::io::Write;
        if file.write_all(out.stdout.as_bytes()).is_ok() {
            file.persist(venv.join(FREEZE)).ok();
        }
    }
}

/// The distributions installed in `venv`, as (name, version), from its `.harness-freeze.txt`;
/// empty when the environment has none. A `name @ url` line gives the URL as the version.
pub fn installed(venv: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(venv.join(FREEZE)) else {
        return Vec::new();
    };
    parse_freeze(&text)
}

pub(crate) fn parse_freeze(text: &str) -> Vec<(String, String)> {
    // Sorted by name as written (pip sorts case-blind), so the list reads back from the JSON
    // report's map in the same order.
    let mut packages: Vec<(String, String)> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with(['#', '-']))
        .filter_map(|line| {
            let (name, version) = line
                .split_once("===")
                .or_else(|| line.split_once("=="))
                .or_else(|| line.split_once(" @ "))?;
            let (name, version) = (name.trim(), version.trim());
            (!name.is_empty() && !version.is_empty())
                .then(|| (name.to_string(), version.to_string()))
        })
        .collect();
    packages.sort();
    packages
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

    #[test]
    fn an_edited_included_file_gives_a_new_environment() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        // Included with the attached short form, which includes a constraints file of its own.
        write("requirements.txt", "-rbase.txt\nalembic\n");
        write(
            "base.txt",
            "--constraint=pins/constraints.txt  # pinned\nsqlalchemy\n",
        );
        write("pins/constraints.txt", "sqlalchemy<2.1\n");
        let requirements = Requirements::file(dir.path().join("requirements.txt"));
        let key = || venv_key(&interpreter("3.12.1"), &requirements.key_text().unwrap());
        let first = key();
        assert_eq!(first, key(), "the same files, the same environment");
        write("pins/constraints.txt", "sqlalchemy<2.0\n");
        let second = key();
        assert_ne!(first, second, "an edited constraints file");
        write(
            "base.txt",
            "--constraint=pins/constraints.txt\nsqlalchemy\npsycopg\n",
        );
        assert_ne!(second, key(), "an edited included requirements file");
    }

    #[test]
    fn relocate_rewrites_scripts_that_name_the_scratch_folder() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let scratch = root.path().join(".building-0123-abc").join("venv");
        let target = root.path().join("python-3.12.1-0123");
        let bin = scratch.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let s = scratch.display().to_string();
        let t = target.display().to_string();
        let script = |name: &str, text: String, mode: u32| {
            std::fs::write(bin.join(name), text).unwrap();
            std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(mode))
                .unwrap();
        };
        script(
            "alembic",
            format!("#!{s}/bin/python\n# -*- coding: utf-8 -*-\nimport sys\n"),
            0o755,
        );
        // The form pip writes when the interpreter's path is too long for a shebang line.
        script(
            "flask",
            format!("#!/bin/sh\n'''exec' '{s}/bin/python3.12' \"$0\" \"$@\"\n' '''\n"),
            0o755,
        );
        script(
            "activate",
            format!("VIRTUAL_ENV='{s}'\nexport VIRTUAL_ENV\n"),
            0o644,
        );
        script(
            "activate.fish",
            format!("set -gx VIRTUAL_ENV \"{s}\"\n"),
            0o644,
        );
        script("other", "#!/usr/bin/env python3\nprint(1)\n".into(), 0o755);
        let binary = [0x7f, b'E', b'L', b'F', 0, 0]
            .iter()
            .copied()
            .chain(s.bytes())
            .collect::<Vec<u8>>();
        std::fs::write(bin.join("uv"), &binary).unwrap();
        std::os::unix::fs::symlink("/usr/bin/python3", bin.join("python")).unwrap();
        std::fs::write(
            scratch.join("pyvenv.cfg"),
            format!("home = /usr/bin\ncommand = /usr/bin/python3 -m venv {s}\n"),
        )
        .unwrap();

        assert_eq!(relocate(&scratch, &target).unwrap(), 5);

        let read = |name: &str| std::fs::read_to_string(bin.join(name)).unwrap();
        assert_eq!(
            read("alembic"),
            format!("#!{t}/bin/python\n# -*- coding: utf-8 -*-\nimport sys\n")
        );
        assert!(read("flask").contains(&format!("'{t}/bin/python3.12'")));
        assert_eq!(
            read("activate"),
            format!("VIRTUAL_ENV='{t}'\nexport VIRTUAL_ENV\n")
        );
        assert_eq!(
            read("activate.fish"),
            format!("set -gx VIRTUAL_ENV \"{t}\"\n")
        );
        assert_eq!(read("other"), "#!/usr/bin/env python3\nprint(1)\n");
        assert_eq!(
            std::fs::read(bin.join("uv")).unwrap(),
            binary,
            "binaries untouched"
        );
        assert_eq!(
            std::fs::read_link(bin.join("python")).unwrap(),
            Path::new("/usr/bin/python3")
        );
        let cfg = std::fs::read_to_string(scratch.join("pyvenv.cfg")).unwrap();
        assert!(cfg.ends_with(&format!("-m venv {t}\n")), "{cfg}");
        let mode = |name: &str| bin.join(name).metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!((mode("alembic"), mode("activate")), (0o755, 0o644));
    }

    #[test]
    fn a_rebuilt_environment_takes_the_cached_ones_place() {
        let root = tempfile::tempdir().unwrap();
        let built = root.path().join(".building-x/venv");
        let target = root.path().join("python-3.12.1-0123456789abcdef");
        let aside = root.path().join(".building-x/replaced");
        for (dir, text) in [(&built, "new"), (&target, "old")] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(READY), text).unwrap();
        }
        replace(&built, &target, &aside).unwrap();
        assert_eq!(std::fs::read_to_string(target.join(READY)).unwrap(), "new");
        let old = [&built, &aside]
            .into_iter()
            .find(|dir| dir.join(READY).is_file())
            .expect("the old one is in the scratch folder");
        assert_eq!(std::fs::read_to_string(old.join(READY)).unwrap(), "old");

        std::fs::remove_dir_all(&target).unwrap();
        std::fs::create_dir_all(&built).ok();
        std::fs::write(built.join(READY), "newer").unwrap();
        replace(&built, &target, &aside).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join(READY)).unwrap(),
            "newer",
            "nothing to replace"
        );
    }

    #[test]
    fn only_scratch_folders_older_than_a_day_are_removed() {
        let root = tempfile::tempdir().unwrap();
        for name in [
            ".building-old",
            ".building-new",
            "python-3.12.1-old",
            ".removing-python-3.12.1-new-1-2",
        ] {
            std::fs::create_dir_all(root.path().join(name).join("venv")).unwrap();
        }
        let two_days_ago = SystemTime::now() - 2 * super::super::folders::STALE;
        for name in [".building-old", "python-3.12.1-old"] {
            std::fs::File::open(root.path().join(name))
                .unwrap()
                .set_modified(two_days_ago)
                .unwrap();
        }
        remove_stale_scratch(root.path());
        let mut left: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".building-new", "python-3.12.1-old"]);
    }

    #[test]
    fn freeze_lines_give_names_and_versions() {
        let text = "alembic==1.13.3\nMako==1.3.5\n# a comment\n-e file:///src/app\n\
                    app @ file:///src/app\nlegacy===1.0-custom\n\n";
        assert_eq!(
            parse_freeze(text),
            [
                ("Mako", "1.3.5"),
                ("alembic", "1.13.3"),
                ("app", "file:///src/app"),
                ("legacy", "1.0-custom"),
            ]
            .map(|(name, version)| (name.to_string(), version.to_string()))
        );
        assert!(installed(Path::new("/no/such/venv")).is_empty());
    }
}
