//! One run of a flow: the flow in its Store, each connection it needs in a
//! Store of its own, the tenant's mapping module (if any) in another, wired
//! by the host. The run is recorded in the `runs` table, and holds the
//! tenant's lease on the flow while it runs (`run_lease`).

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use wasmtime::Store;

use crate::args;
use crate::bindings::exports::trestle::sync::flow_run::{Guest as FlowGuest, GuestIndices};
use crate::bindings::{ContractError, DateRange, Reconciliation, Summary, Trigger};
use crate::capabilities::log::warnings;
use crate::capabilities::roles::ServeRoles;
use crate::capabilities::transforms::MapRecords;
use crate::connection::{ConnectionSetup, new_run_id, role_interface};
use crate::engine::{Host, LoadedComponent, StoreSetup};
use crate::forward::{DryRunStop, RoleRouter};
use crate::guest_state::GuestState;
use crate::mapping::MappingSlot;
use crate::plan::Plan;
use crate::run_lease::RunLease;
use crate::storage::{LostWrites, Sql, Storage};
use crate::traps;
use crate::{ComponentConfig, Limits};

/// Connector warnings a run's summary shows at most; the rest are in the
/// activity log.
const MAX_WARNING_NOTES: usize = 20;

pub struct FlowRun {
    pub tenant: String,
    /// The flow's name in the tenant config: its state namespace, its name
    /// in the activity log and the `runs` table. Two entries of the same
    /// component (products one way and the other) never share a ledger.
    pub name: String,
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
    /// Activity-log entries the run could not write (a damaged or full
    /// database): what it did is then not all on record. Also in the notes.
    pub lost_activity: Option<LostWrites>,
}

/// What a dry run found: the summary the flow gave (outcomes as they would
/// be) and every write it would have made.
#[derive(Debug)]
pub struct PlannedRun {
    pub run_id: String,
    pub summary: Summary,
    pub plan: Plan,
}

/// What a reconcile found: the flow's comparison of the two sides.
#[derive(Debug)]
pub struct ReconciledRun {
    pub run_id: String,
    pub reconciliation: Reconciliation,
    /// The connectors' warnings during the comparison.
    pub notes: Vec<String>,
}

impl Host {
    /// Runs the flow once. `Err` when the flow could not run or failed as a
    /// whole (its message names the component and the reason); per-record
    /// problems are in the summary and the activity log.
    pub fn run_flow(&self, run: FlowRun) -> anyhow::Result<RunReport> {
        self.execute(run, None).map(|(report, _)| report)
    }

    /// Runs the flow as `run_flow` does, with the same connectors and the
    /// same reads, and writes nothing a real run would see: writes are
    /// planned (`plan`), the flow's state stays in memory, the activity goes
    /// to a log of its own. Only the `runs` table records that it ran.
    pub fn plan_flow(&self, run: FlowRun) -> anyhow::Result<PlannedRun> {
        let log = Storage::in_memory()?;
        let (report, plan) = self.execute(run, Some(log))?;
        Ok(PlannedRun { run_id: report.run_id, summary: report.summary, plan: plan.unwrap_or_default() })
    }

    /// `dry_log`: a dry run, with the activity log it writes to.
    fn execute(&self, run: FlowRun, dry_log: Option<Storage>) -> anyhow::Result<(RunReport, Option<Plan>)> {
        let run_id = new_run_id();
        let flow_name = run.name.clone();
        let longest = run.limits.clone().unwrap_or_else(|| Limits::defaults(run.flow.kind)).deadline;
        let _lease = RunLease::acquire(self.storage(), &run.tenant, &flow_name, &run_id, longest)?;
        self.record_run_start(&run_id, &run.tenant, &flow_name)?;
        // Every Store of the run is gone (and has flushed) once this returns.
        let mut result = self.run_flow_inner(&run, &run_id, dry_log.as_ref());
        let lost = self.storage().take_lost(&run_id);
        if let Some(lost) = &lost {
            let note = format!(
                "{} activity-log entries of this run were lost, so the log does not show all it did: {}",
                lost.entries, lost.error
            );
            match &mut result {
                Ok((summary, _)) => summary.notes.push(note),
                Err(e) => *e = anyhow::anyhow!("{e:#}; {note}"),
            }
        }
        let dry = dry_log.is_some();
        let (outcome, summary) = match &result {
            Ok((s, _)) => (
                if dry { "dry-run" } else { "ok" },
                serde_json::json!({
                    "synced": s.synced, "skipped": s.skipped, "parked": s.parked, "failed": s.failed, "notes": s.notes,
                    "lost_activity": lost.as_ref().map_or(0, |l| l.entries),
                }),
            ),
            Err(e) => (if dry { "dry-run failed" } else { "failed" }, serde_json::json!({ "error": format!("{e:#}") })),
        };
        self.record_run_end(&run_id, outcome, &summary)?;
        result.map(|(summary, plan)| (RunReport { run_id, summary, lost_activity: lost }, plan))
    }

