//! `trestle reconcile` as a user meets it: the stock flow against both
//! emulators. Exit 0 and "no drift" after a clean sync; 1 with the drift
//! (both sides' values in the JSON) once the books count differently; 2
//! with the reason when the books cannot be read. Nothing is written.
//! (Every kind of drift is tested in tests/tests/e2e/reconcile.rs.)

use crate::common;

use common::{text, trestle};
use eaccounting_emulator::ArticleChange;
use trestle_emulators::Emulators;

fn writes(emulators: &Emulators) -> u64 {
    let shop = emulators.ccvshop.request_counts();
    let books = emulators.eaccounting.request_counts();
    shop.iter()
        .chain(&books)
        .filter(|(e, _)| !e.starts_with("GET ") && !e.contains("/connect/token"))
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn reconcile_exits_0_when_the_sides_agree_1_with_the_drift_and_2_when_it_cannot_compare() {
    let dir = tempfile::tempdir().unwrap();
    let emulators = common::stock_tenant(dir.path());
    let synced = trestle(&["run", "--config", "tenant.toml"], dir.path());
    assert!(synced.status.success(), "{}", text(&synced));
    let before = writes(&emulators);

    let clean = trestle(&["reconcile", "--config", "tenant.toml"], dir.path());
    let said = text(&clean);
    assert_eq!(clean.status.code(), Some(0), "{said}");
    assert!(said.contains("stock: compared") && said.contains("stock: no drift"), "{said}");

    emulators
        .eaccounting
        .change_article("SKU-00001", &ArticleChange { stock_balance: Some(41.0), ..Default::default() })
        .unwrap();
    let drift = trestle(&["reconcile", "--config", "tenant.toml", "--json"], dir.path());
    assert_eq!(drift.status.code(), Some(1), "{}", text(&drift));
    let line: serde_json::Value =
        serde_json::from_slice(&drift.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&drift)));
    let items = line["drift"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{line}");
    let item = &items[0];
    assert_eq!(
        (item["key"].as_str(), item["kind"].as_str(), item["field"].as_str()),
        (Some("SKU-00001"), Some("differs"), Some("quantity"))
    );
    assert_eq!(item["source_value"], "41", "{item}");
    assert!(item["target_value"].is_string() && item["target_value"] != "41", "{item}");
    assert_eq!(writes(&emulators), before, "reconcile wrote nothing: {:?}", emulators.ccvshop.request_counts());

    let bad_day = trestle(&["reconcile", "--config", "tenant.toml", "--since", "2026-13-01"], dir.path());
    assert_eq!(bad_day.status.code(), Some(2), "{}", text(&bad_day));
    assert!(text(&bad_day).contains("--since `2026-13-01` is not a day like 2026-10-01"), "{}", text(&bad_day));

    emulators.eaccounting.revoke_grants();
    let cannot = trestle(&["reconcile", "--config", "tenant.toml"], dir.path());
    let said = text(&cannot);
    assert_eq!(cannot.status.code(), Some(2), "{said}");
    assert!(said.contains("stock: could not compare") && said.contains("authentication"), "{said}");
}
