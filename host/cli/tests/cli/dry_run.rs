//! `trestle run --dry-run` as a user meets it: the stock flow against both
//! emulators, every planned write printed, nothing sent to the shop.

use crate::common;

use common::{text, trestle};
use trestle_emulators::Emulators;

fn shop_writes(emulators: &Emulators) -> u64 {
    emulators.ccvshop.request_counts().iter().filter(|(e, _)| !e.starts_with("GET ")).map(|(_, n)| n).sum()
}

#[test]
fn a_dry_run_prints_the_stock_it_would_set_and_sets_none() {
    let dir = tempfile::tempdir().unwrap();
    let emulators = common::stock_tenant(dir.path());

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
