//! Which image a container engine runs and how its server is started in it. The image comes from
//! `HARNESS_IMAGE_<ENTRY>`, else `image` in harness.toml, else the official image of the engine and
//! version. The flavour (how to start the server) comes from `flavour` in harness.toml, else the
//! image's `dev.harness.flavour` label, else `official`.

use crate::config::{DatabaseSpec, EngineKind, ImageFlavour};
use crate::dialect::Family;
use crate::docker::{ImageRef, split_reference};

/// The image label that tells the harness how to start the server in an image.
pub const LABEL_FLAVOUR: &str = "dev.harness.flavour";

/// The user and password of every server the harness starts itself (reachable on loopback only).
pub const PASSWORD: &str = "harness";

/// The image an entry runs, and where that choice came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChoice {
    pub reference: String,
    /// `HARNESS_IMAGE_POSTGRES_17`, `harness.toml` or `default`.
    pub origin: String,
    /// Set when configured in harness.toml; else read from the image label at start.
    pub flavour: Option<ImageFlavour>,
}

impl ImageChoice {
    /// The configured image for `spec`, with `env` giving the environment (for tests).
    pub fn configured(spec: &DatabaseSpec, env: impl Fn(&str) -> Option<String>) -> Self {
        let name = match spec.engine {
            EngineKind::Postgres => "postgres",
            EngineKind::Mariadb => "mariadb",
            EngineKind::Mysql => "mysql",
            EngineKind::Sqlite => "sqlite",
        };
        let chosen = ImageRef::choose(
            format!("HARNESS_IMAGE_{}", spec.env_suffix()),
            env,
            spec.settings.image.as_deref(),
            || format!("{name}:{}", spec.version.as_deref().unwrap_or("latest")),
        );
        Self {
            reference: chosen.reference,
            origin: chosen.origin,
            flavour: spec.settings.flavour,
        }
    }

    /// `(name, tag)` as the container library wants them.
    pub fn name_and_tag(&self) -> (String, String) {
        split_reference(&self.reference)
    }
}

/// How to start a server in a container: its port, environment and command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub family: Family,
    pub port: u16,
    pub user: &'static str,
    /// The database the harness connects to for creating cell databases.
    pub maintenance: &'static str,
    pub env: Vec<(String, String)>,
    /// The command; empty keeps the image's own.
    pub cmd: Vec<String>,
}

