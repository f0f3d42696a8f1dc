//! Introspection per engine over a schema that uses every object kind the model knows, against
//! committed snapshots; and the text does not depend on the order objects were created in.
//!
//! Needs a Docker engine and the images named by HARNESS_IMAGE_* (scripts/setup/20-engines.sh).

use std::sync::Arc;
use std::time::Instant;

use harness::config::DatabaseSpec;
use harness::database::{self, Engine};
use harness::introspect;
use harness::snapshot::{RenderOptions, render};

/// Statement groups in dependency order; statements inside a group do not depend on each other.
const POSTGRES: &[&[&str]] = &[
    &[
        "CREATE EXTENSION IF NOT EXISTS citext",
        "CREATE SCHEMA audit",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE SEQUENCE invoice_numbers START 1000 INCREMENT 10",
        "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
         INSERT INTO alembic_version VALUES ('0001')",
    ],
    &[
        "CREATE TABLE teams (id serial PRIMARY KEY, name citext NOT NULL UNIQUE, \
       founded date DEFAULT CURRENT_DATE, \
       CONSTRAINT teams_name_len CHECK (length(name::text) > 1))",
    ],
    &[
        "CREATE TABLE players (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
       team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE ON UPDATE RESTRICT, \
       name text NOT NULL, rating integer NOT NULL DEFAULT 1000, feeling mood, email text, \
       invoice integer DEFAULT nextval('invoice_numbers'), \
       doubled integer GENERATED ALWAYS AS (rating * 2) STORED, \
       CONSTRAINT players_team_name UNIQUE (team_id, name))",
    ],
    &[
        "CREATE INDEX ix_players_lower_email ON players (lower(email))",
        "CREATE INDEX ix_players_active ON players (rating) WHERE rating > 0",
        "CREATE INDEX ix_players_name_hash ON players USING hash (name)",
        "CREATE TABLE audit.events (id serial PRIMARY KEY, \
         player_id bigint REFERENCES players (id) ON DELETE SET NULL, \
         at timestamptz NOT NULL DEFAULT now())",
        "CREATE VIEW strong_players AS SELECT id, name FROM players WHERE rating > 1500",
        "CREATE MATERIALIZED VIEW team_sizes AS \
         SELECT team_id, count(*) AS n FROM players GROUP BY team_id",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RETURN NEW; END $$; \
         CREATE TRIGGER players_touch BEFORE UPDATE ON players \
         FOR EACH ROW EXECUTE FUNCTION touch()",
    ],
];

const MARIADB: &[&[&str]] = &[
    &[
        "CREATE SEQUENCE invoice_numbers START WITH 1000 INCREMENT BY 10",
        "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
         INSERT INTO alembic_version VALUES ('0001')",
        "CREATE TABLE teams (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, \
         founded DATE DEFAULT (CURRENT_DATE), \
         CONSTRAINT teams_name_len CHECK (CHAR_LENGTH(name) > 1), \
         UNIQUE KEY uq_teams_name (name))",
    ],
    &[
        "CREATE TABLE players (id BIGINT AUTO_INCREMENT PRIMARY KEY, team_id INT NOT NULL, \
       name VARCHAR(100) NOT NULL, rating INT NOT NULL DEFAULT 1000, \
       feeling ENUM('sad', 'ok', 'happy'), email VARCHAR(255), \
       doubled INT AS (rating * 2) STORED, \
       CONSTRAINT fk_players_team FOREIGN KEY (team_id) REFERENCES teams (id) \
         ON DELETE CASCADE ON UPDATE RESTRICT, \
       UNIQUE KEY uq_players_team_name (team_id, name), \
       KEY ix_players_email_prefix (email(20)), FULLTEXT KEY ft_players_name (name))",
    ],
    &[
        "CREATE VIEW strong_players AS SELECT id, name FROM players WHERE rating > 1500",
        "CREATE TRIGGER players_touch BEFORE UPDATE ON players \
         FOR EACH ROW SET NEW.rating = NEW.rating",
        "CREATE INDEX ix_players_rating ON players (rating)",
    ],
];

