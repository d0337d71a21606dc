//! One [`Host`] serving many tenants: the set of tenants it serves, each
//! with its own schedule, and the pool of workers that runs them
//! (`queue`). Tenants are put, changed, paused and removed while it runs;
//! a config that does not prepare (a bad binding, a missing secret, a
//! component that does not load) is refused and the tenant's old config
//! keeps running. What the embedder does after each run (alerts, metrics,
//! a log line) is its [`Observer`].

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::bindings::Trigger;
use crate::engine::Host;
use crate::run::RunReport;
use crate::tenant::prepare::ComponentSource;
use crate::tenant::{PreparedTenant, TenantConfig, WebhookRoutes};
use crate::tenants::pauses::Pauses;
use crate::tenants::queue::{FlowStatus, Job, LastRun, Queued, RunQueue, Work, now};

/// How the tenants are run.
#[derive(Debug, Clone)]
pub struct TenantsOptions {
    /// Runs under way at once, across all tenants.
    pub workers: usize,
    /// Time between scheduled runs of a tenant whose `[serve] every` is unset.
    pub every: Duration,
    /// The longest one run may take: each flow's deadline is cut to this.
    pub run_limit: Duration,
}

impl Default for TenantsOptions {
    fn default() -> Self {
        Self { workers: 4, every: Duration::from_secs(300), run_limit: Duration::from_secs(3600) }
    }
}

/// What the embedder hears of the runs.
pub trait Observer: Send + Sync {
    /// A run of `job` ended (or could not start) after `took`.
    fn finished(&self, tenant: &Arc<ServedTenant>, job: &Job, took: Duration, result: &anyhow::Result<RunReport>);
}

/// A tenant as the set serves it: its prepared config and what its
/// webhooks need.
pub struct ServedTenant {
    pub prepared: PreparedTenant,
    /// Which flows a record from which connection starts.
    pub routes: WebhookRoutes,
    /// Keys a webhook delivery must be signed with (`[serve] webhook_keys`).
    pub webhook_keys: Vec<String>,
    /// Time between its scheduled runs.
    pub every: Duration,
}

impl ServedTenant {
    pub fn id(&self) -> &str {
        &self.prepared.config.tenant
    }

    pub fn flows(&self) -> Vec<String> {
        self.prepared.config.flows.keys().cloned().collect()
    }
}

/// What `put` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Put {
    Added,
    Changed,
}

/// A tenant in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct TenantView {
    pub id: String,
    pub paused: bool,
    pub flows: Vec<String>,
    pub every_seconds: u64,
    /// When its next scheduled run is queued (RFC 3339); `None` while
    /// paused or before the scheduler first saw it.
    pub next_run: Option<String>,
}

/// Many tenants on one host. Cheap to clone.
#[derive(Clone)]
pub struct Tenants {
    inner: Arc<Inner>,
}

struct Inner {
    host: Host,
    source: Arc<dyn ComponentSource + Send + Sync>,
    options: TenantsOptions,
    entries: Mutex<BTreeMap<String, Entry>>,
    /// The set changed or is stopping: the scheduler looks again.
    changed: Condvar,
    queue: RunQueue,
    pauses: Pauses,
}

struct Entry {
    tenant: Arc<ServedTenant>,
    paused: bool,
    /// When its flows are queued next; `None`: as soon as the scheduler sees it.
    next_run: Option<Instant>,
}

