//! The uv that builds virtual environments: `HARNESS_UV`, else `uv` on PATH, else the copy the
//! harness installed into its cache (`<cache>/tools/uv`), else one installed there now with pip,
//! once per cache; `HARNESS_NO_UV=1` turns uv off. Also the variables every uv command runs with.
//! Builds no project environment itself (venv.rs does).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use tokio::process::Command;
use tokio::sync::Mutex;

use super::folders::{relocate, remove_stale_scratch};
use super::{CacheDir, RuntimeError};
use crate::process;

/// Written last into the cached uv's folder: without it the folder is not used.
const READY: &str = ".harness-ready";

/// Where uv is looked for: the harness's own environment, or given explicitly.
#[derive(Debug, Clone, Default)]
pub struct UvLookup {
    /// `HARNESS_UV`: the uv to use; nothing is looked up or installed.
    pub explicit: Option<PathBuf>,
    /// `HARNESS_NO_UV`: build with `python -m venv` and pip.
    pub disabled: bool,
    /// The PATH searched for `uv`.
    pub path: Option<OsString>,
}

/// Where the uv in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UvSource {
    /// `HARNESS_UV`.
    Variable,
    /// `uv` on PATH.
    Path,
    /// The copy in the cache, installed by an earlier run.
    Cache,
    /// Installed into the cache just now.
    Installed,
}

/// A uv binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uv {
    pub path: PathBuf,
    pub source: UvSource,
}

/// What builds an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    Uv(Uv),
    /// `python -m venv` and pip, and why uv is not used.
    Pip {
        why: String,
    },
}

impl Installer {
    /// For messages: `uv at /path (from PATH)`, `python -m venv and pip (HARNESS_NO_UV is set)`.
    pub fn describe(&self) -> String {
        match self {
            Installer::Uv(uv) => {
                let from = match uv.source {
                    UvSource::Variable => "from HARNESS_UV",
                    UvSource::Path => "from PATH",
                    UvSource::Cache => "cached by the harness",
                    UvSource::Installed => "installed into the cache",
                };
                format!("uv at {} ({from})", uv.path.display())
            }
            Installer::Pip { why } => format!("python -m venv and pip ({why})"),
        }
    }
}

impl UvLookup {
    /// `HARNESS_UV`, `HARNESS_NO_UV` and `PATH` of this process.
    pub fn from_env() -> Self {
        Self {
            // Absolute: installers run in the project's folder.
            explicit: std::env::var_os("HARNESS_UV")
                .filter(|value| !value.is_empty())
                .map(|value| {
                    let path = PathBuf::from(value);
                    std::path::absolute(&path).unwrap_or(path)
                }),
            disabled: std::env::var("HARNESS_NO_UV").is_ok_and(|value| is_on(&value)),
            path: std::env::var_os("PATH"),
        }
    }

    /// The installer for a new environment: a uv found or installed into the cache with `python`,
    /// else pip with the reason. Fails only when `HARNESS_UV` names no executable.
    pub async fn find(&self, cache: &CacheDir, python: &Path) -> Result<Installer, RuntimeError> {
        if self.disabled {
            return Ok(Installer::Pip {
                why: "HARNESS_NO_UV is set".into(),
            });
        }
        if let Some(uv) = self.existing(cache)? {
            return Ok(Installer::Uv(uv));
        }
        Ok(match install_once(cache, python).await {
            Ok(path) => Installer::Uv(Uv {
                path,
                source: UvSource::Installed,
            }),
            Err(why) => Installer::Pip {
                why: format!("uv is not on PATH, and {why}"),
            },
        })
    }

    /// Whether [`UvLookup::find`] will install uv (none is there and uv is not switched off).
    pub fn will_install(&self, cache: &CacheDir) -> bool {
        !self.disabled && matches!(self.existing(cache), Ok(None))
    }

