//! The run queue of a host serving many tenants, fair across them: a
//! bounded number of worker threads (`set`) take runs from it. Each tenant has its own line of
//! waiting runs; workers take the next tenant in turn (round robin) whose
//! line is not empty and who has no run under way, so one tenant's slow or
//! stuck run holds one worker at most and never the others' turns. A
//! tenant's runs go one at a time, as a single tenant's always did: its
//! connections with single-use tokens (a rotating OAuth2 refresh token)
//! are never refreshed by two runs together. A run asked for while the same
//! one is already waiting is folded into it, so a slow run never piles up
//! a backlog of ticks.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard};

use serde::Serialize;

use crate::bindings::{SkipRequest, Trigger};
use crate::run::RunReport;

/// What a run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Everything new since the flow's cursor.
    Scheduled,
    /// Just this record (its id in the source), as a webhook named it.
    Record(String),
    /// The owner asks the flow to try this parked record again.
    Unpark(String),
    /// The owner leaves this parked record out, saying why.
    Skip { id: String, reason: String },
}

impl Work {
    pub fn trigger(&self) -> Trigger {
        match self {
            Work::Scheduled => Trigger::Scheduled,
            Work::Record(id) => Trigger::RecordId(id.clone()),
            Work::Unpark(id) => Trigger::Unpark(id.clone()),
            Work::Skip { id, reason } => Trigger::Skip(SkipRequest { id: id.clone(), reason: reason.clone() }),
        }
    }
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Work::Scheduled => f.write_str("scheduled"),
            Work::Record(id) => write!(f, "record {id}"),
            Work::Unpark(id) => write!(f, "retry {id}"),
            Work::Skip { id, .. } => write!(f, "skip {id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub tenant: String,
    pub flow: String,
    pub work: Work,
}

/// A flow as `GET /health` and the API show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowStatus {
    /// The trigger of the run under way ("scheduled", "record 123").
    pub running: Option<String>,
    /// Runs waiting their turn.
    pub queued: usize,
    /// Runs finished since the service started.
    pub runs: u64,
    pub last_run: Option<LastRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    pub trigger: String,
    pub started_at: String,
    pub finished_at: String,
    /// "ok"; "incomplete-log" when the run could not write all its
    /// activity (`error` says how much and why); "failed" with `error`.
    pub outcome: &'static str,
    /// The run's id in the `runs` table and the activity log.
    pub run_id: Option<String>,
    pub synced: u32,
    pub skipped: u32,
    pub parked: u32,
    pub failed: u32,
    pub error: Option<String>,
}

impl LastRun {
    pub fn of(work: &Work, started_at: String, result: &anyhow::Result<RunReport>) -> Self {
        let (outcome, run_id, counts, error) = match result {
            Ok(r) => {
                let s = &r.summary;
                let lost =
                    r.lost_activity.as_ref().map(|l| format!("{} activity-log entries lost: {}", l.entries, l.error));
                let outcome = if lost.is_some() { "incomplete-log" } else { "ok" };
                (outcome, Some(r.run_id.clone()), (s.synced, s.skipped, s.parked, s.failed), lost)
            }
            Err(e) => ("failed", None, (0, 0, 0, 0), Some(format!("{e:#}"))),
        };
        let (synced, skipped, parked, failed) = counts;
        Self {
            trigger: work.to_string(),
            started_at,
            finished_at: now(),
            outcome,
            run_id,
            synced,
            skipped,
            parked,
            failed,
            error,
        }
    }
}

/// Waiting runs of one tenant at most; more is a flood its schedule
/// catches up with, and it is that tenant's flood only.
pub const MAX_WAITING_PER_TENANT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Added,
    FoldedIntoWaiting,
    /// Too many of the tenant's runs wait already.
    Full,
    /// The tenant is paused: nothing of it is queued.
    Paused,
    UnknownTenant,
    UnknownFlow,
}

pub struct RunQueue {
    state: Mutex<Lines>,
    wake: Condvar,
}

#[derive(Default)]
struct Lines {
    waiting: BTreeMap<String, VecDeque<Job>>,
    /// Tenants with waiting runs, in the order of their next turn.
    turns: VecDeque<String>,
    /// Tenants with a run under way.
    busy: BTreeSet<String>,
    flows: BTreeMap<String, BTreeMap<String, FlowStatus>>,
    stopping: bool,
}

impl Default for RunQueue {
    fn default() -> Self {
        Self { state: Mutex::new(Lines::default()), wake: Condvar::new() }
    }
}

impl RunQueue {
    fn lines(&self) -> MutexGuard<'_, Lines> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job` unless the same job is already waiting, or too many of
    /// its tenant's are; says which.
    pub fn enqueue(&self, job: Job) -> Queued {
        let mut lines = self.lines();
        let line = lines.waiting.entry(job.tenant.clone()).or_default();
        if line.contains(&job) {
            return Queued::FoldedIntoWaiting;
        }
        if line.len() >= MAX_WAITING_PER_TENANT {
            return Queued::Full;
        }
        line.push_back(job.clone());
        if !lines.turns.contains(&job.tenant) {
            lines.turns.push_back(job.tenant.clone());
        }
        lines.flows.entry(job.tenant).or_default().entry(job.flow).or_default().queued += 1;
        self.wake.notify_one();
        Queued::Added
    }

