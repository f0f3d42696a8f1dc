//! The environment variables a project's migrations read, sorted into the ones that look like the
//! database URL and the others that have no default (which the user has to set).

use std::fmt;

use super::python_file::VariableRead;

/// Words that, on the line of a `*_URL`/`*_URI` read, say the URL is a database's.
const DATABASE_WORDS: &[&str] = &[
    "alembic",
    "asyncpg",
    "database",
    "databases",
    "db",
    "dsn",
    "engine",
    "mariadb",
    "mssql",
    "mysql",
    "oracle",
    "orm",
    "pg",
    "postgres",
    "postgresql",
    "psycopg",
    "psycopg2",
    "sqlalchemy",
    "sqlite",
];

/// One environment variable read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    /// The variable, e.g. `APP_DATABASE_URL`.
    pub name: String,
    /// The file reading it, relative to the root, with `/`.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// Every read found falls back to a value when the variable is unset.
    pub has_default: bool,
}

impl fmt::Display for EnvRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.name, self.file, self.line)
    }
}

/// Whether variable `name`, read in `context`, looks like a database URL.
pub fn is_url_like(name: &str, context: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if ["DATABASE", "DB_URL", "DB_URI", "SQLALCHEMY", "_DSN"]
        .iter()
        .any(|part| upper.contains(part))
        || upper == "DSN"
    {
        return true;
    }
    (upper.ends_with("_URL") || upper.ends_with("_URI"))
        && context
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| DATABASE_WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

/// Reads gathered from several files, one entry per variable.
#[derive(Debug, Default)]
pub struct EnvReads {
    pub url: Vec<EnvRead>,
    pub required: Vec<EnvRead>,
}

impl EnvReads {
    /// Adds the reads of `file` (relative to the root): a URL-like variable once, at its first
    /// read; another variable once, at its first read without a default.
    pub fn add(&mut self, file: &str, reads: &[VariableRead]) {
        for read in reads {
            let entry = EnvRead {
                name: read.name.clone(),
                file: file.to_string(),
                line: read.line,
                has_default: read.has_default,
            };
            let known_url = self.url.iter_mut().find(|r| r.name == read.name);
            if let Some(known) = known_url {
                known.has_default &= read.has_default;
            } else if is_url_like(&read.name, &read.context) {
                self.required.retain(|r| r.name != read.name);
                self.url.push(entry);
            } else if !read.has_default && !self.required.iter().any(|r| r.name == read.name) {
                self.required.push(entry);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_say_database() {
        for name in [
            "DATABASE_URL",
            "APP_DATABASE_URL",
            "SQLALCHEMY_DATABASE_URI",
            "DB_URL",
            "ORDERS_DB_URI",
            "PG_DSN",
            "DSN",
            "database_url",
        ] {
            assert!(is_url_like(name, ""), "{name}");
        }
    }

    #[test]
    fn other_urls_need_a_database_on_their_line() {
        assert!(!is_url_like(
            "REDIS_URL",
            "cache = redis.from_url(os.environ['REDIS_URL'])"
        ));
        assert!(is_url_like(
            "APP_URL",
            "config.set_main_option('sqlalchemy.url', os.environ['APP_URL'])"
        ));
        assert!(is_url_like(
            "POSTGRES_URL",
            "url = os.environ['POSTGRES_URL']"
        ));
        assert!(is_url_like(
            "WAREHOUSE_URI",
            "engine = create_engine(os.getenv('WAREHOUSE_URI'))"
        ));
        assert!(
            !is_url_like("FEEDBACK_URL", "feedback = os.getenv('FEEDBACK_URL')"),
            "db inside a word"
        );
        assert!(
            !is_url_like("DB_HOST", "host = os.environ['DB_HOST']"),
            "not a URL"
        );
    }

    fn read(name: &str, line: usize, has_default: bool) -> VariableRead {
        VariableRead {
            name: name.to_string(),
            line,
            has_default,
            context: String::new(),
        }
    }

    #[test]
    fn one_entry_per_variable() {
        let mut reads = EnvReads::default();
        reads.add(
            "migrations/env.py",
            &[
                read("DATABASE_URL", 3, true),
                read("SECRET_KEY", 4, true),
                read("DB_HOST", 5, false),
            ],
        );
        reads.add(
            "app/config.py",
            &[
                read("DATABASE_URL", 9, false),
                read("SECRET_KEY", 10, false),
                read("DB_HOST", 11, false),
            ],
        );
        let url: Vec<String> = reads
            .url
            .iter()
            .map(|r| format!("{r} {}", r.has_default))
            .collect();
        assert_eq!(url, ["DATABASE_URL (migrations/env.py:3) false"]);
        let required: Vec<String> = reads.required.iter().map(ToString::to_string).collect();
        assert_eq!(
            required,
            [
                "DB_HOST (migrations/env.py:5)",
                "SECRET_KEY (app/config.py:10)"
            ]
        );
    }
}
