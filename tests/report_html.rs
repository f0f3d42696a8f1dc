//! The HTML report in a real browser: a run on SQLite with a passing, a failing and a changed-snapshot
//! scenario writes `--report html=...`; headless Chromium (scripts/setup/40-browser.sh) loads it
//! with no console message, finds one grid cell per cell of the run's JSON report and the
//! project's revision graph, and writes a screenshot (kept under target/report-html/ with the page, to look at).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Project, migration, repo, run, transcript};

/// How long one browser run may take before the test gives up on it.
const BROWSER_LIMIT: Duration = Duration::from_secs(60);

#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs headless Chromium: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn the_html_report_loads_in_a_browser_with_its_grid_failures_and_diffs() {
    let browser = chromium();
    let project = Project::league(&["python:3.10", "python:3.12"]);
    let first = run(project.harness().args(["run", "--quiet", "fresh"]));
    assert_eq!(first.0, 0, "{}", transcript(&first));

    // fresh: a new column changes its snapshot; partial: a SQL step fails naming a table whose name
    // is markup;
    // stamped: passes.
    project.write(
        "league/migrations/versions/0007_nickname.py",
        &migration(
            "0007",
            "0006",
            "    op.add_column(\"players\", sa.Column(\"nickname\", sa.String(40)))",
        ),
    );
    project.write(
        "scenarios/partial.toml",
        "[[steps]]\nupgrade = \"0002\"\n\n[[steps]]\nsql = 'INSERT INTO \"<b>Ada</b> & co\" VALUES (1)'\n",
    );
    project.write(
        "scenarios/stamped.toml",
        "description = \"stamped at head, nothing to do\"\n\n[[steps]]\nstamp = \"0007\"\n\n[expect]\nconverges_with = false\n\n[snapshot]\nenabled = false\n",
    );
    let out_dir = repo().join("target/report-html");
    std::fs::remove_dir_all(&out_dir).ok();
    let page = out_dir.join("report.html");
    let json = out_dir.join("report.json");
    let out = run(project.harness().args([
        "run".to_string(),
        "--quiet".into(),
        format!("--report=html={}", page.display()),
        format!("--report=json={}", json.display()),
    ]));
    assert_eq!(out.0, 1, "{}", transcript(&out));

    let cells = common::report_cells(&json);
    let ids: BTreeSet<String> = cells
        .iter()
        .map(|cell| cell["id"].as_str().unwrap().to_string())
        .collect();
    let verdicts: BTreeSet<&str> = cells
        .iter()
        .map(|cell| cell["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "{cells:?}");
    assert_eq!(
        verdicts,
        BTreeSet::from(["failed", "passed", "snapshot_changed"]),
        "{cells:?}"
    );

    // Self-contained: nothing to fetch, no script.
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in [
        "http:", "https:", "src=", "url(", "@import", "<script", "<link",
    ] {
        assert!(!html.contains(outside), "the page holds `{outside}`");
    }

    // The console check notices a console message (so its silence below means something).
    let scratch = tempfile::tempdir().unwrap();
    let control = scratch.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>control</title><script>console.error('deliberate')</script>",
    )
    .unwrap();
    let (_, stderr) = browse(&browser, scratch.path(), &control, &["--dump-dom"]);
    assert!(
        console_lines(&stderr)
            .iter()
            .any(|l| l.contains("deliberate")),
        "the browser's log shows no console message of the control page:\n{stderr}"
    );

    // The report: no console message, one grid cell per cell, the failure and the diff shown.
    let (dom, stderr) = browse(&browser, scratch.path(), &page, &["--dump-dom"]);
    assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "{stderr}");
    let grid: BTreeSet<String> = dom
        .split("data-cell=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(dom.matches("data-cell=\"").count(), cells.len(), "{dom}");
    assert_eq!(grid, ids, "{dom}");
    assert!(dom.contains("<h2>Schema diffs</h2>"), "{dom}");
    assert!(
        dom.contains("<span class=\"add\">+  column nickname VARCHAR(40)\n</span>"),
        "{dom}"
    );
    assert!(dom.contains("<h2>Failures</h2>"), "{dom}");
    assert!(dom.contains("&lt;b&gt;Ada&lt;/b&gt; &amp; co"), "{dom}");
    assert!(
        !dom.contains("<b>Ada"),
        "markup from the run became markup: {dom}"
    );

    // The revision graph: every revision, from the base down to the one head.
    assert!(dom.contains("<h2>Revision graph</h2>"), "{dom}");
    let rows: Vec<usize> = (1..=7)
        .map(|n| {
            let revision = format!("data-revision=\"000{n}\"");
            dom.find(&revision)
                .unwrap_or_else(|| panic!("no {revision} in {dom}"))
        })
        .collect();
    assert!(rows.windows(2).all(|w| w[0] < w[1]), "{dom}");
    assert_eq!(dom.matches("class=\"revision head\"").count(), 1, "{dom}");
    assert!(
        dom.contains("<g class=\"revision head\" data-revision=\"0007\">"),
        "{dom}"
    );

    // A screenshot of the page.
    let screenshot = out_dir.join("report.png");
    let size = format!("--screenshot={}", screenshot.display());
    browse(
        &browser,
        scratch.path(),
        &page,
        &[&size, "--window-size=1280,2000", "--hide-scrollbars"],
    );
    let png = std::fs::read(&screenshot).expect("the screenshot is written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} is not a PNG of the page ({} bytes)",
        screenshot.display(),
        png.len()
    );
}

/// The browser scripts/setup/40-browser.sh installs: `$HARNESS_CHROMIUM`, else `chromium` on PATH.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("HARNESS_CHROMIUM").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
        .expect("no chromium on PATH: run scripts/setup/40-browser.sh (apt-get install chromium)")
}

/// Opens `page` in headless Chromium with `args`, its profile under `scratch`; returns stdout and
/// stderr (where `--enable-logging=stderr` puts console messages).
fn browse(browser: &Path, scratch: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let started = Instant::now();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", browser.display()));
    // Read both pipes while the browser runs, so neither fills up.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).ok();
            text
        })
    };
    let (stdout, stderr) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BROWSER_LIMIT {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "{} did not finish within {BROWSER_LIMIT:?}",
                browser.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(
        status.success(),
        "{} failed ({status}):\n{stderr}",
        browser.display()
    );
    (stdout, stderr)
}

/// The console messages in Chromium's log: `...:INFO:CONSOLE:1] "text", source: ...` (older
/// releases write `INFO:CONSOLE(1)`).
fn console_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect()
}
