//! End to end: the `locks` kind on a real PostgreSQL (a local cluster from this machine's server
//! binaries) with the project's own Alembic: a plain CREATE INDEX and a rewriting ADD COLUMN on a
//! populated table are findings that name the revision, its file and line, the table and what to
//! write instead; the fixed variant of the same shop passes, its rows intact after the traced
//! upgrades (examples/locks, written from scratch).

mod common;

use common::{copy_dir, harness, repo, run, transcript};

fn variant(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("harness-locks-")
        .tempdir()
        .unwrap();
    copy_dir(&repo().join("examples/locks").join(name), dir.path());
    dir
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs PostgreSQL server binaries and local Pythons: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_blocking_index_and_a_table_rewrite_fail_and_their_fixes_pass() {
    let failing = variant("failing");
    let report = failing.path().join("report.json");
    let summary = failing.path().join("summary.md");
    let page = failing.path().join("report.html");
    let out = run(harness(failing.path()).args([
        "run",
        "--report",
        &format!("json={}", report.display()),
        "--report",
        &format!("markdown={}", summary.display()),
        "--report",
        &format!("html={}", page.display()),
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    // The whole trace is in the JSON report: the index's statement and the lock it took.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let trace = json["cells"][0]["trace"].as_array().unwrap();
    let index = trace
        .iter()
        .find(|s| s["sql"].as_str().unwrap().starts_with("CREATE INDEX"))
        .unwrap();
    assert_eq!(index["revision"], "0002");
    assert_eq!(index["line"], 15);
    assert_eq!(index["locks"][0]["relation"], "orders");
    assert_eq!(index["locks"][0]["mode"], "ShareLock");
    // The rows orders held when 0002 began: the seeding's 20,000.
    assert_eq!(index["rows"]["orders"], 20000);
    // The HTML report draws each revision's locks: 0002's SHARE on orders blocks writes.
    let page = std::fs::read_to_string(&page).unwrap();
    assert!(page.contains("<h2>Lock timeline</h2>"), "{page}");
    assert!(
        page.contains("<g class=\"write-blocking\"><title>SHARE on orders held"),
        "{page}"
    );
    // The pull request's summary has a row per statement that blocked writes or rewrote a table.
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("| 0002 | 0002_orders_email_index.py:15 | `CREATE INDEX ix_orders_email ON orders (email)` | SHARE on orders"),
        "{summary}"
    );
    assert!(summary.contains("| orders at 20,000 rows |"), "{summary}");
    for said in [
        "3 lock findings:",
        "0002 (0002_orders_email_index.py:15): SHARE on orders held",
        " at 20,000 rows (max_write_block_ms = 0) from `CREATE INDEX ix_orders_email ON orders (email)`",
        "from `CREATE INDEX ix_orders_email ON orders (email)`; instead: CREATE INDEX CONCURRENTLY",
        "0003 (0003_orders_token.py:16): rewrites table orders",
        "instead: add the column nullable without a volatile default, then backfill it in batches",
        "0004 (0004_orders_total_bigint.py:16): rewrites table orders at 20,000 rows (`ALTER TABLE orders ALTER COLUMN total_cents TYPE BIGINT`); instead: add a new column of the new type, backfill it in batches, then switch to it",
    ] {
        assert!(out.1.contains(said), "{said}\n{}", transcript(&out));
    }
    // Sizes from a production catalog (`rows_from`) take precedence over `rows`.
    let scenario = failing.path().join("scenarios/locks.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(
        &scenario,
        text.replace("rows = 20000", "rows = 20000\nrows_from = \"stats.json\""),
    )
    .unwrap();
    std::fs::write(
        failing.path().join("scenarios/stats.json"),
        r#"{"public.orders": 3000.0, "never_analyzed": -1}"#,
    )
    .unwrap();
    let out = run(harness(failing.path()).arg("run"));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("rewrites table orders at 3,000 rows (`ALTER TABLE orders ADD COLUMN token"),
        "{}",
        transcript(&out)
    );
    // The built-in `locks` (10,000 rows, no rewrite, ACCESS EXCLUSIVE at most 200 ms, no write
    // blocked over 2 s): the rewrite is a finding without a scenario file.
    std::fs::remove_dir_all(failing.path().join("scenarios")).unwrap();
    let toml = failing.path().join("harness.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("builtins = [\"locks\"]\n{text}")).unwrap();
    let out = run(harness(failing.path()).arg("run"));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    assert!(
        out.1
            .contains("0003 (0003_orders_token.py:16): rewrites table orders"),
        "{}",
        transcript(&out)
    );
    let fixed = variant("fixed");
    let out = run(harness(fixed.path()).arg("run"));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(
        out.1
            .contains("0002: no lock that blocks writes on an existing table")
            && out.1.contains("0003: ACCESS EXCLUSIVE on orders"),
        "{}",
        transcript(&out)
    );
}

/// Tracing changes nothing: the schema a traced `locks` upgrade leaves (its snapshot kept with
/// `[snapshot] enabled = true`) is byte for byte the one an untraced `fresh` upgrade leaves, and
/// the rows seeded before 0002 are all there (`[expect] rows` of the fixed variant).
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs PostgreSQL server binaries and local Pythons: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_traced_upgrade_leaves_the_schema_an_untraced_one_leaves() {
    let fixed = variant("fixed");
    let scenario = fixed.path().join("scenarios/locks.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&scenario, format!("{text}\n[snapshot]\nenabled = true\n")).unwrap();
    std::fs::write(
        fixed.path().join("scenarios/fresh.toml"),
        "description = \"an empty database upgraded to head, untraced\"\n",
    )
    .unwrap();
    let out = run(harness(fixed.path()).args(["run", "locks", "fresh", "--accept"]));
    assert_eq!(out.0, 0, "{}", transcript(&out));
    let body = |scenario: &str| {
        let path = fixed
            .path()
            .join(format!("snapshots/{scenario}/postgres-15.snap"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{}: {err}\n{}", path.display(), transcript(&out)));
        // After the header, which names the scenario.
        text.splitn(3, "---\n")
            .nth(2)
            .unwrap_or_default()
            .to_string()
    };
    let traced = body("locks");
    assert!(traced.contains("table orders"), "{traced}");
    assert_eq!(traced, body("fresh"));
}

/// The same scenario on PostgreSQL 13 and 17 (containers of the images HARNESS_IMAGE_POSTGRES_13
/// and _17 name): both cells trace and find the same blocking index and rewrite.
#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs Docker and PostgreSQL 13 and 17 images: cargo test --features engine-tests (scripts/test runs it)"
)]
fn the_findings_hold_on_each_postgres_version_of_the_matrix() {
    let failing = variant("failing");
    let toml = failing.path().join("harness.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replace(
        "databases = [\"postgres:15\"]\n",
        "databases = [\"postgres:13\", \"postgres:17\"]\n",
    );
    let text = text.replace(
        "[databases.\"postgres:15\"]\nbackend = \"local\"\n",
        "[databases.\"postgres:13\"]\nbackend = \"container\"\n\n[databases.\"postgres:17\"]\nbackend = \"container\"\n",
    );
    std::fs::write(&toml, text).unwrap();
    let report = failing.path().join("report.json");
    let out = run(harness(failing.path()).args([
        "run",
        "--jobs",
        "2",
        "--report",
        &format!("json={}", report.display()),
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    // Each cell's own findings, read from the report: the terminal shows two equal failures once
    // ("the same on 1 more cell") when their hold times happen to match.
    let cells = common::report_cells(&report);
    for version in ["13", "17"] {
        let id = format!("locks/postgres-{version}/python-3.12");
        let cell = cells
            .iter()
            .find(|cell| cell["id"] == id.as_str())
            .unwrap_or_else(|| panic!("no cell {id}\n{}", transcript(&out)));
        assert_eq!(cell["verdict"], "failed", "{cell}");
        let detail = cell["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("3 lock findings:"), "{id}: {detail}");
        assert_eq!(
            detail.matches("rewrites table orders").count(),
            2,
            "{id}: {detail}"
        );
        let shown = format!("--- {id}: failed\n  3 lock findings:");
        let grouped = format!("the same on 1 more cell: {id}");
        assert!(
            out.1.contains(&shown) || out.1.contains(&grouped),
            "{id}\n{}",
            transcript(&out)
        );
    }
}

/// A small shop of three revisions written here: 0002 changes a column's type (a table copy on
/// MariaDB, a batch rebuild on SQLite), 0003 adds a nullable column (in place on both).
fn rebuilt_shop(database: &str, backend: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("harness-locks-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("migrations/versions")).unwrap();
    std::fs::copy(
        repo().join("examples/locks/failing/migrations/env.py"),
        root.join("migrations/env.py"),
    )
    .unwrap();
    std::fs::write(
        root.join("alembic.ini"),
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///shop.db\n",
    )
    .unwrap();
    let backend = backend
        .map(|b| format!("\n[databases.\"{database}\"]\nbackend = \"{b}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        root.join("harness.toml"),
        format!(
            "builtins = [\"locks\"]\n\n[project]\ntool = \"alembic\"\npackages = [\"alembic==1.13.3\", \"SQLAlchemy==2.0.36\", \"PyMySQL==1.1.1\"]\n\n[matrix]\ndatabases = [\"{database}\"]\nruntimes = [\"python:3.12\"]\n{backend}\n[runtime]\nbackend = \"local\"\n"
        ),
    )
    .unwrap();
    let revisions = [
        (
            "0001",
            "None",
            "op.create_table(\"orders\", sa.Column(\"id\", sa.Integer, primary_key=True), sa.Column(\"total\", sa.Integer))\n    op.create_index(\"ix_orders_total\", \"orders\", [\"total\"])",
        ),
        (
            "0002",
            "\"0001\"",
            "with op.batch_alter_table(\"orders\") as batch:\n        batch.alter_column(\"total\", type_=sa.BigInteger, existing_type=sa.Integer)",
        ),
        (
            "0003",
            "\"0002\"",
            "op.add_column(\"orders\", sa.Column(\"note\", sa.String(50)))",
        ),
    ];
    for (revision, down, body) in revisions {
        std::fs::write(
            root.join(format!("migrations/versions/{revision}_orders.py")),
            format!(
                "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"{revision}\"\ndown_revision = {down}\n\n\ndef upgrade():\n    {body}\n"
            ),
        )
        .unwrap();
    }
    dir
}

/// On SQLite and MariaDB no lock is read, but a rebuilt table is found by its storage (SQLite's
/// root page, InnoDB's table id): the type change rebuilds `orders`, the nullable column does not.
fn rebuild_is_found(database: &str, backend: Option<&str>, advice: &str) {
    let shop = rebuilt_shop(database, backend);
    let out = run(harness(shop.path()).args(["run", "locks"]));
    assert_eq!(out.0, 1, "{}", transcript(&out));
    for said in [
        "1 lock finding:",
        "0002 (0002_orders.py:",
        "rewrites table orders",
        advice,
    ] {
        assert!(
            out.1.contains(said),
            "missing {said:?}:\n{}",
            transcript(&out)
        );
    }
    assert!(!out.1.contains("0003 (0003"), "{}", transcript(&out));
}

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs a local Python 3.12 and the package index: cargo test --features host-tests (scripts/test runs it)"
)]
fn a_batch_rebuild_on_sqlite_is_a_rewrite() {
    rebuild_is_found(
        "sqlite",
        None,
        "instead: SQLite rebuilds the table to alter it",
    );
}

#[test]
#[cfg_attr(
    not(feature = "engine-tests"),
    ignore = "needs a Docker engine with MariaDB 10 and 11 images and a local Python: cargo test --features engine-tests (scripts/test runs it)"
)]
fn a_table_copy_on_mariadb_is_a_rewrite() {
    for version in ["mariadb:10", "mariadb:11"] {
        rebuild_is_found(
            version,
            Some("container"),
            "instead: MariaDB copied the table",
        );
    }
}
