//! `trestle:sync/log` and the activity log behind it: what every component
//! said, what happened to every record, every forwarded call and every
//! refused request, per tenant and run. Secrets are scrubbed before anything
//! is written, and a component that talks too much is not obeyed: its lines
//! past the budget are dropped and counted, its record outcomes past it stop
//! it. A Store holds a `LogCapability`: its writer, and whether what it
//! reports is the audit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use crate::args;
use crate::bindings::trestle::sync::log;
use crate::capabilities::config::ComponentConfig;
use crate::limits::{ComponentKind, Limits};
use crate::plan::Plan;
use crate::storage::{Sql, Storage, ToValue};

/// Who is writing: one component in one run of one tenant.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub tenant: String,
    pub run_id: String,
    pub component: String,
}

/// What happened to one record (mirrors `log.record-event` of the contract).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordEvent {
    pub record_kind: String,
    pub source_system: String,
    pub source_id: String,
    pub target_system: String,
    pub target_id: Option<String>,
    pub outcome: String,
    pub detail: String,
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Entry {
    at: String,
    kind: &'static str,
    level: String,
    message: String,
    fields: String,
    record: Option<RecordEvent>,
    duration_us: Option<i64>,
}

/// Buffers entries and writes them in batches: a forwarded call is logged
/// on every call, and one SQLite transaction per call would dominate it.
/// Called with every record outcome as it is reported (progress displays).
pub type RecordObserver = std::sync::Arc<dyn Fn(&RecordEvent) + Send + Sync>;

pub struct ActivityWriter {
    storage: Storage,
    observer: Option<RecordObserver>,
    ctx: RunContext,
    redactor: ComponentConfig,
    budget: LogBudget,
    used_bytes: usize,
    used_lines: usize,
    dropped: Dropped,
    calls: BTreeMap<String, CallTally>,
    pending: Vec<Entry>,
}

/// The forwarded calls of one function in one run, written as one row
/// when the run ends: a row per call cost more than many calls.
#[derive(Debug, Default)]
struct CallTally {
    calls: u64,
    failed: u64,
    total: Duration,
    longest: Duration,
}

/// A forwarded call taking this long gets a row of its own, as a failed
/// one does: where a run's time went stays visible.
pub const SLOW_CALL: Duration = Duration::from_secs(1);

/// What one component may write in one run. Rows are budgeted as well as
/// bytes: an empty line costs a row however short it is.
#[derive(Debug, Clone, Copy)]
pub struct LogBudget {
    /// Bytes of log lines and record outcomes.
    pub bytes: usize,
    /// Log lines (record outcomes are not counted: they are the audit).
    pub lines: usize,
}

/// Lines dropped past the budget, reported in one row when the run ends.
#[derive(Debug, Default)]
struct Dropped {
    lines: usize,
    bytes: usize,
}

/// Entries kept in memory before a write.
const BATCH: usize = 256;

#[derive(Debug, thiserror::Error)]
#[error("{component} wrote more than its log limit of {limit} bytes in this run")]
pub struct LogLimitExceeded {
    pub component: String,
    pub limit: usize,
}

impl ActivityWriter {
    pub fn new(storage: Storage, ctx: RunContext, redactor: ComponentConfig, budget: LogBudget) -> Self {
        Self {
            storage,
            observer: None,
            ctx,
            redactor,
            budget,
            used_bytes: 0,
            used_lines: 0,
            dropped: Dropped::default(),
            calls: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    pub fn observe(&mut self, observer: Option<RecordObserver>) {
        self.observer = observer;
    }

    pub fn context(&self) -> &RunContext {
        &self.ctx
    }

    /// A component's own log line; counts against its budget, and past it
    /// is dropped (counted, and reported once when the run ends).
    pub fn log(&mut self, level: &str, message: &str, fields: &[(String, String)]) {
        let bytes = message.len() + fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        if self.used_lines >= self.budget.lines || self.used_bytes.saturating_add(bytes) > self.budget.bytes {
            self.dropped.lines += 1;
            self.dropped.bytes = self.dropped.bytes.saturating_add(bytes);
            return;
        }
        self.used_lines += 1;
        self.used_bytes += bytes;
        let fields: serde_json::Map<String, serde_json::Value> =
            fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(self.redactor.redact(v)))).collect();
        let entry = Entry {
            kind: "log",
            level: level.to_string(),
            message: self.redactor.redact(message),
            fields: serde_json::Value::Object(fields).to_string(),
            ..Entry::default()
        };
        self.push(entry);
    }

