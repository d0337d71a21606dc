//! The `trestle` command as a user meets it: the demo, a mapping-only run,
//! and the errors a bad config or a missing database produce.

use std::path::Path;
use std::process::{Command, Output};

fn trestle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trestle")).args(args).current_dir(dir).output().expect("trestle runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn the_demo_checks_both_connections_and_leaves_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = trestle(&["demo", "--orders", "12", "--no-serve"], dir.path());
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("ok    shop: CCV Shop"), "{said}");
    assert!(said.contains("ok    books: Visma eAccounting"), "{said}");
    for flow in ["customers", "orders", "stock"] {
        let summary = said.lines().any(|l| l.starts_with(&format!("{flow}: ")) && l.contains(" synced, "));
        assert!(summary, "the demo runs every flow and prints its summary; no {flow}: {said}");
    }
    // Paid orders end paid in the books, not as open invoices.
    assert!(said.contains("payment(s) registered on invoices"), "{said}");
    assert!(!said.contains("payments not registered"), "{said}");
    let config = dir.path().join(".trestle/demo/tenant.toml");
    assert!(config.exists());
    let logs = trestle(&["logs", "--config", config.to_str().unwrap(), "--json"], dir.path());
    assert!(logs.status.success(), "{}", text(&logs));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&logs.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!lines.is_empty(), "the demo wrote to the activity log");
    assert!(lines.iter().all(|l| l["tenant"] == "demo-shop"));
    let all = String::from_utf8_lossy(&logs.stdout).to_string();
    assert!(!all.contains("ccv-demo-secret-key") && !all.contains("trestle-demo-secret"), "no secret in the log");
}

#[test]
fn a_config_without_flows_runs_its_mapping_over_a_sample_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), "tenant = \"t1\"\n[mapping]\nmodule = \"country-codes\"\n").unwrap();
    let out = trestle(&["run", "--config", "t.toml"], dir.path());
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("billing country    \"Netherlands\" -> \"NL\""), "{said}");
    assert!(said.contains("YourReference = \"Webshop order WEB-1001\""), "{said}");
}

#[test]
fn a_bad_config_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), "tenant = \"t1\"\n[flows.orders]\nroles = { order-source = \"shop\" }\n")
        .unwrap();
    let out = trestle(&["run", "--config", "t.toml"], dir.path());
    let said = text(&out);
    assert!(!out.status.success());
    assert!(said.contains("flows.orders.roles.order-source") && said.contains("`shop`"), "{said}");

    std::fs::write(dir.path().join("m.toml"), "tenant = \"t1\"\n[mapping]\nmodule = \"nope\"\n").unwrap();
    let said = text(&trestle(&["run", "--config", "m.toml"], dir.path()));
    assert!(said.contains("`mapping.module` = \"nope\" is neither a built-in mapping module nor a path"), "{said}");
}

#[test]
fn logs_before_any_run_say_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), "tenant = \"t1\"\n").unwrap();
    let out = trestle(&["logs", "--config", "t.toml"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out).contains("no activity yet"), "{}", text(&out));
    let bad = trestle(&["logs", "--config", "t.toml", "--outcome", "lost"], dir.path());
    assert!(text(&bad).contains("allowed: synced, skipped, parked, failed"), "{}", text(&bad));
}
