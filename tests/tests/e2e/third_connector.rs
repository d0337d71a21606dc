//! The proof that a third system is a connector folder: the feed shop
//! (connectors/feedshop, emulators/feedshop) as the order source of the
//! unchanged orders flow, booked into the eAccounting emulator.

use std::collections::BTreeMap;

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_host::Host;
use trestle_host::bindings::Trigger;
use trestle_host::run::RunReport;
use trestle_host::tenant::{PreparedTenant, TenantConfig};

const SEED: u64 = 7;
const PRODUCTS: usize = 60;

fn tenant(host: &Host, shop: &feedshop_emulator::Handle, books: &eaccounting_emulator::Handle) -> PreparedTenant {
    let books_config = books.config();
    let config = format!(
        r#"tenant = "feed"

[connections.shop]
connector = "feedshop"
allow_private_network = true
pace_requests = false
base_url = "{shop_url}"
api_key = "{api_key}"

[connections.books]
connector = "eaccounting"
allow_private_network = true
pace_requests = false
api_base_url = "{api}"
identity_base_url = "{identity}"
client_id = "{client_id}"
client_secret = "{client_secret}"
refresh_token = "{refresh_token}"

[flows.orders]
roles = {{ order-source = "shop", customer-sink = "books", sales-document-sink = "books", product-source = "books", product-sink = "books" }}

[flows.orders.settings]
document = "invoice"
paid_only = true
missing_article = "create"  # the books have no shipping article yet

[flows.orders.settings.article]
shipping = {{ 21 = "SHIPPING", default = "SHIPPING" }}
"#,
        shop_url = shop.base_url(),
        api_key = shop.api_key(),
        api = books.api_base_url(),
        identity = books.identity_base_url(),
        client_id = books_config.client_id,
        client_secret = books_config.client_secret,
        refresh_token = books.initial_refresh_token(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, "orders", Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

fn invoices(books: &eaccounting_emulator::Handle) -> Vec<Value> {
    books.state()["books"]["customerinvoices"].as_array().cloned().unwrap_or_default()
}

#[test]
fn the_unchanged_orders_flow_books_every_paid_feed_order_once_to_the_cent() {
    let shop = feedshop_emulator::start(feedshop_emulator::Config {
        seed: SEED,
        orders: 60,
        products: PRODUCTS,
        ..Default::default()
    })
    .unwrap();
    let books = eaccounting_emulator::start(eaccounting_emulator::Config {
        seed: SEED,
        catalogue_size: PRODUCTS,
        rate_limit_per_minute: None,
        ..Default::default()
    })
    .unwrap();
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &shop, &books);

    let first = run(&host, &tenant);
    assert_eq!((first.summary.parked, first.summary.failed), (0, 0), "{:?}", first.summary.notes);

    // Every paid order once, under its number, with the feed's total; the
    // pending and cancelled ones not at all.
    let paid: BTreeMap<String, f64> = shop
        .orders()
        .iter()
        .filter(|o| o["status"] == "paid")
        .map(|o| (o["number"].as_str().unwrap().to_string(), o["total"].as_f64().unwrap()))
        .collect();
    assert!(paid.len() > 30 && paid.len() < shop.orders().len(), "the feed has paid and unpaid orders");
    let booked: Vec<(String, f64)> = invoices(&books)
        .iter()
        .map(|i| (i["OurReference"].as_str().unwrap().to_string(), i["TotalAmount"].as_f64().unwrap()))
        .collect();
    assert_eq!(booked.len(), paid.len(), "one invoice per paid order: {booked:?}");
    for (number, total) in &booked {
        let expected = paid.get(number).unwrap_or_else(|| panic!("{number} is not a paid feed order"));
        assert!((total - expected).abs() < 0.005, "{number}: booked {total:.2}, the feed says {expected:.2}");
    }

    // A second run books nothing more, and the feed was only ever read.
    let second = run(&host, &tenant);
    assert_eq!(second.summary.synced, 0, "{:?}", second.summary);
    assert_eq!(invoices(&books).len(), paid.len());
    let requests = shop.stats().snapshot();
    assert!(requests.keys().all(|endpoint| endpoint.starts_with("GET ")), "{requests:?}");
}
