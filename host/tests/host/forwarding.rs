//! Host-forwarded linking: a flow's imported roles are served by a connector
//! in its own Store; every forwarded call is recorded, rate limits are
//! waited out by the host, and a tenant's mapping runs between them.

use std::collections::BTreeMap;
use std::sync::Arc;

use trestle_host::bindings::Trigger;
use trestle_host::connection::ConnectionSetup;
use trestle_host::run::FlowRun;
use trestle_host::{ActivityQuery, ComponentConfig, ComponentKind, Host, HostOptions, HttpPolicy, LoadedComponent};

fn host() -> Host {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
    Host::new(HostOptions { database: None, cache_dir: Some(cache) }).unwrap()
}

fn config(pairs: &[(&str, &str)]) -> ComponentConfig {
    let values: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ComponentConfig::new(values, [])
}

fn probe_run(
    host: &Host,
    tenant: &str,
    connector_settings: &[(&str, &str)],
    mapping: Option<Arc<LoadedComponent>>,
) -> FlowRun {
    let connector =
        host.load_file("probe", ComponentKind::Connector, trestle_artifacts::PROBE_CONNECTOR.as_ref()).unwrap();
    let flow = host.load_file("probe-flow", ComponentKind::Flow, trestle_artifacts::PROBE_FLOW.as_ref()).unwrap();
    let connection = ConnectionSetup {
        name: "shop".into(),
        component: connector,
        config: config(connector_settings),
        http: HttpPolicy::deny_all(),
        limits: None,
    };
    FlowRun {
        tenant: tenant.into(),
        name: "probe-flow".into(),
        flow,
        config: ComponentConfig::default(),
        limits: None,
        connections: vec![(connection, vec!["order-source".into()])],
        mapping: mapping.map(|m| (m, None)),
        trigger: Trigger::Scheduled,
        observer: None,
    }
}

#[test]
fn a_flow_reaches_its_connector_through_the_host_and_its_calls_are_counted() {
    let host = host();
    let mapping = host
        .load_file("country-codes", ComponentKind::Mapping, trestle_artifacts::COUNTRY_CODES_MAPPING.as_ref())
        .unwrap();
    let report = host.run_flow(probe_run(&host, "acme", &[("pages", "5")], Some(mapping))).unwrap();
    assert_eq!(report.summary.synced, 5);
    let q = |kind: &str| ActivityQuery { tenant: Some("acme".into()), kind: Some(kind.into()), ..Default::default() };
    let records = host.activity(&q("record")).unwrap();
    assert_eq!(records.len(), 5);
    assert!(records.iter().all(|r| r.message.contains("country SE")), "the mapping ran between: {records:?}");
    // The run's calls of one function are one row: how many, how long.
    let calls = host.activity(&q("call")).unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].message.starts_with("probe.order-source#list-orders: 5 calls in this run, "), "{calls:?}");
    assert!(calls[0].component == "probe" && calls[0].duration_us.is_some());
    assert!(records.iter().all(|r| r.run_id == report.run_id));
}

#[test]
fn rate_limits_are_waited_out_by_the_host_not_counted_as_failures() {
    let host = host();
    let report = host.run_flow(probe_run(&host, "acme", &[("pages", "2"), ("rate_limited_calls", "2")], None)).unwrap();
    assert_eq!(report.summary.synced, 2);
    assert_eq!(report.summary.failed, 0);
    let q = ActivityQuery { tenant: Some("acme".into()), kind: Some("host".into()), ..Default::default() };
    let waits = host.activity(&q).unwrap();
    assert_eq!(waits.iter().filter(|w| w.message.contains("retrying in 20 ms")).count(), 2, "{waits:?}");
}

#[test]
fn state_is_kept_per_tenant() {
    let host = host();
    host.run_flow(probe_run(&host, "tenant-a", &[("pages", "4")], None)).unwrap();
    // Tenant b starts from scratch: a's cursor is invisible to it.
    let b = host.run_flow(probe_run(&host, "tenant-b", &[("pages", "4")], None)).unwrap();
    assert_eq!(b.summary.synced, 4);
    // Tenant a's second run resumes from its cursor: only the last page.
    let a2 = host.run_flow(probe_run(&host, "tenant-a", &[("pages", "4")], None)).unwrap();
    assert_eq!(a2.summary.synced, 1);
}

#[test]
fn an_unbound_role_is_named_before_anything_runs() {
    let host = host();
    let mut run = probe_run(&host, "acme", &[], None);
    run.connections.clear();
    let err = format!("{:#}", host.run_flow(run).unwrap_err());
    assert!(err.contains("needs a connection for the role `order-source`"), "{err}");
}

#[test]
fn a_hostile_mapping_parks_records_instead_of_killing_the_run() {
    let host = host();
    let bomb = host.load_file("bomb", ComponentKind::Mapping, trestle_artifacts::HOSTILE_MEMORY_BOMB.as_ref()).unwrap();
    let report = host.run_flow(probe_run(&host, "acme", &[("pages", "4")], Some(bomb))).unwrap();
    assert_eq!(report.summary.parked, 4);
    assert!(
        report.summary.notes[0].contains("mapping module `bomb` hit its memory limit"),
        "{:?}",
        report.summary.notes
    );
    assert!(report.summary.notes[3].contains("switched off for this run"), "{:?}", report.summary.notes);
}
