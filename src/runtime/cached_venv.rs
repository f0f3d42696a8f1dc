//! The environments the cache holds, for `harness cache`: what each is (runtime, Python, key, the
//! requirements' hash), its size on disk and when a run last used it; and removing one, moved out
//! of the way first so that no run finds it half removed. Touches nothing outside `venvs/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::CacheDir;
use super::venv::{FREEZE, READY, parse_freeze};

/// An environment in `<cache>/venvs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedVenv {
    /// The folder's name, `python-3.12.1-<key>`: what `harness cache` lists and filters match.
    pub name: String,
    pub dir: PathBuf,
    /// `python:3.12`.
    pub runtime: String,
    /// `3.12.1`.
    pub version: String,
    /// The 16 hex digits of interpreter and requirements.
    pub key: String,
    /// The interpreter it was made from, when recorded.
    pub interpreter: Option<PathBuf>,
    /// The short hash of the requirements it was built with, when recorded.
    pub requirements: Option<String>,
    /// How many distributions it holds, when recorded.
    pub packages: Option<usize>,
    /// False for the leftover of a build of an older layout (never used, replaced when needed).
    pub complete: bool,
    pub usage: DiskUsage,
    /// When a run last used it: the folder's modification time.
    pub last_used: SystemTime,
}

/// Bytes on disk (allocated blocks, each file counted once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskUsage {
    pub total: u64,
    /// What removing it frees: files with no hard link outside it (uv links the files of an
    /// environment from its own cache, which keeps them).
    pub own: u64,
}

impl std::ops::AddAssign for DiskUsage {
    fn add_assign(&mut self, other: Self) {
        self.total += other.total;
        self.own += other.own;
    }
}

/// The environments of the cache, sorted by name; none when `venvs/` does not exist. Scratch
/// folders (`.building-*`) and anything not named as an environment are left out.
pub fn cached_venvs(cache: &CacheDir) -> std::io::Result<Vec<CachedVenv>> {
    let venvs = cache.venvs();
    let entries = match std::fs::read_dir(&venvs) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((version, key)) = parse_name(&name) else {
            continue;
        };
        // One being removed meanwhile is skipped.
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let Ok(last_used) = meta.modified() else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let dir = entry.path();
        let ready = std::fs::read_to_string(dir.join(READY)).ok();
        let freeze = std::fs::read_to_string(dir.join(FREEZE)).ok();
        found.push(CachedVenv {
            runtime: format!("python:{}", minor(version)),
            version: version.to_string(),
            key: key.to_string(),
            interpreter: ready
                .as_deref()
                .and_then(|text| text.lines().next())
                .filter(|line| !line.trim().is_empty())
                .map(PathBuf::from),
            requirements: ready.as_deref().and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix("requirements "))
                    .map(|hash| hash.trim().to_string())
            }),
            packages: freeze.map(|text| parse_freeze(&text).len()),
            complete: ready.is_some(),
            usage: disk_usage(&dir),
            last_used,
            name,
            dir,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// What the cache folder holds besides its environments: the tools the harness installed (uv),
/// tool entry points, image use records, scratch folders.
pub fn other_usage(cache: &CacheDir) -> DiskUsage {
    let mut usage = DiskUsage::default();
    let Ok(entries) = std::fs::read_dir(cache.root()) else {
        return usage;
    };
    for entry in entries.flatten() {
        if entry.path() != cache.venvs() {
            usage += disk_usage(&entry.path());
        }
    }
    if let Ok(entries) = std::fs::read_dir(cache.venvs()) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if parse_name(&name.to_string_lossy()).is_none() {
                usage += disk_usage(&entry.path());
            }
        }
    }
    usage
}

impl CachedVenv {
    /// Removes the environment: renamed to a `.removing-*` folder beside it first (a run that
    /// starts meanwhile builds a new one rather than use half of this one), then deleted. Refuses
    /// anything but a folder named as an environment directly in `cache`'s `venvs/`.
    pub fn remove(&self, cache: &CacheDir) -> std::io::Result<()> {
        let venvs = cache.venvs();
        let named = self.dir.file_name().and_then(|name| name.to_str());
        let in_cache = self.dir.parent() == Some(venvs.as_path())
            && named.is_some_and(|name| name == self.name && parse_name(name).is_some());
        if !in_cache || !self.dir.symlink_metadata()?.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not an environment of the cache {}",
                self.dir.display(),
                venvs.display()
            )));
        }
        let nonce = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let doomed = venvs.join(format!(
            ".removing-{}-{}-{nonce}",
            self.name,
            std::process::id()
        ));
        std::fs::rename(&self.dir, &doomed)?;
        std::fs::remove_dir_all(&doomed)
    }
}

/// `python-3.12.1-0123456789abcdef` as (`3.12.1`, `0123456789abcdef`).
fn parse_name(name: &str) -> Option<(&str, &str)> {
    let (version, key) = name.strip_prefix("python-")?.rsplit_once('-')?;
    let key_ok = key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit());
    let version_ok = version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'+');
    (key_ok && version_ok).then_some((version, key))
}

