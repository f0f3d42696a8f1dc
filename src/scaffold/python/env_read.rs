//! The environment variables a project's migrations read, sorted into the ones that look like the
//! database URL and the others that have no default (which the user has to set).

use std::fmt;

use super::source_text::VariableRead;

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

/// Whether variable `name`, read in `context`, looks like a database URL: its name ends like a URL's
/// (`_URL`, `_URI`, `_DSN`, a connection string) and says database, or its line does; never a value
/// read with a cast to a number or a flag (`DATABASE_POOL_SIZE`, `cast=int`).
pub fn is_url_like(name: &str, context: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let url_shaped = ["URL", "URI", "DSN", "CONNECTION_STRING", "CONN_STRING"]
        .iter()
        .any(|end| upper.ends_with(end));
    if !url_shaped || cast_to_scalar(context) {
        return false;
    }
    // The name says database (`DATABASE_URL`, `ORDERS_DB_URI`, `PG_DSN`), or its line does; a
    // `SENTRY_DSN` or `REDIS_URL` does neither.
    let name_says = ["DATABASE", "DB_URL", "DB_URI", "SQLALCHEMY", "DB_CONN"]
        .iter()
        .any(|part| upper.contains(part))
        || upper.split('_').any(|word| {
            word != "DSN" && DATABASE_WORDS.contains(&word.to_ascii_lowercase().as_str())
        });
    if name_says || upper == "DSN" {
        return true;
    }
    // (The name's own `DSN` on its line says nothing.)
    context
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .any(|word| word != "dsn" && DATABASE_WORDS.contains(&word.as_str()))
}

/// Whether the read converts the value to a number or a flag (`cast=int`, `int(os.environ[...])`).
pub(super) fn cast_to_scalar(context: &str) -> bool {
    let squeezed: String = context.chars().filter(|c| !c.is_whitespace()).collect();
    [
        "cast=int",
        "cast=bool",
        "cast=float",
        "int(os.",
        "float(os.",
        "bool(os.",
        "getint(",
        "getbool(",
        "env.int(",
        "env.bool(",
    ]
    .iter()
    .any(|marker| squeezed.contains(marker))
}

/// One value of the cell a project may read from a variable of its own: a part of the database
/// URL, the engine by name, or a folder it writes files to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellPart {
    Host,
    Port,
    User,
    Password,
    Name,
    /// `user:password` in one variable (`DATABASE_CREDENTIALS`).
    Credentials,
    /// The engine by the harness's word (`postgres`, `mariadb`, `sqlite`): `DB_ENGINE = "sqlite"`
    /// with `'postgres'` among its options.
    Engine,
    /// The engine by SQLAlchemy's dialect name (`postgresql`, `mysql`, `sqlite`).
    Dialect,
    /// A folder the project writes its data to (`DATA_DIR`): the cell's own empty folder.
    Folder,
}

