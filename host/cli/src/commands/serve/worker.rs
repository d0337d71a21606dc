//! The one worker that runs a tenant's flows. Scheduled runs and record runs
//! from webhooks queue here and run one at a time: a flow never runs twice
//! at once, and connections with single-use tokens (a rotating OAuth2
//! refresh token) are never refreshed by two runs together. A run asked for while
//! the same one is already waiting is folded into it, so a slow run never
//! piles up a backlog of ticks.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use trestle_artifacts::Builtins;
use trestle_host::Host;
use trestle_host::bindings::{Summary, Trigger};
use trestle_host::run::RunReport;
use trestle_host::tenant::PreparedTenant;

use super::metrics::Metrics;
use crate::commands::alerts::Alerts;
use crate::commands::say;

/// What a run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Everything new since the flow's cursor.
    Scheduled,
    /// Just this record (its id in the source), as a webhook named it.
    Record(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub flow: String,
    pub work: Work,
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Work::Scheduled => f.write_str("scheduled"),
            Work::Record(id) => write!(f, "record {id}"),
        }
    }
}

/// A flow as `GET /health` shows it.
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
    fn of(work: &Work, started_at: String, result: &anyhow::Result<RunReport>) -> Self {
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

pub struct Worker {
    queue: Mutex<Queue>,
    wake: Condvar,
}

struct Queue {
    jobs: VecDeque<Job>,
    flows: BTreeMap<String, FlowStatus>,
    stopping: bool,
}

impl Worker {
    pub fn new(flows: impl IntoIterator<Item = String>) -> Self {
        let flows = flows.into_iter().map(|f| (f, FlowStatus::default())).collect();
        Self { queue: Mutex::new(Queue { jobs: VecDeque::new(), flows, stopping: false }), wake: Condvar::new() }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn flows(&self) -> Vec<String> {
        self.queue().flows.keys().cloned().collect()
    }

    pub fn status(&self) -> BTreeMap<String, FlowStatus> {
        self.queue().flows.clone()
    }

    /// Queues `job` unless the same job is already waiting, or too many
    /// are (a burst of webhooks must not grow memory without end); says
    /// which.
    pub fn enqueue(&self, job: Job) -> Queued {
        let mut queue = self.queue();
        if queue.jobs.contains(&job) {
            return Queued::FoldedIntoWaiting;
        }
        if queue.jobs.len() >= MAX_WAITING {
            return Queued::Full;
        }
        if let Some(status) = queue.flows.get_mut(&job.flow) {
            status.queued += 1;
        }
        queue.jobs.push_back(job);
        self.wake.notify_one();
        Queued::Added
    }

    /// Whether `stop` was called.
    pub fn stopping(&self) -> bool {
        self.queue().stopping
    }

    /// Whether a run is under way.
    pub fn busy(&self) -> bool {
        self.queue().flows.values().any(|s| s.running.is_some())
    }

    /// Lets the run under way finish, then ends `run`; waiting jobs are
    /// dropped (the next start's scheduled run picks their records up).
    pub fn stop(&self) {
        self.queue().stopping = true;
        self.wake.notify_all();
    }

    /// Runs jobs until `stop`; after each, updates the incidents and tells
    /// the alert channels, and counts it in the metrics.
    pub fn run(&self, host: &Host, tenant: &PreparedTenant, alerts: &Alerts, metrics: &Metrics) {
        while let Some(job) = self.next_job() {
            let started_at = now();
            let clock = Instant::now();
            let trigger = match &job.work {
                Work::Scheduled => Trigger::Scheduled,
                Work::Record(id) => Trigger::RecordId(id.clone()),
            };
            // A panic in a run (a bug) must not end the worker while the
            // HTTP side keeps accepting webhooks.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                tenant.flow_run(host, &Builtins, &job.flow, trigger).and_then(|run| host.run_flow(run))
            }))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                Err(anyhow::anyhow!("the run panicked (a bug in Trestle): {}", what.unwrap_or_default()))
            });
            match &result {
                Ok(report) => {
                    let Summary { synced, skipped, parked, failed, notes } = &report.summary;
                    say(&format!(
                        "{} ({}): {synced} synced, {skipped} skipped, {parked} parked, {failed} failed",
                        job.flow, job.work
                    ));
                    for note in notes {
                        say(&format!("{}:   {note}", job.flow));
                    }
                }
                Err(e) => say(&format!("{} ({}): the run failed: {e:#}", job.flow, job.work)),
            }
            metrics.finished(&tenant.config.tenant, &job.flow, clock.elapsed(), &result);
            alerts.after_run(&job.flow, &result);
            alerts.check_stalls(std::slice::from_ref(&job.flow));
            crate::commands::forget_old_payloads(host, &tenant.config);
            let last = LastRun::of(&job.work, started_at, &result);
            let mut queue = self.queue();
            let status = queue.flows.entry(job.flow).or_default();
            status.running = None;
            status.runs += 1;
            status.last_run = Some(last);
        }
    }

    /// The next job, marked as running; `None` once stopping.
    fn next_job(&self) -> Option<Job> {
        let mut queue = self.queue();
        loop {
            if queue.stopping {
                if !queue.jobs.is_empty() {
                    say(&format!("{} waiting runs dropped; the next scheduled run catches up", queue.jobs.len()));
                }
                return None;
            }
            if let Some(job) = queue.jobs.pop_front() {
                let status = queue.flows.entry(job.flow.clone()).or_default();
                status.queued = status.queued.saturating_sub(1);
                status.running = Some(job.work.to_string());
                return Some(job);
            }
            queue = self.wake.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Waiting runs at most; more is a flood the schedule catches up with.
const MAX_WAITING: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Added,
    FoldedIntoWaiting,
    Full,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_already_waiting_is_folded_not_stacked() {
        let worker = Worker::new(["orders".to_string()]);
        let tick = Job { flow: "orders".into(), work: Work::Scheduled };
        assert_eq!(worker.enqueue(tick.clone()), Queued::Added);
        assert_eq!(worker.enqueue(tick.clone()), Queued::FoldedIntoWaiting);
        let record = Job { flow: "orders".into(), work: Work::Record("7".into()) };
        assert_eq!(worker.enqueue(record), Queued::Added);
        assert_eq!(worker.status()["orders"].queued, 2);

        // Once the tick runs, a new tick waits behind it (one, not more).
        assert_eq!(worker.next_job(), Some(tick.clone()));
        assert_eq!(worker.status()["orders"].running.as_deref(), Some("scheduled"));
        assert_eq!(worker.enqueue(tick.clone()), Queued::Added);
        assert_eq!(worker.enqueue(tick), Queued::FoldedIntoWaiting);
        assert_eq!(worker.status()["orders"].queued, 2);

        // A flood of webhooks is refused past the limit, not queued.
        for i in 0..MAX_WAITING {
            worker.enqueue(Job { flow: "orders".into(), work: Work::Record(i.to_string()) });
        }
        let one_more = Job { flow: "orders".into(), work: Work::Record("flood".into()) };
        assert_eq!(worker.enqueue(one_more), Queued::Full);

        worker.stop();
        assert_eq!(worker.next_job(), None, "a stopping worker takes no more jobs");
    }
}
