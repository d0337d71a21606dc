//! The orders flow's cost, printed as a table:
//!
//!   cargo bench -p trestle-e2e --bench orders            # 500 orders, and 1,000 under rate limits
//!   cargo bench -p trestle-e2e --bench orders -- quick   # skips the rate-limited run (minutes)
//!
//! Aims (issue 6): <= 1.2 eAccounting calls per order in steady state;
//! 1,000 orders under the real rate limits within 10% of the floor.

use std::collections::BTreeMap;
use std::time::Instant;

use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::bindings::Trigger;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ActivityQuery, Host, HostOptions};

/// Each phase is its own tenant: state (cursor, ids, tokens) belongs to one
/// pair of emulators.
fn tenant(host: &Host, emulators: &Emulators, name: &str) -> PreparedTenant {
    let s = emulators.connection_settings();
    let config = format!("tenant = \"{name}\"\n{}\n{}", s.tenant_connections(), trestle_emulators::orders_flow(),);
    PreparedTenant::prepare(host, &Builtins, TenantConfig::parse(&config).unwrap()).unwrap()
}

fn books_calls(e: &Emulators) -> (u64, BTreeMap<String, u64>) {
    let counts = e.eaccounting.request_counts();
    (counts.values().sum(), counts)
}

struct Measured {
    synced: u32,
    parked: u32,
    seconds: f64,
    /// eAccounting calls made by this run, per endpoint.
    by_endpoint: BTreeMap<String, u64>,
    calls: u64,
    busiest_url_calls: u64,
}

fn run_once(host: &Host, tenant: &PreparedTenant, e: &Emulators) -> Measured {
    let (before, before_by) = books_calls(e);
    let started = Instant::now();
    let report = host.run_flow(tenant.flow_run(host, &Builtins, "orders", Trigger::Scheduled).unwrap()).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let (after, after_by) = books_calls(e);
    // eAccounting counts every method on a URL against one budget.
    let mut by_url: BTreeMap<&str, u64> = BTreeMap::new();
    for (endpoint, count) in &after_by {
        let url = endpoint.split_once(' ').map_or(endpoint.as_str(), |(_, url)| url);
        *by_url.entry(url).or_default() += count - before_by.get(endpoint).copied().unwrap_or(0);
    }
    let busiest_url_calls = by_url.values().copied().max().unwrap_or(0);
    let by_endpoint = after_by
        .iter()
        .map(|(k, v)| (k.clone(), v - before_by.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect();
    Measured {
        synced: report.summary.synced,
        parked: report.summary.parked,
        seconds,
        calls: after - before,
        by_endpoint,
        busiest_url_calls,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let host =
        Host::new(HostOptions { database: None, cache_dir: Some(std::env::temp_dir().join("trestle-bench-orders")) })
            .unwrap();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // Throughput and steady state, no latency and no rate limits.
    let e = Emulators::start(Options { orders: 500, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let t = tenant(&host, &e, "throughput");
    let first = run_once(&host, &t, &e);
    rows.push(("first run: orders synced".into(), first.synced.to_string(), String::new()));
    rows.push((
        "first run: orders per second".into(),
        format!("{:.1}", f64::from(first.synced) / first.seconds),
        String::new(),
    ));
    rows.push((
        "first run: eAccounting calls per order".into(),
        format!("{:.2}", first.calls as f64 / f64::from(first.synced.max(1))),
        String::new(),
    ));
    // Steady state: every buyer has ordered before (one warm-up order each,
    // synced), so customers and articles are known; then 100 more orders.
    let users: Vec<u64> = e.ccvshop.state()["shop"]["users"]
        .as_object()
        .expect("the shop dump lists users by id")
        .keys()
        .filter_map(|id| id.parse().ok())
        .collect();
    let place = |i: usize| {
        let sku = format!("SKU-{:05}", 1 + (i % 40));
        e.ccvshop
            .place_order(&ccvshop_emulator::NewOrder {
                rows: vec![ccvshop_emulator::NewOrderRow { sku, count: 1.0 }],
                user_id: Some(users[i % users.len()]),
                paid: true,
            })
            .unwrap();
    };
    (0..users.len().max(40)).for_each(place);
    run_once(&host, &t, &e);
    let n = 100;
    (0..n).for_each(place);
    let steady = run_once(&host, &t, &e);
    for (endpoint, calls) in &steady.by_endpoint {
        rows.push((format!("  steady state: {endpoint}"), calls.to_string(), String::new()));
    }
    rows.push((
        format!("steady state: eAccounting calls per order ({} orders)", steady.synced),
        format!("{:.2}", steady.calls as f64 / f64::from(steady.synced.max(1))),
        "<= 1.2".into(),
    ));
    drop(e);

    if !quick {
        let e =
            Emulators::start(Options { orders: 1000, products: 60, rate_limits: true, ..Options::default() }).unwrap();
        let t = tenant(&host, &e, "rate-limited");
        let m = run_once(&host, &t, &e);
        // The floor: the busiest URL's calls at 600 per minute.
        let floor = m.busiest_url_calls as f64 / 600.0 * 60.0;
        rows.push((
            format!("rate-limited run: {} orders synced", m.synced),
            format!("{:.0} s", m.seconds),
            String::new(),
        ));
        rows.push(("  floor (busiest URL's calls / 600 per minute)".into(), format!("{floor:.0} s"), String::new()));
        rows.push(("  time / floor".into(), format!("{:.2}", m.seconds / floor.max(1.0)), "<= 1.10".into()));
        let failed_calls = host
            .activity(&ActivityQuery {
                tenant: Some("rate-limited".into()),
                kind: Some("call".into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .filter(|c| c.level == "warn")
            .count();
        rows.push(("  connector calls that failed (429s included)".into(), failed_calls.to_string(), String::new()));
        rows.push(("  orders parked".into(), m.parked.to_string(), "0".into()));
    }

    println!("\n{:<56} {:>10}  aim", "measure", "value");
    println!("{}", "-".repeat(76));
    for (what, value, aim) in rows {
        println!("{what:<56} {value:>10}  {aim}");
    }
}
