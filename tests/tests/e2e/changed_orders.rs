//! Booked orders the shop changes afterwards (a row edited in the back
//! office): reported for the owner once, or, with
//! `changed_after_booking = "rebook"`, their invoice credited in full and
//! the order booked anew, with what was paid moved along, exactly once
//! whatever fails on the way. CCV Shop and eAccounting connectors, run by
//! the host against both emulators over real sockets.

use std::collections::BTreeMap;

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::bindings::Trigger;
use trestle_host::{Host, HostOptions};

use super::payments_flow::{
    Count, config, invoices, kill_while_held, money, paid_gross_orders, payment_count, payment_settings, payments,
    prepare, run, runs_through_faults, shop_orders,
};

fn emulators(orders: usize) -> Emulators {
    Emulators::start(Options { orders, products: 40, rate_limits: false, ..Options::default() }).unwrap()
}

/// Invoices with payments; the seed's orders are old, so the look-back
/// window (in which changes are seen) must reach them.
fn settings(emulators: &Emulators, changed: &str) -> String {
    format!("{}\nrecheck_days = 100000\nchanged_after_booking = \"{changed}\"", payment_settings(emulators))
}

/// Sells one more of the order's first row, as an edit in the back office
/// would; the order's totals follow.
fn sell_one_more(emulators: &Emulators, order_number: &str) {
    let order = &shop_orders(emulators)[order_number];
    let row = &order["rows"][0];
    let count = row["count"].as_f64().unwrap() + 1.0;
    emulators.ccvshop.set_order_row_count(order["id"].as_u64().unwrap(), row["id"].as_u64().unwrap(), count).unwrap();
}

/// The totals the flow sent, by our reference (from the activity log).
fn sent_totals(host: &Host) -> BTreeMap<String, f64> {
    host.activity(&trestle_host::ActivityQuery { record_kind: Some("order".into()), ..Default::default() })
        .unwrap()
        .into_iter()
        .filter_map(|e| serde_json::from_str::<Value>(e.payload.as_deref()?).ok())
        .map(|p| (p["reference"].as_str().unwrap().to_string(), money(&p["total_incl_vat"])))
        .collect()
}

/// The n-th change of `order_number` is in the books once: a credit of
/// `credited` in full, row for row, paid back once when `paid`, and the
/// order anew at the total the flow sent, paid once when `paid`.
fn assert_rebooked_once(emulators: &Emulators, host: &Host, order_number: &str, n: u32, credited: &Value, paid: bool) {
    let books = invoices(emulators);
    let payments = payments(emulators);
    let taken = |invoice: &Value| payments.get(invoice["Id"].as_str().unwrap()).cloned().unwrap_or_default();
    let prefix = format!("{order_number}-CHANGE-{n}");
    let written: Vec<&String> = books.keys().filter(|r| r.starts_with(&prefix)).collect();
    assert_eq!(written.len(), 2, "{prefix}: one credit and one new invoice, got {written:?}");

    let credit = &books[&format!("{prefix}-CREDIT")];
    assert_eq!(credit["IsCreditInvoice"], true);
    assert_eq!(money(&credit["TotalAmount"]), -money(&credited["TotalAmount"]), "{prefix}: credited in full");
    let rows = |i: &Value| i["Rows"].as_array().unwrap().len();
    assert_eq!(rows(credit), rows(credited), "{prefix}: the credit takes every row the books hold");
    let anew = &books[&prefix];
    let sent = sent_totals(host)[&prefix];
    assert!(
        (money(&anew["TotalAmount"]) - sent).abs() < 0.005,
        "{prefix}: {} booked, {sent} sent",
        anew["TotalAmount"]
    );
    if paid {
        assert_eq!(taken(credit).len(), 1, "{prefix}: paid back once");
        assert_eq!(money(&credit["RemainingAmount"]), 0.0, "{prefix}: what was paid is paid back");
        assert_eq!(taken(anew).len(), 1, "{prefix}: the new invoice is paid once");
        assert_eq!(money(&anew["RemainingAmount"]), 0.0, "{prefix}: paid in full");
    } else {
        assert!(taken(credit).is_empty() && taken(anew).is_empty(), "{prefix}: nothing was paid");
    }
}

