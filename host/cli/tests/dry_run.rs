//! `trestle run --dry-run` as a user meets it: the stock flow against both
//! emulators, every planned write printed, nothing sent to the shop.

use std::path::Path;
use std::process::{Command, Output};

use trestle_emulators::{Emulators, Options};

fn trestle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trestle")).args(args).current_dir(dir).output().expect("trestle runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn shop_writes(emulators: &Emulators) -> u64 {
    emulators.ccvshop.request_counts().iter().filter(|(e, _)| !e.starts_with("GET ")).map(|(_, n)| n).sum()
}

#[test]
fn a_dry_run_prints_the_stock_it_would_set_and_sets_none() {
    let emulators =
        Emulators::start(Options { orders: 4, products: 8, rate_limits: false, ..Options::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "tenant = \"t1\"\n{}\n[flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n",
        emulators.connection_settings().tenant_connections()
    );
    std::fs::write(dir.path().join("tenant.toml"), config).unwrap();

    let json = trestle(&["run", "--config", "tenant.toml", "--dry-run", "--json"], dir.path());
    assert!(json.status.success(), "{}", text(&json));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let stock: Vec<&serde_json::Value> = lines
        .iter()
        .flat_map(|l| l["writes"].as_array().into_iter().flatten())
        .filter(|w| w["operation"] == "stock")
        .collect();
    assert!(!stock.is_empty(), "{lines:?}");
    assert!(stock.iter().all(|w| w["target"] == "ccvshop" && w["args"]["sku"].is_string()), "{stock:?}");
    assert_eq!(shop_writes(&emulators), 0, "the dry run set no stock");

    let people = trestle(&["run", "--config", "tenant.toml", "--dry-run"], dir.path());
    let said = text(&people);
    assert!(people.status.success(), "{said}");
    assert!(said.contains("stock (dry run, nothing written)"), "{said}");
    assert!(said.contains("ccvshop stock (stock-sink.set-stock)"), "{said}");
    assert_eq!(shop_writes(&emulators), 0);

    // The real run then sets what the dry run listed.
    let real = trestle(&["run", "--config", "tenant.toml"], dir.path());
    assert!(real.status.success(), "{}", text(&real));
    assert_eq!(shop_writes(&emulators), stock.len() as u64, "{:?}", emulators.ccvshop.request_counts());
}
