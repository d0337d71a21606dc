//! What owners ask of a running sync: "what would it do?" (a dry run),
//! "send this one again", "also take last month", "are both sides the
//! same?". The orders flow against both emulators over real sockets.

use std::collections::BTreeMap;

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::Host;
use trestle_host::bindings::Trigger;
use trestle_host::tenant::{PreparedTenant, TenantConfig};

const ARTICLES: &str = "shipping = { 21 = \"SHIPPING\", default = \"SHIPPING\" }\n\
    payment-fee = { 21 = \"PAYMENT-FEE\", default = \"PAYMENT-FEE\" }\n\
    discount = { 21 = \"DISCOUNT\", default = \"DISCOUNT\" }\ncoupon = { 21 = \"DISCOUNT\", default = \"DISCOUNT\" }\n\
    extra-cost = { 21 = \"EXTRA-COST\", default = \"EXTRA-COST\" }\n";

/// The shop's orders into the books as invoices, articles created from the
/// shop's products; `settings` are extra lines for the flow's settings.
fn tenant(host: &Host, emulators: &Emulators, settings: &str) -> PreparedTenant {
    let s = emulators.connection_settings();
    let config = format!(
        "tenant = \"e2e\"\n{}\n[flows.orders]\n\
         roles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n{settings}\n\
         [flows.orders.settings.article]\n{ARTICLES}",
        s.tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn invoices(emulators: &Emulators) -> Vec<Value> {
    emulators.eaccounting.state()["books"]["customerinvoices"].as_array().cloned().unwrap_or_default()
}

/// Every row of every table but `runs`, as text: what a later run could see.
/// The connections' own state (tokens, caches of what they read) is left
/// out: a dry run keeps it, see docs/2026-12-01-dry-run.md.
fn database(host: &Host) -> BTreeMap<String, Vec<String>> {
    let conn = host.storage().conn();
    let tables: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'runs'").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    tables
        .into_iter()
        .map(|table| {
            let only_flows = if table == "state" { " WHERE namespace NOT IN ('shop', 'books')" } else { "" };
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"{only_flows}")).unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..columns).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (table, rows)
        })
        .collect()
}

/// Requests other than reads, per endpoint.
fn writes(counts: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts.into_iter().filter(|(endpoint, _)| !endpoint.starts_with("GET ")).collect()
}

#[test]
fn a_dry_run_writes_nothing_and_lists_the_documents_the_real_run_creates() {
    let emulators =
        Emulators::start(Options { orders: 200, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators, "");
    // The connections are checked first, as after `trestle connect`: the
    // books' tokens are in the database before the dry run starts.
    for connection in tenant.connections.values() {
        connection.check(&host, "e2e").unwrap().unwrap();
    }
    let (shop, books, before) = (emulators.ccvshop.state(), emulators.eaccounting.state(), database(&host));
    emulators.ccvshop.reset_request_counts();
    let books_requests_before = emulators.eaccounting.request_counts();

    let run = tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap();
    let planned = host.plan_flow(run).unwrap_or_else(|e| panic!("the dry run failed: {e:#}"));

    assert_eq!(writes(emulators.ccvshop.request_counts()), BTreeMap::new(), "no write reached the shop");
    assert_eq!(
        writes(emulators.eaccounting.request_counts()),
        writes(books_requests_before),
        "no write reached the books"
    );
    assert_eq!(emulators.ccvshop.state(), shop, "the shop is as it was");
    assert_eq!(emulators.eaccounting.state(), books, "the books are as they were");
    let after = database(&host);
    for (table, rows) in &after {
        let added: Vec<&String> = rows.iter().filter(|r| !before[table].contains(r)).collect();
        let gone: Vec<&String> = before[table].iter().filter(|r| !rows.contains(r)).collect();
        assert!(added.is_empty() && gone.is_empty(), "table {table} changed: added {added:?}, gone {gone:?}");
    }
    let outcome: String = host
        .storage()
        .conn()
        .query_row("SELECT outcome FROM runs WHERE id = ?1", [&planned.run_id], |r| r.get(0))
        .unwrap();
    assert_eq!(outcome, "dry-run");

    // Every document it would create, with its total, and the customer it
    // names (a placeholder when the customer is created in this dry run).
    let mut planned_documents: BTreeMap<String, f64> = BTreeMap::new();
    for write in planned.plan.records.iter().flat_map(|r| &r.writes) {
        if write.call == "sales-document-sink.create-document" {
            assert_eq!((write.target.as_str(), write.operation.as_str()), ("eaccounting", "create"));
            let document = &write.args["document"];
            let customer = document["customer-id"].as_str().unwrap();
            assert!(!customer.is_empty(), "{document}");
            let reference = document["reference"].as_str().unwrap().to_string();
            let total = document["order"]["total-incl-vat"].as_f64().unwrap();
            assert!(planned_documents.insert(reference, total).is_none(), "one document per order");
        }
    }
    let created_customers: Vec<&str> = planned
        .plan
        .records
        .iter()
        .flat_map(|r| &r.writes)
        .filter(|w| w.call == "customer-sink.create-customer")
        .filter_map(|w| w.id.as_deref())
        .collect();
    assert!(!created_customers.is_empty());
    assert!(
        planned.plan.records.iter().flat_map(|r| &r.writes).any(|w| w.call == "sales-document-sink.create-document"
            && created_customers.contains(&w.args["document"]["customer-id"].as_str().unwrap())),
        "a document names the customer created before it by its placeholder"
    );
    assert_eq!(planned.summary.synced as usize, planned_documents.len());

    let run = tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap();
    let real = host.run_flow(run).unwrap();
    assert_eq!(real.summary.synced, planned.summary.synced);
    let created: BTreeMap<String, f64> = invoices(&emulators)
        .iter()
        .map(|i| (i["OurReference"].as_str().unwrap().to_string(), i["TotalAmount"].as_f64().unwrap()))
        .collect();
    assert_eq!(created.keys().collect::<Vec<_>>(), planned_documents.keys().collect::<Vec<_>>(), "same documents");
    for (reference, total) in &created {
        let planned_total = planned_documents[reference];
        assert!((planned_total - total).abs() <= 0.05, "{reference}: planned {planned_total:.2}, created {total:.2}");
    }
}
