//! The host's overheads on this machine, as one table (issue 14):
//!
//!   cargo bench --bench host
//!
//! One row per measure of the issue, each with its aim and whether this run
//! met it. The first build's time is measured by hand (docs/2026-12-02-host-performance.md).

#[path = "../../examples/mappings/country-codes/src/countries.rs"]
mod countries;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use trestle_artifacts::{BUILTINS, Builtins};
use trestle_emulators::{Emulators, Options};
use trestle_host::bindings::Trigger;
use trestle_host::bindings::exports::trestle::sync::transforms::GuestIndices;
use trestle_host::bindings::types::{Address, Order};
use trestle_host::connection::ConnectionSetup;
use trestle_host::run::FlowRun;
use trestle_host::sample::sample_order;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ComponentConfig, ComponentKind, Host, HostOptions, HttpPolicy, StoreSetup};

/// What a row's value should be.
enum Aim {
    AtMost(f64),
    /// Reported, no aim.
    Report,
}

struct Row {
    measure: String,
    value: f64,
    unit: &'static str,
    aim: Aim,
}

fn main() {
    let cache = std::env::temp_dir().join(format!("trestle-bench-cache-{}", std::process::id()));
    let options = HostOptions { database: None, cache_dir: Some(cache.clone()) };
    let host = Host::new(options.clone()).unwrap();
    let mapping = host
        .load_file("country-codes", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref())
        .unwrap();
    let mut rows = Vec::new();

    // A flow -> connector call: a run making many extra get-order calls
    // minus a run making none, per call.
    let calls = 20_000u32;
    let baseline = time(3, || probe_run(&host, 0));
    let loaded = time(3, || probe_run(&host, calls));
    rows.push(Row {
        measure: "forwarded call: get-order, a 1-line order (recorded)".into(),
        value: micros(loaded.saturating_sub(baseline) / calls),
        unit: "us",
        aim: Aim::AtMost(10.0),
    });

    // The example mapping on 10,000 orders, and its logic in native Rust.
    let (mut store, instance) = host.instantiate(&mapping, "bench", "run", StoreSetup::default(), None).unwrap();
    let guest = GuestIndices::new(&mapping.pre).unwrap().load(&mut store, &instance).unwrap();
    let order = sample_order();
    let n = 10_000;
    let wasm = time(n, || {
        store.set_fuel(u64::MAX).unwrap();
        guest.call_map_order(&mut store, &order).unwrap().unwrap();
    });
    let native = time(n, || {
        std::hint::black_box(native_map_order(std::hint::black_box(order.clone())).unwrap());
    });
    let total_ms = |d: Duration| (d * n as u32).as_secs_f64() * 1e3;
    rows.push(Row {
        measure: format!(
            "mapping 10,000 orders, wasm / native ({:.0} ms / {:.0} ms)",
            total_ms(wasm),
            total_ms(native)
        ),
        value: wasm.as_secs_f64() / native.as_secs_f64(),
        unit: "x",
        aim: Aim::AtMost(2.0),
    });

    // A start with a warm cache: a new host, every built-in component loaded.
    let start = time(10, || {
        let fresh = Host::new(options.clone()).unwrap();
        for (kind, name, bytes) in BUILTINS {
            fresh.load(name, *kind, bytes).unwrap();
        }
    });
    rows.push(Row {
        measure: format!("cached start: new host + load the {} built-in components", BUILTINS.len()),
        value: start.as_secs_f64() * 1e3,
        unit: "ms",
        aim: Aim::AtMost(5.0),
    });

    let per = time(2_000, || {
        host.instantiate(&mapping, "bench", "run", StoreSetup::default(), None).unwrap();
    });
    rows.push(Row {
        measure: "instantiate from InstancePre (a mapping, fresh Store)".into(),
        value: micros(per),
        unit: "us",
        aim: Aim::AtMost(30.0),
    });

    let (synced, seconds) = whole_stack(&host, 500);
    rows.push(Row {
        measure: format!("whole stack: orders flow, first run of {synced} orders vs the emulators"),
        value: f64::from(synced) / seconds,
        unit: "orders/s",
        aim: Aim::Report,
    });

    println!("\n{:<72} {:>9} {:<8} {:>7}  met", "measure", "value", "unit", "aim");
    println!("{}", "-".repeat(104));
    for Row { measure, value, unit, aim } in rows {
        let (aim, met) = match aim {
            Aim::AtMost(max) => (format!("<= {max}"), if value <= max { "met" } else { "missed" }),
            Aim::Report => ("report".into(), "-"),
        };
        println!("{measure:<72} {value:>9.2} {unit:<8} {aim:>7}  {met}");
    }
    let _ = std::fs::remove_dir_all(cache);
}

fn time(n: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n as u32
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn probe_run(host: &Host, extra_calls: u32) {
    let connector =
        host.load_file("probe", ComponentKind::Connector, trestle_artifacts::PROBE_CONNECTOR.as_ref()).unwrap();
    let flow = host.load_file("probe-flow", ComponentKind::Flow, trestle_artifacts::PROBE_FLOW.as_ref()).unwrap();
    let settings = |pairs: &[(&str, String)]| {
        ComponentConfig::new(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>(), [])
    };
    let run = FlowRun {
        tenant: "bench".into(),
        name: "probe-flow".into(),
        flow,
        config: settings(&[("extra_calls", extra_calls.to_string())]),
        limits: None,
        connections: vec![(
            ConnectionSetup {
                name: "probe".into(),
                component: connector,
                config: settings(&[("pages", "1".into())]),
                http: HttpPolicy::deny_all(),
                limits: None,
            },
            vec!["order-source".into()],
        )],
        mapping: None,
        trigger: Trigger::Scheduled,
        observer: None,
    };
    host.run_flow(run).unwrap();
}

/// The shipped orders flow's first run over `orders` shop orders, against
/// both emulators (no latency, no rate limits): orders synced and seconds.
fn whole_stack(host: &Host, orders: usize) -> (u32, f64) {
    let e = Emulators::start(Options { orders, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let config = format!(
        "tenant = \"whole-stack\"\n{}\n{}",
        e.connection_settings().tenant_connections(),
        trestle_emulators::orders_flow(),
    );
    let tenant = PreparedTenant::prepare(host, &Builtins, TenantConfig::parse(&config).unwrap()).unwrap();
    let started = Instant::now();
    let report = host.run_flow(tenant.flow_run(host, &Builtins, "orders", Trigger::Scheduled).unwrap()).unwrap();
    (report.summary.synced, started.elapsed().as_secs_f64())
}

/// The example mapping's logic, natively: the same country table.
fn native_map_order(mut order: Order) -> Result<Order, String> {
    fn normalise(a: &mut Address) -> Result<(), String> {
        let code =
            countries::to_alpha2(&a.country_code).ok_or_else(|| format!("unknown country `{}`", a.country_code))?;
        a.country_code = code.to_string();
        Ok(())
    }
    normalise(&mut order.billing_address)?;
    normalise(&mut order.delivery_address)?;
    normalise(&mut order.customer.billing_address)?;
    if let Some(d) = order.customer.delivery_address.as_mut() {
        normalise(d)?;
    }
    order.custom_fields.retain(|(n, _)| n != "YourReference");
    order.custom_fields.push(("YourReference".into(), format!("\"Webshop order {}\"", order.order_number)));
    Ok(order)
}
