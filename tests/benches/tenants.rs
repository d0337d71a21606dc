//! Many tenants on one host, printed as a table:
//!
//!   cargo bench --bench tenants             # 1,000 idle tenants, 200 runs
//!   cargo bench --bench tenants -- 200 50   # idle tenants, tenants that run
//!
//! Idle tenants: tenants served (prepared, scheduled, nothing running) and
//! the process's resident memory with them (aim: 1,000 tenants <= 1 GB).
//! Runs per second: the stock flow of each running tenant, against one
//! pair of emulators (no latency, no rate limits), through the pool's
//! workers, twice (the second round has warm connections and state).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::run::RunReport;
use trestle_host::tenant::TenantConfig;
use trestle_host::tenants::{Job, Observer, ServedTenant, Tenants, TenantsOptions, Work};
use trestle_host::{Host, HostOptions};

/// The process's resident memory, in MiB (Linux).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// A tenant syncing stock from the books to the shop, with a refresh token
/// of its own (the books' tokens are single use).
fn config(id: &str, emulators: &Emulators) -> TenantConfig {
    let mut settings = emulators.connection_settings();
    settings.eaccounting.insert("refresh_token".into(), emulators.eaccounting.new_refresh_token());
    let text = format!(
        "tenant = \"{id}\"\n{}\n[flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n",
        settings.tenant_connections()
    );
    TenantConfig::parse(&text).unwrap()
}

/// Counts finished runs for the bench to wait on.
struct Finished(Mutex<mpsc::Sender<bool>>);

impl Observer for Finished {
    fn finished(&self, _: &Arc<ServedTenant>, _: &Job, _: Duration, result: &anyhow::Result<RunReport>) {
        if let Err(e) = result {
            eprintln!("a run failed: {e:#}");
        }
        let _ = self.0.lock().unwrap().send(result.is_ok());
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let idle = args.first().copied().unwrap_or(1000);
    let running = args.get(1).copied().unwrap_or(100);
    let emulators =
        Emulators::start(Options { orders: 4, products: 20, rate_limits: false, ..Options::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(HostOptions {
        database: Some(dir.path().join("trestle.db").into()),
        cache_dir: Some(dir.path().join("cache")),
    })
    .unwrap();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let options = TenantsOptions { workers, every: Duration::from_secs(24 * 3600), ..TenantsOptions::default() };
    let tenants = Tenants::new(host, Arc::new(Builtins), options).unwrap();
    let mut rows: Vec<(String, String, &str, String)> = Vec::new();

    // Idle tenants: served, never started.
    let before = rss_mib();
    let clock = Instant::now();
    for i in 0..idle {
        tenants.put(config(&format!("idle-{i:05}"), &emulators)).unwrap();
    }
    let took = clock.elapsed();
    let rss = rss_mib();
    rows.push(("idle tenants served".into(), idle.to_string(), "tenants", "1,000".into()));
    rows.push((
        "time to add them".into(),
        format!("{:.1}", took.as_secs_f64() * 1000.0 / idle as f64),
        "ms/tenant",
        "-".into(),
    ));
    rows.push(("resident memory with them".into(), format!("{rss:.0}"), "MiB", "<= 1024 for 1,000".into()));
    rows.push((
        "memory per idle tenant".into(),
        format!("{:.0}", (rss - before) * 1024.0 / idle as f64),
        "KiB",
        "<= 1024".into(),
    ));
    for i in 0..idle {
        tenants.remove(&format!("idle-{i:05}"));
    }

    // Runs per second: each tenant's flow queued at start, then once more.
    for i in 0..running {
        tenants.put(config(&format!("run-{i:05}"), &emulators)).unwrap();
    }
    let (sender, finished) = mpsc::channel();
    let clock = Instant::now();
    let pool = tenants.start(Arc::new(Finished(Mutex::new(sender)))).unwrap();
    let wait = |n: usize| (0..n).map(|_| finished.recv().unwrap()).filter(|ok| *ok).count();
    let ok = wait(running);
    let cold = clock.elapsed();
    let clock = Instant::now();
    for i in 0..running {
        tenants.enqueue(Job { tenant: format!("run-{i:05}"), flow: "stock".into(), work: Work::Scheduled });
    }
    let ok = ok + wait(running);
    let warm = clock.elapsed();
    tenants.stop();
    pool.join();
    rows.push(("runs finished ok".into(), format!("{ok} of {}", 2 * running), "runs", "all".into()));
    rows.push((
        format!("runs/s, first round ({workers} workers)"),
        format!("{:.1}", running as f64 / cold.as_secs_f64()),
        "runs/s",
        "-".into(),
    ));
    rows.push((
        format!("runs/s, second round ({workers} workers)"),
        format!("{:.1}", running as f64 / warm.as_secs_f64()),
        "runs/s",
        "-".into(),
    ));

    let met = |row: &(String, String, &str, String)| match row.0.as_str() {
        "resident memory with them" => {
            if idle >= 1000 && rss <= 1024.0 {
                "met"
            } else if idle < 1000 {
                "n/a"
            } else {
                "missed"
            }
        }
        "runs finished ok" => {
            if ok == 2 * running {
                "met"
            } else {
                "missed"
            }
        }
        _ => "",
    };
    println!("\n| measure | value | unit | aim | |");
    println!("|---|---:|---|---|---|");
    for row in &rows {
        println!("| {} | {} | {} | {} | {} |", row.0, row.1, row.2, row.3, met(row));
    }
}
