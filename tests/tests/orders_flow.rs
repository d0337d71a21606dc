//! The orders flow end to end: the CCV Shop and eAccounting connectors, the
//! orders flow and the example mapping, run by the host against both
//! emulators over real sockets.

use std::collections::BTreeSet;

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::Host;
use trestle_host::bindings::Trigger;
use trestle_host::run::RunReport;
use trestle_host::tenant::{PreparedTenant, TenantConfig};

/// A tenant syncing the emulated shop into the emulated books; `settings`
/// are extra lines for `[flows.orders.settings]`.
fn tenant(host: &Host, emulators: &Emulators, settings: &str) -> PreparedTenant {
    let s = emulators.connection_settings();
    let config = format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\n[flows.orders]\n\
         roles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\n{settings}\n\
         [flows.orders.settings.article]\nshipping = \"SHIPPING\"\npayment-fee = \"PAYMENT-FEE\"\n\
         discount = \"DISCOUNT\"\ncoupon = \"DISCOUNT\"\nextra-cost = \"EXTRA-COST\"\n",
        s.tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, "orders", Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

fn invoices(emulators: &Emulators) -> Vec<Value> {
    emulators.eaccounting.state()["books"]["customerinvoices"].as_array().cloned().unwrap_or_default()
}

/// Order numbers of the shop's paid orders, as the shop shows them.
fn paid_order_numbers(emulators: &Emulators) -> BTreeSet<String> {
    emulators.ccvshop.state()["shop"]["orders"]
        .as_object()
        .expect("the shop dump lists orders by id")
        .values()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter_map(|o| o["ordernumber"].as_u64().map(|n| format!("ORD-{n}")))
        .collect()
}

/// Every paid order exactly once, under its own number, and nothing else.
fn assert_exactly_once(emulators: &Emulators) {
    let invoices = invoices(emulators);
    let references: Vec<String> =
        invoices.iter().map(|i| i["OurReference"].as_str().unwrap_or_default().to_string()).collect();
    let unique: BTreeSet<String> = references.iter().cloned().collect();
    assert_eq!(unique.len(), references.len(), "duplicate invoices: {references:?}");
    assert_eq!(unique, paid_order_numbers(emulators), "every paid order exactly once, nothing else");
}

fn host() -> Host {
    trestle_e2e::host()
}

#[test]
fn paid_orders_land_exactly_once_and_a_second_run_creates_nothing() {
    let emulators =
        Emulators::start(Options { orders: 500, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let first = run(&host, &tenant);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    assert!(first.summary.synced > 100, "{:?}", first.summary);
    assert_exactly_once(&emulators);

    // Business buyers became companies with the buyer as contact, the rest
    // private persons; each customer once, found by e-mail.
    let customers = emulators.eaccounting.state()["books"]["customers"].as_array().cloned().unwrap();
    let emails: Vec<&str> = customers.iter().filter_map(|c| c["EmailAddress"].as_str()).collect();
    let unique: BTreeSet<&str> = emails.iter().copied().collect();
    assert_eq!(unique.len(), emails.len(), "a customer was created twice");
    assert!(customers.iter().any(|c| c["IsPrivatePerson"] == false));
    assert!(customers.iter().any(|c| c["IsPrivatePerson"] == true));

    let before = invoices(&emulators).len();
    let second = run(&host, &tenant);
    assert_eq!(second.summary.synced, 0, "{:?}", second.summary);
    assert_eq!(invoices(&emulators).len(), before, "a second run creates nothing");
}

#[test]
fn parked_orders_say_why_and_sync_once_the_config_is_fixed() {
    let emulators =
        Emulators::start(Options { orders: 80, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let strict = tenant(&host, &emulators, "missing_article = \"park\"");
    let first = run(&host, &strict);
    assert!(first.summary.parked > 0, "the seed has SKUs the books do not know: {:?}", first.summary);
    assert!(
        first.summary.notes.iter().any(|n| n.contains("does not exist in the books") && n.contains("missing_article")),
        "{:?}",
        first.summary.notes
    );
    let parked_log =
        host.activity(&trestle_host::ActivityQuery { outcome: Some("parked".into()), ..Default::default() }).unwrap();
    assert_eq!(parked_log.len() as u32, first.summary.parked);

    // Fixed config: the parked orders are retried first and land.
    let fixed = tenant(&host, &emulators, "missing_article = \"create\"");
    let second = run(&host, &fixed);
    assert_eq!(second.summary.parked, 0, "{:?}", second.summary.notes);
    assert!(second.summary.synced >= first.summary.parked);
    assert_exactly_once(&emulators);
}

#[test]
fn an_unmapped_country_parks_the_order_with_the_setting_to_add() {
    let emulators =
        Emulators::start(Options { orders: 40, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"\nrevenue_account = { NL = 3001 }");
    let report = run(&host, &tenant);
    assert!(report.summary.parked > 0);
    assert!(
        report.summary.notes.iter().any(|n| n.contains("no revenue account for deliveries to")),
        "{:?}",
        report.summary.notes
    );
}

#[test]
fn injected_faults_converge_to_the_same_books_without_duplicates() {
    let emulators =
        Emulators::start(Options { orders: 60, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let faults = emulator_kit::FaultConfig {
        error_rate: 0.10,
        drop_rate: 0.02,
        burst_every: 40,
        burst_length: 3,
        seed: 7,
        ..Default::default()
    };
    emulators.ccvshop.set_faults(faults.clone()).unwrap();
    emulators.eaccounting.set_faults(faults).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let mut runs = 0;
    loop {
        runs += 1;
        let report = host.run_flow(tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap());
        if let Ok(r) = report
            && r.summary.parked == 0
        {
            break;
        }
        assert!(runs < 8, "no convergence after {runs} runs");
    }
    emulators.ccvshop.set_faults(Default::default()).unwrap();
    emulators.eaccounting.set_faults(Default::default()).unwrap();
    assert_exactly_once(&emulators);
}

#[test]
fn a_webhook_triggered_run_syncs_just_that_order() {
    let emulators =
        Emulators::start(Options { orders: 20, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let id = emulators
        .ccvshop
        .place_order(&ccvshop_emulator::NewOrder {
            rows: vec![ccvshop_emulator::NewOrderRow { sku: "SKU-00001".into(), count: 2.0 }],
            paid: true,
            ..Default::default()
        })
        .unwrap();
    let run = tenant.flow_run(&host, &Builtins, "orders", Trigger::RecordId(id.to_string())).unwrap();
    let report = host.run_flow(run).unwrap();
    assert_eq!((report.summary.synced, report.summary.parked), (1, 0), "{:?}", report.summary);
    let invoices = invoices(&emulators);
    assert_eq!(invoices.len(), 1, "only the named order is synced");
    let number = emulators.ccvshop.state()["shop"]["orders"][id.to_string()]["ordernumber"].as_u64().unwrap();
    assert_eq!(invoices[0]["OurReference"], format!("ORD-{number}"));
}