    /// A uv that is already there (`HARNESS_UV`, PATH, the cache); never installs one.
    pub fn existing(&self, cache: &CacheDir) -> Result<Option<Uv>, RuntimeError> {
        if self.disabled {
            return Ok(None);
        }
        if let Some(path) = &self.explicit {
            if !process::is_executable(path) {
                return Err(RuntimeError::Io {
                    what: format!("HARNESS_UV={} cannot be used", path.display()),
                    source: std::io::Error::other(
                        "it is not an executable file; point it at a uv binary, or unset it to let the harness find or install uv",
                    ),
                });
            }
            return Ok(Some(Uv {
                path: path.clone(),
                source: UvSource::Variable,
            }));
        }
        if let Some(path) = self.on_path() {
            return Ok(Some(Uv {
                path,
                source: UvSource::Path,
            }));
        }
        Ok(cached(&cached_dir(cache)).map(|path| Uv {
            path,
            source: UvSource::Cache,
        }))
    }

    fn on_path(&self) -> Option<PathBuf> {
        std::env::split_paths(self.path.as_ref()?)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join("uv"))
            .find(|candidate| process::is_executable(candidate))
    }
}

/// `1`, `true`, `yes` (any case) turn a switch on; empty, `0`, `false`, `no` leave it off.
fn is_on(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no" | "off"
    )
}

/// The cached uv's folder: a small virtual environment with uv installed by pip.
fn cached_dir(cache: &CacheDir) -> PathBuf {
    cache.tools().join("uv")
}

/// The cached uv's binary, when its folder is complete.
fn cached(dir: &Path) -> Option<PathBuf> {
    let uv = dir.join("bin").join("uv");
    (dir.join(READY).is_file() && process::is_executable(&uv)).then_some(uv)
}

/// Install attempts of this process that failed, per (cache root, python) and why: the other
/// runtimes of a run do not wait for the same failure again.
static FAILED_INSTALLS: Mutex<Vec<(PathBuf, PathBuf, String)>> = Mutex::const_new(Vec::new());

/// Installs uv into the cache unless another runtime of this process did (or failed to) already.
async fn install_once(cache: &CacheDir, python: &Path) -> Result<PathBuf, String> {
    let mut failed = FAILED_INSTALLS.lock().await;
    let target = cached_dir(cache);
    if let Some(uv) = cached(&target) {
        return Ok(uv);
    }
    if let Some((.., why)) = failed
        .iter()
        .find(|(root, tried, _)| root == cache.root() && tried == python)
    {
        return Err(why.clone());
    }
    install(&cache.tools(), &target, python)
        .await
        .inspect_err(|why| {
            failed.push((
                cache.root().to_path_buf(),
                python.to_path_buf(),
                why.clone(),
            ));
        })
}

/// Creates a virtual environment with `python` in a scratch folder under `tools`, installs uv into
/// it with pip, and renames it to `target`: a half-installed uv is never used, and concurrent
/// runs each install their own and keep the first.
async fn install(tools: &Path, target: &Path, python: &Path) -> Result<PathBuf, String> {
    let failed = |what: String| move |err: std::io::Error| format!("{what}: {err}");
    std::fs::create_dir_all(tools).map_err(failed(format!(
        "cannot create {} to install uv into",
        tools.display()
    )))?;
    remove_stale_scratch(tools);
    let scratch = tempfile::Builder::new()
        .prefix(".building-uv-")
        .tempdir_in(tools)
        .map_err(failed(format!(
            "cannot create a folder in {}",
            tools.display()
        )))?;
    let dir = scratch.path().join("venv");
    let into = target.display();
    run(python, &["-m".into(), "venv".into(), dir.clone().into()])
        .await
        .map_err(|why| format!("installing uv into {into} failed: {why}"))?;
    let pip = [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "uv",
    ]
    .map(OsString::from);
    run(&dir.join("bin").join("python"), &pip)
        .await
        .map_err(|why| format!("installing uv into {into} failed: {why}"))?;
    let uv = dir.join("bin").join("uv");
    let version = run(&uv, &["--version".into()])
        .await
        .map_err(|why| format!("the uv installed into {into} does not run: {why}"))?;
    relocate(&dir, target).map_err(failed(format!("cannot prepare {}", dir.display())))?;
    std::fs::write(
        dir.join(READY),
        version.stdout.trim_end().to_string() + "\n",
    )
    .map_err(failed(format!("cannot write in {}", dir.display())))?;
    if target.exists() && cached(target).is_none() {
        // Something incomplete that no install of this layout leaves: replace it.
        std::fs::remove_dir_all(target).ok();
    }
    match std::fs::rename(&dir, target) {
        Ok(()) => Ok(target.join("bin").join("uv")),
        // Another run installed it first: use theirs, drop ours.
        Err(_) if cached(target).is_some() => Ok(target.join("bin").join("uv")),
        Err(err) => Err(format!("cannot move uv to {into}: {err}")),
    }
}