    /// Has the flow compare the two sides (its `reconcile` export), in a dry
    /// run's setting: the same connections, pacing and reads as a run, every
    /// write answered by the host and none sent, the flow's state in memory,
    /// its activity in a log of its own. The `runs` table records that it
    /// ran and how much drift it found. See docs/2026-12-02-reconcile.md.
    pub fn reconcile_flow(&self, run: FlowRun, range: Option<DateRange>) -> anyhow::Result<ReconciledRun> {
        let run_id = new_run_id();
        let longest = run.limits.clone().unwrap_or_else(|| Limits::defaults(run.flow.kind)).deadline;
        let _lease = RunLease::acquire(self.storage(), &run.tenant, &run.name, &run_id, longest)?;
        self.record_run_start(&run_id, &run.tenant, &run.name)?;
        let log = Storage::in_memory()?;
        let result =
            self.in_stores(&run, &run_id, Some(&log), |guest, store| guest.call_reconcile(store, range.as_ref()));
        let (outcome, summary) = match &result {
            Ok((r, _, _)) => ("reconcile", serde_json::json!({ "compared": r.compared, "drift": r.drift.len() })),
            Err(e) => ("reconcile failed", serde_json::json!({ "error": format!("{e:#}") })),
        };
        self.record_run_end(&run_id, outcome, &summary)?;
        let (reconciliation, notes, _) = result?;
        Ok(ReconciledRun { run_id, reconciliation, notes })
    }

    fn record_run_end(&self, run_id: &str, outcome: &str, summary: &serde_json::Value) -> anyhow::Result<()> {
        self.storage()
            .execute(
                "UPDATE runs SET finished_at = ?2, outcome = ?3, summary = ?4 WHERE id = ?1",
                args![run_id, now(), outcome, summary.to_string()],
            )
            .with_context(|| format!("cannot record the end of run {run_id} in {}", self.storage().describe()))?;
        Ok(())
    }

    fn run_flow_inner(
        &self,
        run: &FlowRun,
        run_id: &str,
        dry_log: Option<&Storage>,
    ) -> anyhow::Result<(Summary, Option<Plan>)> {
        let (mut summary, warnings, plan) =
            self.in_stores(run, run_id, dry_log, |guest, store| guest.call_run(store, &run.trigger))?;
        summary.notes.extend(warnings);
        Ok((summary, plan))
    }

    /// The flow and its connections in their Stores, wired, and `call` made
    /// on the flow: its answer, the connectors' warnings, and (in a dry
    /// run) the writes it planned.
    fn in_stores<T>(
        &self,
        run: &FlowRun,
        run_id: &str,
        dry_log: Option<&Storage>,
        call: impl FnOnce(&FlowGuest, &mut Store<GuestState>) -> wasmtime::Result<Result<T, ContractError>>,
    ) -> anyhow::Result<(T, Vec<String>, Option<Plan>)> {
        check_bindings(run)?;
        let mut router = if dry_log.is_some() { RoleRouter::planning() } else { RoleRouter::default() };
        for (connection, roles) in &run.connections {
            let interfaces: Vec<String> = roles.iter().map(|r| role_interface(r)).collect();
            let instance = connection
                .instantiate(self, &run.tenant, run_id, dry_log.cloned())
                .with_context(|| format!("cannot start connection `{}`", connection.name))?;
            router.add(instance, &interfaces);
        }
        let mapping = run.mapping.as_ref().map(|(component, limits)| {
            let mut slot = MappingSlot::new(self.clone(), component.clone(), &run.tenant, run_id);
            slot.set_limits(limits.clone());
            slot.log_to(dry_log.cloned());
            Box::new(slot) as Box<dyn MapRecords>
        });
        let setup = StoreSetup {
            config: run.config.clone(),
            limits: run.limits.clone(),
            name: Some(run.name.clone()),
            mapping,
            observer: run.observer.clone(),
            planned: dry_log.is_some(),
            activity_storage: dry_log.cloned(),
            ..StoreSetup::default()
        };
        let planned = router.plan();
        let (mut store, instance) = self.instantiate(&run.flow, &run.tenant, run_id, setup, Some(Box::new(router)))?;
        let guest = GuestIndices::new(&run.flow.pre)?.load(&mut store, &instance)?;
        let outcome = call(&guest, &mut store).map_err(|e| traps::explain(e, store.data()))?;
        store.data().activity().flush();
        let plan = planned.map(|p| std::mem::take(&mut *p.lock().unwrap_or_else(|p| p.into_inner())));
        // The connectors' Stores (and their buffered lines) end with the flow's.
        drop(store);
        let answer = outcome.map_err(|error| anyhow::Error::new(FlowStopped { flow: run.name.clone(), error }))?;
        let warnings = self.connector_warnings(run, run_id, dry_log.unwrap_or(self.storage()))?;
        Ok((answer, warnings, plan))
    }