impl CellPart {
    /// The cell variable that holds it.
    pub fn variable(self) -> &'static str {
        match self {
            CellPart::Host => "HARNESS_DATABASE_HOST",
            CellPart::Port => "HARNESS_DATABASE_PORT",
            CellPart::User => "HARNESS_DATABASE_USER",
            CellPart::Password => "HARNESS_DATABASE_PASSWORD",
            CellPart::Name => "HARNESS_DATABASE_NAME",
            CellPart::Credentials => "HARNESS_DATABASE_USER",
            CellPart::Engine => "HARNESS_DATABASE_ENGINE",
            CellPart::Dialect => "HARNESS_DATABASE_DIALECT",
            CellPart::Folder => crate::config::env_vars::CELL_DIR,
        }
    }

    /// The `[project.env]` value that gives a variable this part: `${HARNESS_DATABASE_HOST}`, or
    /// `${HARNESS_DATABASE_USER}:${HARNESS_DATABASE_PASSWORD}` for credentials.
    pub fn value(self) -> String {
        match self {
            CellPart::Credentials => {
                "${HARNESS_DATABASE_USER}:${HARNESS_DATABASE_PASSWORD}".to_string()
            }
            other => format!("${{{}}}", other.variable()),
        }
    }

    /// What the variable gets, for init's comment: "the cell's database host".
    pub fn noun(self) -> &'static str {
        match self {
            CellPart::Host => "the cell's database host",
            CellPart::Port => "the cell's database port",
            CellPart::User => "the cell's database user",
            CellPart::Password => "the cell's database password",
            CellPart::Name => "the cell's database name",
            CellPart::Credentials => "the cell's database user and password",
            CellPart::Engine => "the cell's engine by name (postgres, mariadb, sqlite)",
            CellPart::Dialect => "the cell's engine by dialect name (postgresql, mysql, sqlite)",
            CellPart::Folder => {
                "a folder of the cell's own, so the project writes its files nowhere else"
            }
        }
    }

    /// The value a variable read in `context` (its line) holds besides a URL part: the engine by
    /// name, when its name says engine or dialect and a word of one stands quoted on its line
    /// (`DB_ENGINE: str = "sqlite"  # 'sqlite' or 'postgres'`); a data folder by its name
    /// (`DATA_DIR`, `APP_STORAGE_PATH`, `UPLOAD_FOLDER`).
    pub fn of_read(name: &str, context: &str) -> Option<Self> {
        if let Some(part) = Self::of(name) {
            return Some(part);
        }
        let upper = name.to_ascii_uppercase();
        let words: Vec<&str> = upper.split('_').collect();
        let names_engine = words
            .iter()
            .any(|word| ["ENGINE", "DIALECT", "VENDOR"].contains(word))
            || [
                "DB_TYPE",
                "DATABASE_TYPE",
                "DB_BACKEND",
                "DATABASE_BACKEND",
                "DB_KIND",
            ]
            .iter()
            .any(|part| upper.contains(part));
        let settles_more = words
            .iter()
            .any(|word| ["OPTIONS", "ARGS", "KWARGS", "POOL", "ECHO", "URL", "URI"].contains(word));
        if names_engine && !settles_more {
            let quoted = quoted_words(context);
            let has = |word: &str| quoted.iter().any(|q| q == word);
            if has("postgresql") || has("mysql") {
                return Some(CellPart::Dialect);
            }
            if ["postgres", "mariadb", "sqlite", "sqlite3"]
                .iter()
                .any(|word| has(word))
            {
                return Some(CellPart::Engine);
            }
        }
        let folder = ["DATA", "STORAGE", "UPLOAD", "UPLOADS", "MEDIA"]
            .iter()
            .any(|word| words.contains(word))
            && ["DIR", "PATH", "FOLDER", "ROOT"]
                .iter()
                .any(|end| words.last() == Some(end));
        folder.then_some(CellPart::Folder)
    }

    /// The part a variable named like `DB_HOST`, `POSTGRES_PASSWORD`, `PGDATABASE` or
    /// `MYSQL_DATABASE` holds.
    pub fn of(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        let (prefix, rest) = if let Some(rest) = upper.strip_prefix("PG") {
            ("PG", rest.trim_start_matches('_'))
        } else {
            let at = [
                "DATABASE_",
                "POSTGRESQL_",
                "POSTGRES_",
                "MYSQL_",
                "MARIADB_",
                "DB_",
            ]
            .iter()
            .filter_map(|p| upper.find(p).map(|i| (i, *p)))
            .min_by_key(|(i, p)| (*i, std::cmp::Reverse(p.len())))?;
            let start = at.0;
            // The prefix must start the name or follow an underscore (APP_DB_HOST, not ADDB_HOST).
            if start > 0 && upper.as_bytes()[start - 1] != b'_' {
                return None;
            }
            (at.1, &upper[start + at.1.len()..])
        };
        let _ = prefix;
        match rest {
            "HOST" | "HOSTNAME" | "SERVER" => Some(CellPart::Host),
            "PORT" => Some(CellPart::Port),
            "USER" | "USERNAME" | "LOGIN" => Some(CellPart::User),
            "PASSWORD" | "PASS" | "PWD" => Some(CellPart::Password),
            "NAME" | "DB" | "DATABASE" | "DBNAME" => Some(CellPart::Name),
            "CREDENTIALS" | "CREDS" => Some(CellPart::Credentials),
            _ => None,
        }
    }
}

/// The lower-cased words in quotes on a line: `'sqlite', "postgres"` gives both.
fn quoted_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for quote in ['"', '\''] {
        let mut parts = line.split(quote);
        parts.next();
        while let Some(inside) = parts.next() {
            words.push(inside.trim().to_ascii_lowercase());
            parts.next();
        }
    }
    words
}

/// Whether a variable the settings require, by its name, is a secret a throwaway value serves
/// (`SECRET_KEY`, `API_TOKEN`, `PASSWORD_SALT`), as opposed to a value only the owner knows.
pub fn is_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["SECRET", "KEY", "TOKEN", "SALT", "PASSWORD"]
        .iter()
        .any(|word| upper.split('_').any(|part| part == *word))
        || upper.ends_with("SECRET")
}