    /// A record's outcome; written at once, since it is what a user audits.
    pub fn record(&mut self, mut event: RecordEvent) -> Result<(), LogLimitExceeded> {
        let size = event.detail.len() + event.payload.as_ref().map_or(0, String::len);
        self.charge(size)?;
        event.detail = self.redactor.redact(&event.detail);
        event.payload = event.payload.map(|p| self.redactor.redact(&p));
        if let Some(observer) = &self.observer {
            observer(&event);
        }
        let entry = Entry {
            kind: "record",
            level: if event.outcome == "failed" { "error".into() } else { "info".into() },
            message: format!("{} {} {}: {}", event.record_kind, event.source_id, event.outcome, event.detail),
            record: Some(event),
            ..Entry::default()
        };
        self.push(entry);
        self.flush();
        Ok(())
    }

    /// A call the host forwarded on the component's behalf: counted for
    /// the run's row of `what`, and a row of its own if it failed or was
    /// slow.
    pub fn call(&mut self, what: &str, took: Duration, error: Option<&str>) {
        let tally = match self.calls.get_mut(what) {
            Some(tally) => tally,
            None => self.calls.entry(what.to_string()).or_default(),
        };
        tally.calls += 1;
        tally.failed += u64::from(error.is_some());
        tally.total += took;
        tally.longest = tally.longest.max(took);
        let message = match error {
            None if took < SLOW_CALL => return,
            None => format!("{what} ok, slow: {} ms", took.as_millis()),
            Some(e) => format!("{what} failed: {}", self.redactor.redact(e)),
        };
        let level = if error.is_some() { "warn" } else { "info" };
        self.push(Entry {
            kind: "call",
            level: level.into(),
            message,
            duration_us: Some(micros(took)),
            ..Entry::default()
        });
    }

    /// One row per function called in this run: how often, how long in
    /// all and at most.
    fn report_calls(&mut self) {
        for (what, t) in std::mem::take(&mut self.calls) {
            let failed = if t.failed == 0 { String::new() } else { format!(", {} failed", t.failed) };
            let message = format!(
                "{what}: {} call{} in this run{failed}, {:.1} ms in all, longest {:.1} ms",
                t.calls,
                if t.calls == 1 { "" } else { "s" },
                t.total.as_secs_f64() * 1e3,
                t.longest.as_secs_f64() * 1e3
            );
            // Its failures have rows (level warn) of their own.
            let duration_us = Some(micros(t.total));
            self.push(Entry { kind: "call", level: "debug".into(), message, duration_us, ..Entry::default() });
        }
    }

    /// Something the host did or refused on the component's behalf.
    pub fn host(&mut self, level: &str, message: &str) {
        self.push(Entry {
            kind: "host",
            level: level.to_string(),
            message: self.redactor.redact(message),
            ..Entry::default()
        });
        self.flush();
    }

    fn charge(&mut self, bytes: usize) -> Result<(), LogLimitExceeded> {
        self.used_bytes = self.used_bytes.saturating_add(bytes);
        if self.used_bytes > self.budget.bytes {
            return Err(LogLimitExceeded { component: self.ctx.component.clone(), limit: self.budget.bytes });
        }
        Ok(())
    }

    /// The one row that says what was dropped, once the writer is done.
    fn report_dropped(&mut self) {
        let Dropped { lines, bytes } = std::mem::take(&mut self.dropped);
        if lines == 0 {
            return;
        }
        let message = format!(
            "{} went over its log budget of {} lines and {} KiB in this run: {lines} more lines ({} KiB) were dropped",
            self.ctx.component,
            self.budget.lines,
            self.budget.bytes / 1024,
            bytes.div_ceil(1024)
        );
        self.push(Entry { kind: "host", level: "warn".into(), message, ..Entry::default() });
    }

    fn push(&mut self, mut entry: Entry) {
        entry.at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        if entry.fields.is_empty() {
            entry.fields = "{}".into();
        }
        self.pending.push(entry);
        if self.pending.len() >= BATCH {
            self.flush();
        }
    }