#[test]
fn an_order_changed_after_booking_is_reported_once_and_its_invoice_left_as_booked() {
    let emulators = emulators(30);
    let host = trestle_e2e::host();
    let tenant = prepare(&host, &config(&emulators, &settings(&emulators, "report")));
    run(&host, &tenant);
    let (number, _) = paid_gross_orders(&emulators).remove(0);
    let before = (invoices(&emulators), payment_count(&emulators));

    sell_one_more(&emulators, &number);
    let report = run(&host, &tenant);
    let said = format!("order {number} changed in the shop after invoice");
    let note = report.summary.notes.iter().find(|n| n.contains(&said));
    let note = note.unwrap_or_else(|| panic!("{:?}", report.summary.notes));
    assert!(note.contains("changed_after_booking = \"rebook\""), "the note says what to do: {note}");
    assert_eq!(report.summary.parked, 1, "{:?}", report.summary.notes);
    assert_eq!(invoices(&emulators), before.0, "nothing is written; the booked invoice is never edited");
    assert_eq!(payment_count(&emulators), before.1);

    let rerun = run(&host, &tenant);
    assert!(!rerun.summary.notes.iter().any(|n| n.contains(&said)), "reported once: {:?}", rerun.summary.notes);
    assert_eq!(rerun.summary.parked, 0, "{:?}", rerun.summary.notes);
}

#[test]
fn a_changed_order_is_credited_in_full_and_booked_anew_once_per_change_with_its_payment_moved() {
    let emulators = emulators(30);
    let host = trestle_e2e::host();
    let tenant = prepare(&host, &config(&emulators, &settings(&emulators, "rebook")));
    run(&host, &tenant);
    let (number, _) = paid_gross_orders(&emulators).remove(0);
    let original = invoices(&emulators)[&number].clone();
    let count = invoices(&emulators).len();

    sell_one_more(&emulators, &number);
    // A dry run first: it says what it would write and writes nothing.
    let books = emulators.eaccounting.state();
    let planned = host.plan_flow(tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap()).unwrap();
    assert_eq!(emulators.eaccounting.state(), books, "a dry run writes nothing");
    let calls: Vec<String> = planned
        .plan
        .records
        .iter()
        .flat_map(|r| &r.writes)
        .map(|w| {
            format!(
                "{} {}",
                w.call,
                w.args["reference"].as_str().or(w.args["document"]["reference"].as_str()).unwrap_or("")
            )
        })
        .collect();
    for call in [
        format!("sales-document-sink.create-credit {number}-CHANGE-1-CREDIT"),
        format!("sales-document-sink.create-document {number}-CHANGE-1"),
    ] {
        assert!(calls.contains(&call), "the plan holds {call}: {calls:?}");
    }

    let report = run(&host, &tenant);
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    assert_eq!(invoices(&emulators)[&number], original, "the booked invoice is never edited");
    let found = host.reconcile_flow(tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap(), None);
    let drift = found.unwrap().reconciliation.drift;
    assert!(
        !drift.iter().any(|d| d.key == number || d.key.starts_with(&format!("{number}-"))),
        "shop and books agree on {number}: {drift:?}"
    );
    assert_rebooked_once(&emulators, &host, &number, 1, &original, true);
    let first = invoices(&emulators)[&format!("{number}-CHANGE-1")].clone();
    assert!(money(&first["TotalAmount"]) > money(&original["TotalAmount"]), "one more is sold");
    assert_eq!(invoices(&emulators).len(), count + 2);

    let payments_before = payment_count(&emulators);
    let rerun = run(&host, &tenant);
    assert_eq!(rerun.summary.synced, 0, "{:?}", rerun.summary);
    assert_eq!((invoices(&emulators).len(), payment_count(&emulators)), (count + 2, payments_before));

    // A second change credits what the first booked.
    sell_one_more(&emulators, &number);
    run(&host, &tenant);
    assert_rebooked_once(&emulators, &host, &number, 2, &first, true);
    assert_eq!(invoices(&emulators).len(), count + 4);
}

