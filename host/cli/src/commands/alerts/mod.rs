//! Alerts, for `trestle serve` and `trestle run` alike: after every run
//! the tenant's incident register is updated (records waiting too long
//! included), and every notice of an incident opening or closing goes to
//! each channel of `[alerts]` once. A channel that is down keeps its
//! notices until it answers again.

mod email;
mod webhook;

use std::time::Duration;

use trestle_host::ComponentConfig;
use trestle_host::incidents::{Incidents, Notice, Thresholds};
use trestle_host::run::RunReport;
use trestle_host::tenant::PreparedTenant;

use super::say;

/// Somewhere a notice is told.
trait Channel: Send + Sync {
    /// Its name in the notice ledger and in messages: "webhook", "email".
    fn name(&self) -> &'static str;
    fn send(&self, tenant: &str, notice: &Notice) -> Result<(), String>;
}

pub struct Alerts {
    tenant: String,
    incidents: Incidents,
    thresholds: Thresholds,
    stall_after: Duration,
    channels: Vec<Box<dyn Channel>>,
    /// Every connection's secrets: none may reach a notice, whatever a
    /// connector put in its error message.
    redactors: Vec<ComponentConfig>,
}

impl Alerts {
    pub fn new(host: &trestle_host::Host, tenant: &PreparedTenant) -> anyhow::Result<Self> {
        let config = &tenant.config.alerts;
        let mut channels: Vec<Box<dyn Channel>> = Vec::new();
        if let Some(w) = &config.webhook {
            channels.push(Box::new(webhook::Webhook::new(w)?));
        }
        if let Some(e) = &config.email {
            channels.push(Box::new(email::Email::new(e)?));
        }
        Ok(Self {
            tenant: tenant.config.tenant.clone(),
            incidents: Incidents::new(host.storage().clone())?,
            thresholds: config.thresholds(),
            stall_after: config.stall_after(),
            channels,
            redactors: tenant.connections.values().map(|c| c.config.clone()).collect(),
        })
    }

    /// After a run of `flow` (or a failed start): open or close its
    /// incidents, then tell.
    pub fn after_run(&self, flow: &str, result: &anyhow::Result<RunReport>) {
        match self.incidents.after_run(&self.tenant, flow, result, self.thresholds) {
            Ok(notices) => self.announce(&notices),
            Err(e) => say(&format!("{flow}: cannot update the incidents: {e:#}")),
        }
        self.deliver();
    }

    /// Whether records of `flows` wait too long; then tells.
    pub fn check_stalls(&self, flows: &[String]) {
        for flow in flows {
            match self.incidents.check_stall(&self.tenant, flow, self.stall_after) {
                Ok(notices) => self.announce(&notices),
                Err(e) => say(&format!("{flow}: cannot check for waiting records: {e:#}")),
            }
        }
        self.deliver();
    }

    fn announce(&self, notices: &[Notice]) {
        for n in notices {
            say(&format!(
                "{}: incident {} {} ({}): {}",
                n.incident.flow,
                n.incident.id,
                n.event,
                n.incident.kind,
                self.redact(&n.incident.explanation)
            ));
        }
    }

    /// Sends every notice a channel has not had yet, oldest first; stops at
    /// a channel's first failure (it is tried again next time).
    fn deliver(&self) {
        for channel in &self.channels {
            let waiting = match self.incidents.undelivered(&self.tenant, channel.name()) {
                Ok(w) => w,
                Err(e) => {
                    say(&format!("cannot read the notices for the {} channel: {e:#}", channel.name()));
                    continue;
                }
            };
            for mut notice in waiting {
                notice.incident.explanation = self.redact(&notice.incident.explanation);
                let outcome = channel.send(&self.tenant, &notice).map_err(|e| self.redact(&e));
                let failed = outcome.as_ref().err().cloned();
                if let Err(e) = self.incidents.delivered(&notice, channel.name(), outcome) {
                    say(&format!("cannot record a notice sent to the {} channel: {e:#}", channel.name()));
                }
                if let Some(e) = failed {
                    say(&format!(
                        "the {} channel did not take incident {}'s notice; it is sent again later: {e}",
                        channel.name(),
                        notice.incident.id
                    ));
                    break;
                }
            }
        }
    }

    fn redact(&self, text: &str) -> String {
        self.redactors.iter().fold(text.to_string(), |t, r| r.redact(&t))
    }
}

/// The subject line and the body text every channel tells a notice with.
fn headline(tenant: &str, notice: &Notice) -> String {
    let i = &notice.incident;
    format!("[Trestle] {tenant} / {}: incident {} {} ({})", i.flow, i.id, notice.event, i.kind)
}

fn body(notice: &Notice) -> String {
    let i = &notice.incident;
    let mut text = format!("{}\n\nNext step: {}\n\nOpened: {}\n", i.explanation, i.next_step, i.opened_at);
    if let (Some(at), Some(why)) = (&i.closed_at, &i.closed_why) {
        text.push_str(&format!("Closed: {at} ({why})\n"));
    }
    text
}
