//! A tenant's mapping module that returns nonsense, end to end: the orders
//! flow with the CCV Shop and eAccounting connectors over real sockets
//! against both emulators. Whatever the mapping does, nothing wrong is
//! booked, the orders are parked naming what is wrong, and later runs work.

use std::collections::BTreeSet;

use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::args;
use trestle_host::bindings::Trigger;
use trestle_host::incidents::{Incidents, Thresholds};
use trestle_host::run::RunReport;
use trestle_host::storage::Sql;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ActivityQuery, Host};

/// The orders flow with `mapping` (a built-in name or a path) as the
/// tenant's mapping module.
fn tenant(host: &Host, emulators: &Emulators, mapping: &str) -> PreparedTenant {
    let config = format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = {mapping:?}\n\n{}",
        emulators.connection_settings().tenant_connections(),
        trestle_emulators::orders_flow(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, "orders", Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

fn emulators(orders: usize) -> Emulators {
    Emulators::start(Options { orders, products: 60, rate_limits: false, ..Options::default() }).unwrap()
}

fn invoice_references(emulators: &Emulators) -> Vec<String> {
    let books = emulators.eaccounting.state();
    let invoices = books["books"]["customerinvoices"].as_array().cloned().unwrap_or_default();
    invoices.iter().map(|i| i["OurReference"].as_str().unwrap_or_default().to_string()).collect()
}

/// The reasons of the orders parked so far.
fn parked_reasons(host: &Host) -> Vec<String> {
    let parked = host.activity(&ActivityQuery { outcome: Some("parked".into()), ..Default::default() }).unwrap();
    parked.into_iter().map(|e| e.message).collect()
}

#[test]
fn a_mapping_that_renumbers_orders_books_none_under_another_orders_reference() {
    let emulators = emulators(30);
    let host = trestle_e2e::host();
    let renumbering = tenant(&host, &emulators, trestle_artifacts::HOSTILE_CHANGES_IDENTITY);
    let report = run(&host, &renumbering);
    assert_eq!(report.summary.synced, 0, "{:?}", report.summary);
    assert_eq!(
        report.summary.parked as usize,
        trestle_e2e::paid_order_numbers(&emulators).len(),
        "{:?}",
        report.summary
    );
    assert_eq!(invoice_references(&emulators), Vec::<String>::new(), "nothing is booked");
    let reasons = parked_reasons(&host);
    assert!(
        reasons.iter().all(|r| r.contains("order_number from \"ORD-") && r.contains("may not change what identifies")),
        "{reasons:?}"
    );

    // With a mapping that leaves identities alone, each order lands once,
    // under its own number.
    let fixed = tenant(&host, &emulators, "country-codes");
    let report = run(&host, &fixed);
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    let references = invoice_references(&emulators);
    assert_eq!(references.iter().cloned().collect::<BTreeSet<_>>(), trestle_e2e::paid_order_numbers(&emulators));
    assert_eq!(references.len(), trestle_e2e::paid_order_numbers(&emulators).len(), "no duplicates: {references:?}");
}

#[test]
fn nonsense_from_a_mapping_is_parked_and_never_booked() {
    let emulators = emulators(40);
    let host = trestle_e2e::host();
    let nonsense = tenant(&host, &emulators, trestle_artifacts::HOSTILE_NONSENSE_NUMBERS);
    let report = run(&host, &nonsense);
    assert_eq!(report.summary.synced, 0, "{:?}", report.summary);
    assert_eq!(invoice_references(&emulators), Vec::<String>::new(), "nothing is booked");
    let reasons = parked_reasons(&host);
    assert_eq!(reasons.len(), trestle_e2e::paid_order_numbers(&emulators).len());
    assert!(reasons.iter().all(|r| r.contains("returned an order that cannot be used")), "{reasons:?}");
    // Each order is parked for the kind of nonsense its number picked
    // (see tests/guests/hostile), named with its value.
    let kinds = [
        "lines[0].quantity is -5",
        "lines[0].quantity is 1e300",
        "lines[0].discount is 1e300",
        "lines[0].vat_rate is -21",
        "it has 10000 lines",
        "total_incl_vat is NaN",
        "total_incl_vat is inf",
        "total_incl_vat is -1e308",
        "lines[0].unit_price is 1e300",
        "lines[0].name is 1024 KiB long",
    ];
    let seen: BTreeSet<&str> =
        reasons.iter().map(|r| *kinds.iter().find(|k| r.contains(**k)).unwrap_or_else(|| panic!("{r}"))).collect();
    assert!(seen.len() >= 5, "{seen:?}");
}

#[test]
fn a_booked_total_that_differs_from_the_shops_is_mismatched_in_the_activity_the_summary_and_an_incident() {
    let emulators = emulators(40);
    let host = trestle_e2e::host();
    // Valid orders at 9 % VAT for articles the books code at 21 %, for
    // buyers made companies (net prices): the books total them otherwise.
    let relabelling = tenant(&host, &emulators, trestle_artifacts::HOSTILE_RELABELS_VAT);
    let report = run(&host, &relabelling);
    assert!(report.summary.synced > 0, "{:?}", report.summary);
    let mismatched = host
        .activity(&ActivityQuery {
            outcome: Some("mismatched".into()),
            run_id: Some(report.run_id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert!(!mismatched.is_empty(), "the differing totals are mismatched records: {:?}", report.summary.notes);
    for record in &mismatched {
        let said = &record.message;
        assert!(said.contains("booked at") && said.contains("the shop's total is"), "both totals: {said}");
        assert!(said.contains("likely cause") && said.contains("coding"), "the likely cause: {said}");
        assert!(
            invoice_references(&emulators).iter().any(|r| said.contains(&format!("{r}: invoice "))),
            "booked: {said}"
        );
    }
    let noted = report.summary.notes.iter().filter(|n| n.contains("more than the totals_threshold")).count();
    assert_eq!(noted, mismatched.len(), "the run summary says each: {:?}", report.summary.notes);

    // The host's incident rule reads the outcome.
    let incidents = Incidents::new(host.storage().clone()).unwrap();
    let notices = incidents.after_run("e2e", "orders", &Ok(report), Thresholds { failures_in_a_row: 3 }).unwrap();
    let opened = notices.iter().find(|n| n.incident.kind == "mismatched").expect("a mismatched incident opens");
    assert_eq!(opened.event, "opened");
}

#[test]
fn a_huge_refusal_is_parked_truncated_and_later_runs_still_work() {
    let emulators = emulators(10);
    let host = trestle_e2e::host();
    let verbose = tenant(&host, &emulators, trestle_artifacts::HOSTILE_HUGE_REFUSAL);
    for _ in 0..2 {
        let report = run(&host, &verbose);
        assert_eq!(report.summary.synced, 0);
        assert!(report.summary.parked > 0);
        assert!(report.summary.notes.iter().all(|n| n.len() < 3000), "notes are short");
    }
    let reasons = parked_reasons(&host);
    assert!(reasons.iter().all(|r| r.len() < 3000 && r.contains("(truncated: the first 2 KiB of")), "{reasons:?}");
    let longest: i64 = host.storage().query_one("SELECT max(length(value)) FROM state", args![], |r| r.get(0)).unwrap();
    assert!(longest < 1 << 20, "a state value of {longest} bytes: the whole reason was stored");
}