/// The launch recipe for an engine kind and flavour; `None` for SQLite, which runs in process.
pub fn launch(kind: EngineKind, flavour: ImageFlavour) -> Option<Launch> {
    let family = Family::of(kind)?;
    Some(match (family, flavour) {
        (Family::Postgres, ImageFlavour::Official) => Launch {
            family,
            port: 5432,
            user: "postgres",
            maintenance: "postgres",
            env: vec![("POSTGRES_PASSWORD".into(), PASSWORD.into())],
            cmd: [
                "postgres",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
            .map(String::from)
            .to_vec(),
        },
        (Family::Mysql, ImageFlavour::Official) => {
            let variable = if kind == EngineKind::Mysql {
                "MYSQL_ROOT_PASSWORD"
            } else {
                "MARIADB_ROOT_PASSWORD"
            };
            Launch {
                family,
                port: 3306,
                user: "root",
                maintenance: "mysql",
                env: vec![(variable.into(), PASSWORD.into())],
                cmd: vec!["--innodb-flush-log-at-trx-commit=0".into()],
            }
        }
        (Family::Postgres, ImageFlavour::Debian) => Launch {
            family,
            port: 5432,
            user: "postgres",
            maintenance: "postgres",
            env: vec![("HARNESS_PASSWORD".into(), PASSWORD.into())],
            cmd: vec!["sh".into(), "-c".into(), DEBIAN_POSTGRES.into()],
        },
        (Family::Mysql, ImageFlavour::Debian) => Launch {
            family,
            port: 3306,
            user: "root",
            maintenance: "mysql",
            env: vec![("HARNESS_PASSWORD".into(), PASSWORD.into())],
            cmd: vec!["sh".into(), "-c".into(), DEBIAN_MARIADB.into()],
        },
    })
}

/// Initialises and starts the newest PostgreSQL of a Debian system (packages `postgresql`).
const DEBIAN_POSTGRES: &str = r#"set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=/var/lib/harness/pg
mkdir -p "$data" /run/harness
printf '%s\n' "$HARNESS_PASSWORD" > /run/harness/pw
chown -R postgres:postgres /var/lib/harness /run/harness
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
as_postgres "$bin/initdb" -D "$data" -U postgres --pwfile=/run/harness/pw --auth-local=trust \
    --auth-host=md5 -E UTF8 --locale=C --no-sync >/run/harness/initdb.log 2>&1 \
    || { cat /run/harness/initdb.log >&2; exit 1; }
printf 'host all all 0.0.0.0/0 md5\nhost all all ::/0 md5\n' >> "$data/pg_hba.conf"
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$data" \
    -c listen_addresses='*' -c port=5432 -c unix_socket_directories=/run/harness \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off
"#;

/// Initialises and starts MariaDB (or MySQL) of a Debian system (package `mariadb-server`); its
/// root password comes from `$HARNESS_PASSWORD`. Public so a test can start the same server
/// outside the harness.
pub const DEBIAN_MARIADB: &str = r#"set -eu
data=/var/lib/harness/mysql
mkdir -p "$data" /run/mysqld /run/harness
cat > /run/harness/init.sql <<SQL
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$HARNESS_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
chown -R mysql:mysql /var/lib/harness /run/mysqld /run/harness
install_db=$(command -v mariadb-install-db || command -v mysql_install_db)
server=$(command -v mariadbd || command -v mysqld || echo /usr/sbin/mysqld)
"$install_db" --user=mysql --datadir="$data" --auth-root-authentication-method=normal \
    --skip-test-db >/run/harness/install.log 2>&1 || { cat /run/harness/install.log >&2; exit 1; }
exec "$server" --user=mysql --datadir="$data" --bind-address=0.0.0.0 --port=3306 \
    --skip-name-resolve --init-file=/run/harness/init.sql --innodb-flush-log-at-trx-commit=0 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseSpec;

    fn spec(text: &str) -> DatabaseSpec {
        DatabaseSpec::parse(text).unwrap()
    }

    #[test]
    fn the_official_image_is_the_default() {
        let choice = ImageChoice::configured(&spec("postgres:17"), |_| None);
        assert_eq!(choice.reference, "postgres:17");
        assert_eq!(choice.origin, "default");
        assert_eq!(
            ImageChoice::configured(&spec("mariadb:11"), |_| None).reference,
            "mariadb:11"
        );
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut db = spec("postgres:17");
        db.settings.image = Some("registry.example.com/pg:17".into());
        let from_file = ImageChoice::configured(&db, |_| None);
        assert_eq!(from_file.reference, "registry.example.com/pg:17");
        assert_eq!(from_file.origin, "harness.toml");
        let from_env = ImageChoice::configured(&db, |name| {
            (name == "HARNESS_IMAGE_POSTGRES_17").then(|| "harness-local/debian:trixie".into())
        });
        assert_eq!(from_env.reference, "harness-local/debian:trixie");
        assert_eq!(from_env.origin, "HARNESS_IMAGE_POSTGRES_17");
    }

    #[test]
    fn splits_name_and_tag() {
        let split = |reference: &str| {
            ImageChoice {
                reference: reference.into(),
                origin: String::new(),
                flavour: None,
            }
            .name_and_tag()
        };
        assert_eq!(split("postgres:17"), ("postgres".into(), "17".into()));
        assert_eq!(
            split("localhost:5000/team/pg:17-alpine"),
            ("localhost:5000/team/pg".into(), "17-alpine".into())
        );
        assert_eq!(
            split("localhost:5000/pg"),
            ("localhost:5000/pg".into(), "latest".into())
        );
    }

    #[test]
    fn official_images_get_their_entrypoint_variables() {
        let pg = launch(EngineKind::Postgres, ImageFlavour::Official).unwrap();
        assert_eq!(pg.env[0].0, "POSTGRES_PASSWORD");
        let maria = launch(EngineKind::Mariadb, ImageFlavour::Official).unwrap();
        assert_eq!(maria.env[0].0, "MARIADB_ROOT_PASSWORD");
        assert_eq!(maria.family, Family::Mysql);
        let mysql = launch(EngineKind::Mysql, ImageFlavour::Official).unwrap();
        assert_eq!(mysql.env[0].0, "MYSQL_ROOT_PASSWORD");
        let debian = launch(EngineKind::Postgres, ImageFlavour::Debian).unwrap();
        assert_eq!(debian.cmd[0], "sh");
        assert_eq!(debian.family, Family::Postgres);
        assert_eq!(launch(EngineKind::Sqlite, ImageFlavour::Official), None);
    }
}
