//! The sandbox holds against hostile tenant modules: each misbehaving run
//! ends with an error that names the module and the limit it hit, the host
//! stays up, and a well-behaved tenant's run alongside completes normally.

use std::sync::Arc;
use std::thread;

use trestle_host::bindings::types::Order;
use trestle_host::capabilities::network::NetworkScope;
use trestle_host::connection::ConnectionSetup;
use trestle_host::mapping::{MappingSlot, Record};
use trestle_host::sample::sample_order;
use trestle_host::{ComponentConfig, ComponentKind, Host, HostOptions, HttpPolicy, LimitOverrides, Limits};

fn host() -> Host {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
    Host::new(HostOptions { database: None, cache_dir: Some(cache) }).unwrap()
}

fn map_once(host: &Host, name: &str, path: &str, limits: Option<Limits>) -> Result<Order, String> {
    let component = host.load_file(name, ComponentKind::Mapping, path.as_ref()).map_err(|e| format!("{e:#}"))?;
    let mut slot = MappingSlot::new(host.clone(), component, &format!("tenant-{name}"), "run-1");
    slot.set_limits(limits);
    match slot.apply(Record::Order(sample_order()))? {
        Record::Order(o) => Ok(o),
        _ => Err("mapping returned another kind of record".into()),
    }
}

fn well_behaved(host: &Host) -> Order {
    map_once(host, "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING, None)
        .expect("the good tenant's mapping works")
}

/// Runs the hostile module while a good tenant maps orders alongside.
fn hostile_alongside_good(name: &str, path: &str, limits: Option<Limits>) -> String {
    let host = host();
    let good = {
        let host = host.clone();
        thread::spawn(move || (0..20).map(|_| well_behaved(&host)).collect::<Vec<_>>())
    };
    let err = map_once(&host, name, path, limits).expect_err("a hostile module must not succeed");
    let good = good.join().expect("the good tenant's thread did not panic");
    assert_eq!(good.len(), 20);
    assert!(good.iter().all(|o| o.billing_address.country_code == "NL"));
    // The host is still up: it loads and runs modules after the failure.
    well_behaved(&host);
    assert!(err.contains(&format!("`{name}`")), "the error names the module: {err}");
    err
}

#[test]
fn endless_loop_hits_the_fuel_limit() {
    let err = hostile_alongside_good("loop", trestle_artifacts::HOSTILE_ENDLESS_LOOP, None);
    assert!(err.contains("fuel limit"), "{err}");
}

#[test]
fn endless_loop_without_fuel_hits_the_time_limit() {
    let limits = Limits::defaults(ComponentKind::Mapping)
        .with_overrides(&LimitOverrides { fuel: Some(u64::MAX), deadline_ms: Some(200), ..Default::default() })
        .unwrap();
    let err = hostile_alongside_good("loop-unmetered", trestle_artifacts::HOSTILE_ENDLESS_LOOP, Some(limits));
    assert!(err.contains("time limit of 200 ms"), "{err}");
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let err = hostile_alongside_good("bomb", trestle_artifacts::HOSTILE_MEMORY_BOMB, None);
    assert!(err.contains("memory limit of 64 MiB"), "{err}");
}

#[test]
fn a_trap_is_reported_with_what_the_module_said() {
    let err = hostile_alongside_good("panicky", trestle_artifacts::HOSTILE_TRAP, None);
    assert!(err.contains("crashed"), "{err}");
    assert!(err.contains("hostile module refuses order WEB-1001"), "{err}");
}

#[test]
fn deep_recursion_hits_the_stack_limit() {
    let err = hostile_alongside_good("recursive", trestle_artifacts::HOSTILE_DEEP_RECURSION, None);
    assert!(err.contains("call stack limit"), "{err}");
}

#[test]
fn huge_output_hits_the_log_limit() {
    let err = hostile_alongside_good("chatty", trestle_artifacts::HOSTILE_HUGE_OUTPUT, None);
    assert!(err.contains("log output limit of 1024 KiB"), "{err}");
}

#[test]
fn a_mapping_that_imports_http_is_refused_at_load() {
    let err = hostile_alongside_good("sneaky", trestle_artifacts::HOSTILE_HTTP_FROM_MAPPING, None);
    assert!(err.contains("imports wasi:http/"), "{err}");
    assert!(err.contains("may import only trestle:sync/log"), "{err}");
}

#[test]
fn a_switched_off_mapping_stops_costing_time() {
    let host = host();
    let component =
        host.load_file("loop", ComponentKind::Mapping, trestle_artifacts::HOSTILE_ENDLESS_LOOP.as_ref()).unwrap();
    let mut slot = MappingSlot::new(host, component, "t", "r");
    for _ in 0..3 {
        assert!(slot.apply(Record::Order(sample_order())).is_err());
    }
    let err = slot.apply(Record::Order(sample_order())).err().unwrap();
    assert!(err.contains("switched off for this run after 3 failures"), "{err}");
}

#[test]
fn a_connector_cannot_reach_hosts_outside_its_allowlist() {
    let host = host();
    let component = host
        .load_file("wanderer", ComponentKind::Connector, trestle_artifacts::HOSTILE_FORBIDDEN_HOST.as_ref())
        .unwrap();
    // A real listener on the forbidden port proves the refusal is the host's,
    // not a closed port's.
    let forbidden = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}/steal", forbidden.local_addr().unwrap());
    let setup = ConnectionSetup {
        name: "wanderer".into(),
        component: Arc::clone(&component),
        config: ComponentConfig::new([("target".to_string(), target.clone())].into(), []),
        http: HttpPolicy::from_base_urls(["http://127.0.0.1:1"], NetworkScope::WithPrivate).unwrap(),
        limits: None,
    };
    let answer = setup.check(&host, "tenant-w").unwrap();
    let err = format!("{:?}", answer.expect_err("the request must be refused"));
    assert!(err.contains("refused"), "{err}");
    forbidden.set_nonblocking(true).unwrap();
    assert!(forbidden.accept().is_err(), "nothing reached the forbidden host");
    let log =
        host.activity(&trestle_host::ActivityQuery { tenant: Some("tenant-w".into()), ..Default::default() }).unwrap();
    let denial = log.iter().find(|e| e.kind == "host").expect("the denial is in the activity log");
    assert!(denial.message.contains("allowed hosts are http://127.0.0.1:1"), "{}", denial.message);
    assert!(denial.message.contains(&forbidden.local_addr().unwrap().port().to_string()), "{}", denial.message);
}

#[test]
fn the_example_mapping_normalises_countries_and_tags_the_order() {
    let order = well_behaved(&host());
    assert_eq!(order.billing_address.country_code, "NL");
    assert_eq!(order.delivery_address.country_code, "BE");
    assert!(order.custom_fields.contains(&("YourReference".to_string(), "\"Webshop order WEB-1001\"".to_string())));
}

#[test]
fn a_second_load_compiles_nothing() {
    let host = host();
    let first =
        host.load_file("cc", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref()).unwrap();
    let again =
        host.load_file("cc", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref()).unwrap();
    assert_eq!(first.hash, again.hash);
    assert_eq!(again.cache, trestle_host::cache::CacheOutcome::Cached);
}
