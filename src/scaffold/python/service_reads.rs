//! The variables a project reads the address of a service from (Redis): what init points at the
//! service the run starts.

use std::path::Path;

use super::env_read::{EnvRead, cast_to_scalar};
use super::python_file::PythonFile;

/// Folders whose sources are not the app's settings.
const NOT_SETTINGS: &[&str] = &[
    "tests",
    "test",
    "migrations",
    "versions",
    "docs",
    "examples",
];

/// The variables the project's Python sources below `root` read a Redis URL from: a URL-shaped
/// name that says Redis (`REDIS_URL`, `APP_REDIS_URI`, `CELERY_BROKER_URL` read with a `redis://`
/// default), never one read with a cast to a number or a flag. One entry per variable, at its
/// first read, in file order.
pub fn redis_url_reads(root: &Path) -> Vec<EnvRead> {
    let mut found: Vec<EnvRead> = Vec::new();
    for path in crate::scaffold::engines::walk(root) {
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let in_settings = rel.extension().is_some_and(|ext| ext == "py")
            && !rel
                .components()
                .any(|part| NOT_SETTINGS.contains(&part.as_os_str().to_string_lossy().as_ref()));
        if !in_settings {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !source.contains("edis") {
            continue;
        }
        let file = rel
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        for read in PythonFile::parse(&source).reads {
            if is_redis_url(&read.name, &read.context) && !found.iter().any(|r| r.name == read.name)
            {
                found.push(EnvRead {
                    name: read.name.clone(),
                    file: file.clone(),
                    line: read.line,
                    has_default: read.has_default,
                });
            }
        }
    }
    found
}

/// Whether `name`, read in `context`, holds a Redis URL.
fn is_redis_url(name: &str, context: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let url_shaped = ["URL", "URI", "DSN"].iter().any(|end| upper.ends_with(end));
    let says_redis =
        upper.contains("REDIS") || context.contains("redis://") || context.contains("rediss://");
    url_shaped && says_redis && !cast_to_scalar(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_are_found_by_name_or_default_and_never_in_tests() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "app/settings.py",
            "import os\n_URL = os.environ.get('APP_REDIS_URL', os.environ.get('REDIS_URL', 'redis://localhost:6379/0'))\nBROKER = os.getenv('CELERY_BROKER_URL', 'redis://localhost:6379/1')\nDB = os.getenv('DATABASE_URL', 'postgresql://x')\nTTL = int(os.getenv('REDIS_TTL_URL', '5'))\n",
        );
        write(
            "tests/conftest.py",
            "import os\nos.environ.get('TEST_REDIS_URL')\n",
        );
        let names: Vec<String> = redis_url_reads(root.path())
            .into_iter()
            .map(|read| read.name)
            .collect();
        assert_eq!(names, ["APP_REDIS_URL", "REDIS_URL", "CELERY_BROKER_URL"]);
    }
}
