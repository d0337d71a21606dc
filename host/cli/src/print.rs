//! How results look on a terminal.

use trestle_host::bindings::types::Order;
use trestle_host::run::RunReport;

/// Prints what a mapping changed in an order.
pub fn order_diff(before: &Order, after: &Order) {
    let changes = [
        ("billing country", &before.billing_address.country_code, &after.billing_address.country_code),
        ("delivery country", &before.delivery_address.country_code, &after.delivery_address.country_code),
        (
            "customer country",
            &before.customer.billing_address.country_code,
            &after.customer.billing_address.country_code,
        ),
    ];
    println!("Changed by the mapping:");
    for (what, b, a) in changes.iter().filter(|(_, b, a)| b != a) {
        println!("  {what:<18} {b:?} -> {a:?}");
    }
    for (name, value) in after.custom_fields.iter().filter(|f| !before.custom_fields.contains(f)) {
        println!("  custom field       {name} = {value}");
    }
    if before.lines.len() != after.lines.len() {
        println!("  lines              {} -> {}", before.lines.len(), after.lines.len());
    }
}

pub fn summary(flow: &str, report: &RunReport) {
    let s = &report.summary;
    println!(
        "{flow}: {} synced, {} skipped, {} parked, {} failed (run {})",
        s.synced, s.skipped, s.parked, s.failed, report.run_id
    );
    for note in &s.notes {
        println!("  - {note}");
    }
}
