//! Hostile input: copies of the repository's own files, mutated (truncated at any byte, lines
//! deleted, duplicated or swapped, fragments of odd TOML, Python or SQL and invalid UTF-8 spliced
//! in), go through the configuration and scenario loader, the revision-file reader and the dump
//! loader. None of them panics, and every error they give names the file it is about.
//!
//! Bounded for the test command: a fixed number of cases per property (the `CASES_*` constants
//! below: 2,000 harness files, 2,000 scenario files, 300 runs of the binary, 1,000 revision
//! folders, 800 dumps); `PROPTEST_CASES=N` replaces them all. Measured on 2 cores, debug build,
//! already compiled: 8 to 11 s for the whole file. `PROPTEST_CASES=5000 cargo test --test
//! hostile_input` fuzzes longer (about 1 minute).

mod common;

use std::path::{Path, PathBuf};

use harness::config::{Config, ConfigError, DatabaseSpec, Place};
use harness::database::{DatabaseError, Engine, SqliteEngine};
use harness::lint::{self, RevisionFile, VersionDirs};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{TestCaseError, TestRunner};

const CASES_HARNESS_FILES: u32 = 2000;
const CASES_SCENARIO_FILES: u32 = 2000;
const CASES_BINARY: u32 = 300;
const CASES_REVISION_FILES: u32 = 1000;
const CASES_DUMPS: u32 = 800;

/// `cases`, unless PROPTEST_CASES says otherwise.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Mutations, whatever the format.

/// One change to a file's bytes. Positions are [`Index`]es, so they fit any length.
#[derive(Debug, Clone)]
enum Edit {
    /// Cut the file at a byte (possibly inside a UTF-8 sequence).
    Truncate(Index),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// A fragment on a line of its own, before a line.
    InsertLine(Index, Vec<u8>),
    /// A fragment at any byte.
    Insert(Index, Vec<u8>),
    /// A fragment over the bytes at a position.
    Overwrite(Index, Vec<u8>),
    /// Another value for one of the `key = value` lines: the file stays well formed more often,
    /// so the checks after parsing get their share of odd values.
    ReplaceValue(Index, Vec<u8>),
}

/// One to three edits, with `fragment`s spliced in and `value`s put after a `key = `.
fn edits(
    fragment: BoxedStrategy<Vec<u8>>,
    value: BoxedStrategy<Vec<u8>>,
) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        1 => any::<Index>().prop_map(Edit::Truncate),
        2 => any::<Index>().prop_map(Edit::DeleteLine),
        2 => any::<Index>().prop_map(Edit::DuplicateLine),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        4 => (any::<Index>(), fragment.clone()).prop_map(|(at, f)| Edit::InsertLine(at, f)),
        3 => (any::<Index>(), fragment.clone()).prop_map(|(at, f)| Edit::Insert(at, f)),
        2 => (any::<Index>(), fragment).prop_map(|(at, f)| Edit::Overwrite(at, f)),
        10 => (any::<Index>(), value).prop_map(|(at, v)| Edit::ReplaceValue(at, v)),
    ];
    prop::collection::vec(edit, 1..4)
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn apply(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for edit in edits {
        match edit {
            Edit::Truncate(at) => bytes.truncate(at.index(bytes.len() + 1)),
            Edit::DeleteLine(at) | Edit::DuplicateLine(at) => {
                let mut all = lines(&bytes);
                if all.is_empty() {
                    continue;
                }
                let i = at.index(all.len());
                if matches!(edit, Edit::DeleteLine(_)) {
                    all.remove(i);
                } else {
                    let line = all[i].clone();
                    all.insert(i, line);
                }
                bytes = all.concat();
            }
            Edit::SwapLines(a, b) => {
                let mut all = lines(&bytes);
                if all.is_empty() {
                    continue;
                }
                let (a, b) = (a.index(all.len()), b.index(all.len()));
                all.swap(a, b);
                bytes = all.concat();
            }
            Edit::InsertLine(at, fragment) => {
                let mut all = lines(&bytes);
                let mut line = fragment.clone();
                line.push(b'\n');
                all.insert(at.index(all.len() + 1), line);
                bytes = all.concat();
            }
            Edit::Insert(at, fragment) => {
                let i = at.index(bytes.len() + 1);
                bytes.splice(i..i, fragment.iter().copied());
            }
            Edit::Overwrite(at, fragment) => {
                let i = at.index(bytes.len() + 1);
                let end = (i + fragment.len()).min(bytes.len());
                bytes.splice(i..end, fragment.iter().copied());
            }
            Edit::ReplaceValue(at, value) => {
                let mut all = lines(&bytes);
                let equals = |line: &[u8]| line.windows(3).position(|w| w == b" = ");
                let assignments: Vec<usize> = (0..all.len())
                    .filter(|&i| equals(&all[i]).is_some())
                    .collect();
                if assignments.is_empty() {
                    continue;
                }
                let line = &mut all[assignments[at.index(assignments.len())]];
                let start = equals(line).unwrap_or_default() + 3;
                let end = line.len() - usize::from(line.ends_with(b"\n"));
                line.splice(start..end, value.iter().copied());
                bytes = all.concat();
            }
        }
    }
    bytes
}

