//! `trestle check` refuses what `trestle run` would refuse, before a run:
//! bad flow settings, role bindings the flow or the connector cannot take,
//! flows that do not exist; a connection the network policy refuses. And
//! no wasm backtrace reaches the user.

use std::path::Path;
use std::process::{Command, Output};

use trestle_emulators::{Emulators, Options};

fn trestle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trestle")).args(args).current_dir(dir).output().expect("trestle runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn emulators() -> Emulators {
    Emulators::start(Options { orders: 4, products: 8, rate_limits: false, ..Options::default() }).unwrap()
}

/// A config for the emulators with these flow tables.
fn write_config(dir: &Path, emulators: &Emulators, flows: &str) {
    let config = format!("tenant = \"t1\"\n{}\n{flows}", emulators.connection_settings().tenant_connections());
    std::fs::write(dir.join("tenant.toml"), config).unwrap();
}

const GOOD_STOCK: &str = "[flows.stock]\nroles = { stock-source = \"books\", stock-sink = \"shop\" }\n\
                          [flows.stock.settings]\nmanage_stock = false\n";

#[test]
fn check_refuses_what_a_run_would_refuse_and_changes_nothing() {
    let emulators = emulators();
    let dir = tempfile::tempdir().unwrap();

    // A good flow passes, and checking it runs nothing for real: the stock
    // flow with manage_stock = false would forget its ledger in a real run.
    write_config(dir.path(), &emulators, GOOD_STOCK);
    let out = trestle(&["check", "--config", "tenant.toml"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ok    flow stock: roles bound, settings accepted"), "{}", text(&out));
    let logs = trestle(&["logs", "--config", "tenant.toml", "--component", "stock"], dir.path());
    assert_eq!(String::from_utf8_lossy(&logs.stdout).lines().count(), 1, "only the header: {}", text(&logs));

    for (flows, expected) in [
        (
            "[flows.stock]\nroles = { stock-source = \"books\", stock-sink = \"shop\" }\n\
             [flows.stock.settings]\ncalculation = \"sideways\"\n",
            "FAIL  flow stock: flow `stock` refuses to start: invalid: ",
        ),
        (
            "[flows.stock]\nroles = { stock-source = \"shop\", stock-sink = \"shop\" }\n",
            "FAIL  flow stock: flow `stock` binds the role `stock-source` to the connection `shop`, whose connector \
             `ccvshop` does not play it",
        ),
        (
            "[flows.stock]\nroles = { stock-source = \"books\", stock-sink = \"shop\", order-source = \"shop\" }\n",
            "FAIL  flow stock: flow `stock` does not use the role `order-source` (bound to `shop`); it uses: ",
        ),
        (
            "[flows.invoices]\nroles = { order-source = \"shop\" }\n",
            "FAIL  flow invoices: `flows.invoices.component` = \"invoices\" is neither a built-in flow",
        ),
    ] {
        write_config(dir.path(), &emulators, flows);
        let out = trestle(&["check", "--config", "tenant.toml"], dir.path());
        let said = text(&out);
        assert!(!out.status.success(), "check must fail for:\n{flows}\n{said}");
        assert!(said.contains(expected), "expected {expected:?} in:\n{said}");
        assert!(said.contains("ok    shop") && said.contains("ok    books"), "the connections are fine: {said}");
        assert!(!said.contains("wasm backtrace"), "no backtrace reaches the user: {said}");
    }
}

#[test]
fn a_bad_role_binding_fails_a_run_once_in_words_without_a_backtrace() {
    let emulators = emulators();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &emulators, "[flows.stock]\nroles = { stock-source = \"shop\", stock-sink = \"shop\" }\n");
    let out = trestle(&["run", "--config", "tenant.toml"], dir.path());
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(!said.contains("wasm backtrace"), "{said}");
    assert_eq!(said.matches("does not play it").count(), 1, "said once: {said}");
}

#[test]
fn a_connection_whose_name_leads_to_this_machine_needs_the_allowance() {
    let emulators = emulators();
    let dir = tempfile::tempdir().unwrap();
    // `localhost` passes the allowlist (it is the configured host) but
    // resolves to loopback, which only an allowed connection may reach.
    let connections = emulators
        .connection_settings()
        .tenant_connections()
        .replace("127.0.0.1", "localhost")
        .replace("allow_private_network = true\n", "");
    std::fs::write(dir.path().join("tenant.toml"), format!("tenant = \"t1\"\n{connections}")).unwrap();
    let out = trestle(&["check", "--config", "tenant.toml"], dir.path());
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("FAIL  shop: the host refused a request: request to localhost:"), "{said}");
    assert!(said.contains("a loopback address") && said.contains("allow_private_network = true"), "{said}");
    assert!(!said.contains("API key"), "not reported as a key problem: {said}");

    std::fs::write(
        dir.path().join("tenant.toml"),
        format!(
            "tenant = \"t1\"\n{}",
            connections.replace("connector = \"ccvshop\"\n", "connector = \"ccvshop\"\nallow_private_network = true\n")
        ),
    )
    .unwrap();
    let out = trestle(&["check", "--config", "tenant.toml"], dir.path());
    assert!(text(&out).contains("ok    shop"), "{}", text(&out));
}
