//! What owners ask of a running sync: "what would it do?" (a dry run),
//! "send this one again", "also take last month", "are both sides the
//! same?". The orders flow against both emulators over real sockets.

use std::collections::BTreeMap;

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_emulators::{COST_ARTICLES, Emulators, Options};
use trestle_host::args;
use trestle_host::bindings::Trigger;
use trestle_host::bindings::{DateRange, SkipRequest, Summary};
use trestle_host::storage::{Sql, Value as StoredValue};
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ActivityEntry, ActivityQuery, Host};

/// The shop's orders into the books as invoices, articles created from the
/// shop's products; `settings` are extra lines for the flow's settings.
fn tenant(host: &Host, emulators: &Emulators, settings: &str) -> PreparedTenant {
    tenant_with(host, emulators, "create", 50, settings)
}

/// As `tenant`, with `missing_article` as given and the shop listed in
/// pages of `page_size` orders.
fn tenant_with(host: &Host, emulators: &Emulators, missing: &str, page_size: u32, settings: &str) -> PreparedTenant {
    let mut s = emulators.connection_settings();
    s.ccvshop.insert("page_size".into(), page_size.to_string());
    let config = format!(
        "tenant = \"e2e\"\n{}\n[flows.orders]\n\
         roles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"{missing}\"\n{settings}\n\
         [flows.orders.settings.article]\n{COST_ARTICLES}",
        s.tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn invoices(emulators: &Emulators) -> Vec<Value> {
    emulators.eaccounting.state()["books"]["customerinvoices"].as_array().cloned().unwrap_or_default()
}

/// Every row of every table but `runs`, as text: what a later run could see.
fn database(host: &Host) -> BTreeMap<String, Vec<String>> {
    let storage = host.storage();
    let tables: Vec<String> = storage
        .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'runs'", args![], |r| r.get(0))
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let rows = storage.rows(&format!("SELECT * FROM \"{table}\""), args![]).unwrap();
            let text = |value: &StoredValue| match value {
                StoredValue::Text(t) => t.clone(),
                other => format!("{other:?}"),
            };
            (table, rows.iter().map(|r| r.values.iter().map(text).collect::<Vec<_>>().join("|")).collect())
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
        // The one thing a dry run adds: the books connection's memo of which
        // customer an address was found as (by a read), as a real run's
        // reads would. See docs/2026-12-01-dry-run.md.
        let found_by_reading = |r: &&String| r.starts_with("e2e|books|") && r.contains("/customer-by-email/");
        let added: Vec<&String> =
            rows.iter().filter(|r| !before[table].contains(r)).filter(|r| !found_by_reading(r)).collect();
        let gone: Vec<&String> = before[table].iter().filter(|r| !rows.contains(r)).collect();
        assert!(added.is_empty() && gone.is_empty(), "table {table} changed: added {added:?}, gone {gone:?}");
    }
    let outcome: String = host
        .storage()
        .query_one("SELECT outcome FROM runs WHERE id = ?1", args![planned.run_id], |r| r.get(0))
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

fn run(host: &Host, tenant: &PreparedTenant, trigger: Trigger) -> Summary {
    let run = tenant.flow_run(host, &Builtins, "orders", trigger).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the run failed: {e:#}")).summary
}

/// The shop's orders by id, as its dump shows them.
fn shop_orders(emulators: &Emulators) -> Vec<Value> {
    emulators.ccvshop.state()["shop"]["orders"].as_object().expect("orders by id").values().cloned().collect()
}

/// An order's number as the books get it (our reference), and its id.
fn number(order: &Value) -> String {
    format!("ORD-{}", order["ordernumber"].as_u64().unwrap())
}

fn id(order: &Value) -> String {
    order["id"].as_u64().unwrap().to_string()
}

/// Invoices in the books under each order number (our reference).
fn invoices_per_reference(emulators: &Emulators) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for invoice in invoices(emulators) {
        *counts.entry(invoice["OurReference"].as_str().unwrap().to_string()).or_default() += 1;
    }
    counts
}

fn order_records(host: &Host, source_id: &str) -> Vec<ActivityEntry> {
    let query =
        ActivityQuery { record_kind: Some("order".into()), source_id: Some(source_id.into()), ..Default::default() };
    host.activity(&query).unwrap()
}

fn cursor(host: &Host) -> Option<String> {
    host.storage()
        .query_opt("SELECT value FROM state WHERE namespace = 'orders' AND key = 'cursor'", args![], |r| r.get(0))
        .unwrap()
}

#[test]
fn forcing_a_synced_order_creates_no_second_document_and_reports_how_the_books_differ() {
    let emulators =
        Emulators::start(Options { orders: 12, products: 30, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let first = run(&host, &tenant(&host, &emulators, ""), Trigger::Scheduled);
    assert!(first.synced > 0, "{first:?}");
    let invoice = invoices(&emulators)[0].clone();
    let reference = invoice["OurReference"].as_str().unwrap().to_string();
    let order_id = shop_orders(&emulators).iter().find(|o| number(o) == reference).map(id).unwrap();
    let before = invoices_per_reference(&emulators);

    // Sent again as it is: found by our reference, the same, nothing written.
    let again = run(&host, &tenant(&host, &emulators, ""), Trigger::Resync(order_id.clone()));
    assert_eq!((again.synced, again.skipped, again.parked), (0, 1, 0), "{again:?}");
    assert_eq!(invoices_per_reference(&emulators), before, "no second invoice");
    let said = order_records(&host, &order_id).pop().unwrap().message;
    assert!(said.contains("matches the order") && said.contains(invoice["Id"].as_str().unwrap()), "{said}");

    // The order booked on another customer now: the booked invoice is left
    // as it is and the difference is reported.
    let other = emulators.eaccounting.state()["books"]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Id"].as_str().unwrap().to_string())
        .find(|id| id != invoice["CustomerId"].as_str().unwrap())
        .unwrap();
    let moved = tenant(&host, &emulators, &format!("customers = \"default\"\ndefault_customer_id = \"{other}\""));
    let differs = run(&host, &moved, Trigger::Resync(order_id.clone()));
    assert_eq!((differs.synced, differs.skipped), (0, 1), "{differs:?}");
    assert_eq!(invoices_per_reference(&emulators), before, "no second invoice");
    let note = differs.notes.iter().find(|n| n.contains(&reference)).unwrap_or_else(|| panic!("{differs:?}"));
    assert!(
        note.contains("differs")
            && note
                .contains(&format!("customer {} in the books, {other} now", invoice["CustomerId"].as_str().unwrap())),
        "{note}"
    );
    let unchanged = invoices(&emulators).into_iter().find(|i| i["Id"] == invoice["Id"]).unwrap();
    assert_eq!(unchanged, invoice, "the booked invoice is not edited");
}

#[test]
fn a_backfill_syncs_an_older_range_and_leaves_the_scheduled_cursor() {
    let emulators =
        Emulators::start(Options { orders: 40, products: 30, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    // The schedule takes the orders from 12 January on (orders are seven
    // hours apart from the 6th).
    let tenant = tenant_with(&host, &emulators, "create", 5, "created_since = \"2025-01-12T00:00:00Z\"");
    let scheduled = run(&host, &tenant, Trigger::Scheduled);
    assert!(scheduled.synced > 0, "{scheduled:?}");
    let cursor_before = cursor(&host);
    assert!(cursor_before.is_some());
    let synced_before: Vec<String> = invoices_per_reference(&emulators).into_keys().collect();

    // 8 to 10 January, as `--since 2025-01-08 --until 2025-01-10` asks.
    let range = DateRange { since: "2025-01-08T00:00:00Z".into(), before: Some("2025-01-11T00:00:00Z".into()) };
    let expected: Vec<String> = shop_orders(&emulators)
        .iter()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter(|o| {
            let created = o["create_date"].as_str().unwrap();
            ("2025-01-08".."2025-01-11").contains(&&created[..10])
        })
        .map(number)
        .collect();
    assert!(!expected.is_empty());
    let backfill = run(&host, &tenant, Trigger::Backfill(range.clone()));
    assert_eq!(backfill.synced as usize, expected.len(), "{backfill:?}");
    let mut now_synced: Vec<String> = invoices_per_reference(&emulators).into_keys().collect();
    now_synced.retain(|r| !synced_before.contains(r));
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(now_synced, expected_sorted, "exactly the orders of the range");
    assert_eq!(cursor(&host), cursor_before, "the scheduled cursor did not move");

    // Again over the same range: the listing only, nothing looked up or written.
    emulators.ccvshop.reset_request_counts();
    let books_before = emulators.eaccounting.request_counts();
    let repeat = run(&host, &tenant, Trigger::Backfill(range));
    assert_eq!(repeat.synced, 0, "{repeat:?}");
    assert_eq!(emulators.eaccounting.request_counts(), books_before, "no call to the books");
    let shop_calls: Vec<String> = emulators.ccvshop.request_counts().into_keys().collect();
    assert_eq!(shop_calls, vec!["GET /api/rest/v1/orders".to_string()], "the listing only");

    // The schedule goes on as before: nothing new since its cursor.
    let later = run(&host, &tenant, Trigger::Scheduled);
    assert_eq!((later.synced, later.parked), (0, 0), "{later:?}");
    assert_eq!(cursor(&host), cursor_before);
    assert_eq!(invoices(&emulators).len(), synced_before.len() + expected.len());
}

#[test]
fn a_skipped_order_is_logged_with_its_reason_and_not_retried_until_unparked() {
    let emulators =
        Emulators::start(Options { orders: 30, products: 30, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let parking = tenant_with(&host, &emulators, "park", 50, "");
    let first = run(&host, &parking, Trigger::Scheduled);
    assert!(first.parked > 0, "some orders sell an article the books lack: {first:?}");
    let parked_id = host
        .activity(&ActivityQuery {
            outcome: Some("parked".into()),
            record_kind: Some("order".into()),
            ..Default::default()
        })
        .unwrap()[0]
        .source_id
        .clone()
        .unwrap();

    let reason = "sold at the market stall, booked by hand";
    let skip = run(&host, &parking, Trigger::Skip(SkipRequest { id: parked_id.clone(), reason: reason.into() }));
    assert_eq!((skip.skipped, skip.parked), (1, 0), "{skip:?}");
    let logged = order_records(&host, &parked_id).pop().unwrap();
    assert_eq!(logged.outcome.as_deref(), Some("skipped"));
    assert!(logged.message.contains(reason), "{}", logged.message);

    // Not retried by the next runs, though its article can be created now.
    let creating = tenant(&host, &emulators, "");
    let next = run(&host, &creating, Trigger::Scheduled);
    assert_eq!(next.parked, 0, "the other parked orders are synced now: {next:?}");
    assert_eq!(order_records(&host, &parked_id).len(), 2, "the skipped order was not touched");
    let parked_number = shop_orders(&emulators).iter().find(|o| id(o) == parked_id).map(number).unwrap();
    assert!(!invoices_per_reference(&emulators).contains_key(&parked_number));
    // Skipping it again, or skipping an order that is not parked, is refused.
    let again = parking.flow_run(
        &host,
        &Builtins,
        "orders",
        Trigger::Skip(SkipRequest { id: parked_id.clone(), reason: "twice".into() }),
    );
    let refused = host.run_flow(again.unwrap()).expect_err("skipped already");
    assert!(format!("{refused:#}").contains(reason), "{refused:#}");

    // Unparked, it is synced right away.
    let unparked = run(&host, &creating, Trigger::Unpark(parked_id.clone()));
    assert_eq!(unparked.synced, 1, "{unparked:?}");
    assert_eq!(invoices_per_reference(&emulators).get(&parked_number), Some(&1));
}