    /// What the connectors warned about in this run, as notes of its
    /// summary: a warning in the activity log alone goes unread.
    fn connector_warnings(&self, run: &FlowRun, run_id: &str, log: &Storage) -> anyhow::Result<Vec<String>> {
        let components: Vec<&str> = run.connections.iter().map(|(c, _)| c.component.name.as_str()).collect();
        let found = warnings(log, &run.tenant, run_id, &components, MAX_WARNING_NOTES + 1)?;
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

    /// Everything a run would refuse before it touches a record, without
    /// running it: the roles bound as the flow needs them, and the flow's
    /// own settings. The flow starts in a dry run (state and activity in a
    /// throwaway database, no connector started) and is stopped at its first
    /// call to a role; flows read and check their settings before that.
    pub fn check_flow(&self, run: &FlowRun) -> anyhow::Result<()> {
        check_bindings(run)?;
        let setup = StoreSetup {
            config: run.config.clone(),
            limits: run.limits.clone(),
            name: Some(run.name.clone()),
            isolated: true,
            ..StoreSetup::default()
        };
        let run_id = new_run_id();
        let (mut store, instance) =
            self.instantiate(&run.flow, &run.tenant, &run_id, setup, Some(Box::new(RoleRouter::dry())))?;
        let guest = GuestIndices::new(&run.flow.pre)?.load(&mut store, &instance)?;
        match guest.call_run(&mut store, &Trigger::Scheduled) {
            Err(e) if e.downcast_ref::<DryRunStop>().is_some() => Ok(()),
            Err(e) => Err(traps::explain(e, store.data())),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => anyhow::bail!("flow `{}` refuses to start: {}", run.name, describe_contract_error(&e)),
        }
    }

    fn record_run_start(&self, run_id: &str, tenant: &str, flow: &str) -> anyhow::Result<()> {
        self.storage()
            .execute(
                "INSERT INTO runs (id, tenant, flow, started_at) VALUES (?1, ?2, ?3, ?4)",
                args![run_id, tenant, flow, now()],
            )
            .with_context(|| format!("cannot record the start of a run in {}", self.storage().describe()))?;
        Ok(())
    }
}

/// Each role the flow imports is bound to a connection whose connector
/// plays it, and no binding names a role the flow does not use (a typo
/// there would leave the real role unbound, or bind the wrong system).
fn check_bindings(run: &FlowRun) -> anyhow::Result<()> {
    let uses = &run.flow.manifest.roles;
    let mut served = BTreeSet::new();
    for (connection, roles) in &run.connections {
        let plays = &connection.component.manifest.roles;
        for role in roles {
            if !uses.contains(role) {
                anyhow::bail!(
                    "flow `{}` does not use the role `{role}` (bound to `{}`); it uses: {}",
                    run.name,
                    connection.name,
                    uses.join(", ")
                );
            }
            if !plays.contains(role) {
                anyhow::bail!(
                    "flow `{}` binds the role `{role}` to the connection `{}`, whose connector `{}` does not play it; \
                     it plays: {}",
                    run.name,
                    connection.name,
                    connection.component.name,
                    plays.join(", ")
                );
            }
            served.insert(role.as_str());
        }
    }
    for role in uses {
        if !served.contains(role.as_str()) {
            anyhow::bail!(
                "flow `{}` needs a connection for the role `{role}`, and the tenant config binds none: \
                 name one under the flow's `roles` (e.g. {role} = \"<connection name>\")",
                run.name
            );
        }
    }
    Ok(())
}

/// A flow that ended its run with a contract error: kept typed so that the
/// service can tell revoked credentials from an API that is down.
#[derive(Debug)]
pub struct FlowStopped {
    pub flow: String,
    pub error: ContractError,
}

impl std::fmt::Display for FlowStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "flow `{}` stopped: {}", self.flow, describe_contract_error(&self.error))
    }
}

impl std::error::Error for FlowStopped {}

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
