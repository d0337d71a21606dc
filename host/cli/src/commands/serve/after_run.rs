//! What the service does after every run, whichever tenant's: a log line,
//! the metrics, the tenant's incidents and alert channels, and forgetting
//! record payloads past its retention period.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trestle_host::Host;
use trestle_host::bindings::Summary;
use trestle_host::run::RunReport;
use trestle_host::tenants::{Job, Observer, ServedTenant};

use super::metrics::Metrics;
use crate::commands::alerts::Alerts;
use crate::commands::say;

pub struct AfterRun {
    host: Host,
    metrics: Arc<Metrics>,
    /// Log lines name the tenant (a service of many).
    name_tenants: bool,
    /// Each tenant's alert channels, for the config they were made from.
    alerts: Mutex<BTreeMap<String, MadeFor>>,
}

/// A tenant's alerts and the served config they were made from.
type MadeFor = (Arc<ServedTenant>, Arc<Alerts>);

impl AfterRun {
    pub fn new(host: Host, metrics: Arc<Metrics>, name_tenants: bool) -> Self {
        Self { host, metrics, name_tenants, alerts: Mutex::default() }
    }

    /// The tenant's alerts, made again when its config changed.
    fn alerts(&self, tenant: &Arc<ServedTenant>) -> anyhow::Result<Arc<Alerts>> {
        let mut all = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((made_for, alerts)) = all.get(tenant.id())
            && Arc::ptr_eq(made_for, tenant)
        {
            return Ok(alerts.clone());
        }
        let alerts = Arc::new(Alerts::new(&self.host, &tenant.prepared)?);
        all.insert(tenant.id().to_string(), (tenant.clone(), alerts.clone()));
        Ok(alerts)
    }
}

impl Observer for AfterRun {
    fn finished(&self, tenant: &Arc<ServedTenant>, job: &Job, took: Duration, result: &anyhow::Result<RunReport>) {
        let who = if self.name_tenants { format!("{}/{}", job.tenant, job.flow) } else { job.flow.clone() };
        match result {
            Ok(report) => {
                let Summary { synced, skipped, parked, failed, notes } = &report.summary;
                say(&format!(
                    "{who} ({}): {synced} synced, {skipped} skipped, {parked} parked, {failed} failed",
                    job.work
                ));
                for note in notes {
                    say(&format!("{who}:   {note}"));
                }
            }
            Err(e) => say(&format!("{who} ({}): the run failed: {e:#}", job.work)),
        }
        self.metrics.finished(&job.tenant, &job.flow, took, result);
        match self.alerts(tenant) {
            Ok(alerts) => {
                alerts.after_run(&job.flow, result);
                alerts.check_stalls(std::slice::from_ref(&job.flow));
            }
            Err(e) => say(&format!("{who}: no alerts for this run: {e:#}")),
        }
        crate::commands::forget_old_payloads(&self.host, &tenant.prepared.config);
    }
}
