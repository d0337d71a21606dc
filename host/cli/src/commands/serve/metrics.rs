//! `GET /metrics` in Prometheus' text format: runs by outcome, records by
//! outcome, run durations, runs waiting, open incidents; per tenant and
//! flow. Labels are ids from the tenant config, never values of settings,
//! so no secret can reach a label.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use trestle_host::run::RunReport;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FlowLabels {
    tenant: String,
    flow: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    tenant: String,
    flow: String,
    outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    runs: Family<OutcomeLabels, Counter>,
    records: Family<OutcomeLabels, Counter>,
    durations: Family<FlowLabels, Histogram>,
    queued: Family<FlowLabels, Gauge>,
    incidents: Family<FlowLabels, Gauge>,
    /// Encoding takes the registry shared; one scrape at a time is plenty.
    encoding: Mutex<()>,
}

/// Run durations from a second to an hour.
const DURATION_BUCKETS: [f64; 9] = [1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("trestle");
        let runs = Family::<OutcomeLabels, Counter>::default();
        let records = Family::<OutcomeLabels, Counter>::default();
        let durations = Family::<FlowLabels, Histogram>::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let queued = Family::<FlowLabels, Gauge>::default();
        let incidents = Family::<FlowLabels, Gauge>::default();
        registry.register("runs", "Finished runs by outcome (ok, failed)", runs.clone());
        registry.register("records", "Records handled by outcome (synced, skipped, parked, failed)", records.clone());
        registry.register("run_duration_seconds", "How long runs took", durations.clone());
        registry.register("runs_waiting", "Runs queued and not started", queued.clone());
        registry.register("open_incidents", "Incidents open now", incidents.clone());
        Self { registry, runs, records, durations, queued, incidents, encoding: Mutex::new(()) }
    }

    pub fn finished(&self, tenant: &str, flow: &str, took: Duration, result: &anyhow::Result<RunReport>) {
        let labels = |outcome| OutcomeLabels { tenant: tenant.into(), flow: flow.into(), outcome };
        self.runs.get_or_create(&labels(if result.is_ok() { "ok" } else { "failed" })).inc();
        if let Ok(report) = result {
            let s = &report.summary;
            for (outcome, n) in
                [("synced", s.synced), ("skipped", s.skipped), ("parked", s.parked), ("failed", s.failed)]
            {
                self.records.get_or_create(&labels(outcome)).inc_by(u64::from(n));
            }
        }
        self.durations
            .get_or_create(&FlowLabels { tenant: tenant.into(), flow: flow.into() })
            .observe(took.as_secs_f64());
    }

    pub fn waiting(&self, tenant: &str, flow: &str, runs: usize) {
        self.queued.get_or_create(&FlowLabels { tenant: tenant.into(), flow: flow.into() }).set(runs as i64);
    }

    pub fn open_incidents(&self, tenant: &str, flow: &str, open: usize) {
        self.incidents.get_or_create(&FlowLabels { tenant: tenant.into(), flow: flow.into() }).set(open as i64);
    }

    pub fn encode(&self) -> String {
        let _one = self.encoding.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