    /// The next job: the first tenant in turn with none under way; marked
    /// as running. Waits for one; `None` once stopping.
    pub fn next_job(&self) -> Option<Job> {
        let mut lines = self.lines();
        loop {
            if lines.stopping {
                return None;
            }
            if let Some(job) = lines.take_turn() {
                return Some(job);
            }
            lines = self.wake.wait(lines).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Ends the run of `job`: its tenant's next run may start.
    pub fn finished(&self, job: &Job, last: LastRun) {
        let mut lines = self.lines();
        lines.busy.remove(&job.tenant);
        // A tenant removed meanwhile keeps no status.
        if let Some(flows) = lines.flows.get_mut(&job.tenant) {
            let status = flows.entry(job.flow.clone()).or_default();
            status.running = None;
            status.runs += 1;
            status.last_run = Some(last);
        }
        // The tenant may have runs waiting that no worker could take.
        self.wake.notify_all();
    }

    /// Forgets a tenant's waiting runs (removed or paused); its run under
    /// way, if any, finishes.
    pub fn drop_waiting(&self, tenant: &str) -> usize {
        let mut lines = self.lines();
        lines.turns.retain(|t| t != tenant);
        let dropped = lines.waiting.remove(tenant).map_or(0, |l| l.len());
        if let Some(flows) = lines.flows.get_mut(tenant) {
            flows.values_mut().for_each(|s| s.queued = 0);
        }
        dropped
    }

    /// Forgets the status of a removed tenant.
    pub fn forget(&self, tenant: &str) {
        self.drop_waiting(tenant);
        self.lines().flows.remove(tenant);
    }

    /// The tenant's flows as far as this service has run them.
    pub fn status(&self, tenant: &str) -> BTreeMap<String, FlowStatus> {
        self.lines().flows.get(tenant).cloned().unwrap_or_default()
    }

    /// Whether a run is under way.
    pub fn busy(&self) -> bool {
        !self.lines().busy.is_empty()
    }

    pub fn stopping(&self) -> bool {
        self.lines().stopping
    }

    /// Workers take no more jobs; the runs under way finish. Waiting jobs
    /// are dropped (the next start's scheduled runs pick their records up).
    pub fn stop(&self) -> usize {
        let mut lines = self.lines();
        lines.stopping = true;
        self.wake.notify_all();
        lines.waiting.values().map(VecDeque::len).sum()
    }
}

impl Lines {
    fn take_turn(&mut self) -> Option<Job> {
        let at = self.turns.iter().position(|t| !self.busy.contains(t))?;
        let tenant = self.turns.remove(at)?;
        let line = self.waiting.get_mut(&tenant)?;
        let job = line.pop_front()?;
        if line.is_empty() {
            self.waiting.remove(&tenant);
        } else {
            self.turns.push_back(tenant.clone());
        }
        self.busy.insert(tenant);
        let status = self.flows.entry(job.tenant.clone()).or_default().entry(job.flow.clone()).or_default();
        status.queued = status.queued.saturating_sub(1);
        status.running = Some(job.work.to_string());
        Some(job)
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(tenant: &str, flow: &str, work: Work) -> Job {
        Job { tenant: tenant.into(), flow: flow.into(), work }
    }

    fn last() -> LastRun {
        LastRun::of(&Work::Scheduled, now(), &Err(anyhow::anyhow!("test")))
    }

    #[test]
    fn a_job_already_waiting_is_folded_not_stacked() {
        let queue = RunQueue::default();
        let tick = job("a", "orders", Work::Scheduled);
        assert_eq!(queue.enqueue(tick.clone()), Queued::Added);
        assert_eq!(queue.enqueue(tick.clone()), Queued::FoldedIntoWaiting);
        assert_eq!(queue.enqueue(job("a", "orders", Work::Record("7".into()))), Queued::Added);
        assert_eq!(queue.status("a")["orders"].queued, 2);

        // Once the tick runs, a new tick waits behind it (one, not more).
        assert_eq!(queue.next_job(), Some(tick.clone()));
        assert_eq!(queue.status("a")["orders"].running.as_deref(), Some("scheduled"));
        assert_eq!(queue.enqueue(tick.clone()), Queued::Added);
        assert_eq!(queue.enqueue(tick), Queued::FoldedIntoWaiting);

        // A flood of one tenant's webhooks is refused past its limit; another tenant's still queue.
        for i in 0..MAX_WAITING_PER_TENANT {
            queue.enqueue(job("a", "orders", Work::Record(i.to_string())));
        }
        assert_eq!(queue.enqueue(job("a", "orders", Work::Record("flood".into()))), Queued::Full);
        assert_eq!(queue.enqueue(job("b", "orders", Work::Scheduled)), Queued::Added);

        queue.stop();
        assert_eq!(queue.next_job(), None, "a stopping queue gives no more jobs");
    }

    #[test]
    fn tenants_take_turns_and_a_busy_tenant_waits_for_its_run() {
        let queue = RunQueue::default();
        for i in 0..3 {
            queue.enqueue(job("a", "orders", Work::Record(i.to_string())));
        }
        queue.enqueue(job("b", "orders", Work::Scheduled));
        queue.enqueue(job("c", "stock", Work::Scheduled));

        let first = queue.next_job().unwrap();
        assert_eq!(first.tenant, "a");
        // a's next run waits for its first: b and c go meanwhile, in turn.
        assert_eq!(queue.next_job().unwrap().tenant, "b");
        assert_eq!(queue.next_job().unwrap().tenant, "c");
        assert!(queue.lines().take_turn().is_none(), "a is busy and the others have nothing waiting");
        queue.finished(&first, last());
        assert_eq!(queue.next_job().unwrap().work, Work::Record("1".into()));
        assert_eq!(queue.status("a")["orders"].runs, 1);
    }
}
