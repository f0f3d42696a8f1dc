//! The checks: from the parsed files and their graph to findings, one function per kind, sorted by
//! code then place. Reads what the files and the graph say; decides severity only through [`Code`].

use std::collections::HashMap;

use super::finding::{Code, Finding};
use super::graph::RevisionGraph;
use super::revision_file::{FileProblem, Position, RevisionFile};
use super::suggest::Suggester;

/// How many revisions of a branch are spelled out before the rest is elided.
const PATH_SHOWN: usize = 4;

/// Every finding for these files, sorted.
pub fn check(files: &[RevisionFile], graph: &RevisionGraph, version_length: usize) -> Vec<Finding> {
    let mut findings = Vec::new();
    file_problems(files, &mut findings);
    duplicates(files, graph, &mut findings);
    unknown_references(files, graph, &mut findings);
    heads(files, graph, &mut findings);
    forks(files, graph, &mut findings);
    cycles(files, graph, &mut findings);
    too_long(files, graph, version_length, &mut findings);
    findings.sort_by(|a, b| (a.code, &a.file, a.at).cmp(&(b.code, &b.file, b.at)));
    findings
}

fn revision_at(file: &RevisionFile) -> Position {
    file.revision.as_ref().map_or(Position::START, |r| r.at)
}

fn list(ids: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    ids.into_iter()
        .map(|id| format!("`{}`", id.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn file_problems(files: &[RevisionFile], findings: &mut Vec<Finding>) {
    for file in files {
        let mut revision_unreadable = false;
        for problem in &file.problems {
            let finding = match problem {
                FileProblem::Unreadable { detail } => {
                    revision_unreadable = true;
                    Finding::new(
                        Code::Unparsable,
                        &file.path,
                        Position::START,
                        format!("cannot read the file: {detail}"),
                    )
                    .with_hint("Alembic cannot load the versions folder while this file is there")
                }
                FileProblem::Syntax { at, detail } => Finding::new(
                    Code::Unparsable,
                    &file.path,
                    *at,
                    format!("syntax error: {detail}"),
                )
                .with_hint("Python cannot import this file, so Alembic cannot load any revision"),
                FileProblem::NotLiteral { name, at, why } => {
                    revision_unreadable |= *name == "revision";
                    Finding::new(
                        Code::NotLiteral,
                        &file.path,
                        *at,
                        format!("`{name}` is {why}: lint cannot follow it"),
                    )
                    .with_hint("write it as a literal, as Alembic's revision template does")
                }
            };
            findings.push(finding);
        }
        if file.revision.is_none() && !revision_unreadable {
            findings.push(
                Finding::new(
                    Code::NoRevision,
                    &file.path,
                    Position::START,
                    format!("`{}` defines no `revision`", file.name()),
                )
                .with_hint(
                    "Alembic refuses to load a versions folder with such a file: add `revision = \"<id>\"` or move the file elsewhere",
                ),
            );
        }
    }
}

fn duplicates(files: &[RevisionFile], graph: &RevisionGraph, findings: &mut Vec<Finding>) {
    for (index, file) in files.iter().enumerate() {
        let Some(revision) = &file.revision else {
            continue;
        };
        let Some(node) = graph.find(&revision.value) else {
            continue;
        };
        let first = graph.revisions[node].file;
        if first != index {
            let other = &files[first];
            findings.push(
                Finding::new(
                    Code::DuplicateRevision,
                    &file.path,
                    revision.at,
                    format!(
                        "revision `{}` is also defined in {} (line {})",
                        revision.value,
                        other.name(),
                        revision_at(other).line
                    ),
                )
                .with_hint(
                    "give one of them a new id (and update the down_revision that names it)",
                ),
            );
        }
    }
    let mut owners: HashMap<&str, usize> = HashMap::new();
    for (node, revision) in graph.revisions.iter().enumerate() {
        for label in &revision.labels {
            if let Some(&owner) = owners.get(label.as_str()) {
                let file = &files[revision.file];
                let at = file
                    .branch_labels
                    .as_ref()
                    .map_or(Position::START, |b| b.at);
                findings.push(
                    Finding::new(
                        Code::DuplicateBranchLabel,
                        &file.path,
                        at,
                        format!(
                            "branch label `{label}` is also used by revision `{}`",
                            graph.id(owner)
                        ),
                    )
                    .with_hint("Alembic refuses a branch label used twice: rename one"),
                );
            } else {
                owners.insert(label, node);
            }
        }
    }
}

fn unknown_references(files: &[RevisionFile], graph: &RevisionGraph, findings: &mut Vec<Finding>) {
    let suggester = std::cell::OnceCell::new();
    let hint = |name: &str| match suggester
        .get_or_init(|| Suggester::new(files, graph))
        .suggest(name)
    {
        Some((id, file)) => format!("did you mean `{id}` (in {file})?"),
        None => "check the id for a typo, or whether a revision file is missing".to_string(),
    };
    for revision in &graph.revisions {
        let file = &files[revision.file];
        for down in &revision.down {
            if graph.find(down).is_none() {
                let at = file
                    .down_revision
                    .as_ref()
                    .map_or(Position::START, |d| d.at);
                findings.push(
                    Finding::new(
                        Code::UnknownDownRevision,
                        &file.path,
                        at,
                        format!(
                            "`{}` has down_revision `{down}`, which no revision file defines",
                            revision.id
                        ),
                    )
                    .with_hint(hint(down)),
                );
            }
        }
        for dependency in &revision.depends_on {
            if graph.resolve(dependency).is_none() {
                let at = file.depends_on.as_ref().map_or(Position::START, |d| d.at);
                findings.push(
                    Finding::new(
                        Code::UnknownDependency,
                        &file.path,
                        at,
                        format!(
                            "`{}` depends on `{dependency}`, which is neither a revision nor a branch label",
                            revision.id
                        ),
                    )
                    .with_hint(hint(dependency)),
                );
            }
        }
    }
}

/// How a branch reaches `head`: "from the fork at `a`: b → c → head" (elided when long), with the
/// branch labels on the way.
pub fn describe_branch(graph: &RevisionGraph, head: usize) -> String {
    let (mut path, fork) = graph.branch_to(head);
    path.reverse();
    let mut labels: Vec<&str> = path
        .iter()
        .flat_map(|&n| graph.revisions[n].labels.iter().map(String::as_str))
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let ids: Vec<&str> = path.iter().map(|&n| graph.id(n)).collect();
    let chain = if ids.len() > PATH_SHOWN {
        format!(
            "{} → {} → … → {} ({} revisions)",
            ids[0],
            ids[1],
            ids[ids.len() - 1],
            ids.len()
        )
    } else {
        ids.join(" → ")
    };
    let start = match fork {
        Some(fork) => format!("from the fork at `{}`", graph.id(fork)),
        None => match graph.parents(path[0]) {
            [] if graph.revisions[path[0]].down.is_empty() => "from the base".to_string(),
            [] => format!(
                "after the unknown down_revision {}",
                list(&graph.revisions[path[0]].down)
            ),
            [parent] => format!("after `{}`", graph.id(*parent)),
            _ => format!("from the merge `{}`", graph.id(path[0])),
        },
    };
    let labels = if labels.is_empty() {
        String::new()
    } else {
        format!(" (branch {})", list(labels))
    };
    format!("{start}: {chain}{labels}")
}

fn heads(files: &[RevisionFile], graph: &RevisionGraph, findings: &mut Vec<Finding>) {
    let heads = graph.heads();
    if heads.len() < 2 {
        return;
    }
    let all = list(heads.iter().map(|&h| graph.id(h)));
    for &head in &heads {
        let file = &files[graph.revisions[head].file];
        findings.push(
            Finding::new(
                Code::MultipleHeads,
                &file.path,
                revision_at(file),
                format!(
                    "`{}` is one of {} heads ({all}), reached {}",
                    graph.id(head),
                    heads.len(),
                    describe_branch(graph, head)
                ),
            )
            .with_hint(
                "`alembic upgrade head` refuses several heads: join them with `alembic merge heads`, or re-point one branch's down_revision",
            ),
        );
    }
}

fn forks(files: &[RevisionFile], graph: &RevisionGraph, findings: &mut Vec<Finding>) {
    for (fork, rejoin) in graph.rejoins() {
        if graph.is_after_cycle(fork) {
            continue;
        }
        let file = &files[graph.revisions[fork].file];
        let children = graph.children(fork);
        let names = list(children.iter().map(|&c| graph.id(c)));
        let id = graph.id(fork);
        let finding = match rejoin {
            Some(join) => Finding::new(
                Code::ForkRejoined,
                &file.path,
                revision_at(file),
                format!(
                    "`{id}` has {} children ({names}); their branches meet again at the merge `{}`",
                    children.len(),
                    graph.id(join)
                ),
            )
            .with_hint(format!(
                "a database stamped at `{id}` or inside one branch upgrades through the others too: check that the branches do not touch the same tables, or chain them one after the other"
            )),
            None => Finding::new(
                Code::ForkNotRejoined,
                &file.path,
                revision_at(file),
                format!(
                    "`{id}` has {} children ({names}) whose branches never all meet again",
                    children.len()
                ),
            )
            .with_hint("add a merge revision (`alembic merge`) or re-point one child's down_revision"),
        };
        findings.push(finding);
    }
}

fn cycles(files: &[RevisionFile], graph: &RevisionGraph, findings: &mut Vec<Finding>) {
    for cycle in graph.cycles() {
        let first = cycle[0];
        let file = &files[graph.revisions[first].file];
        let at = file
            .down_revision
            .as_ref()
            .map_or(revision_at(file), |d| d.at);
        let message = if cycle.len() == 1 {
            format!("`{}` names itself as its down_revision", graph.id(first))
        } else {
            format!(
                "revisions {} descend from each other (a cycle)",
                list(cycle.iter().map(|&n| graph.id(n)))
            )
        };
        findings.push(
            Finding::new(Code::Cycle, &file.path, at, message).with_hint(
                "Alembic cannot order these revisions: break the cycle by fixing a down_revision",
            ),
        );
    }
}

/// The width a migration gives Alembic's version column (`alter_column("alembic_version",
/// "version_num", type_=sa.String(64))`, or SQL such as `ALTER TABLE alembic_version ALTER COLUMN
/// version_num TYPE VARCHAR(64)`), if it widens it.
pub fn widened_width(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut best = None;
    let mut from = 0;
    while let Some(at) = lower[from..].find("version_num") {
        let start = from + at;
        from = start + "version_num".len();
        let before = &lower[lower.floor_char_boundary(start.saturating_sub(400))..start];
        if !before.contains("alembic_version") && !before.contains("version_table") {
            continue;
        }
        let window = &lower[from..lower.floor_char_boundary(from + 200)];
        let window = window
            .split(['\n', ';'])
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        for marker in ["string(", "varchar(", "unicode(", "length="] {
            if let Some(pos) = window.find(marker) {
                let digits: String = window[pos + marker.len()..]
                    .trim_start()
                    .trim_start_matches("length=")
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let Ok(width) = digits.parse::<usize>() {
                    best = best.max(Some(width));
                }
            }
        }
    }
    best
}

fn too_long(
    files: &[RevisionFile],
    graph: &RevisionGraph,
    version_length: usize,
    findings: &mut Vec<Finding>,
) {
    if graph
        .revisions
        .iter()
        .all(|r| r.id.chars().count() <= version_length)
    {
        return;
    }
    // A revision that widens the version column: it and every revision after it may be longer.
    let widened: Vec<(usize, usize)> = graph
        .revisions
        .iter()
        .enumerate()
        .filter_map(|(node, revision)| {
            let text = std::fs::read_to_string(&files[revision.file].path).ok()?;
            let width = widened_width(&text)?;
            (width > version_length).then_some((node, width))
        })
        .collect();
    for (node, revision) in graph.revisions.iter().enumerate() {
        let length = revision.id.chars().count();
        if length <= version_length {
            continue;
        }
        let ancestors = if widened.is_empty() {
            Default::default()
        } else {
            graph.ancestors(node)
        };
        let version_length = widened
            .iter()
            .filter(|(widener, _)| *widener == node || ancestors.contains(widener))
            .map(|(_, width)| *width)
            .max()
            .unwrap_or(version_length);
        if length > version_length {
            let file = &files[revision.file];
            findings.push(
                Finding::new(
                    Code::RevisionTooLong,
                    &file.path,
                    revision_at(file),
                    format!(
                        "revision id `{}` is {length} characters; the version column holds {version_length}",
                        revision.id
                    ),
                )
                .with_hint(format!(
                    "recording it fails on PostgreSQL and MySQL (VARCHAR({version_length})); shorten the id, or widen the column in an earlier revision, or set `[lint] version_length` in harness.toml (or --version-length) when the column is wider"
                )),
            );
        }
    }
}

#[cfg(test)]
mod widening_tests {
    use super::widened_width;

    #[test]
    fn a_migration_that_widens_the_version_column_is_read() {
        let op = "op.alter_column(\n    \"alembic_version\",\n    \"version_num\",\n    type_=sa.String(length=128),\n)";
        assert_eq!(widened_width(op), Some(128));
        let sql =
            "op.execute(\"ALTER TABLE alembic_version ALTER COLUMN version_num TYPE VARCHAR(64)\")";
        assert_eq!(widened_width(sql), Some(64));
        assert_eq!(
            widened_width("op.add_column('t', sa.Column('version_num', sa.String(10)))"),
            None
        );
    }
}