/// `3.12` of `3.12.1`.
fn minor(version: &str) -> &str {
    match version.match_indices('.').nth(1) {
        Some((at, _)) => &version[..at],
        None => version,
    }
}

/// The blocks allocated under `path` (symbolic links are not followed), each file counted once;
/// `own` leaves out files with hard links outside `path`.
pub fn disk_usage(path: &Path) -> DiskUsage {
    use std::os::unix::fs::MetadataExt;
    let mut usage = DiskUsage::default();
    // (device, inode) of files with several links: (links found here, links in all, bytes).
    let mut linked: HashMap<(u64, u64), (u64, u64, u64)> = HashMap::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(meta) = next.symlink_metadata() else {
            continue;
        };
        let bytes = meta.blocks() * 512;
        if meta.is_dir() {
            usage.total += bytes;
            usage.own += bytes;
            if let Ok(entries) = std::fs::read_dir(&next) {
                pending.extend(entries.flatten().map(|entry| entry.path()));
            }
        } else if meta.nlink() > 1 {
            linked
                .entry((meta.dev(), meta.ino()))
                .or_insert((0, meta.nlink(), bytes))
                .0 += 1;
        } else {
            usage.total += bytes;
            usage.own += bytes;
        }
    }
    for (found, links, bytes) in linked.into_values() {
        usage.total += bytes;
        if found >= links {
            usage.own += bytes;
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_named_by_version_and_key() {
        assert_eq!(
            parse_name("python-3.12.1-0123456789abcdef"),
            Some(("3.12.1", "0123456789abcdef"))
        );
        assert_eq!(
            parse_name("python-3.13.0rc1-0123456789abcdef"),
            Some(("3.13.0rc1", "0123456789abcdef"))
        );
        for other in [
            ".building-0123456789abcdef-xyz",
            "python-3.12.1-0123",
            "python--0123456789abcdef",
            "python-../x-0123456789abcdef",
            "notes.txt",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
        assert_eq!(minor("3.12.1"), "3.12");
        assert_eq!(minor("3.13"), "3.13");
    }

    #[test]
    fn listing_reads_what_a_build_recorded_and_removal_stays_in_the_cache() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(root.path());
        let venv = cache.venvs().join("python-3.12.1-0123456789abcdef");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(
            venv.join(READY),
            "/usr/bin/python3.12\n3.12.1\nuv at /usr/bin/uv (from PATH)\nrequirements 00112233aabbccdd\n",
        )
        .unwrap();
        std::fs::write(venv.join(FREEZE), "alembic==1.13.3\nMako==1.3.5\n").unwrap();
        std::fs::write(venv.join("bin/shared"), vec![7u8; 64 * 1024]).unwrap();
        std::fs::hard_link(venv.join("bin/shared"), root.path().join("outside")).unwrap();
        std::fs::write(venv.join("bin/own"), vec![7u8; 64 * 1024]).unwrap();
        std::fs::create_dir_all(cache.venvs().join(".building-0123456789abcdef-x")).unwrap();
        std::fs::create_dir_all(cache.tools().join("uv")).unwrap();

        let listed = cached_venvs(&cache).unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        let found = &listed[0];
        assert_eq!(
            (
                found.runtime.as_str(),
                found.version.as_str(),
                found.key.as_str()
            ),
            ("python:3.12", "3.12.1", "0123456789abcdef")
        );
        assert_eq!(found.requirements.as_deref(), Some("00112233aabbccdd"));
        assert_eq!(found.packages, Some(2));
        assert_eq!(
            found.interpreter.as_deref(),
            Some(Path::new("/usr/bin/python3.12"))
        );
        assert!(found.complete);
        assert!(
            found.usage.total >= found.usage.own + 64 * 1024,
            "the hard-linked file is not its own: {:?}",
            found.usage
        );
        assert!(found.usage.own >= 64 * 1024, "{:?}", found.usage);

        let mut elsewhere = found.clone();
        elsewhere.dir = root.path().join("python-3.12.1-0123456789abcdef");
        std::fs::create_dir_all(&elsewhere.dir).unwrap();
        assert!(elsewhere.remove(&cache).is_err(), "outside venvs/");
        assert!(elsewhere.dir.is_dir());

        found.remove(&cache).unwrap();
        assert!(!venv.exists());
        assert!(cached_venvs(&cache).unwrap().is_empty());
        assert!(
            root.path().join("outside").is_file(),
            "the other link stays"
        );
        let mut left: Vec<String> = std::fs::read_dir(cache.venvs())
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".building-0123456789abcdef-x"]);
        assert!(other_usage(&cache).total > 0);
    }

    #[test]
    fn a_missing_cache_holds_no_environments() {
        let cache = CacheDir::new("/no/such/harness-cache");
        assert!(cached_venvs(&cache).unwrap().is_empty());
        assert_eq!(other_usage(&cache), DiskUsage::default());
    }
}
