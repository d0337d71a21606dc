//! Secrets at rest: with the operator's state keys set, no state value
//! (refresh and access tokens among them) is in the database as written;
//! without the key the tenant does not run; a rotation with `trestle rekey`
//! moves every value to the new key, after which the old one can go.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;
use common::{stock_tenant, text};

fn trestle_with_keys(args: &[&str], dir: &Path, keys: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trestle"));
    command.args(args).current_dir(dir).env_remove("TRESTLE_STATE_KEYS").env_remove("TRESTLE_STATE_KEYS_FILE");
    if let Some(keys) = keys {
        command.env("TRESTLE_STATE_KEYS", keys);
    }
    command.output().unwrap()
}

fn new_key(dir: &Path, id: &str) -> String {
    let made = trestle_with_keys(&["rekey", "--new-key", id], dir, None);
    assert!(made.status.success(), "{}", text(&made));
    String::from_utf8(made.stdout).unwrap().trim().to_string()
}

/// Every state value as stored, with its namespace and key.
fn stored(dir: &Path) -> Vec<(String, String, String)> {
    let db = rusqlite::Connection::open(dir.join(".trestle/trestle.db")).unwrap();
    let mut stmt = db.prepare("SELECT namespace, key, value FROM state").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

fn all_sealed_with(dir: &Path, id: &str) {
    let rows = stored(dir);
    assert!(rows.iter().any(|(ns, _, _)| ns == "books"), "the books connection keeps its tokens: {rows:?}");
    for (namespace, key, value) in rows {
        assert!(value.starts_with(&format!("sealed:v1:{id}:")), "{namespace}/{key} is stored as {value:?}");
    }
}

#[test]
fn tokens_are_sealed_at_rest_and_a_rotation_moves_them_to_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let _emulators = stock_tenant(dir);
    let (k1, k2) = (new_key(dir, "k1"), new_key(dir, "k2"));
    let run = |keys: Option<&str>| trestle_with_keys(&["run", "--config", "tenant.toml"], dir, keys);

    let first = run(Some(&k1));
    assert!(first.status.success(), "{}", text(&first));
    all_sealed_with(dir, "k1");

    let without = run(None);
    assert!(!without.status.success(), "the tokens cannot be read without the key");
    assert!(text(&without).contains("no state keys are set: set TRESTLE_STATE_KEYS"), "{}", text(&without));

    let rotated = format!("{k2},{k1}");
    let during = run(Some(&rotated));
    assert!(during.status.success(), "the old key still opens: {}", text(&during));
    let rekey = trestle_with_keys(&["rekey", "--config", "tenant.toml"], dir, Some(&rotated));
    assert!(rekey.status.success(), "{}", text(&rekey));
    assert!(text(&rekey).contains("state values of `t1` with key `k2`"), "{}", text(&rekey));
    all_sealed_with(dir, "k2");

    let after = run(Some(&k2));
    assert!(after.status.success(), "the old key can go: {}", text(&after));
    let old_only = run(Some(&k1));
    assert!(!old_only.status.success());
    assert!(
        text(&old_only).contains("sealed with state key `k2`, which is not among the keys set (k1)"),
        "{}",
        text(&old_only)
    );
}
