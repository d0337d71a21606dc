//! One run of a flow: the flow in its Store, each connection it needs in a
//! Store of its own, the tenant's mapping module (if any) in another, wired
//! by the host. The run is recorded in the `runs` table, and holds the
//! tenant's lease on the flow while it runs (`run_lease`).

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use rusqlite::params;

use crate::bindings::exports::trestle::sync::flow_run::GuestIndices;
use crate::bindings::{ContractError, Summary, Trigger};
use crate::capabilities::log::warnings;
use crate::connection::{ConnectionSetup, new_run_id, role_interface};
use crate::engine::{Host, LoadedComponent, StoreSetup};
use crate::forward::{RoleRouter, imported_roles};
use crate::mapping::MappingSlot;
use crate::run_lease::RunLease;
use crate::traps;
use crate::{ComponentConfig, Limits};

/// Connector warnings a run's summary shows at most; the rest are in the
/// activity log.
const MAX_WARNING_NOTES: usize = 20;

pub struct FlowRun {
    pub tenant: String,
    pub flow: Arc<LoadedComponent>,
    pub config: ComponentConfig,
    pub limits: Option<Limits>,
    /// Each connection with the roles ("order-source", ...) it serves here.
    pub connections: Vec<(ConnectionSetup, Vec<String>)>,
    pub mapping: Option<(Arc<LoadedComponent>, Option<Limits>)>,
    pub trigger: Trigger,
    /// Sees every record outcome as the flow reports it.
    pub observer: Option<crate::capabilities::log::RecordObserver>,
}

#[derive(Debug)]
pub struct RunReport {
    pub run_id: String,
    pub summary: Summary,
}

impl Host {
    /// Runs the flow once. `Err` when the flow could not run or failed as a
    /// whole (its message names the component and the reason); per-record
    /// problems are in the summary and the activity log.
    pub fn run_flow(&self, run: FlowRun) -> anyhow::Result<RunReport> {
        let run_id = new_run_id();
        let flow_name = run.flow.name.clone();
        let longest = run.limits.clone().unwrap_or_else(|| Limits::defaults(run.flow.kind)).deadline;
        let _lease = RunLease::acquire(self.storage(), &run.tenant, &flow_name, &run_id, longest)?;
        self.record_run_start(&run_id, &run.tenant, &flow_name)?;
        let result = self.run_flow_inner(&run, &run_id);
        let (outcome, summary) = match &result {
            Ok(s) => (
                "ok",
                serde_json::json!({
                    "synced": s.synced, "skipped": s.skipped, "parked": s.parked, "failed": s.failed, "notes": s.notes,
                }),
            ),
            Err(e) => ("failed", serde_json::json!({ "error": format!("{e:#}") })),
        };
        self.storage().conn().execute(
            "UPDATE runs SET finished_at = ?2, outcome = ?3, summary = ?4 WHERE id = ?1",
            params![run_id, now(), outcome, summary.to_string()],
        )?;
        result.map(|summary| RunReport { run_id, summary })
    }

    fn run_flow_inner(&self, run: &FlowRun, run_id: &str) -> anyhow::Result<Summary> {
        let mut router = RoleRouter::default();
        let mut served = BTreeSet::new();
        for (connection, roles) in &run.connections {
            let interfaces: Vec<String> = roles.iter().map(|r| role_interface(r)).collect();
            let instance = connection
                .instantiate(self, &run.tenant, run_id)
                .with_context(|| format!("cannot start connection `{}`", connection.name))?;
            served.extend(interfaces.iter().cloned());
            router.add(instance, &interfaces);
        }
        for needed in imported_roles(self.engine(), &run.flow.component) {
            if !served.contains(&needed) {
                let role = needed.trim_start_matches("trestle:sync/").split('@').next().unwrap_or(&needed);
                anyhow::bail!(
                    "flow `{}` needs a connection for the role `{role}`, and the tenant config binds none: \
                     name one under the flow's `roles` (e.g. {role} = \"<connection name>\")",
                    run.flow.name
                );
            }
        }
        let mapping = run.mapping.as_ref().map(|(component, limits)| {
            let mut slot = MappingSlot::new(self.clone(), component.clone(), &run.tenant, run_id);
            slot.set_limits(limits.clone());
            slot
        });
        let setup = StoreSetup {
            config: run.config.clone(),
            limits: run.limits.clone(),
            mapping,
            observer: run.observer.clone(),
            ..StoreSetup::default()
        };
        let (mut store, instance) = self.instantiate(&run.flow, &run.tenant, run_id, setup, Some(router))?;
        let guest = GuestIndices::new(&run.flow.pre)?.load(&mut store, &instance)?;
        let outcome = guest.call_run(&mut store, &run.trigger).map_err(|e| traps::explain(e, store.data()))?;
        store.data().activity().flush();
        // The connectors' Stores (and their buffered lines) end with the flow's.
        drop(store);
        let mut summary = outcome
            .map_err(|e| anyhow::anyhow!("flow `{}` stopped: {}", run.flow.name, describe_contract_error(&e)))?;
        summary.notes.extend(self.connector_warnings(run, run_id)?);
        Ok(summary)
    }

    /// What the connectors warned about in this run, as notes of its
    /// summary: a warning in the activity log alone goes unread.
    fn connector_warnings(&self, run: &FlowRun, run_id: &str) -> anyhow::Result<Vec<String>> {
        let components: Vec<&str> = run.connections.iter().map(|(c, _)| c.component.name.as_str()).collect();
        let found = warnings(self.storage(), &run.tenant, run_id, &components, MAX_WARNING_NOTES + 1)?;
        let mut notes: Vec<String> = found
            .iter()
            .take(MAX_WARNING_NOTES)
            .map(|(component, message)| format!("{component}: {message}"))
            .collect();
        if found.len() > MAX_WARNING_NOTES {
            notes.push("more warnings in the activity log".into());
        }
        Ok(notes)
    }

    fn record_run_start(&self, run_id: &str, tenant: &str, flow: &str) -> anyhow::Result<()> {
        self.storage().conn().execute(
            "INSERT INTO runs (id, tenant, flow, started_at) VALUES (?1, ?2, ?3, ?4)",
            params![run_id, tenant, flow, now()],
        )?;
        Ok(())
    }
}

pub fn describe_contract_error(e: &ContractError) -> String {
    match e {
        ContractError::Auth(m) => format!("authentication failed: {m}"),
        ContractError::RateLimited(r) => format!("rate limited ({} ms): {}", r.retry_after_ms, r.message),
        ContractError::NotFound(m) => format!("not found: {m}"),
        ContractError::Invalid(m) => format!("invalid: {m}"),
        ContractError::Transient(m) => format!("temporary failure: {m}"),
        ContractError::Fatal(m) => m.clone(),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
