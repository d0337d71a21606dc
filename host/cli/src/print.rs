//! How results look on a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use trestle_host::bindings::types::Order;
use trestle_host::capabilities::log::RecordObserver;
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

/// A spinner with running counts: a run's length is not known up front
/// (the source pages until it ends). Hidden when stdout is not a terminal.
pub struct Progress {
    bar: ProgressBar,
    counts: Arc<[AtomicU32; 3]>,
}

impl Progress {
    pub fn start(flow: &str) -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})").expect("valid template"));
        bar.set_prefix(flow.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar, counts: Arc::new([AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)]) }
    }

    pub fn observer(&self) -> RecordObserver {
        let (bar, counts) = (self.bar.clone(), self.counts.clone());
        Arc::new(move |event| {
            let slot = match event.outcome.as_str() {
                "synced" => 0,
                "skipped" => 1,
                _ => 2,
            };
            counts[slot].fetch_add(1, Ordering::Relaxed);
            let [s, k, p] = [0, 1, 2].map(|i| counts[i].load(Ordering::Relaxed));
            bar.set_message(format!("{s} synced, {k} skipped, {p} parked"));
        })
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

pub fn summary(flow: &str, report: &RunReport) {
    let s = &report.summary;
    println!(
        "{flow}: {} synced, {} skipped, {} parked, {} failed (run {})",
        s.synced, s.skipped, s.parked, s.failed, report.run_id
    );
    const SHOWN: usize = 10;
    for note in s.notes.iter().take(SHOWN) {
        println!("  - {note}");
    }
    if s.notes.len() > SHOWN || s.parked as usize > SHOWN {
        println!("  ... and more: `trestle logs --config <tenant.toml> --outcome parked` lists every parked record");
    }
}
