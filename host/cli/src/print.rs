//! How results look on a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use trestle_host::bindings::types::Order;
use trestle_host::capabilities::log::RecordObserver;
use trestle_host::plan::PlannedWrite;
use trestle_host::run::{PlannedRun, RunReport};

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
                // Booked, with other totals than the source's.
                "synced" | "mismatched" => 0,
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

/// A dry run for people: per record what the flow says would happen and
/// each write, a create with its main fields, an update with old -> new.
pub fn plan(flow: &str, planned: &PlannedRun) {
    let s = &planned.summary;
    println!(
        "{flow} (dry run, nothing written): would sync {}, skip {}, park {}, fail {} (run {})",
        s.synced, s.skipped, s.parked, s.failed, planned.run_id
    );
    for record in &planned.plan.records {
        println!("  {} {}: {} ({})", record.record_kind, record.source_id, record.outcome, record.detail);
        record.writes.iter().for_each(planned_write);
    }
    if !planned.plan.unattributed.is_empty() {
        println!("  not tied to a record:");
        planned.plan.unattributed.iter().for_each(planned_write);
    }
    for note in s.notes.iter().take(10) {
        println!("  - {note}");
    }
}

fn planned_write(write: &PlannedWrite) {
    let id = write.id.as_deref().map(|id| format!(" -> {id}")).unwrap_or_default();
    println!("    {} {} ({}){id}", write.target, write.operation, write.call);
    if write.changes.is_empty() {
        let fields = brief(&write.args);
        if !fields.is_empty() {
            println!("      {}", fields.join(" "));
        }
    }
    for change in &write.changes {
        println!("      {}: {} -> {}", change.field, change.old, change.new);
    }
}

/// The scalar fields of a write's arguments two levels deep, without the
/// empty ones: enough to recognise the record, not all of it.
fn brief(args: &serde_json::Value) -> Vec<String> {
    const SHOWN: usize = 16;
    fn walk(value: &serde_json::Value, depth: usize, out: &mut Vec<String>) {
        let serde_json::Value::Object(fields) = value else { return };
        for (name, value) in fields {
            match value {
                serde_json::Value::Null | serde_json::Value::Bool(false) | serde_json::Value::Array(_) => {}
                serde_json::Value::String(s) if s.is_empty() => {}
                serde_json::Value::Object(_) if depth < 2 => walk(value, depth + 1, out),
                serde_json::Value::Object(_) => {}
                other => out.push(format!("{name}={other}")),
            }
        }
    }
    let mut out = Vec::new();
    walk(args, 0, &mut out);
    out.truncate(SHOWN);
    out
}

/// A dry run as JSON lines: one per record (with its writes), then one for
/// writes not tied to a record, if any.
pub fn plan_json(flow: &str, planned: &PlannedRun) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for record in &planned.plan.records {
        let mut line = serde_json::to_value(record)?;
        line["flow"] = flow.into();
        writeln!(out, "{line}")?;
    }
    if !planned.plan.unattributed.is_empty() {
        let line = serde_json::json!({ "flow": flow, "record_kind": null, "writes": planned.plan.unattributed });
        writeln!(out, "{line}")?;
    }
    let s = &planned.summary;
    eprintln!(
        "{flow} (dry run, nothing written): would sync {}, skip {}, park {}, fail {} (run {})",
        s.synced, s.skipped, s.parked, s.failed, planned.run_id
    );
    Ok(())
}
