//! The sandbox holds against hostile tenant modules: each misbehaving run
//! ends with an error that names the module and the limit it hit, the host
//! stays up, and a well-behaved tenant's run alongside completes normally.

use std::sync::Arc;
use std::thread;

use trestle_host::bindings::types::{Order, Product, StockLevel};
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
    match map(host, name, path, limits, Record::Order(sample_order()))? {
        Record::Order(o) => Ok(o),
        _ => Err("mapping returned another kind of record".into()),
    }
}

/// One record through a fresh slot of the module, as tenant `tenant-NAME`.
fn map(host: &Host, name: &str, path: &str, limits: Option<Limits>, record: Record) -> Result<Record, String> {
    let component = host.load_file(name, ComponentKind::Mapping, path.as_ref()).map_err(|e| format!("{e:#}"))?;
    let mut slot = MappingSlot::new(host.clone(), component, &format!("tenant-{name}"), "run-1");
    slot.set_limits(limits);
    slot.apply(record)
}

fn well_behaved(host: &Host) -> Order {
    map_once(host, "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING, None)
        .expect("the good tenant's mapping works")
}

/// Runs `hostile` while a good tenant maps orders alongside, and checks that
/// the good tenant got exactly what it gets on a host of its own.
fn alongside_good<T>(hostile: impl FnOnce(&Host) -> T) -> T {
    let alone = format!("{:?}", well_behaved(&host()));
    let host = host();
    let good = {
        let host = host.clone();
        thread::spawn(move || (0..20).map(|_| well_behaved(&host)).collect::<Vec<_>>())
    };
    let outcome = hostile(&host);
    let good = good.join().expect("the good tenant's thread did not panic");
    assert_eq!(good.len(), 20);
    assert!(good.iter().all(|o| format!("{o:?}") == alone), "the good tenant's orders are unchanged");
    // The host is still up: it loads and runs modules after the hostile one.
    well_behaved(&host);
    outcome
}

/// The hostile module's error, run beside a good tenant.
fn hostile_alongside_good(name: &str, path: &str, limits: Option<Limits>) -> String {
    let err = alongside_good(|host| map_once(host, name, path, limits)).expect_err("a hostile module must not succeed");
    assert!(err.contains(&format!("`{name}`")), "the error names the module: {err}");
    err
}

/// The activity rows the module wrote, as tenant `tenant-NAME`.
fn activity_of(host: &Host, name: &str) -> Vec<trestle_host::ActivityEntry> {
    host.activity(&trestle_host::ActivityQuery { tenant: Some(format!("tenant-{name}")), ..Default::default() })
        .unwrap()
}

#[test]
fn endless_loop_hits_the_fuel_limit() {
    let err = hostile_alongside_good("loop", trestle_artifacts::HOSTILE_ENDLESS_LOOP, None);
    assert!(err.contains("fuel limit"), "{err}");
}

#[test]
fn endless_loop_without_fuel_hits_the_time_limit() {
    let limits = Limits::defaults(ComponentKind::Mapping)
        .with_overrides(&LimitOverrides { fuel: Some(100_000_000_000), deadline_ms: Some(200), ..Default::default() })
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
fn huge_output_is_dropped_past_the_log_budget() {
    let host = alongside_good(|host| {
        map_once(host, "chatty", trestle_artifacts::HOSTILE_HUGE_OUTPUT, None).expect("the record itself maps");
        host.clone()
    });
    let rows = activity_of(&host, "chatty");
    assert_eq!(rows.len(), 2, "the one line that fits and the one saying what was dropped");
    assert!(
        rows[1].message.contains("went over its log budget of 10000 lines and 1024 KiB in this run: 99 more lines"),
        "{}",
        rows[1].message
    );
}

#[test]
fn empty_log_lines_cost_rows_and_are_dropped_past_the_budget() {
    let host = alongside_good(|host| {
        let component =
            host.load_file("quiet", ComponentKind::Mapping, trestle_artifacts::HOSTILE_EMPTY_LOGS.as_ref()).unwrap();
        let mut slot = MappingSlot::new(host.clone(), component, "tenant-quiet", "run-1");
        for _ in 0..3 {
            slot.apply(Record::Order(sample_order())).expect("the records themselves map");
        }
        host.clone()
    });
    let rows = activity_of(&host, "quiet");
    assert_eq!(rows.len(), 10_001, "the run's 10,000 lines and the one saying what was dropped");
    let last = &rows[10_000].message;
    assert!(last.contains("quiet went over its log budget of 10000 lines"), "{last}");
    assert!(last.contains("110000 more lines (0 KiB) were dropped"), "{last}");
}

#[test]
fn a_mapping_cannot_forge_record_outcomes() {
    let host = alongside_good(|host| {
        map_once(host, "forger", trestle_artifacts::HOSTILE_FORGES_OUTCOMES, None).expect("the record maps");
        host.clone()
    });
    let rows = activity_of(&host, "forger");
    assert!(rows.iter().all(|r| r.kind != "record" && r.outcome.is_none()), "{rows:?}");
    assert!(rows.iter().any(|r| r.message.contains("reported order 1001 as synced: invoice forged")), "{rows:?}");
}

#[test]
fn a_mapping_that_imports_http_is_refused_at_load() {
    let err = hostile_alongside_good("sneaky", trestle_artifacts::HOSTILE_HTTP_FROM_MAPPING, None);
    assert!(err.contains("wasi:http/outgoing-handler@0.2.12 (a mapping reaches no network)"), "{err}");
    assert!(err.contains("may import only trestle:sync/log"), "{err}");
}

#[test]
fn a_sleeping_mapping_is_refused_at_load() {
    // std::thread::sleep is a blocking WASI poll on a monotonic-clock timer,
    // which the epoch deadline cannot interrupt: no timers for mappings.
    let err = hostile_alongside_good("sleepy", trestle_artifacts::HOSTILE_SLEEPS, None);
    assert!(err.contains("imports wasi:clocks/monotonic-clock@"), "{err}");
    assert!(err.contains("let a module sleep"), "{err}");
}

#[test]
fn a_mapping_that_imports_files_or_sockets_is_refused_at_load() {
    let err = hostile_alongside_good("reader", trestle_artifacts::HOSTILE_FILESYSTEM_FROM_MAPPING, None);
    assert!(err.contains("imports wasi:filesystem/"), "{err}");
    assert!(err.contains("a mapping has no files"), "{err}");
    let err = hostile_alongside_good("dialer", trestle_artifacts::HOSTILE_SOCKETS_FROM_MAPPING, None);
    assert!(err.contains("wasi:sockets/tcp@0.2.6 (a mapping reaches no network)"), "{err}");
    assert!(err.contains("which are not allowed"), "every refused import is named: {err}");
}

#[test]
fn a_mapping_cannot_change_what_identifies_a_record() {
    let path = trestle_artifacts::HOSTILE_CHANGES_IDENTITY;
    let err = hostile_alongside_good("renamer", path, None);
    assert!(err.contains(r#"source_id from "1001" to "1002" and order_number from "WEB-1001" to "WEB-1002""#), "{err}");
    assert!(err.contains("may not change what identifies the record"), "{err}");
    let host = host();
    let order = sample_order();
    let product = Product {
        sku: "SKU-00001".into(),
        name: "Classic T-shirt".into(),
        short_description: None,
        long_description: None,
        price_excl_vat: 20.62,
        price_incl_vat: 24.95,
        vat_rate: 21.0,
        ean: None,
        currency: "EUR".into(),
        unit: None,
        category: Vec::new(),
        active: true,
        stock_managed: true,
        service: false,
        origin: None,
        custom_fields: Vec::new(),
    };
    let stock = StockLevel {
        sku: "SKU-00001".into(),
        on_hand: 5.0,
        reserved: 1.0,
        available: 4.0,
        origin: None,
        custom_fields: Vec::new(),
    };
    for (record, says) in [
        (Record::Customer(order.customer.clone()), r#"source_id from "501" to "501-2""#),
        (Record::Product(product), r#"sku from "SKU-00001" to "SKU-00001-X""#),
        (Record::Stock(stock), r#"sku from "SKU-00001" to "SKU-00001-X""#),
    ] {
        let err = map(&host, "renamer", path, None, record).err().expect("refused");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn nonsense_numbers_are_refused_naming_the_field_and_the_value() {
    let cases = [
        "lines[0].quantity is -5; allowed: 0 to 10000000",
        "lines[0].quantity is 1e300",
        "lines[0].discount is 1e300",
        "lines[0].vat_rate is -21; allowed: 0 to 100",
        "it has 10000 lines; at most 1000 are allowed (limits.lines)",
        "total_incl_vat is NaN",
        "total_incl_vat is inf",
        "total_incl_vat is -1e308",
        "lines[0].unit_price is 1e300",
        "lines[0].name is 1024 KiB long; at most 64 KiB are allowed (limits.text_kib)",
    ];
    alongside_good(|host| {
        for (digit, says) in cases.iter().enumerate() {
            let mut order = sample_order();
            order.order_number = format!("WEB-100{digit}");
            let err = map(host, "nonsense", trestle_artifacts::HOSTILE_NONSENSE_NUMBERS, None, Record::Order(order))
                .err()
                .expect("nonsense is refused");
            assert!(err.contains("mapping module `nonsense` returned an order that cannot be used"), "{err}");
            assert!(err.contains(says), "{err}");
        }
    });
}

#[test]
fn custom_fields_are_capped_by_count_not_only_by_bytes() {
    let err = hostile_alongside_good("fields", trestle_artifacts::HOSTILE_MANY_CUSTOM_FIELDS, None);
    assert!(err.contains("more than 200 custom fields (200000 in custom_fields alone; limits.custom_fields)"), "{err}");
}

#[test]
fn a_huge_refusal_is_kept_truncated() {
    let err = hostile_alongside_good("verbose", trestle_artifacts::HOSTILE_HUGE_REFUSAL, None);
    assert!(err.starts_with("mapping module `verbose` refused the record: no no no"), "{}", &err[..100]);
    assert!(err.len() < 2300, "{} bytes", err.len());
    assert!(err.ends_with("(truncated: the first 2 KiB of 10240 KiB are kept)"), "{}", &err[err.len() - 100..]);
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