    /// Writes what is buffered. A failing write never reaches the component
    /// (a sync is not stopped half-way for its log), but it is counted for
    /// the run, which reports what it lost (`Storage::take_lost`).
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.pending);
        if let Err(e) = self.write(&entries) {
            tracing::error!(
                "activity log write failed for {} in {}: {e:#}",
                self.ctx.component,
                self.storage.describe()
            );
            self.storage.note_lost(&self.ctx.run_id, entries.len(), &e);
        }
    }

    fn write(&self, entries: &[Entry]) -> anyhow::Result<()> {
        self.storage.transaction(|tx| {
            for e in entries {
                let r = e.record.as_ref();
                tx.execute(
                    "INSERT INTO activity (at, tenant, run_id, component, kind, level, message, fields,
                        record_kind, source_system, source_id, target_system, target_id, outcome, payload, duration_us)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                    args![
                        e.at,
                        self.ctx.tenant,
                        self.ctx.run_id,
                        self.ctx.component,
                        e.kind,
                        e.level,
                        e.message,
                        e.fields,
                        r.map(|r| &r.record_kind),
                        r.map(|r| &r.source_system),
                        r.map(|r| &r.source_id),
                        r.map(|r| &r.target_system),
                        r.and_then(|r| r.target_id.as_ref()),
                        r.map(|r| &r.outcome),
                        r.and_then(|r| r.payload.as_ref()),
                        e.duration_us,
                    ],
                )?;
            }
            Ok(())
        })
    }
}

fn micros(d: Duration) -> i64 {
    d.as_micros().min(i64::MAX as u128) as i64
}

impl Drop for ActivityWriter {
    fn drop(&mut self) {
        self.report_calls();
        self.report_dropped();
        self.flush();
    }
}

/// One row of the activity log, as `trestle logs` and embedders read it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: String,
    pub tenant: String,
    pub run_id: String,
    pub component: String,
    pub kind: String,
    pub level: String,
    pub message: String,
    pub record_kind: Option<String>,
    pub source_system: Option<String>,
    pub source_id: Option<String>,
    pub target_system: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub payload: Option<String>,
    pub duration_us: Option<i64>,
}

/// Which entries to read; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    pub tenant: Option<String>,
    pub run_id: Option<String>,
    pub component: Option<String>,
    pub kind: Option<String>,
    pub record_kind: Option<String>,
    pub source_id: Option<String>,
    pub outcome: Option<String>,
    pub limit: Option<usize>,
}

pub fn query(storage: &Storage, q: &ActivityQuery) -> anyhow::Result<Vec<ActivityEntry>> {
    let limit = q.limit.map_or(i64::MAX, |l| l as i64);
    let mut out = storage.query(
        "SELECT id, at, tenant, run_id, component, kind, level, message, record_kind, source_system,
                source_id, target_system, target_id, outcome, payload, duration_us
         FROM activity
         WHERE (tenant = ?1 OR ?1 IS NULL) AND (run_id = ?2 OR ?2 IS NULL) AND (component = ?3 OR ?3 IS NULL)
           AND (kind = ?4 OR ?4 IS NULL) AND (record_kind = ?5 OR ?5 IS NULL) AND (source_id = ?6 OR ?6 IS NULL)
           AND (outcome = ?7 OR ?7 IS NULL)
         ORDER BY id DESC LIMIT ?8",
        args![q.tenant, q.run_id, q.component, q.kind, q.record_kind, q.source_id, q.outcome, limit],
        |r| {
            Ok(ActivityEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                tenant: r.get(2)?,
                run_id: r.get(3)?,
                component: r.get(4)?,
                kind: r.get(5)?,
                level: r.get(6)?,
                message: r.get(7)?,
                record_kind: r.get(8)?,
                source_system: r.get(9)?,
                source_id: r.get(10)?,
                target_system: r.get(11)?,
                target_id: r.get(12)?,
                outcome: r.get(13)?,
                payload: r.get(14)?,
                duration_us: r.get(15)?,
            })
        },
    )?;
    out.reverse();
    Ok(out)
}

