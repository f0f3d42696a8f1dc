//! Benchmark (not a test): reading a PostgreSQL schema back (introspection, rendering the snapshot
//! text and comparing it with the committed one) against `pg_dump --schema-only` of the same
//! database, at 250, 500, 1,000 and 2,000 tables (a serial key, an index, a check and a foreign key
//! each), on a local PostgreSQL 15 cluster the harness starts. Prints the median of several runs
//! of each, the ratio, and the cost per table, which stays flat when the work is linear.
//! Run with `cargo bench --bench introspect_vs_pg_dump`; `-- --sizes 250,1000` for others;
//! `-- --engine sqlite` or `-- --engine mariadb:11` for the harness's time alone on those.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::config::{BackendChoice, DatabaseSpec};
use harness::database::{self, CellDatabase};
use harness::snapshot::{self, RenderOptions};

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The DDL of `count` tables, each referencing the one before.
fn ddl(count: usize) -> String {
    let mut sql = String::new();
    for n in 0..count {
        sql.push_str(&format!(
            "CREATE TABLE t{n} (id serial PRIMARY KEY, name varchar(40) NOT NULL, \
             score integer CHECK (score >= 0), parent integer{});\n\
             CREATE INDEX t{n}_name ON t{n} (name);\n",
            if n == 0 {
                String::new()
            } else {
                format!(" REFERENCES t{} (id)", n - 1)
            }
        ));
    }
    sql
}

async fn harness_read(db: &CellDatabase, committed: &str) -> Duration {
    let started = Instant::now();
    let schema = harness::introspect::inspect(db, Some("alembic_version"))
        .await
        .expect("introspection");
    let text = snapshot::render(
        &schema,
        RenderOptions {
            version_table: false,
        },
    );
    assert!(text == committed, "the same schema renders the same text");
    started.elapsed()
}

fn pg_dump(url: &str) -> Duration {
    let bin = std::env::var("PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    // postgresql://user:password@host:port/name as the client's own options.
    let rest = url.split_once("://").expect("a URL").1;
    let (credentials, address) = rest.rsplit_once('@').expect("credentials");
    let (user, password) = credentials.split_once(':').expect("a password");
    let (host_port, name) = address.split_once('/').expect("a database");
    let (host, port) = host_port.rsplit_once(':').expect("a port");
    let started = Instant::now();
    let status = Command::new(format!("{bin}/pg_dump"))
        .args([
            "--schema-only",
            "-h",
            host,
            "-p",
            port,
            "-U",
            user,
            "-d",
            name,
        ])
        .env("PGPASSWORD", password)
        .stdout(Stdio::null())
        .status()
        .expect("pg_dump runs");
    assert!(status.success());
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sizes: Vec<usize> = value("--sizes")
        .map(|list| list.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![250, 500, 1000, 2000]);
    // `--engine sqlite` or `--engine mariadb:11` (a container): the harness's time alone, to show
    // it is linear there too.
    if let Some(entry) = value("--engine").filter(|e| !e.starts_with("postgres")) {
        let spec = DatabaseSpec::parse(&entry).expect("entry");
        let engine = database::start(&spec, None).await.expect("the engine");
        println!("{entry}: tables  harness (introspect+render+compare)  harness per table");
        for count in sizes {
            let db = engine.create().await.expect("a database");
            let sql = ddl(count).replace("serial PRIMARY KEY", "integer PRIMARY KEY");
            let statements: Vec<&str> = sql.split_inclusive(";\n").collect();
            for chunk in statements.chunks(200) {
                engine
                    .execute(&db, &chunk.concat())
                    .await
                    .expect("the tables");
            }
            let committed = snapshot::render(
                &harness::introspect::inspect(&db, Some("alembic_version"))
                    .await
                    .expect("introspection"),
                RenderOptions {
                    version_table: false,
                },
            );
            let mut ours = Vec::new();
            for _ in 0..RUNS {
                ours.push(harness_read(&db, &committed).await);
            }
            let ours = median(ours);
            println!(
                "{count:>6}  {:>34.3} s  {:>13.2} ms",
                ours.as_secs_f64(),
                ours.as_secs_f64() * 1000.0 / count as f64
            );
        }
        engine.shutdown().await;
        return;
    }
    let mut spec = DatabaseSpec::parse("postgres:15").expect("entry");
    spec.settings.backend = BackendChoice::Local;
    let engine = database::start(&spec, None).await.expect("a local cluster");
    println!(
        "tables  harness (introspect+render+compare)  pg_dump --schema-only  ratio  harness per table"
    );
    for count in sizes {
        let db = engine.create().await.expect("a database");
        engine.execute(&db, &ddl(count)).await.expect("the tables");
        let schema = harness::introspect::inspect(&db, Some("alembic_version"))
            .await
            .expect("introspection");
        assert_eq!(schema.tables.len(), count);
        let committed = snapshot::render(
            &schema,
            RenderOptions {
                version_table: false,
            },
        );
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..RUNS {
            ours.push(harness_read(&db, &committed).await);
            theirs.push(pg_dump(&db.url));
        }
        let (ours, theirs) = (median(ours), median(theirs));
        println!(
            "{count:>6}  {:>34.3} s  {:>19.3} s  {:>5.2}  {:>13.2} ms",
            ours.as_secs_f64(),
            theirs.as_secs_f64(),
            ours.as_secs_f64() / theirs.as_secs_f64(),
            ours.as_secs_f64() * 1000.0 / count as f64
        );
    }
    engine.shutdown().await;
}
