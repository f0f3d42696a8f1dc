//! Parser robustness: truncated files, odd quoting, unicode and random bytes never panic, and lint
//! over a folder of such files always produces a report.

use std::path::Path;

use harness::lint::{self, FileProblem, RevisionFile, VersionDirs};
use proptest::prelude::*;

const GOOD: &str = "\"\"\"add «users» ✓\n\nRevision ID: a1\n\"\"\"\nfrom typing import Union\n\
revision: str = 'a1'\ndown_revision: Union[str, None] = (\"a0\", r'b\\0', u'''c''',)\n\
branch_labels = f'x{{y}}'\ndepends_on = ['d' 'e', \"\\N{EM DASH}\", b'f']\n\n\ndef upgrade():\n    op.execute(\"SELECT '\\\\'\")\n";

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("revision = ".to_string()),
        Just("down_revision: str = ".to_string()),
        Just("depends_on = (".to_string()),
        Just("branch_labels = [".to_string()),
        Just("'".to_string()),
        Just("\"\"\"".to_string()),
        Just("'''".to_string()),
        Just("\\".to_string()),
        Just("\\x".to_string()),
        Just("\\N{".to_string()),
        Just("rb".to_string()),
        Just("f'{".to_string()),
        Just(",".to_string()),
        Just(")".to_string()),
        Just("\n".to_string()),
        Just("\n    ".to_string()),
        Just("None".to_string()),
        Just("#".to_string()),
        Just("é✓\u{feff}\u{202e}𝔘".to_string()),
        "[a-z0-9_]{1,8}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn truncated_files_never_panic(cut in 0usize..=GOOD.len()) {
        let mut end = cut;
        while !GOOD.is_char_boundary(end) {
            end -= 1;
        }
        let file = RevisionFile::parse(Path::new("a1_x.py"), &GOOD[..end]);
        if end == GOOD.len() {
            let syntax = file.problems.iter().any(|p| matches!(p, FileProblem::Syntax { .. }));
            prop_assert!(!syntax);
        }
    }

    #[test]
    fn random_fragments_never_panic(parts in proptest::collection::vec(fragment(), 0..40)) {
        let source = parts.concat();
        let file = RevisionFile::parse(Path::new("x.py"), &source);
        for problem in &file.problems {
            let _ = format!("{problem:?}");
        }
    }

    #[test]
    fn plain_string_literals_decode_like_python(
        text in "[^'\"\\\\\r\n]{0,20}",
        prefix in prop_oneof![Just(""), Just("u"), Just("r"), Just("R")],
        quote in prop_oneof![Just("'"), Just("\""), Just("'''"), Just("\"\"\"")],
    ) {
        let source = format!("revision = {prefix}{quote}{text}{quote}\n");
        let file = RevisionFile::parse(Path::new("x.py"), &source);
        prop_assert_eq!(file.revision.map(|r| r.value), Some(text));
    }

    #[test]
    fn odd_literals_never_panic(
        text in any::<String>(),
        prefix in "[rRbBuUfFtT]{0,2}",
        quote in prop_oneof![Just("'"), Just("\""), Just("'''")],
    ) {
        let source = format!("revision = {prefix}{quote}{text}{quote}\ndown_revision = ({prefix}{quote}{text}");
        let _ = RevisionFile::parse(Path::new("x.py"), &source);
    }

    #[test]
    fn lint_reports_on_a_folder_of_garbage(files in proptest::collection::vec(proptest::collection::vec(fragment(), 0..20), 1..6), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let dir = tempfile::tempdir().unwrap();
        for (index, parts) in files.iter().enumerate() {
            std::fs::write(dir.path().join(format!("f{index}.py")), parts.concat()).unwrap();
        }
        std::fs::write(dir.path().join("raw.py"), &bytes).unwrap();
        let report = lint::analyze(&VersionDirs::folder(dir.path()), 32).unwrap();
        prop_assert_eq!(report.files.len(), files.len() + 1);
        for format in [lint::render::json(&report, dir.path()), lint::render::sarif(&report, dir.path())] {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&format).is_ok());
        }
        let _ = lint::render::human(&report, dir.path(), false);
        let _ = lint::render::tree(&report.graph);
        let _ = lint::render::dot(&report.graph);
        let _ = lint::render::mermaid(&report.graph);
    }
}

#[test]
fn the_full_sample_parses_with_its_odd_literals() {
    let file = RevisionFile::parse(Path::new("a1_x.py"), GOOD);
    assert_eq!(file.revision.map(|r| r.value).as_deref(), Some("a1"));
    assert_eq!(
        file.down_revision.map(|d| d.value),
        Some(vec!["a0".to_string(), "b\\0".to_string(), "c".to_string()])
    );
    // An f-string and a bytes literal are not what Alembic expects: problems, not guesses.
    assert_eq!(file.branch_labels, None);
    assert_eq!(file.depends_on, None);
    assert_eq!(file.problems.len(), 2, "{:?}", file.problems);
    let text = GOOD.replace("b'f'", "'f'").replace("f'x{{y}}'", "'x{y}'");
    let file = RevisionFile::parse(Path::new("a1_x.py"), &text);
    assert_eq!(file.problems, vec![]);
    assert_eq!(
        file.depends_on.map(|d| d.value),
        Some(vec![
            "de".to_string(),
            "\u{2014}".to_string(),
            "f".to_string()
        ])
    );
}
