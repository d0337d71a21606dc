//! Both emulators started in-process, checked over real sockets: their
//! control endpoints answer, and the books know the shop's SKUs except the
//! ones left out on purpose.

use std::collections::BTreeSet;

use serde_json::Value;
use trestle_emulators::{Emulators, Options};

fn get_json(url: &str) -> Value {
    let response = reqwest::blocking::get(url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    response.json().unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
}

/// What the shop sells: each variant's SKU, or the product's own for a simple one.
fn shop_skus(state: &Value) -> BTreeSet<String> {
    let shop = &state["shop"];
    let combinations: Vec<&Value> =
        shop["attribute_combinations"].as_object().expect("attribute_combinations in the shop dump").values().collect();
    let mut skus = BTreeSet::new();
    for product in shop["products"].as_object().expect("products in the shop dump").values() {
        let variants: Vec<String> = combinations
            .iter()
            .filter(|c| c["product_id"] == product["id"])
            .map(|c| c["sku_number"].as_str().expect("variant SKU").to_string())
            .collect();
        if variants.is_empty() {
            skus.insert(product["productnumber"].as_str().expect("SKU").to_string());
        } else {
            skus.extend(variants);
        }
    }
    skus
}

/// Article numbers from the seeded catalogue ("SKU-…"), not ones the API created.
fn catalogue_articles(state: &Value) -> BTreeSet<String> {
    state["books"]["articles"]
        .as_array()
        .expect("articles in the books dump")
        .iter()
        .filter_map(|a| a["Number"].as_str())
        .filter(|n| n.starts_with("SKU-"))
        .map(String::from)
        .collect()
}

#[test]
fn both_answer_and_the_books_know_the_shop_skus_but_a_few() {
    let emulators = Emulators::start(Options::default()).expect("both emulators start");
    let settings = emulators.connection_settings();
    let shop_base = &settings.ccvshop["base_url"];
    let books_base = &settings.eaccounting["identity_base_url"];

    for base in [shop_base, books_base] {
        let stats = get_json(&format!("{base}/_emulator/stats"));
        assert!(stats["total"].is_u64(), "{base} stats: {stats}");
    }

    let sold = shop_skus(&get_json(&format!("{shop_base}/_emulator/state")));
    let booked = catalogue_articles(&get_json(&format!("{books_base}/_emulator/state")));
    assert!(!booked.is_empty(), "the books hold catalogue articles");
    let unknown: Vec<&String> = booked.difference(&sold).collect();
    assert!(unknown.is_empty(), "articles the shop does not sell: {unknown:?}");
    let missing: Vec<&String> = sold.difference(&booked).collect();
    assert!(!missing.is_empty(), "no shop SKU is missing from the books");
    assert!(missing.len() < sold.len() / 10, "too many missing: {missing:?}");
}

#[test]
fn settings_hold_what_a_tenant_config_needs() {
    let emulators =
        Emulators::start(Options { rate_limits: false, ..Options::default() }).expect("both emulators start");
    let settings = emulators.connection_settings();
    let keys = |m: &std::collections::BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&settings.ccvshop), ["base_url", "public_key", "secret_key"]);
    assert_eq!(
        keys(&settings.eaccounting),
        ["api_base_url", "client_id", "client_secret", "identity_base_url", "refresh_token"]
    );
    assert_eq!(settings.eaccounting["refresh_token"], emulators.eaccounting.initial_refresh_token());
    assert!(emulators.ccvshop.config().rate_limits.is_none());
    assert!(emulators.eaccounting.config().rate_limit_per_minute.is_none());
}