/// The worker and scheduler threads, until `Tenants::stop`.
pub struct Workers {
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Waits for every run under way to finish (after `Tenants::stop`).
    pub fn join(self) {
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

impl Tenants {
    pub fn new(
        host: Host,
        source: Arc<dyn ComponentSource + Send + Sync>,
        options: TenantsOptions,
    ) -> anyhow::Result<Self> {
        if options.workers == 0 {
            bail!("a host serving tenants needs at least one worker");
        }
        let pauses = Pauses::new(host.storage().clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                host,
                source,
                options,
                entries: Mutex::default(),
                changed: Condvar::new(),
                queue: RunQueue::default(),
                pauses,
            }),
        })
    }

    pub fn host(&self) -> &Host {
        &self.inner.host
    }

    pub fn options(&self) -> &TenantsOptions {
        &self.inner.options
    }

    fn entries(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.inner.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything a tenant needs to run, checked without running it: its
    /// components loaded, its settings and secrets resolved, each flow's
    /// roles bound as the flow needs them.
    pub fn prepare(&self, config: TenantConfig) -> anyhow::Result<ServedTenant> {
        let (host, source) = (&self.inner.host, &*self.inner.source);
        if config.flows.is_empty() {
            bail!("the tenant config has no [flows]: `trestle serve` has nothing to run");
        }
        let webhook_keys = config
            .serve
            .webhook_keys
            .iter()
            .enumerate()
            .map(|(i, key)| key.resolve(&format!("serve.webhook_keys[{i}]")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let every = config.serve.every()?.unwrap_or(self.inner.options.every);
        let prepared = PreparedTenant::prepare(host, source, config)?;
        for flow in prepared.config.flows.keys() {
            let run = prepared.flow_run(host, source, flow, Trigger::Scheduled)?;
            host.check_flow(&run)?;
        }
        let routes = prepared.webhook_routes(host, source)?;
        Ok(ServedTenant { prepared, routes, webhook_keys, every })
    }

    /// Serves `config` (as a new tenant, or in place of its old config,
    /// whose waiting runs then run with the new one). Its flows are queued
    /// at once unless it is paused. Refused, the old config stays.
    pub fn put(&self, config: TenantConfig) -> anyhow::Result<Put> {
        let id = config.tenant.clone();
        let tenant = self.prepare(config).with_context(|| format!("tenant `{id}` is refused"))?;
        let paused = self.inner.pauses.paused(&id)?;
        let mut entries = self.entries();
        let put = if entries.contains_key(&id) { Put::Changed } else { Put::Added };
        entries.insert(id, Entry { tenant: Arc::new(tenant), paused, next_run: None });
        self.inner.changed.notify_all();
        Ok(put)
    }

    /// Stops serving the tenant: its waiting runs are dropped, its run
    /// under way finishes. Its data stays (`trestle purge` erases it).
    /// `false` when it was not served.
    pub fn remove(&self, id: &str) -> bool {
        let removed = self.entries().remove(id).is_some();
        self.inner.queue.forget(id);
        removed
    }

    /// Queues no more runs of the tenant until `resume`, and drops its
    /// waiting ones; kept in the database, so a restart keeps it paused.
    pub fn pause(&self, id: &str) -> anyhow::Result<()> {
        let mut entries = self.entries();
        let entry = entries.get_mut(id).with_context(|| format!("no tenant `{id}` is served"))?;
        self.inner.pauses.pause(id)?;
        entry.paused = true;
        entry.next_run = None;
        self.inner.queue.drop_waiting(id);
        Ok(())
    }

    /// Runs the tenant again, its flows at once.
    pub fn resume(&self, id: &str) -> anyhow::Result<()> {
        let mut entries = self.entries();
        let entry = entries.get_mut(id).with_context(|| format!("no tenant `{id}` is served"))?;
        self.inner.pauses.resume(id)?;
        entry.paused = false;
        entry.next_run = None;
        self.inner.changed.notify_all();
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<Arc<ServedTenant>> {
        self.entries().get(id).map(|e| e.tenant.clone())
    }

    pub fn ids(&self) -> Vec<String> {
        self.entries().keys().cloned().collect()
    }

    pub fn view(&self, id: &str) -> Option<TenantView> {
        self.entries().get(id).map(|e| view(id, e))
    }

    pub fn list(&self) -> Vec<TenantView> {
        self.entries().iter().map(|(id, e)| view(id, e)).collect()
    }

    /// Queues a run, unless its tenant is paused or not served.
    pub fn enqueue(&self, job: Job) -> Queued {
        match self.entries().get(&job.tenant) {
            None => Queued::UnknownTenant,
            Some(e) if e.paused => Queued::Paused,
            Some(e) if !e.tenant.prepared.config.flows.contains_key(&job.flow) => Queued::UnknownFlow,
            Some(_) => self.inner.queue.enqueue(job),
        }
    }

    /// The tenant's flows: every flow of its config, with what this
    /// service ran of it.
    pub fn status(&self, id: &str) -> BTreeMap<String, FlowStatus> {
        let mut status = self.inner.queue.status(id);
        if let Some(tenant) = self.get(id) {
            for flow in tenant.flows() {
                status.entry(flow).or_default();
            }
        }
        status
    }

    /// Whether a run is under way.
    pub fn busy(&self) -> bool {
        self.inner.queue.busy()
    }

    pub fn stopping(&self) -> bool {
        self.inner.queue.stopping()
    }

    /// Starts the scheduler and the workers; `observer` hears every run.
    pub fn start(&self, observer: Arc<dyn Observer>) -> anyhow::Result<Workers> {
        let mut threads = Vec::new();
        for i in 0..self.inner.options.workers {
            let (tenants, observer) = (self.clone(), observer.clone());
            let thread = std::thread::Builder::new()
                .name(format!("runs-{i}"))
                .spawn(move || tenants.work(&*observer))
                .context("cannot start a worker thread")?;
            threads.push(thread);
        }
        let tenants = self.clone();
        let scheduler = std::thread::Builder::new()
            .name("schedule".into())
            .spawn(move || tenants.schedule())
            .context("cannot start the scheduler thread")?;
        threads.push(scheduler);
        Ok(Workers { threads })
    }

    /// Takes no more work; the runs under way finish (`Workers::join`
    /// waits for them). Returns how many waiting runs were dropped: the
    /// next start's scheduled runs pick their records up.
    pub fn stop(&self) -> usize {
        let _entries = self.entries();
        let dropped = self.inner.queue.stop();
        self.inner.changed.notify_all();
        dropped
    }

    /// Queues every flow of each tenant that is due, then sleeps until the
    /// next is due or the set changes.
    fn schedule(&self) {
        let mut entries = self.entries();
        loop {
            if self.inner.queue.stopping() {
                return;
            }
            let now = Instant::now();
            let mut next: Option<Instant> = None;
            for (id, entry) in entries.iter_mut().filter(|(_, e)| !e.paused) {
                let due = *entry.next_run.get_or_insert(now);
                let due = if due <= now {
                    for flow in entry.tenant.flows() {
                        self.inner.queue.enqueue(Job { tenant: id.clone(), flow, work: Work::Scheduled });
                    }
                    let at = now + entry.tenant.every;
                    entry.next_run = Some(at);
                    at
                } else {
                    due
                };
                next = Some(next.map_or(due, |n| n.min(due)));
            }
            entries = match next {
                Some(at) => self.inner.changed.wait_timeout(entries, at - now).unwrap_or_else(|p| p.into_inner()).0,
                None => self.inner.changed.wait(entries).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }

    fn work(&self, observer: &dyn Observer) {
        while let Some(job) = self.inner.queue.next_job() {
            let (started_at, clock) = (now(), Instant::now());
            let result = match self.get(&job.tenant) {
                Some(tenant) => {
                    let result = self.run(&tenant, &job);
                    observer.finished(&tenant, &job, clock.elapsed(), &result);
                    result
                }
                None => Err(anyhow::anyhow!("tenant `{}` is no longer served", job.tenant)),
            };
            self.inner.queue.finished(&job, LastRun::of(&job.work, started_at, &result));
        }
    }

    /// One run, its flow's deadline cut to the run limit. A panic in a run
    /// (a bug) becomes its error: the worker goes on.
    fn run(&self, tenant: &ServedTenant, job: &Job) -> anyhow::Result<RunReport> {
        let (host, source) = (&self.inner.host, &*self.inner.source);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut run = tenant.prepared.flow_run(host, source, &job.flow, job.work.trigger())?;
            let limit = self.inner.options.run_limit;
            if let Some(limits) = &mut run.limits {
                limits.deadline = limits.deadline.min(limit);
            }
            host.run_flow(run)
        }))
        .unwrap_or_else(|panic| {
            let what =
                panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(anyhow::anyhow!("the run panicked (a bug in Trestle): {}", what.unwrap_or_default()))
        })
    }
}

fn view(id: &str, entry: &Entry) -> TenantView {
    let next_run = entry.next_run.filter(|_| !entry.paused).map(|at| {
        let wait = at.saturating_duration_since(Instant::now());
        let at = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    TenantView {
        id: id.to_string(),
        paused: entry.paused,
        flows: entry.tenant.flows(),
        every_seconds: entry.tenant.every.as_secs(),
        next_run,
    }
}