/// The warnings these components logged in one run, oldest first: what a
/// run's summary must show besides its counts (a booked total that differs
/// from the shop's, say), at most `limit` of them.
pub fn warnings(
    storage: &Storage,
    tenant: &str,
    run_id: &str,
    components: &[&str],
    limit: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    if components.is_empty() {
        return Ok(Vec::new());
    }
    let listed = (0..components.len()).map(|i| format!("?{}", i + 4)).collect::<Vec<_>>().join(", ");
    let mut bound = args![tenant, run_id, limit as i64].to_vec();
    bound.extend(components.iter().map(ToValue::to_value));
    storage.query(
        &format!(
            "SELECT component, message FROM activity
             WHERE tenant = ?1 AND run_id = ?2 AND kind = 'log' AND level IN ('warn', 'error')
               AND component IN ({listed})
             ORDER BY id LIMIT ?3"
        ),
        &bound,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// One Store's `trestle:sync/log`.
pub struct LogCapability {
    pub activity: Arc<Mutex<ActivityWriter>>,
    /// A mapping sees records, it does not sync them: what it reports
    /// happened is one of its log lines, never an outcome in the audit.
    audited: bool,
    /// A dry run's plan, which learns every outcome the flow reports.
    plan: Option<Arc<Mutex<Plan>>>,
}

impl LogCapability {
    /// Writes to `activity` when given (a mapping module's fresh instance
    /// after a trap keeps the run's budget), else to a new writer on
    /// `storage` with the budget of `limits`, scrubbing `redactor`'s secrets.
    pub fn prepare(
        kind: ComponentKind,
        activity: Option<Arc<Mutex<ActivityWriter>>>,
        storage: Storage,
        ctx: RunContext,
        redactor: ComponentConfig,
        limits: &Limits,
    ) -> Self {
        let activity = activity.unwrap_or_else(|| {
            let budget = LogBudget { bytes: limits.log_bytes, lines: limits.log_lines };
            Arc::new(Mutex::new(ActivityWriter::new(storage, ctx, redactor, budget)))
        });
        Self { activity, audited: kind != ComponentKind::Mapping, plan: None }
    }

    /// Also tells `observer` every record outcome.
    pub fn observed(self, observer: Option<RecordObserver>) -> Self {
        if observer.is_some() {
            self.writer().observe(observer);
        }
        self
    }

    /// Also tells a dry run's plan every record outcome.
    pub fn planned(self, plan: Option<Arc<Mutex<Plan>>>) -> Self {
        Self { plan, ..self }
    }

    pub fn writer(&self) -> MutexGuard<'_, ActivityWriter> {
        self.activity.lock().unwrap_or_else(|p| p.into_inner())
    }
}

link_interface!(log, LogCapability);

impl log::Host for LogCapability {
    fn log(&mut self, level: log::Level, message: String, fields: Vec<(String, String)>) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.writer().log(level, &message, &fields);
        Ok(())
    }

    fn report(&mut self, event: log::RecordEvent) -> wasmtime::Result<()> {
        let outcome = match event.outcome {
            log::Outcome::Synced => "synced",
            log::Outcome::Skipped => "skipped",
            log::Outcome::Parked => "parked",
            log::Outcome::Failed => "failed",
            log::Outcome::Mismatched => "mismatched",
        };
        if !self.audited {
            let claim = format!("reported {} {} as {outcome}: {}", event.record_kind, event.source_id, event.detail);
            self.writer().log("info", &claim, &[]);
            return Ok(());
        }
        if let Some(plan) = &self.plan {
            let mut plan = plan.lock().unwrap_or_else(|p| p.into_inner());
            plan.reported(&event.record_kind, &event.source_id, outcome, &event.detail);
        }
        self.writer().record(RecordEvent {
            record_kind: event.record_kind,
            source_system: event.source_system,
            source_id: event.source_id,
            target_system: event.target_system,
            target_id: event.target_id,
            outcome: outcome.to_string(),
            detail: event.detail,
            payload: event.payload,
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn writer(storage: &Storage, bytes: usize) -> ActivityWriter {
        let config = ComponentConfig::new(
            BTreeMap::from([("secret_key".to_string(), "hunter22".to_string())]),
            ["secret_key".to_string()],
        );
        let ctx = RunContext { tenant: "t1".into(), run_id: "r1".into(), component: "shop-api".into() };
        ActivityWriter::new(storage.clone(), ctx, config, LogBudget { bytes, lines: 1000 })
    }

    #[test]
    fn lines_and_records_land_in_the_log_with_secrets_scrubbed() {
        let storage = Storage::in_memory().unwrap();
        let mut w = writer(&storage, 10_000);
        w.log("info", "signing with hunter22", &[("key".into(), "hunter22".into())]);
        w.record(RecordEvent {
            record_kind: "order".into(),
            source_system: "shop".into(),
            source_id: "1001".into(),
            target_system: "books".into(),
            target_id: Some("abc".into()),
            outcome: "synced".into(),
            detail: "invoice created".into(),
            payload: None,
        })
        .unwrap();
        drop(w);
        let all = query(&storage, &ActivityQuery { tenant: Some("t1".into()), ..Default::default() }).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].message, "signing with [redacted]");
        assert!(!format!("{all:?}").contains("hunter22"));
        let synced = query(&storage, &ActivityQuery { outcome: Some("synced".into()), ..Default::default() }).unwrap();
        assert_eq!(synced[0].target_id.as_deref(), Some("abc"));
    }

    #[test]
    fn calls_are_one_row_per_function_and_failed_or_slow_calls_keep_their_own() {
        let storage = Storage::in_memory().unwrap();
        let mut w = writer(&storage, 10_000);
        for _ in 0..1000 {
            w.call("shop.order-source#get-order", Duration::from_micros(20), None);
        }
        w.call("shop.order-source#get-order", Duration::from_millis(3), Some("transient: signed with hunter22"));
        w.call("books.customer-sink#create-customer", SLOW_CALL * 2, None);
        drop(w);
        let calls = query(&storage, &ActivityQuery { kind: Some("call".into()), ..Default::default() }).unwrap();
        let messages: Vec<(&str, &str)> = calls.iter().map(|c| (c.level.as_str(), c.message.as_str())).collect();
        assert_eq!(
            messages,
            [
                ("warn", "shop.order-source#get-order failed: transient: signed with [redacted]"),
                ("info", "books.customer-sink#create-customer ok, slow: 2000 ms"),
                (
                    "debug",
                    "books.customer-sink#create-customer: 1 call in this run, 2000.0 ms in all, longest 2000.0 ms"
                ),
                (
                    "debug",
                    "shop.order-source#get-order: 1001 calls in this run, 1 failed, 23.0 ms in all, longest 3.0 ms"
                ),
            ]
        );
        assert_eq!(calls[3].duration_us, Some(23_000), "the row's duration is the calls' total");
    }

    fn event(detail: String) -> RecordEvent {
        RecordEvent { record_kind: "order".into(), outcome: "parked".into(), detail, ..RecordEvent::default() }
    }

    #[test]
    fn lines_past_the_budget_are_dropped_and_counted_in_one_row() {
        let storage = Storage::in_memory().unwrap();
        let ctx = RunContext { tenant: "t1".into(), run_id: "r1".into(), component: "acme-map".into() };
        let budget = LogBudget { bytes: 2048, lines: 3 };
        let mut w = ActivityWriter::new(storage.clone(), ctx, ComponentConfig::default(), budget);
        w.log("info", &"x".repeat(2040), &[]);
        w.log("info", &"x".repeat(20), &[]);
        for _ in 0..2000 {
            w.log("info", "", &[]);
        }
        drop(w);
        let all = query(&storage, &ActivityQuery::default()).unwrap();
        assert_eq!(all.len(), 4, "three lines and the one saying what was dropped");
        assert_eq!(
            all[3].message,
            "acme-map went over its log budget of 3 lines and 2 KiB in this run: 1999 more lines (1 KiB) were dropped"
        );
    }

    #[test]
    fn record_outcomes_past_the_byte_budget_stop_the_component() {
        let storage = Storage::in_memory().unwrap();
        let mut w = writer(&storage, 100);
        w.record(event("x".repeat(90))).unwrap();
        let err = w.record(event("x".repeat(20))).unwrap_err();
        assert!(err.to_string().contains("shop-api wrote more than its log limit of 100 bytes"), "{err}");
    }

    fn unit(kind: ComponentKind, storage: &Storage) -> LogCapability {
        let ctx = RunContext { tenant: "t1".into(), run_id: "r1".into(), component: "orders".into() };
        LogCapability::prepare(kind, None, storage.clone(), ctx, ComponentConfig::default(), &Limits::defaults(kind))
    }

    fn parked(id: &str) -> log::RecordEvent {
        log::RecordEvent {
            record_kind: "order".into(),
            source_system: "shop".into(),
            source_id: id.into(),
            target_system: "books".into(),
            target_id: None,
            outcome: log::Outcome::Parked,
            detail: "no VAT code".into(),
            payload: None,
        }
    }

    #[test]
    fn a_flows_outcomes_are_the_audit_and_reach_a_dry_runs_plan() {
        use log::Host as _;
        let storage = Storage::in_memory().unwrap();
        let plan = Arc::new(Mutex::new(Plan::default()));
        let mut flow = unit(ComponentKind::Flow, &storage).planned(Some(plan.clone()));
        flow.report(parked("1001")).unwrap();
        drop(flow);
        let parked = query(&storage, &ActivityQuery { outcome: Some("parked".into()), ..Default::default() }).unwrap();
        assert_eq!(parked.len(), 1);
        let plan = plan.lock().unwrap();
        assert_eq!((plan.records[0].source_id.as_str(), plan.records[0].outcome.as_str()), ("1001", "parked"));
    }

    #[test]
    fn a_mappings_reports_are_only_its_log_lines() {
        use log::Host as _;
        let storage = Storage::in_memory().unwrap();
        let mut mapping = unit(ComponentKind::Mapping, &storage);
        mapping.report(parked("1002")).unwrap();
        drop(mapping);
        let all = query(&storage, &ActivityQuery::default()).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].outcome, None);
        assert_eq!(all[0].message, "reported order 1002 as parked: no VAT code");
    }
}