/// Creates the schema in a fresh database, groups in order, each group's statements in `order`.
async fn build(engine: &Arc<dyn Engine>, groups: &[&[&str]], reversed: bool) -> String {
    let started = Instant::now();
    let database = engine.create().await.expect("a cell database");
    eprintln!(
        "{}: cell database created in {:.1} ms",
        engine.spec(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    for group in groups {
        let mut statements: Vec<&str> = group.to_vec();
        if reversed {
            statements.reverse();
        }
        for statement in statements {
            engine
                .execute(&database, statement)
                .await
                .unwrap_or_else(|err| panic!("{statement}: {err}"));
        }
    }
    let schema = introspect::inspect(&database, Some("alembic_version"))
        .await
        .expect("introspection");
    render(
        &schema,
        RenderOptions {
            version_table: true,
        },
    )
}

async fn start(entry: &str) -> Arc<dyn Engine> {
    let spec = DatabaseSpec::parse(entry).expect("a database entry");
    let started = Instant::now();
    let engine = database::start(&spec, None)
        .await
        .unwrap_or_else(|err| panic!("{entry}: {err}"));
    eprintln!(
        "{entry}: {} ready in {:.2} s",
        engine.info().backend,
        started.elapsed().as_secs_f64()
    );
    engine
}

async fn check(entry: &str, groups: &[&[&str]], name: &str) {
    let engine = start(entry).await;
    let forward = build(&engine, groups, false).await;
    let backward = build(&engine, groups, true).await;
    let warnings = engine.shutdown().await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(forward, backward, "the text depends on creation order");
    insta::assert_snapshot!(name, forward);
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn postgres_17_in_a_container() {
    check("postgres:17", POSTGRES, "postgres_17").await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn postgres_13_in_a_container() {
    check("postgres:13", POSTGRES, "postgres_13").await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn postgres_15_as_a_local_cluster() {
    // SAFETY-free: the variable is read by the harness when it starts this entry.
    let spec = {
        let mut spec = DatabaseSpec::parse("postgres:15").expect("entry");
        spec.settings.backend = harness::config::BackendChoice::Local;
        spec
    };
    let engine = database::start(&spec, None).await.expect("a local cluster");
    assert_eq!(engine.info().backend, "local");
    let forward = build(&engine, POSTGRES, false).await;
    let backward = build(&engine, POSTGRES, true).await;
    let warnings = engine.shutdown().await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(forward, backward, "the text depends on creation order");
    insta::assert_snapshot!("postgres_15", forward);
}

/// A version table env.py keeps in a schema of its own (`version_table_schema`) is the version
/// table under its bare name when it is the only one; with two schemas holding one, the bare name
/// takes neither and `schema.name` picks.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn a_version_table_outside_public_is_found_by_its_bare_name() {
    let mut spec = DatabaseSpec::parse("postgres:15").expect("entry");
    spec.settings.backend = harness::config::BackendChoice::Local;
    let engine = database::start(&spec, None).await.expect("a local cluster");
    let database = engine.create().await.expect("a cell database");
    for statement in [
        "CREATE SCHEMA app_core",
        "CREATE TABLE app_core.alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
        "INSERT INTO app_core.alembic_version VALUES ('0007')",
    ] {
        engine.execute(&database, statement).await.expect(statement);
    }
    let schema = introspect::inspect(&database, Some("alembic_version"))
        .await
        .expect("introspection");
    let found = schema.version_table.as_ref().expect("the version table");
    assert_eq!(found.rows, vec!["0007".to_string()]);
    assert!(schema.tables.is_empty(), "{:?}", schema.tables);
    for statement in [
        "CREATE SCHEMA app_tenant",
        "CREATE TABLE app_tenant.alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
        "INSERT INTO app_tenant.alembic_version VALUES ('0003')",
    ] {
        engine.execute(&database, statement).await.expect(statement);
    }
    let two = introspect::inspect(&database, Some("alembic_version"))
        .await
        .expect("introspection");
    assert!(
        two.version_table.is_none(),
        "two candidates: neither is taken"
    );
    let named = introspect::inspect(&database, Some("app_tenant.alembic_version"))
        .await
        .expect("introspection");
    assert_eq!(
        named.version_table.expect("the named one").rows,
        vec!["0003".to_string()]
    );
    drop(database);
    let warnings = engine.shutdown().await;
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and server engines: cargo test --features engine-tests (scripts/test runs it)"
)]
async fn mariadb_11_in_a_container() {
    check("mariadb:11", MARIADB, "mariadb_11").await;
}