/// Runs a step of the install; the error is the command, its status and its last line.
async fn run(program: &Path, args: &[OsString]) -> Result<process::Output, String> {
    let command = process::display(program, args);
    let out = process::run(Command::new(program).args(args))
        .await
        .map_err(|err| format!("cannot run `{command}`: {err}"))?;
    if out.success() {
        return Ok(out);
    }
    let last = out.tail(1);
    let last = if last.is_empty() {
        String::new()
    } else {
        format!(": {last}")
    };
    Err(format!(
        "`{command}` ended with {}{last}",
        out.status_text()
    ))
}

impl Uv {
    /// The exact versions `uv.lock` in `dir` pins for the project's main dependencies, as a
    /// requirements file (no hashes, no development groups, the project and workspace members
    /// left out: they are on PYTHONPATH), and the folders of the path dependencies it leaves out
    /// (`-e ../sdk`), resolved from `dir`. The lock is read as it is (`--frozen`), never updated.
    pub async fn export_lock(&self, dir: &Path) -> Result<LockExport, ExportError> {
        let base = [
            "export",
            "--frozen",
            "--no-hashes",
            "--no-dev",
            "--no-emit-project",
            "--no-header",
            "--format",
            "requirements-txt",
        ];
        let mut last = String::new();
        // `--no-emit-workspace` is newer than `export`: retried without it on an older uv.
        for extra in [&["--no-emit-workspace"][..], &[]] {
            let mut command = Command::new(&self.path);
            command
                .args(base)
                .args(extra)
                .current_dir(dir)
                .envs(command_env(|name| std::env::var(name).ok()));
            let out = process::run(&mut command)
                .await
                .map_err(|source| ExportError::Spawn {
                    uv: self.path.clone(),
                    source,
                })?;
            if out.success() {
                return Ok(LockExport::read(&out.stdout, dir));
            }
            last = out.tail(3);
        }
        Err(ExportError::Refused(last))
    }
}

/// Why `uv export` gave no requirements.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot run {}: {source}", uv.display())]
    Spawn { uv: PathBuf, source: std::io::Error },
    /// uv's own last lines.
    #[error("{0}")]
    Refused(String),
}

/// What `uv export` gave: the pinned requirements, and the local folders it named instead of a
/// version (workspace members and path dependencies), which are never installed from the lock.
#[derive(Debug, Default, PartialEq)]
pub struct LockExport {
    pub text: String,
    pub paths: Vec<PathBuf>,
}

impl LockExport {
    fn read(stdout: &str, dir: &Path) -> LockExport {
        let mut export = LockExport::default();
        for line in stdout.lines() {
            let bare = line.trim();
            let path = bare.strip_prefix("-e ").map(str::trim).unwrap_or(bare);
            let local = path.starts_with("./")
                || path.starts_with("../")
                || path.starts_with('/')
                || path.starts_with("file:");
            if local {
                let path = path.strip_prefix("file://").unwrap_or(path);
                export.paths.push(dir.join(path));
            } else if !bare.starts_with("-e ") {
                export.text.push_str(line);
                export.text.push('\n');
            }
        }
        export
    }
}