/// Bytes no text file should hold, and text that often breaks parsers.
const ODD_BYTES: &[&[u8]] = &[
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\x00",
    b"\r",
    b"\r\n",
    b"\t",
    "\u{feff}".as_bytes(),
    "\u{202e}é✓𝔘\u{200b}".as_bytes(),
    b"",
];

/// What any format gets: random text and bytes, invalid UTF-8, control characters, unicode.
fn any_fragment() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        any::<String>().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..12),
        select(ODD_BYTES).prop_map(<[u8]>::to_vec),
    ]
    .boxed()
}

/// Fragments of `spec` (plain text), or of [`any_fragment`].
fn fragments(spec: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        5 => select(spec).prop_map(|s| s.as_bytes().to_vec()),
        1 => any_fragment(),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// A copy of the repository's configurations to mutate.

/// harness.toml, scenarios/ and examples/ (without snapshots) copied under target/, so each
/// property has files of its own to overwrite.
fn workspace(name: &str) -> PathBuf {
    let root = common::repo();
    let dir = root.join("target/hostile-input").join(name);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root.join("harness.toml"), dir.join("harness.toml")).unwrap();
    copy_tree(&root.join("scenarios"), &dir.join("scenarios"));
    copy_tree(&root.join("examples"), &dir.join("examples"));
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text.starts_with("snapshots") || name_text == "__pycache__" || name_text == ".venv"
        {
            continue;
        }
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

fn files_below(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_below(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

/// Each file with its bytes.
fn read_seeds(paths: Vec<PathBuf>) -> Vec<(PathBuf, Vec<u8>)> {
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read(&path).unwrap();
            (path, text)
        })
        .collect()
}

fn toml_edits() -> impl Strategy<Value = Vec<Edit>> {
    edits(fragments(TOML_FRAGMENTS), fragments(TOML_VALUES))
}

/// Every harness configuration of the copy.
fn harness_files(work: &Path) -> Vec<PathBuf> {
    let mut files = vec![work.join("harness.toml")];
    let is_config = |p: &Path| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with("harness") && name.ends_with(".toml")
    };
    files_below(&work.join("examples"), &is_config, &mut files);
    files
}

