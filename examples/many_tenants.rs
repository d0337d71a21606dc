//! Embedding Trestle: one `Host` serving many tenants.
//!
//!   cargo run --example many_tenants -- tenants/alpha.toml tenants/beta.toml
//!
//! Each file is a tenant config (as `trestle serve --tenants` reads them).
//! The tenants are put into one `Tenants` set, each flow runs once (every
//! tenant is due at start), the observer prints each run, and the host
//! stops when all have run. A platform keeps the set running instead and
//! calls `put`, `pause`, `resume`, `remove` and `enqueue` as its tenants
//! change; see docs/2026-12-02-many-tenants.md.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trestle_artifacts::Builtins;
use trestle_host::run::RunReport;
use trestle_host::storage::Database;
use trestle_host::tenant::TenantConfig;
use trestle_host::tenants::{Job, Observer, ServedTenant, Tenants, TenantsOptions};
use trestle_host::{Host, HostOptions};

/// Hears every run: here it prints it and tells `main`.
struct Print(Mutex<mpsc::Sender<()>>);

impl Observer for Print {
    fn finished(&self, _: &Arc<ServedTenant>, job: &Job, took: Duration, result: &anyhow::Result<RunReport>) {
        match result {
            Ok(r) => println!(
                "{}/{}: {} synced, {} parked, {} failed in {took:.1?}",
                job.tenant, job.flow, r.summary.synced, r.summary.parked, r.summary.failed
            ),
            Err(e) => println!("{}/{}: failed: {e:#}", job.tenant, job.flow),
        }
        let _ = self.0.lock().unwrap_or_else(|p| p.into_inner()).send(());
    }
}

fn main() -> anyhow::Result<()> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        anyhow::bail!("name one or more tenant config files");
    }
    // One host for all: one engine, one component cache, one database.
    let host = Host::new(HostOptions {
        database: Some(Database::File(".trestle/many-tenants.db".into())),
        cache_dir: Some(".trestle/cache".into()),
    })?;
    let options = TenantsOptions { workers: 2, ..TenantsOptions::default() };
    let tenants = Tenants::new(host, Arc::new(Builtins), options)?;
    let mut flows = 0;
    for file in &files {
        let config = TenantConfig::load(std::path::Path::new(file))?;
        // A config that does not prepare is refused here, with why.
        tenants.put(config)?;
    }
    for id in tenants.ids() {
        flows += tenants.get(&id).map_or(0, |t| t.flows().len());
    }
    let (done, finished) = mpsc::channel();
    let workers = tenants.start(Arc::new(Print(Mutex::new(done))))?;
    for _ in 0..flows {
        finished.recv()?;
    }
    tenants.stop();
    workers.join();
    Ok(())
}
