//! The lock timeline of each `locks` cell for the HTML report: per revision an inline SVG with one
//! bar per lock on a table that existed before it, from the statement that took it to the end of
//! the revision's transaction, coloured by how much the mode blocks.

use std::fmt::Write;

use super::escape;
use crate::outcome::{RunReport, TracedStatement, lock_mode_name};

/// One section with a heading per `locks` cell and an SVG per revision that took a lock or
/// rewrote a table; nothing when no cell traced.
pub(super) fn timelines(out: &mut String, report: &RunReport) {
    let traced = report.traced_cells();
    if traced.is_empty() {
        return;
    }
    out.push_str("<section id=\"locks\">\n<h2>Lock timeline</h2>\n");
    out.push_str(
        "<p class=\"legend\">Each bar: a lock on a table that existed before the revision, from \
         the statement that took it until the revision's transaction ended. \
         <span class=\"swatch access-exclusive\"></span>blocks reads and writes \
         <span class=\"swatch write-blocking\"></span>blocks writes \
         <span class=\"swatch weak\"></span>blocks neither</p>\n",
    );
    for cell in traced {
        let _ = writeln!(out, "<h3>{}</h3>", escape(&cell.id));
        let mut drawn = false;
        for (revision, statements) in revisions(&cell.trace) {
            drawn |= revision_svg(out, revision, &statements);
        }
        if !drawn {
            out.push_str("<p>No lock on a table that existed before its revision.</p>\n");
        }
    }
    out.push_str("</section>\n");
}

/// The statements grouped by revision, in order; Alembic's own (no revision) left out.
fn revisions(trace: &[TracedStatement]) -> Vec<(&str, Vec<&TracedStatement>)> {
    let mut grouped: Vec<(&str, Vec<&TracedStatement>)> = Vec::new();
    for statement in trace {
        let Some(revision) = statement.revision.as_deref() else {
            continue;
        };
        match grouped.iter_mut().find(|(r, _)| *r == revision) {
            Some((_, list)) => list.push(statement),
            None => grouped.push((revision, vec![statement])),
        }
    }
    grouped
}

const LABEL: f64 = 260.0;
const WIDTH: f64 = 480.0;
const ROW: f64 = 20.0;

/// The revision's bars, on a scale from its first statement to the end of its transaction (the
/// longest hold, or the statements' own time when that is longer). `false` when it held no lock.
fn revision_svg(out: &mut String, revision: &str, statements: &[&TracedStatement]) -> bool {
    let bars: Vec<(&TracedStatement, &crate::outcome::HeldLock)> = statements
        .iter()
        .flat_map(|s| s.locks.iter().map(move |l| (*s, l)))
        .collect();
    if bars.is_empty() {
        return false;
    }
    let own: f64 = statements.iter().map(|s| s.ms).sum();
    let total = bars
        .iter()
        .map(|(_, l)| l.held_ms)
        .fold(own, f64::max)
        .max(1.0);
    let height = ROW * (bars.len() as f64 + 1.0) + 4.0;
    let _ = writeln!(
        out,
        "<svg class=\"timeline\" role=\"img\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\"><title>{} : {} ms</title>",
        LABEL + WIDTH + 70.0,
        LABEL + WIDTH + 70.0,
        escape(revision),
        total.round()
    );
    let _ = writeln!(
        out,
        "<text class=\"revision\" x=\"0\" y=\"{}\">{}</text>",
        ROW - 6.0,
        escape(revision)
    );
    for (row, (statement, lock)) in bars.iter().enumerate() {
        let y = ROW * (row as f64 + 1.0);
        let start = ((total - lock.held_ms) / total * WIDTH).max(0.0);
        let width = (lock.held_ms / total * WIDTH).max(1.5);
        let mode = lock_mode_name(&lock.mode);
        let rows = statement.at_rows(&lock.relation);
        let _ = writeln!(
            out,
            "<g class=\"{}\"><title>{mode} on {} held {:.0} ms{rows} from {}</title>\
             <text x=\"0\" y=\"{}\">{} {mode}</text>\
             <rect x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" rx=\"2\"/>\
             <text class=\"ms\" x=\"{:.1}\" y=\"{}\">{:.0} ms</text></g>",
            class(&lock.mode),
            escape(&lock.relation),
            lock.held_ms,
            escape(&statement.sql),
            y + 14.0,
            escape(&lock.relation),
            LABEL + start,
            y + 3.0,
            width,
            ROW - 6.0,
            LABEL + start + width + 4.0,
            y + 14.0,
            lock.held_ms
        );
    }
    out.push_str("</svg>\n");
    true
}

/// How much a mode blocks: ACCESS EXCLUSIVE blocks reads too; SHARE and stronger block writes.
fn class(mode: &str) -> &'static str {
    if mode == "AccessExclusiveLock" {
        "access-exclusive"
    } else if crate::outcome::WRITE_BLOCKING_LOCKS.contains(&mode) {
        "write-blocking"
    } else {
        "weak"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::HeldLock;

    fn statement(
        revision: &str,
        sql: &str,
        ms: f64,
        locks: &[(&str, &str, f64)],
    ) -> TracedStatement {
        TracedStatement {
            revision: Some(revision.into()),
            file: None,
            line: None,
            sql: sql.into(),
            ms,
            rewrites: Vec::new(),
            locks: locks
                .iter()
                .map(|(relation, mode, held_ms)| HeldLock {
                    relation: (*relation).into(),
                    mode: (*mode).into(),
                    held_ms: *held_ms,
                })
                .collect(),
            rows: [("orders".to_string(), 20_000)].into(),
        }
    }

    #[test]
    fn a_bar_per_lock_ends_with_the_revision_and_is_coloured_by_mode() {
        let trace = vec![
            statement(
                "0002",
                "CREATE INDEX ix ON orders (email)",
                15.0,
                &[("orders", "ShareLock", 20.0)],
            ),
            statement(
                "0003",
                "ALTER TABLE orders ADD COLUMN a <b>",
                1.0,
                &[("orders", "AccessExclusiveLock", 40.0)],
            ),
            statement(
                "0003",
                "UPDATE orders SET a = 1",
                30.0,
                &[("orders", "RowExclusiveLock", 30.0)],
            ),
            statement("0004", "CREATE TABLE audit (id int)", 1.0, &[]),
        ];
        let mut out = String::new();
        for (revision, statements) in revisions(&trace) {
            revision_svg(&mut out, revision, &statements);
        }
        assert_eq!(out.matches("<svg").count(), 2, "0004 held no lock: {out}");
        assert_eq!(out.matches("<rect").count(), 3, "{out}");
        assert!(out.contains("<g class=\"write-blocking\"><title>SHARE on orders held 20 ms at 20,000 rows from CREATE INDEX"), "{out}");
        assert!(out.contains("<g class=\"access-exclusive\">"), "{out}");
        assert!(out.contains("<g class=\"weak\">"), "{out}");
        // 0003's transaction lasted 40 ms: the exclusive lock spans the bar's whole width, the
        // row lock taken 10 ms later starts a quarter in.
        assert!(out.contains(&format!("<rect x=\"{:.1}\"", LABEL)), "{out}");
        assert!(
            out.contains(&format!("<rect x=\"{:.1}\"", LABEL + WIDTH / 4.0)),
            "{out}"
        );
        assert!(out.contains("ADD COLUMN a &lt;b&gt;"), "escaped: {out}");
    }
}