/// The variables every uv command runs with, read from the harness's own through `get`:
/// no interpreter downloads; pip's index, find-links, trusted-host, timeout and CA-file settings
/// when uv's own are not set; the system's trust store (as pip uses it) when no CA file is named.
/// Everything else, `SSL_CERT_FILE` and proxies included, is inherited as it is.
pub fn command_env(get: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    let get = |name: &str| get(name).filter(|value| !value.trim().is_empty());
    let unset = |names: &[&str]| names.iter().all(|name| get(name).is_none());
    let mut env = vec![("UV_PYTHON_DOWNLOADS", "never".to_string())];
    let same_meaning = [
        (
            "PIP_INDEX_URL",
            "UV_INDEX_URL",
            &["UV_INDEX_URL", "UV_DEFAULT_INDEX"][..],
        ),
        (
            "PIP_EXTRA_INDEX_URL",
            "UV_EXTRA_INDEX_URL",
            &["UV_EXTRA_INDEX_URL", "UV_INDEX"],
        ),
        (
            "PIP_TRUSTED_HOST",
            "UV_INSECURE_HOST",
            &["UV_INSECURE_HOST"],
        ),
        (
            "PIP_DEFAULT_TIMEOUT",
            "UV_HTTP_TIMEOUT",
            &["UV_HTTP_TIMEOUT"],
        ),
    ];
    for (pip, uv, own) in same_meaning {
        if let Some(value) = get(pip).filter(|_| unset(own)) {
            env.push((uv, value.trim().to_string()));
        }
    }
    if let Some(links) = get("PIP_FIND_LINKS").filter(|_| unset(&["UV_FIND_LINKS"])) {
        // pip separates them with spaces and skips a missing folder; uv takes commas and fails.
        let links: Vec<&str> = links
            .split_whitespace()
            .filter(|link| link.contains("://") || Path::new(link).is_dir())
            .collect();
        if !links.is_empty() {
            env.push(("UV_FIND_LINKS", links.join(",")));
        }
    }
    if unset(&["SSL_CERT_FILE"]) {
        match get("PIP_CERT").or_else(|| get("REQUESTS_CA_BUNDLE")) {
            Some(bundle) => env.push(("SSL_CERT_FILE", bundle)),
            None if unset(&["UV_NATIVE_TLS"]) => env.push(("UV_NATIVE_TLS", "1".into())),
            None => {}
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_keeps_pins_and_names_local_folders_apart() {
        let stdout = "-e ../sdks/python\n    # via app\nalembic==1.13.1\n    # via app\n./libs/shared\nsqlalchemy==2.0.30 ; python_version >= '3.9'\n";
        let export = LockExport::read(stdout, Path::new("/repo/api"));
        assert_eq!(
            export.text,
            "    # via app\nalembic==1.13.1\n    # via app\nsqlalchemy==2.0.30 ; python_version >= '3.9'\n"
        );
        assert_eq!(
            export.paths,
            vec![
                PathBuf::from("/repo/api/../sdks/python"),
                PathBuf::from("/repo/api/./libs/shared")
            ]
        );
    }

    fn env_of(vars: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        command_env(|name| {
            vars.iter()
                .find(|(var, _)| var == name)
                .map(|(_, value)| value.clone())
        })
    }

    fn value<'a>(env: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        env.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn pip_index_settings_reach_uv_unless_uv_has_its_own() {
        let env = env_of(&[
            ("PIP_INDEX_URL", "https://mirror.example/simple"),
            (
                "PIP_EXTRA_INDEX_URL",
                "https://a.example/simple https://b.example/simple",
            ),
            ("PIP_TRUSTED_HOST", "mirror.example"),
        ]);
        assert_eq!(value(&env, "UV_PYTHON_DOWNLOADS"), Some("never"));
        assert_eq!(
            value(&env, "UV_INDEX_URL"),
            Some("https://mirror.example/simple")
        );
        assert_eq!(
            value(&env, "UV_EXTRA_INDEX_URL"),
            Some("https://a.example/simple https://b.example/simple")
        );
        assert_eq!(value(&env, "UV_INSECURE_HOST"), Some("mirror.example"));

        let env = env_of(&[
            ("PIP_INDEX_URL", "https://mirror.example/simple"),
            ("UV_DEFAULT_INDEX", "https://own.example/simple"),
            ("PIP_EXTRA_INDEX_URL", "https://a.example/simple"),
            ("UV_EXTRA_INDEX_URL", "https://own.example/extra"),
        ]);
        assert_eq!(value(&env, "UV_INDEX_URL"), None);
        assert_eq!(
            value(&env, "UV_EXTRA_INDEX_URL"),
            None,
            "inherited as it is"
        );
    }

    #[test]
    fn a_named_ca_file_is_kept_else_the_system_store_is_trusted() {
        let env = env_of(&[("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")]);
        assert_eq!(value(&env, "SSL_CERT_FILE"), None, "inherited as it is");
        assert_eq!(value(&env, "UV_NATIVE_TLS"), None);

        let env = env_of(&[("PIP_CERT", "/corp/ca.pem")]);
        assert_eq!(value(&env, "SSL_CERT_FILE"), Some("/corp/ca.pem"));
        assert_eq!(value(&env, "UV_NATIVE_TLS"), None);

        let env = env_of(&[("REQUESTS_CA_BUNDLE", "/corp/ca.pem")]);
        assert_eq!(value(&env, "SSL_CERT_FILE"), Some("/corp/ca.pem"));

        assert_eq!(value(&env_of(&[]), "UV_NATIVE_TLS"), Some("1"));
        let own = env_of(&[("UV_NATIVE_TLS", "false")]);
        assert_eq!(value(&own, "UV_NATIVE_TLS"), None, "inherited as it is");
    }

    #[test]
    fn find_links_become_commas_without_missing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let wheels = dir.path().display().to_string();
        let env = env_of(&[(
            "PIP_FIND_LINKS",
            &format!("{wheels} /no/such/folder https://wheels.example/"),
        )]);
        assert_eq!(
            value(&env, "UV_FIND_LINKS"),
            Some(format!("{wheels},https://wheels.example/").as_str())
        );
        let env = env_of(&[("PIP_FIND_LINKS", "/no/such/folder")]);
        assert_eq!(value(&env, "UV_FIND_LINKS"), None);
    }

    #[test]
    fn switches_read_like_flags() {
        for on in ["1", "true", "YES", "on"] {
            assert!(is_on(on), "{on}");
        }
        for off in ["", "0", "false", "No", "off"] {
            assert!(!is_on(off), "{off}");
        }
    }

    #[tokio::test]
    async fn the_lookup_order_is_variable_path_cache() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(root.path().join("cache"));
        let fake_uv = |dir: &Path| {
            std::fs::create_dir_all(dir).unwrap();
            let uv = dir.join("uv");
            std::fs::write(&uv, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&uv, std::fs::Permissions::from_mode(0o755)).unwrap();
            uv
        };
        let cached_uv = fake_uv(&cached_dir(&cache).join("bin"));
        let on_path = fake_uv(&root.path().join("path-bin"));
        let explicit = fake_uv(&root.path().join("explicit"));
        let path = std::env::join_paths([root.path().join("path-bin")]).unwrap();

        let mut lookup = UvLookup {
            explicit: Some(explicit.clone()),
            disabled: false,
            path: Some(path),
        };
        let found = lookup.existing(&cache).unwrap().unwrap();
        assert_eq!((found.path, found.source), (explicit, UvSource::Variable));
        lookup.explicit = None;
        let found = lookup.existing(&cache).unwrap().unwrap();
        assert_eq!((found.path, found.source), (on_path, UvSource::Path));
        assert!(!lookup.will_install(&cache));
        lookup.path = None;
        assert_eq!(
            lookup.existing(&cache).unwrap(),
            None,
            "a cached uv without its ready marker is not used"
        );
        assert!(
            lookup.will_install(&cache),
            "the live view says uv is installed"
        );
        lookup.disabled = true;
        assert!(!lookup.will_install(&cache));
        lookup.disabled = false;
        std::fs::write(cached_dir(&cache).join(READY), "uv 0.0.0\n").unwrap();
        assert!(!lookup.will_install(&cache));
        let found = lookup.existing(&cache).unwrap().unwrap();
        assert_eq!((found.path, found.source), (cached_uv, UvSource::Cache));

        lookup.disabled = true;
        let installer = lookup.find(&cache, Path::new("/no/python")).await.unwrap();
        assert_eq!(
            installer,
            Installer::Pip {
                why: "HARNESS_NO_UV is set".into()
            }
        );
        lookup.disabled = false;
        lookup.explicit = Some(root.path().join("missing-uv"));
        let err = lookup.existing(&cache).unwrap_err().to_string();
        assert!(
            err.contains("HARNESS_UV=") && err.contains("not an executable"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_failed_install_says_why_and_is_not_retried_by_the_same_process() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(root.path());
        let lookup = UvLookup::default();
        let python = root.path().join("no-python");
        let Installer::Pip { why } = lookup.find(&cache, &python).await.unwrap() else {
            panic!("no interpreter, no uv");
        };
        assert!(
            why.starts_with("uv is not on PATH, and installing uv into "),
            "{why}"
        );
        assert!(why.contains("cannot run"), "{why}");
        let Installer::Pip { why: again } = lookup.find(&cache, &python).await.unwrap() else {
            panic!("no interpreter, no uv");
        };
        assert_eq!(why, again);
        assert!(cached(&cached_dir(&cache)).is_none());
    }
}
