//! GDPR from the command line: payloads go at the end of the retention
//! period (at once with `payload_days = 0`), and `trestle purge --tenant`
//! erases everything of a tenant, saying what it removed.

use std::path::Path;

use crate::common;
use common::{stock_tenant, text, trestle};

fn count(dir: &Path, sql: &str) -> i64 {
    let db = rusqlite::Connection::open(dir.join(".trestle/trestle.db")).unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_tenant_that_keeps_no_payloads_has_none_after_its_run_and_keeps_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let _emulators = stock_tenant(dir.path());
    let config = dir.path().join("tenant.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[retention]\npayload_days = 0\n");
    std::fs::write(&config, toml).unwrap();

    let run = trestle(&["run", "--config", "tenant.toml"], dir.path());
    assert!(run.status.success(), "{}", text(&run));
    assert!(count(dir.path(), "SELECT COUNT(*) FROM activity WHERE kind = 'record'") > 0, "the audit stays");
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM activity WHERE payload IS NOT NULL"), 0);
}

#[test]
fn purge_erases_every_row_of_the_named_tenant_and_says_what() {
    let dir = tempfile::tempdir().unwrap();
    let _emulators = stock_tenant(dir.path());
    let run = trestle(&["run", "--config", "tenant.toml"], dir.path());
    assert!(run.status.success(), "{}", text(&run));
    assert!(count(dir.path(), "SELECT COUNT(*) FROM activity WHERE payload IS NOT NULL") > 0, "30 days by default");
    let held = count(dir.path(), "SELECT COUNT(*) FROM state WHERE tenant = 't1'");
    assert!(held > 0, "the run left state (tokens, the stock ledger)");

    let unnamed = trestle(&["purge", "--config", "tenant.toml"], dir.path());
    assert!(!unnamed.status.success(), "erasing needs the tenant named");
    assert!(text(&unnamed).contains("--tenant"), "{}", text(&unnamed));

    let purge = trestle(&["purge", "--config", "tenant.toml", "--tenant", "t1"], dir.path());
    let said = text(&purge);
    assert!(purge.status.success(), "{said}");
    assert!(said.contains("erased tenant `t1` from the database "), "{said}");
    assert!(said.contains(&format!("{held} state")), "{said}");
    for table in ["state", "activity", "runs", "run_leases", "incidents", "flow_health", "tenant_tokens"] {
        assert_eq!(count(dir.path(), &format!("SELECT COUNT(*) FROM {table} WHERE tenant = 't1'")), 0, "{table}");
    }
    let again = trestle(&["purge", "--config", "tenant.toml", "--tenant", "t1"], dir.path());
    assert!(text(&again).contains("it held nothing of `t1`"), "{}", text(&again));
}