#[test]
fn a_changed_unpaid_order_is_rebooked_without_payments_and_paid_once_when_the_shop_is() {
    let emulators = emulators(40);
    let host = trestle_e2e::host();
    let unpaid = format!("{}\npaid_only = false", settings(&emulators, "rebook"));
    let tenant = prepare(&host, &config(&emulators, &unpaid));
    run(&host, &tenant);
    let orders = shop_orders(&emulators);
    let books = invoices(&emulators);
    let number = books.keys().find(|r| orders.get(*r).is_some_and(|o| o["paid"] == false)).unwrap().clone();
    let original = books[&number].clone();

    sell_one_more(&emulators, &number);
    run(&host, &tenant);
    assert_rebooked_once(&emulators, &host, &number, 1, &original, false);

    emulators.ccvshop.mark_order_paid(orders[&number]["id"].as_u64().unwrap()).unwrap();
    run(&host, &tenant);
    let books = invoices(&emulators);
    let anew = &books[&format!("{number}-CHANGE-1")];
    assert_eq!(money(&anew["RemainingAmount"]), 0.0, "the new invoice gets the payment");
    let paid = payments(&emulators);
    let on = |r: &str| paid.get(books[r]["Id"].as_str().unwrap()).map_or(0, Vec::len);
    assert_eq!(on(&format!("{number}-CHANGE-1")), 1);
    assert_eq!((on(&number), on(&format!("{number}-CHANGE-1-CREDIT"))), (0, 0), "the credited pair takes none");
}

#[test]
fn rebookings_through_faults_and_lost_answers_are_written_once() {
    let emulators = emulators(40);
    let host = trestle_e2e::host();
    let tenant = prepare(&host, &config(&emulators, &settings(&emulators, "rebook")));
    run(&host, &tenant);
    let picked: Vec<(String, Value)> = paid_gross_orders(&emulators)
        .into_iter()
        .take(5)
        .map(|(number, _)| {
            let booked = invoices(&emulators)[&number].clone();
            sell_one_more(&emulators, &number);
            (number, booked)
        })
        .collect();
    let failed = runs_through_faults(&emulators, &host, &tenant, 18, 2);
    assert!(failed > 0, "the faults met the rebookings' writes");
    for (number, booked) in &picked {
        assert_rebooked_once(&emulators, &host, number, 1, booked, true);
    }
}

#[test]
fn a_kill_right_after_the_credit_or_its_payment_never_rebooks_twice() {
    let emulators = emulators(30);
    let dir = std::env::temp_dir().join(format!("trestle-rebook-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("trestle.db");
    let config = config(&emulators, &settings(&emulators, "rebook"));
    let open = || {
        Host::new(HostOptions { database: Some(db.clone().into()), cache_dir: Some(trestle_e2e::cache_dir()) }).unwrap()
    };
    {
        let host = open();
        run(&host, &prepare(&host, &config));
    }
    // The credit's POST, then (for another order) its refund payment's POST:
    // each is carried out and never answered, and the run is killed there.
    let holds: [(&str, Count); 2] =
        [("POST /v2/customerinvoices", |e| invoices(e).len()), ("POST /v2/customerinvoices/", payment_count)];
    for ((number, _), (hold, written)) in paid_gross_orders(&emulators).into_iter().zip(holds) {
        let booked = invoices(&emulators)[&number].clone();
        sell_one_more(&emulators, &number);
        kill_while_held(&emulators, &db, &config, hold, written);
        let host = open();
        run(&host, &prepare(&host, &config));
        assert_rebooked_once(&emulators, &host, &number, 1, &booked, true);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