/// The message of a configuration error names `mutated`, or, for an error about a reference the
/// mutation broke (a scenario name another file uses), the existing file that holds the reference.
fn check_names_file(error: &ConfigError, mutated: &Path, text: &[u8]) -> Result<(), TestCaseError> {
    let message = error.to_string();
    let mutated_name = mutated.display().to_string();
    if message.contains(&mutated_name) {
        return Ok(());
    }
    let place = match &error.at {
        Place::Location(at) => &at.path,
        Place::File(path) => path,
    };
    prop_assert!(
        place.is_file() && message.contains(&place.display().to_string()),
        "the error does not name {mutated_name} (nor another file it is about):\n{message}\n\
         --- the file ---\n{}",
        String::from_utf8_lossy(text)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// harness.toml and scenario files.

const TOML_VALUES: &[&str] = &[
    r#""""#,
    r#"" ""#,
    "0",
    "-1",
    "99999999999999999999999",
    "1.5",
    "-inf",
    "true",
    "[]",
    r#"[""]"#,
    r#"[1, "a"]"#,
    "[[]]",
    "{}",
    "{ a = 1 }",
    "1979-05-27",
    "\"é✓𝔘\u{202e}\"",
    r#""\u0000""#,
    "\"\"\"a\nb\"\"\"",
    r#"".""#,
    r#""../..""#,
    r#""/""#,
    r#""no-such""#,
    r#"["no-such"]"#,
    r#""sqlite""#,
    r#""postgres:17""#,
    r#""postgres:""#,
    r#""mysql:8.0.36""#,
    r#""python:3.12""#,
    r#""python:3""#,
    r#"["sqlite", "postgres:17", "mariadb:11"]"#,
    r#"["python:3.10", "python:3.10"]"#,
    r#""alembic""#,
    r#""command""#,
    r#""container""#,
    r#""external""#,
    r#""head""#,
    r#""heads""#,
    r#""base""#,
    r#""fresh""#,
    r#""a b""#,
    r#""${HARNESS_HOSTILE_UNSET}""#,
    r#""$${LITERAL}""#,
    r#""(""#,
    r#""SELECT 1""#,
    r#"{ sqlite = "SELECT 1", oracle = "SELECT 2" }"#,
    r#"{ name = "x", config = "harness.toml" }"#,
    r#"[{ scenario = "fresh", database = "sqlite", runtime = "python:3.12" }]"#,
    "{ teams = 99999999999999999999 }",
];

const TOML_FRAGMENTS: &[&str] = &[
    "x = 1",
    "surprise = true",
    "[surprise]",
    "[project]",
    "[matrix]",
    "[paths]\nscenarios = \"no-such-folder\"",
    "[paths]\nsnapshots = \"\"",
    "[runtime]\nbackend = \"elsewhere\"",
    "[runtime]\nca_bundle = \"no-such.pem\"",
    "[lint]\nversion_length = 0",
    "[lint]\nversion_length = -1",
    "[lint]\nversion_length = 99999999999999999999999",
    "[project.env]\nX = \"${HARNESS_HOSTILE_UNSET}\"",
    "[databases.\"postgres:17\"]\nbackend = \"external\"",
    "[databases.\"postgres:17\"]\nurl = \"postgresql://u:p@@h:99999/db?password=x\"\nallow_external = true",
    "[databases.\"mysql:8\"]\nbackend = \"local\"",
    "[databases.\"sqlite\"]",
    "[databases.\"postgres:\"]",
    "[runtimes.\"python:3.12\"]\nimage = \" \"",
    "[runtimes.\"python:x\"]",
    "tool = \"alembic\"",
    "tool = \"command\"",
    "tool = 3",
    "path = \"no-such-folder\"",
    "path = \"\"",
    "config = \"\"",
    "config = \"/\"",
    "requirements = [\"no-such.txt\"]",
    "requirements = []",
    "pythonpath = [\"no-such-folder\"]",
    "script_location = \"nowhere\"",
    "upgrade = []",
    "upgrade = [\"\"]",
    "foreign_urls = \"maybe\"",
    "members = [\"no-such-member\"]",
    "members = [{ name = \"a:b\", config = \"harness.toml\" }]",
    "members = [\".\"]",
    "members = [3]",
    "builtins = [\"roundtrip\", \"stepwise\", \"bogus\"]",
    "builtins = [\"fresh\", \"fresh\"]",
    "databases = [\"sqlite\", \"sqlite\"]",
    "databases = []",
    "databases = [\"oracle:23\", \"postgres\", \"sqlite:3\"]",
    "runtimes = [\"python:\", \"python:3..1\", \"ruby:3\"]",
    "runtimes = []",
    "include = [{}]",
    "include = [{ scenario = \"fresh\" }]",
    "exclude = [{ scenario = \"no-such-scenario\" }]",
    "exclude = [{ database = 1 }]",
    "[[steps]]",
    "[[steps]]\nupgrade = \"0001\"\ndowngrade = \"base\"",
    "[[steps]]\nstamp = []",
    "[[steps]]\nstamp = [\"a b\"]",
    "[[steps]]\nsql = \"\"",
    "[[steps]]\nsql = {}",
    "[[steps]]\nsql = { oracle = \"SELECT 1\" }",
    "[[steps]]\nsql_file = \"../../../no-such.sql\"",
    "[[steps]]\nsql_file = { sqlite = \"/\" }",
    "[[steps]]\ndump = \"no-such.sql\"",
    "[[steps]]\ndump = \"\"",
    "[[steps]]\ncommand = []",
    "[[steps]]\ncommand = [\" \"]",
    "[[steps]]\nupgrade = \" \"",
    "name = \"Not A Name\"",
    "name = \"\"",
    "name = \"fresh\"",
    "kind = \"roundtrip\"",
    "kind = \"sideways\"",
    "target = \"\"",
    "target = 7",
    "upgrade_command = [\"\"]",
    "upgrade_command = [\"make\", \"upgrade\"]",
    "[expect]",
    "[expect]\nfails_with = \"(\"",
    "[expect]\nfails_with = \"a{1000}{1000}{1000}\"",
    "[expect]\nengine = \"postgres\"",
    "[expect]\nconverges_with = \"no-such-scenario\"",
    "[expect]\ndiverges_from = \"\"",
    "[expect]\nrows = { t = -1 }",
    "[expect]\nversion = []",
    "[[expect.when]]",
    "[[expect.when]]\nengine = \"oracle\"",
    "[[expect.when]]\ndatabase = \"postgres:\"\nruntime = \"python\"",
    "[[expect.when]]\nengine = \"sqlite\"\n[[expect.when.when]]\nengine = \"sqlite\"",
    "[[expect.query]]\nsql = \"SELECT 1\"\nreturns = [[true, {}, 1.5e400]]",
    "[[expect.query]]\nsql = 1",
    "[snapshot]\nenabled = \"yes\"",
    "[snapshot]\nsurprise = 1",
    "version_table = \"\"",
    "description = \"\"\"",
    "description = '''",
    "\"\"\"",
    "'''",
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "{",
    "}",
    "=",
    ",",
    "#",
    ".",
    "a.b.c.d = 1",
    "[a.b.c]",
    "x = { a = { b = { c = [[[]]] } } }",
    "x = 1979-05-27T07:32:00Z",
    "x = 0x_ff",
    "x = inf",
    "x = nan",
    "x = -0",
    "x = 1e99999",
    "x = 170141183460469231731687303715884105728",
    "x = \"\\u0000\"",
    "x = \"\\uD800\"",
    "x = \"\\q\"",
    "\"\" = 1",
    "\"é✓𝔘\" = \"é✓𝔘\"",
];

#[test]
fn mutated_harness_files_never_panic_and_errors_name_the_file() {
    let work = workspace("harness-files");
    let seeds = read_seeds(harness_files(&work));
    for (path, _) in &seeds {
        Config::load_workspace(path).unwrap_or_else(|err| panic!("a seed does not load: {err}"));
    }
    let strategy = (0..seeds.len(), toml_edits());
    runner(CASES_HARNESS_FILES)
        .run(&strategy, |(seed, edits)| {
            let (seed, original) = &seeds[seed];
            let text = apply(original, &edits);
            // Beside the seed, so its relative paths (project, scenarios, members) hold.
            let mutated = seed.with_file_name("harness.hostile.toml");
            std::fs::write(&mutated, &text).unwrap();
            if let Err(error) = Config::load_workspace(&mutated) {
                check_names_file(&error, &mutated, &text)?;
            }
            Ok(())
        })
        .unwrap();
}

/// Puts a file's original bytes back when dropped, even when a case panics.
struct Restore<'a>(&'a Path, &'a [u8]);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        std::fs::write(self.0, self.1).unwrap();
    }
}

