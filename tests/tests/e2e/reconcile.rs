//! "Are shop and books really the same?": after a clean sync of orders,
//! products and stock, reconcile finds nothing; drift planted in either
//! emulator (an invoice deleted, re-referenced or altered, a price changed
//! in the shop, a stock count changed in the books) is found, with both
//! sides' values, and reconcile writes nothing anywhere.

use std::collections::BTreeMap;

use eaccounting_emulator::ArticleChange;
use serde_json::{Value, json};
use trestle_artifacts::Builtins;
use trestle_emulators::{COST_ARTICLES, Emulators, Options};
use trestle_host::Host;
use trestle_host::bindings::{Drift, DriftKind, Trigger};
use trestle_host::tenant::{PreparedTenant, TenantConfig};

/// Orders shop -> books as invoices, products and stock books -> shop.
fn tenant(host: &Host, emulators: &Emulators) -> PreparedTenant {
    let config = format!(
        "tenant = \"e2e\"\n{}\n\
         [flows.products]\nroles = {{ product-source = \"books\", product-sink = \"shop\", category-sink = \"shop\", \
         stock-sink = \"shop\" }}\n\
         [flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n\
         [flows.orders]\nroles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \
         \"books\", product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n\
         [flows.orders.settings.article]\n{COST_ARTICLES}",
        emulators.connection_settings().tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn sync(host: &Host, tenant: &PreparedTenant, flow: &str) {
    let run = tenant.flow_run(host, &Builtins, flow, Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the {flow} run failed: {e:#}"));
}

fn reconcile(host: &Host, tenant: &PreparedTenant, flow: &str) -> Vec<Drift> {
    let run = tenant.flow_run(host, &Builtins, flow, Trigger::Scheduled).unwrap();
    let found = host.reconcile_flow(run, None).unwrap_or_else(|e| panic!("the {flow} reconcile failed: {e:#}"));
    assert!(!found.reconciliation.compared.is_empty(), "{flow} compared something: {found:?}");
    found.reconciliation.drift
}

/// Requests other than reads, per endpoint.
fn writes(counts: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts.into_iter().filter(|(endpoint, _)| !endpoint.starts_with("GET ")).collect()
}

fn invoices(emulators: &Emulators) -> Vec<Value> {
    emulators.eaccounting.state()["books"]["customerinvoices"].as_array().cloned().unwrap_or_default()
}

fn drift_of<'a>(drift: &'a [Drift], key: &str, kind: DriftKind) -> &'a Drift {
    drift
        .iter()
        .find(|d| d.key == key && d.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} drift for {key} in {drift:#?}"))
}

#[test]
fn reconcile_finds_no_drift_after_a_clean_sync_and_each_planted_drift_with_both_values_writing_nothing() {
    let emulators =
        Emulators::start(Options { orders: 12, products: 20, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators);
    // Stock last: booking the orders lowers the books' stock.
    for flow in ["products", "orders", "stock"] {
        sync(&host, &tenant, flow);
    }
    let flows = ["orders", "products", "stock"];
    let (shop, books) = (emulators.ccvshop.state(), emulators.eaccounting.state());
    emulators.ccvshop.reset_request_counts();
    let books_writes = writes(emulators.eaccounting.request_counts());
    for flow in flows {
        let drift = reconcile(&host, &tenant, flow);
        assert!(drift.is_empty(), "{flow}: no drift after a clean sync, found {drift:#?}");
    }
    assert_eq!(writes(emulators.ccvshop.request_counts()), BTreeMap::new(), "no write reached the shop");
    assert_eq!(writes(emulators.eaccounting.request_counts()), books_writes, "no write reached the books");
    assert_eq!((emulators.ccvshop.state(), emulators.eaccounting.state()), (shop, books), "both sides as they were");

    // Planted: one invoice deleted, one re-referenced to an order the shop
    // never had, one with another total; a price changed in the shop, a
    // stock count in the books.
    let booked = invoices(&emulators);
    assert!(booked.len() >= 3, "{booked:?}");
    let reference = |i: &Value| i["OurReference"].as_str().unwrap().to_string();
    let id = |i: &Value| i["Id"].as_str().unwrap().to_string();
    let (deleted, moved, altered) = (&booked[0], &booked[1], &booked[2]);
    emulators.eaccounting.edit_invoice(&id(deleted), |_| None).unwrap();
    emulators
        .eaccounting
        .edit_invoice(&id(moved), |i| {
            i["OurReference"] = json!("ORD-999999");
            Some(())
        })
        .unwrap();
    let altered_total = altered["TotalAmountInvoiceCurrency"].as_f64().unwrap() + 10.0;
    emulators
        .eaccounting
        .edit_invoice(&id(altered), |i| {
            // A bookkeeper's change moves the total in both currencies (EUR books).
            i["TotalAmount"] = json!(altered_total);
            i["TotalAmountInvoiceCurrency"] = json!(altered_total);
            Some(())
        })
        .unwrap();
    let product = emulators.ccvshop.state()["shop"]["products"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["productnumber"] == "SKU-00001")
        .cloned()
        .expect("the shop has SKU-00001");
    let shop_price = product["price"].as_f64().unwrap();
    emulators.ccvshop.update_product(product["id"].as_u64().unwrap(), json!({ "price": shop_price + 5.0 })).unwrap();
    emulators
        .eaccounting
        .change_article("SKU-00002", &ArticleChange { stock_balance: Some(77.0), ..Default::default() })
        .unwrap();

    let (shop, books) = (emulators.ccvshop.state(), emulators.eaccounting.state());
    emulators.ccvshop.reset_request_counts();
    let books_writes = writes(emulators.eaccounting.request_counts());

    let orders = reconcile(&host, &tenant, "orders");
    let gone = drift_of(&orders, &reference(deleted), DriftKind::MissingInTarget);
    assert_eq!((gone.source_value.is_some(), gone.target_value.as_deref()), (true, None), "{gone:?}");
    drift_of(&orders, &reference(moved), DriftKind::MissingInTarget);
    let stray = drift_of(&orders, "ORD-999999", DriftKind::MissingInSource);
    assert_eq!(
        stray.target_value.as_deref(),
        Some(format!("{:.2}", moved["TotalAmountInvoiceCurrency"].as_f64().unwrap()).as_str())
    );
    let total = drift_of(&orders, &reference(altered), DriftKind::Differs);
    assert_eq!(total.field.as_deref(), Some("total"));
    assert_eq!(total.target_value.as_deref(), Some(format!("{altered_total:.2}").as_str()), "{total:?}");
    assert_eq!(
        total.source_value.as_deref(),
        Some(format!("{:.2}", altered["TotalAmountInvoiceCurrency"].as_f64().unwrap()).as_str()),
        "{total:?}"
    );
    assert_eq!(orders.len(), 4, "only what was planted: {orders:#?}");

    let products = reconcile(&host, &tenant, "products");
    let price = drift_of(&products, "SKU-00001", DriftKind::Differs);
    assert_eq!(price.field.as_deref(), Some("price-incl-vat"), "{price:?}");
    assert_eq!(price.target_value.as_deref(), Some(format!("{:.2}", shop_price + 5.0).as_str()), "{price:?}");
    assert_eq!(price.source_value.as_deref(), Some(format!("{shop_price:.2}").as_str()), "{price:?}");
    assert_eq!(products.len(), 1, "{products:#?}");

    let stock = reconcile(&host, &tenant, "stock");
    let level = drift_of(&stock, "SKU-00002", DriftKind::Differs);
    assert_eq!(level.source_value.as_deref(), Some("77"), "{level:?}");
    assert_ne!(level.target_value.as_deref(), Some("77"), "{level:?}");
    assert_eq!(stock.len(), 1, "{stock:#?}");

    assert_eq!(writes(emulators.ccvshop.request_counts()), BTreeMap::new(), "no write reached the shop");
    assert_eq!(writes(emulators.eaccounting.request_counts()), books_writes, "no write reached the books");
    assert_eq!((emulators.ccvshop.state(), emulators.eaccounting.state()), (shop, books), "both sides as they were");
}
