//! Host overheads on this machine, printed as a table:
//!
//!   cargo bench -p trestle-host --bench host
//!
//! Targets (issue 2): instantiate <= 50 us, forwarded call <= 10 us,
//! wasm/native mapping <= 2x, cached start <= 5 ms.

#[path = "../../examples/mappings/country-codes/src/countries.rs"]
mod countries;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use trestle_host::bindings::Trigger;
use trestle_host::bindings::exports::trestle::sync::transforms::GuestIndices;
use trestle_host::bindings::types::{Address, Order};
use trestle_host::connection::ConnectionSetup;
use trestle_host::run::FlowRun;
use trestle_host::sample::sample_order;
use trestle_host::{ComponentConfig, ComponentKind, Host, HostOptions, HttpPolicy, StoreSetup};

fn main() {
    let cache = std::env::temp_dir().join(format!("trestle-bench-cache-{}", std::process::id()));
    let host = Host::new(HostOptions { database: None, cache_dir: Some(cache.clone()) }).unwrap();
    let mapping = host
        .load_file("country-codes", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref())
        .unwrap();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // 1. Instantiate from InstancePre in a fresh Store.
    let n = 2_000;
    let per = time(n, || {
        host.instantiate(&mapping, "bench", "run", StoreSetup::default(), None).unwrap();
    });
    rows.push(("instantiate (fresh Store + InstancePre)".into(), us(per), "<= 50 us".into()));

    // 2. One host->guest call with a realistic order.
    let (mut store, instance) = host.instantiate(&mapping, "bench", "run", StoreSetup::default(), None).unwrap();
    let guest = GuestIndices::new(&mapping.pre).unwrap().load(&mut store, &instance).unwrap();
    let order = sample_order();
    let n = 10_000;
    let wasm = time(n, || {
        store.set_fuel(u64::MAX).unwrap();
        guest.call_map_order(&mut store, &order).unwrap().unwrap();
    });
    rows.push(("host->guest call, map-order on a 3-line order".into(), us(wasm), "".into()));

    // 3. 10,000 orders through the example mapping vs the same in native Rust.
    let native = time(n, || {
        std::hint::black_box(native_map_order(std::hint::black_box(order.clone())).unwrap());
    });
    rows.push((
        "10,000 orders: wasm mapping".into(),
        format!("{:.1} ms", (wasm * n as u32).as_secs_f64() * 1e3),
        "".into(),
    ));
    rows.push((
        "10,000 orders: native mapping".into(),
        format!("{:.1} ms", (native * n as u32).as_secs_f64() * 1e3),
        "".into(),
    ));
    rows.push(("wasm / native".into(), format!("{:.1}x", wasm.as_secs_f64() / native.as_secs_f64()), "<= 2x".into()));

    // 4. Flow -> connector forwarded call: a run with many extra calls minus a run with none.
    let calls = 20_000u32;
    let baseline = time(3, || probe_run(&host, 0));
    let loaded = time(3, || probe_run(&host, calls));
    let forwarded = (loaded.saturating_sub(baseline)) / calls;
    rows.push(("flow->connector forwarded call (recorded)".into(), us(forwarded), "<= 10 us".into()));

    // 5. Cold start of a cached component: a new host, load from the disk cache.
    let n = 20;
    let cold = time(n, || {
        let fresh = Host::new(HostOptions { database: None, cache_dir: Some(cache.clone()) }).unwrap();
        fresh
            .load_file("country-codes", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref())
            .unwrap();
    });
    rows.push((
        "cached start (new host + load from cache)".into(),
        format!("{:.2} ms", cold.as_secs_f64() * 1e3),
        "<= 5 ms".into(),
    ));
    let load_only = time(n, || {
        host.load_file("country-codes", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref())
            .unwrap();
    });
    rows.push(("  of which load from cache".into(), format!("{:.2} ms", load_only.as_secs_f64() * 1e3), "".into()));

    println!("\n{:<48} {:>12}  target", "measure", "per op");
    println!("{}", "-".repeat(72));
    for (what, value, target) in rows {
        println!("{what:<48} {value:>12}  {target}");
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

fn us(d: Duration) -> String {
    format!("{:.1} us", d.as_secs_f64() * 1e6)
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
