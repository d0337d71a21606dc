//! A run that cannot write its activity log says so and fails, naming the
//! database, instead of exiting 0 with the audit trail silently gone.

use crate::common;

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use common::{text, trestle};

/// Overwrites the pages of the activity table and its indexes, as a disk
/// fault would, leaving every other table intact.
fn damage_activity_pages(database: &Path) {
    let (page_size, pages) = {
        let conn = rusqlite::Connection::open(database).unwrap();
        let page_size: u64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        let mut stmt =
            conn.prepare("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'activity' AND rootpage > 0").unwrap();
        let pages: Vec<u64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        (page_size, pages)
    };
    assert!(!pages.is_empty());
    let mut file = std::fs::OpenOptions::new().write(true).open(database).unwrap();
    for page in pages {
        file.seek(SeekFrom::Start((page - 1) * page_size)).unwrap();
        file.write_all(&vec![0xA5; page_size as usize]).unwrap();
    }
}

#[test]
fn a_run_whose_activity_cannot_be_written_fails_and_counts_what_was_lost() {
    let dir = tempfile::tempdir().unwrap();
    let _emulators = common::stock_tenant(dir.path());
    let first = trestle(&["run", "--config", "tenant.toml"], dir.path());
    assert!(first.status.success(), "{}", text(&first));

    let database = dir.path().join(".trestle/trestle.db");
    damage_activity_pages(&database);
    let second = trestle(&["run", "--config", "tenant.toml"], dir.path());
    let said = text(&second);
    assert!(!second.status.success(), "a run that lost its activity does not exit 0: {said}");
    assert!(said.contains("activity-log entries of this run were lost"), "{said}");
    let count = said
        .split(" activity-log entries of this run were lost")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(count > 0, "the summary counts the lost entries: {said}");
    assert!(said.contains(&database.display().to_string()), "the error names the database file: {said}");
}
