//! Two entries of one flow component in a tenant config (products from the
//! books to the shop, and from the shop to the books) are two flows: each
//! keeps its own ledger and appears in the activity log under its own
//! name, while an entry named like its component keeps the namespace it
//! always had.

use std::collections::BTreeSet;

use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::args;
use trestle_host::bindings::Trigger;
use trestle_host::run::RunReport;
use trestle_host::storage::Sql;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ActivityQuery, Host};

const FLOWS: &str = r#"
[flows.products]
roles = { product-source = "books", product-sink = "shop", category-sink = "shop", stock-sink = "shop" }

[flows.products-up]
component = "products"
roles = { product-source = "shop", product-sink = "books", category-sink = "shop", stock-sink = "shop" }
settings = { direction = "shop-to-books" }
"#;

fn run(host: &Host, tenant: &PreparedTenant, flow: &str) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, flow, Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("{flow}: {e:#}"))
}

/// The state keys of `namespace`.
fn keys(host: &Host, namespace: &str) -> BTreeSet<String> {
    let keys: Vec<String> = host
        .storage()
        .query("SELECT key FROM state WHERE tenant = 'e2e' AND namespace = ?1", args![namespace], |r| r.get(0))
        .unwrap();
    keys.into_iter().collect()
}

fn logged_by(host: &Host, component: &str) -> usize {
    let q = ActivityQuery { tenant: Some("e2e".into()), component: Some(component.into()), ..Default::default() };
    host.activity(&q).unwrap().len()
}

#[test]
fn two_entries_of_one_component_keep_their_own_ledgers_and_names() {
    // The shop has a product the books lack (SKU-00050); the books have the rest.
    let emulators =
        Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let config = format!("tenant = \"e2e\"\n{}\n{FLOWS}", emulators.connection_settings().tenant_connections());
    let tenant = PreparedTenant::prepare(&host, &Builtins, TenantConfig::parse(&config).unwrap()).unwrap();

    let up = run(&host, &tenant, "products-up");
    assert_eq!((up.summary.parked, up.summary.failed), (0, 0), "{:?}", up.summary.notes);
    let down = run(&host, &tenant, "products");
    assert_eq!((down.summary.parked, down.summary.failed), (0, 0), "{:?}", down.summary.notes);

    let (up_keys, down_keys) = (keys(&host, "products-up"), keys(&host, "products"));
    assert!(up_keys.contains("product/SKU-00050"), "the shop -> books ledger is its own: {up_keys:?}");
    assert!(!down_keys.is_empty(), "the entry named like its component keeps the namespace `products`");
    assert!(
        down_keys.contains("product/SKU-00001") && up_keys.contains("product/SKU-00001"),
        "each direction remembers what it wrote, apart"
    );
    assert!(logged_by(&host, "products-up") > 0, "`trestle logs --component products-up` finds its entries");
    assert!(logged_by(&host, "products") > 0);
    let runs: Vec<String> =
        host.storage().query("SELECT flow FROM runs WHERE tenant = 'e2e'", args![], |r| r.get(0)).unwrap();
    let runs: BTreeSet<String> = runs.into_iter().collect();
    assert_eq!(runs, BTreeSet::from(["products".to_string(), "products-up".to_string()]));
}