#[test]
fn mutated_scenario_files_never_panic_and_errors_name_the_file() {
    let work = workspace("scenario-files");
    // (its configuration, the scenario file, its text)
    let mut seeds: Vec<(PathBuf, PathBuf, Vec<u8>)> = Vec::new();
    for config_path in harness_files(&work) {
        let config = Config::load(&config_path).unwrap();
        for scenario in &config.scenarios {
            if scenario.file.extension().is_some_and(|e| e == "toml") && scenario.file.is_file() {
                let text = std::fs::read(&scenario.file).unwrap();
                seeds.push((config_path.clone(), scenario.file.clone(), text));
            }
        }
    }
    assert!(seeds.len() > 10, "scenario files found: {}", seeds.len());
    let strategy = (0..seeds.len(), toml_edits());
    runner(CASES_SCENARIO_FILES)
        .run(&strategy, |(seed, edits)| {
            let (config, scenario, original) = &seeds[seed];
            let text = apply(original, &edits);
            let _restore = Restore(scenario, original);
            std::fs::write(scenario, &text).unwrap();
            if let Err(error) = Config::load(config) {
                check_names_file(&error, scenario, &text)?;
            }
            Ok(())
        })
        .unwrap();
}

/// The binary on a mutated configuration: exit 0 or 2 (never 101, a panic), and a message that
/// names the file.
#[test]
fn the_binary_on_mutated_configurations_exits_cleanly_naming_the_file() {
    let work = workspace("binary");
    let seeds = read_seeds(harness_files(&work));
    let strategy = (0..seeds.len(), toml_edits());
    runner(CASES_BINARY)
        .run(&strategy, |(seed, edits)| {
            let (seed, original) = &seeds[seed];
            let text = apply(original, &edits);
            let mutated = seed.with_file_name("harness.hostile.toml");
            std::fs::write(&mutated, &text).unwrap();
            let dir = mutated.parent().unwrap();
            let (code, _, stderr) = common::run(
                common::harness(dir)
                    .arg("--config")
                    .arg("harness.hostile.toml")
                    .arg("list"),
            );
            prop_assert!(
                code == 0 || code == 2,
                "exit code {code}:\n{stderr}\n--- the file ---\n{}",
                String::from_utf8_lossy(&text)
            );
            if code == 2 {
                // `error: FILE[:LINE:COL]: what`, FILE relative to the working folder.
                let named = stderr
                    .strip_prefix("error: ")
                    .and_then(|rest| rest.split(':').next())
                    .map(|file| dir.join(file));
                prop_assert!(
                    named.as_deref().is_some_and(Path::is_file),
                    "the message names no file:\n{stderr}\n--- the file ---\n{}",
                    String::from_utf8_lossy(&text)
                );
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Revision files.

const PYTHON_VALUES: &[&str] = &[
    "'x'",
    "\"0001\"",
    "None",
    "''",
    "' '",
    "('a', 'b')",
    "['a', None]",
    "('a', ('b', ('c', ('d',))))",
    "{'a'}",
    "3",
    "b'x'",
    "f'{x}'",
    "'a' 'b'",
    "'a' + 'b'",
    "'x' * 100",
    "make()",
    "*x",
    "'é✓𝔘\u{202e}'",
    r"'\N{EM DASH}'",
    r"'\x'",
    "u'x'",
    r"r'\'",
    "\"\"\"x",
    "(",
    "'",
    "",
];

const PYTHON_FRAGMENTS: &[&str] = &[
    "revision = ",
    "revision: str = ",
    "down_revision = ",
    "down_revision: Union[str, None] = ",
    "branch_labels = (",
    "depends_on = [",
    "revision = None",
    "revision = 3",
    "revision = b'x'",
    "revision = f'{x}'",
    "revision = 'a' 'b'",
    "down_revision = ('a', ('b', ('c',)))",
    "down_revision = {'a'}",
    "down_revision = ['a', None]",
    "revision, down_revision = 'x'",
    "revision, down_revision = *x",
    "(revision, down_revision) = ('a', 'b')",
    "del revision",
    "revision += 'x'",
    "revision = down_revision = branch_labels = depends_on = 'x'",
    "'",
    "\"",
    "'''",
    "\"\"\"",
    "\\",
    "\\N{",
    "\\x",
    "rb'",
    "f'{",
    "t'{",
    "u'",
    "(",
    ")",
    "[",
    "]",
    "{",
    ",",
    ":",
    "    ",
    "\t",
    "#",
    "# -*- coding: latin-1 -*-",
    "def upgrade():",
    "def upgrade(:",
    "class X:",
    "if True:",
    "lambda: lambda: lambda:",
    "None",
    "...",
    "@",
    "from __future__ import annotations",
    "match x:\n    case 1:\n        pass",
];

/// Long chains: a syntax tree as deep as the chain is long.
fn python_chain() -> BoxedStrategy<Vec<u8>> {
    (
        select(
            &[
                "+1",
                ".b",
                "()",
                "[0]",
                " if x else 1",
                " or 1",
                "<1",
                " 'b'",
            ][..],
        ),
        1usize..120_000,
    )
        .prop_map(|(link, count)| format!("x = a{}", link.repeat(count)).into_bytes())
        .boxed()
}

/// The version column's width lint checks ids against: ids longer than it make lint scan the files
/// for a migration that widens the column (`a_multibyte_character_near_version_num_does_not_panic_lint`).
const LINT_VERSION_LENGTH: usize = lint::DEFAULT_VERSION_LENGTH;

#[test]
fn mutated_revision_files_never_panic_and_problems_name_the_file() {
    let root = common::repo().join("examples");
    let mut seeds = Vec::new();
    let is_revision = |p: &Path| {
        p.extension().is_some_and(|e| e == "py")
            && std::fs::read_to_string(p).is_ok_and(|t| t.contains("down_revision"))
    };
    files_below(&root, &is_revision, &mut seeds);
    assert!(seeds.len() > 20, "revision files found: {}", seeds.len());
    let seeds = read_seeds(seeds);
    let scratch = tempfile::tempdir().unwrap();
    let fragment = prop_oneof![
        12 => fragments(PYTHON_FRAGMENTS),
        1 => python_chain(),
    ]
    .boxed();
    let strategy = (0..seeds.len(), edits(fragment, fragments(PYTHON_VALUES)));
    runner(CASES_REVISION_FILES)
        .run(&strategy, |(seed, edits)| {
            let (seed, original) = &seeds[seed];
            let text = apply(original, &edits);
            // The seed's folder, with the mutated file in place of the seed.
            let dir = scratch.path().join("versions");
            std::fs::remove_dir_all(&dir).ok();
            std::fs::create_dir_all(&dir).unwrap();
            for sibling in std::fs::read_dir(seed.parent().unwrap()).unwrap() {
                let sibling = sibling.unwrap().path();
                if sibling.extension().is_some_and(|e| e == "py") {
                    std::fs::copy(&sibling, dir.join(sibling.file_name().unwrap())).unwrap();
                }
            }
            let mutated = dir.join(seed.file_name().unwrap());
            std::fs::write(&mutated, &text).unwrap();

            let file = RevisionFile::read(&mutated);
            prop_assert_eq!(&file.path, &mutated);
            let report = lint::analyze(&VersionDirs::folder(&dir), LINT_VERSION_LENGTH).unwrap();
            for finding in &report.findings {
                prop_assert!(finding.file.is_file(), "a finding on {:?}", finding.file);
            }
            let on_mutated: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.file == mutated)
                .collect();
            prop_assert!(
                on_mutated.len() >= file.problems.len(),
                "problems {:?}, findings {:?}",
                file.problems,
                on_mutated
            );
            let human = lint::render::human(&report, &dir, false);
            let name = mutated.file_name().unwrap().to_string_lossy().into_owned();
            if !on_mutated.is_empty() {
                prop_assert!(human.contains(&name), "{name} is not named in:\n{human}");
            }
            Ok(())
        })
        .unwrap();
}

/// Found by the property above (with 5,000 cases, ids checked against 32 characters): lint's scan
/// for a migration that widens the version column cuts the file's text 400 bytes before
/// `version_num` (and 200 after) wherever that falls, inside a character too, and panics. The
/// scan runs when an id is longer than the column; its slicing is in src/lint/checks.rs
/// (`widened_width`).
#[test]
fn a_multibyte_character_near_version_num_does_not_panic_lint() {
    let dir = tempfile::tempdir().unwrap();
    let text = (0..3)
        .map(|pad| {
            format!(
                "\"\"\"{}{}\"\"\"\nrevision = '{}'\ndown_revision = None\n\
                 op.alter_column('alembic_version', 'version_num', type_=sa.String(64))\n",
                "✓".repeat(200),
                "x".repeat(pad),
                "r".repeat(40),
            )
        })
        .find(|text| !text.is_char_boundary(text.find("version_num").unwrap() - 400))
        .unwrap();
    std::fs::write(dir.path().join("0001_widen.py"), text).unwrap();
    let report = lint::analyze(
        &VersionDirs::folder(dir.path()),
        lint::DEFAULT_VERSION_LENGTH,
    )
    .unwrap();
    assert_eq!(report.files.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Dumps.

/// A dump as `sqlite3 .dump` writes it.
const SQLITE_DUMP: &str = "PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES('018');
CREATE TABLE teams (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL);
INSERT INTO teams VALUES(1,'Hawks');
INSERT INTO teams VALUES(2,'Fo''xes; -- not a comment');
CREATE TABLE players (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, number INTEGER, team_id INTEGER REFERENCES teams (id));
INSERT INTO players VALUES(1,'Ada',7,1);
INSERT INTO players VALUES(2,'Ben',NULL,2);
CREATE INDEX ix_players_name ON players (name);
CREATE TRIGGER players_touch AFTER UPDATE ON players BEGIN UPDATE teams SET name = name WHERE id = NEW.team_id; END;
/* a block comment; with a semicolon */
COMMIT;
";

const SQL_FRAGMENTS: &[&str] = &[
    ";",
    ";;",
    "'",
    "\"",
    "`",
    "--",
    "/*",
    "*/",
    "$$",
    "\\.",
    "\\set ON_ERROR_STOP on",
    "\\connect other",
    "BEGIN;",
    "BEGIN TRANSACTION;",
    "COMMIT;",
    "ROLLBACK;",
    "SAVEPOINT s;",
    "RELEASE s;",
    "END;",
    "COPY public.teams (id, name) FROM stdin;\n1\tHawks\n\\.",
    "CREATE TABLE",
    "CREATE TABLE t (x);",
    "CREATE TABLE teams (id INTEGER);",
    "DROP TABLE teams;",
    "DROP TABLE IF EXISTS nothing;",
    "INSERT INTO teams VALUES(3, x'ff');",
    "INSERT INTO teams VALUES(4, 'é✓𝔘\u{202e}');",
    "INSERT INTO teams VALUES(99999999999999999999999, 1e999);",
    "SELECT 1;",
    "SELECT pg_catalog.setval('public.teams_id_seq', 2, true);",
    "SET client_encoding = 'UTF8';",
    "PRAGMA foreign_keys=ON;",
    "PRAGMA user_version = 7;",
    "CREATE TRIGGER t AFTER INSERT ON teams BEGIN",
    "DELIMITER $$",
    "NULL",
    "\u{feff}",
];

fn sql_seeds() -> Vec<(String, Vec<u8>)> {
    let root = common::repo().join("examples");
    let mut files = Vec::new();
    files_below(
        &root,
        &|p: &Path| p.extension().is_some_and(|e| e == "sql"),
        &mut files,
    );
    assert!(!files.is_empty());
    let mut seeds: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.push(("sqlite-dump.sql".into(), SQLITE_DUMP.as_bytes().to_vec()));
    seeds
}

/// How long loading one small dump may take before it counts as a hang.
const DUMP_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Loads `dump` into a fresh database of `engine`; `None` when it did not finish in time.
fn load_dump(
    runtime: &tokio::runtime::Runtime,
    engine: &SqliteEngine,
    dump: &Path,
) -> Option<Result<harness::process::Output, DatabaseError>> {
    runtime.block_on(async {
        let database = engine.create().await.unwrap();
        tokio::time::timeout(DUMP_LIMIT, engine.load_dump(&database, dump))
            .await
            .ok()
    })
}

/// The dump loader of the embedded engine (SQLite runs the file in process; server engines hand it
/// to their client, which parses it): a mutated dump loads or fails with an error, in time, never
/// a panic; an unreadable file is named. A dump's SQL error is the database's, and names the
/// database; the step that loads the dump names the file (`loading <path>`, in the cell's failure).
/// NUL bytes are refused before SQLite sees them (`a_nul_byte_in_a_dump_fails_instead_of_hanging`).
#[test]
fn mutated_dumps_never_panic_and_unreadable_ones_are_named() {
    let runtime = runtime();
    let engine = SqliteEngine::new(DatabaseSpec::parse("sqlite").unwrap());
    let scratch = tempfile::tempdir().unwrap();
    let seeds = sql_seeds();
    let strategy = (
        0..seeds.len(),
        edits(fragments(SQL_FRAGMENTS), fragments(SQL_FRAGMENTS)),
    );
    runner(CASES_DUMPS)
        .run(&strategy, |(seed, edits)| {
            let (name, original) = &seeds[seed];
            let text = apply(original, &edits);
            let dump = scratch.path().join(name);
            std::fs::write(&dump, &text).unwrap();
            let Some(result) = load_dump(&runtime, &engine, &dump) else {
                return Err(TestCaseError::fail(format!(
                    "loading the dump did not finish in {DUMP_LIMIT:?}:\n{}",
                    String::from_utf8_lossy(&text)
                )));
            };
            match result {
                Ok(output) => prop_assert_eq!(output.code, Some(0)),
                Err(error @ DatabaseError::Dump { .. }) => {
                    let message = error.to_string();
                    prop_assert!(message.contains(&dump.display().to_string()), "{message}");
                    prop_assert!(std::str::from_utf8(&text).is_err(), "{message}");
                }
                Err(DatabaseError::Sql { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected error: {other}"),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_sqlite_dump_seed_loads_as_it_is() {
    let runtime = runtime();
    let engine = SqliteEngine::new(DatabaseSpec::parse("sqlite").unwrap());
    let scratch = tempfile::tempdir().unwrap();
    let dump = scratch.path().join("sqlite-dump.sql");
    std::fs::write(&dump, SQLITE_DUMP).unwrap();
    runtime.block_on(async {
        let database = engine.create().await.unwrap();
        engine.load_dump(&database, &dump).await.unwrap();
        let rows = engine
            .query(&database, "SELECT count(*) FROM players")
            .await
            .unwrap();
        assert_eq!(rows, vec![vec!["2".to_string()]]);
    });
}

/// A NUL byte between two statements: SQLite stops reading the text at it, and the driver asks
/// again for the same remaining text, forever (a worker thread spinning, the step never ending).
/// The same holds for a `sql` step or `sql_file` holding one.
#[test]
fn a_nul_byte_in_a_dump_fails_instead_of_hanging() {
    let runtime = runtime();
    let engine = SqliteEngine::new(DatabaseSpec::parse("sqlite").unwrap());
    let scratch = tempfile::tempdir().unwrap();
    let dump = scratch.path().join("nul.sql");
    std::fs::write(&dump, "SELECT 1;\0SELECT 2;\n").unwrap();
    let result = load_dump(&runtime, &engine, &dump);
    let Some(result) = result else {
        panic!("loading the dump did not finish in {DUMP_LIMIT:?}");
    };
    let err = result.expect_err("a NUL byte is refused");
    assert!(err.to_string().contains("NUL byte at byte 9"), "{err}");
}

/// A long chain in env.py, a migration and a module beside them: `harness init` reads them all
/// (its scanner walks every expression) and must not overflow its stack.
#[test]
#[cfg_attr(
    not(feature = "host-tests"),
    ignore = "needs local Python interpreters (3.10, 3.12) and the package index: cargo test --features host-tests (scripts/test installs it and runs it)"
)]
fn init_reads_sources_with_long_chains() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::repo().join("examples/league"), dir.path());
    let chain = |name: &str| format!("\n{name} = a{}\n", "+1".repeat(120_000));
    let env = dir.path().join("migrations/env.py");
    let text = std::fs::read_to_string(&env).unwrap() + &chain("y");
    std::fs::write(&env, text).unwrap();
    std::fs::write(dir.path().join("migrations/extra.py"), chain("x")).unwrap();
    let out = common::harness(dir.path()).arg("init").output().unwrap();
    assert_ne!(out.status.code(), None, "init was killed: {out:?}");
    assert_ne!(out.status.code(), Some(101), "init panicked: {out:?}");
    assert!(
        dir.path().join("harness.toml").is_file(),
        "init wrote its file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