/// Reads gathered from several files, one entry per variable.
#[derive(Debug, Default)]
pub struct EnvReads {
    pub url: Vec<EnvRead>,
    pub required: Vec<EnvRead>,
    /// Variables holding one part of the database URL, with or without a default.
    pub parts: Vec<(EnvRead, CellPart)>,
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
            if let Some(part) = CellPart::of_read(&read.name, &read.context) {
                if !self.parts.iter().any(|(r, _)| r.name == read.name) {
                    self.required.retain(|r| r.name != read.name);
                    self.parts.push((entry, part));
                }
            } else if let Some(known) = known_url {
                known.has_default &= read.has_default;
            } else if is_url_like(&read.name, &read.context)
                || (file.ends_with("env.py")
                    && !cast_to_scalar(&read.context)
                    && is_url_like(&read.name, "database"))
            {
                // In Alembic's env.py, a URL-shaped variable is the database's.
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
        assert!(
            !is_url_like(
                "SENTRY_DSN",
                "SENTRY_DSN = config(\"SENTRY_DSN\", default=None)"
            ),
            "an error tracker's DSN is no database"
        );
        assert!(
            !is_url_like(
                "DATABASE_POOL_SIZE",
                "DATABASE_POOL_SIZE = config('DATABASE_POOL_SIZE', cast=int, default=5)"
            ),
            "a number near the URL"
        );
        assert!(!is_url_like(
            "DATABASE_URL",
            "URL = config('DATABASE_URL', cast=bool)"
        ));
    }

    #[test]
    fn url_parts_and_secrets_are_told_apart_by_name() {
        for (name, part) in [
            ("DB_HOST", Some(CellPart::Host)),
            ("APP_DB_PORT", Some(CellPart::Port)),
            ("POSTGRES_USER", Some(CellPart::User)),
            ("POSTGRES_PASSWORD", Some(CellPart::Password)),
            ("POSTGRES_DB", Some(CellPart::Name)),
            ("MYSQL_DATABASE", Some(CellPart::Name)),
            ("PGHOST", Some(CellPart::Host)),
            ("PGDATABASE", Some(CellPart::Name)),
            ("DATABASE_NAME", Some(CellPart::Name)),
            ("DATABASE_CREDENTIALS", Some(CellPart::Credentials)),
            ("DATABASE_URL", None),
            ("REDIS_HOST", None),
            ("DB_POOL_SIZE", None),
        ] {
            assert_eq!(CellPart::of(name), part, "{name}");
        }
        for name in [
            "SECRET_KEY",
            "REDASH_COOKIE_SECRET",
            "API_TOKEN",
            "PASSWORD_SALT",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in ["APP_ENV", "KEYCLOAK_REALM", "DEBUG"] {
            assert!(!is_secret(name), "{name}");
        }
    }

    #[test]
    fn the_engine_by_name_and_a_data_folder_are_told_by_name_and_line() {
        for (name, context, part) in [
            (
                "DB_ENGINE",
                "DB_ENGINE: str = \"sqlite\"  # Options: 'sqlite', 'postgres'",
                Some(CellPart::Engine),
            ),
            (
                "DATABASE_DIALECT",
                "DATABASE_DIALECT = os.getenv('DATABASE_DIALECT', 'postgresql')",
                Some(CellPart::Dialect),
            ),
            (
                "DB_TYPE",
                "DB_TYPE = env('DB_TYPE', 'mysql')",
                Some(CellPart::Dialect),
            ),
            (
                "SQLALCHEMY_ENGINE_OPTIONS",
                "SQLALCHEMY_ENGINE_OPTIONS = {'sqlite': {}}",
                None,
            ),
            ("DB_ENGINE", "DB_ENGINE = os.getenv('DB_ENGINE')", None),
            (
                "DATA_DIR",
                "DATA_DIR = os.getenv('DATA_DIR')",
                Some(CellPart::Folder),
            ),
            ("APP_STORAGE_PATH", "", Some(CellPart::Folder)),
            ("UPLOAD_FOLDER", "", Some(CellPart::Folder)),
            ("DATA_RETENTION_DAYS", "", None),
            ("LOG_DIR", "", None),
            ("POSTGRES_SERVER", "", Some(CellPart::Host)),
        ] {
            assert_eq!(CellPart::of_read(name, context), part, "{name}");
        }
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
        assert_eq!(required, ["SECRET_KEY (app/config.py:10)"]);
        let parts: Vec<String> = reads.parts.iter().map(|(r, _)| r.to_string()).collect();
        assert_eq!(parts, ["DB_HOST (migrations/env.py:5)"]);
    }
}
