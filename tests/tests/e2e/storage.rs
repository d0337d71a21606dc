//! The database behind one interface with two backends: each test here runs
//! on a SQLite file and on PostgreSQL (a fresh database on the binary's own
//! cluster, `trestle_e2e::postgres`). A second host opened on the same
//! database stands for another process: what it reads was stored, not kept
//! in one process's memory.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use trestle_host::bindings::{ContractError, Summary, Trigger};
use trestle_host::capabilities::log::{ActivityWriter, LogBudget, RecordEvent, RunContext};
use trestle_host::capabilities::state::StateScope;
use trestle_host::connection::ConnectionSetup;
use trestle_host::incidents::{Incidents, Thresholds};
use trestle_host::retention;
use trestle_host::run::{FlowRun, FlowStopped, RunReport};
use trestle_host::run_lease::RunLease;
use trestle_host::storage::{Database, Sql, Storage, Value};
use trestle_host::tenants::{TenantTokens, history};
use trestle_host::{ActivityQuery, ComponentConfig, ComponentKind, Host, HostOptions, HttpPolicy, args};

/// Each test named here as a module with two tests, `sqlite` and `postgres`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[test]
            fn sqlite() {
                super::$test(&super::Place::sqlite());
            }

            #[test]
            fn postgres() {
                super::$test(&super::Place::postgres());
            }
        }
    )*};
}

on_both_backends!(
    a_run_its_records_id_map_and_cursor_are_read_back_by_another_process,
    one_run_of_a_flow_at_a_time_across_processes,
    incidents_their_notices_tokens_and_erasure,
);

/// Where a test's database is; a SQLite file lives as long as this does.
struct Place {
    database: Database,
    _dir: Option<tempfile::TempDir>,
}

impl Place {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Place { database: dir.path().join("trestle.db").into(), _dir: Some(dir) }
    }

    fn postgres() -> Self {
        Place { database: trestle_e2e::postgres::fresh_database().database(), _dir: None }
    }

    /// A host on the database, as one process would open it.
    fn host(&self) -> Host {
        Host::new(HostOptions { database: Some(self.database.clone()), cache_dir: Some(trestle_e2e::cache_dir()) })
            .unwrap_or_else(|e| panic!("{e:#}"))
    }
}

/// The probe flow of tenant `acme`, one order a page from the probe
/// connector (no network), keeping its page cursor in state.
fn probe_run(host: &Host, pages: u32) -> RunReport {
    let connector =
        host.load_file("probe", ComponentKind::Connector, trestle_artifacts::PROBE_CONNECTOR.as_ref()).unwrap();
    let flow = host.load_file("probe-flow", ComponentKind::Flow, trestle_artifacts::PROBE_FLOW.as_ref()).unwrap();
    let settings = [("pages".to_string(), pages.to_string())].into_iter().collect();
    let connection = ConnectionSetup {
        name: "shop".into(),
        component: connector,
        config: ComponentConfig::new(settings, []),
        http: HttpPolicy::deny_all(),
        limits: None,
    };
    let run = FlowRun {
        tenant: "acme".into(),
        name: "probe-flow".into(),
        flow,
        config: ComponentConfig::default(),
        limits: None,
        connections: vec![(connection, vec!["order-source".into()])],
        mapping: None,
        trigger: Trigger::Scheduled,
        observer: None,
    };
    host.run_flow(run).unwrap_or_else(|e| panic!("the probe run failed: {e:#}"))
}

fn a_run_its_records_id_map_and_cursor_are_read_back_by_another_process(place: &Place) {
    let one = place.host();
    let first = probe_run(&one, 3);
    assert_eq!(first.summary.synced, 3, "{:?}", first.summary);
    // An id map as the flows keep one: source id -> what it became.
    let ids = StateScope::new(one.storage().clone(), "acme", "orders");
    ids.set("order/1001", "invoice-7").unwrap();
    ids.set("order/1002", "invoice-8").unwrap();
    ids.set("order/1001", "invoice-9").unwrap();
    ids.set("other/1", "x").unwrap();
    ids.delete("other/1").unwrap();
    drop(one);

    let other = place.host();
    let runs = history::runs(other.storage(), "acme", Some("probe-flow"), 10).unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!((runs[0].id.as_str(), runs[0].outcome.as_deref()), (first.run_id.as_str(), Some("ok")));
    assert!(runs[0].finished_at.is_some(), "{runs:?}");
    assert_eq!(runs[0].summary.as_ref().map(|s| s["synced"].clone()), Some(3.into()), "{runs:?}");
    let records = other
        .activity(&ActivityQuery {
            tenant: Some("acme".into()),
            kind: Some("record".into()),
            run_id: Some(first.run_id.clone()),
            ..Default::default()
        })
        .unwrap();
    let ids_synced: Vec<_> = records.iter().map(|r| (r.source_id.clone(), r.outcome.clone())).collect();
    assert_eq!(ids_synced.len(), 3, "{records:?}");
    assert!(ids_synced.iter().all(|(id, outcome)| id.is_some() && outcome.as_deref() == Some("synced")), "{records:?}");
    let ids = StateScope::new(other.storage().clone(), "acme", "orders");
    assert_eq!(ids.get("order/1001").unwrap().as_deref(), Some("invoice-9"), "the later write wins");
    assert_eq!(ids.keys("order/").unwrap(), ["order/1001", "order/1002"]);
    assert_eq!(ids.get("other/1").unwrap(), None, "deleted");
    assert_eq!(
        StateScope::new(other.storage().clone(), "acme", "probe-flow").get("cursor").unwrap().as_deref(),
        Some("2")
    );

    // The cursor is where the next run starts: the last page, not the first.
    let second = probe_run(&other, 3);
    assert_eq!(second.summary.synced, 1, "{:?}", second.summary);
    let runs = history::runs(other.storage(), "acme", None, 10).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [second.run_id.as_str(), first.run_id.as_str()],
        "newest first"
    );
}

const HOUR: Duration = Duration::from_secs(3600);

fn one_run_of_a_flow_at_a_time_across_processes(place: &Place) {
    let (one, other) = (place.host(), place.host());
    let first = RunLease::acquire(one.storage(), "acme", "orders", "run-1", HOUR).unwrap();
    let refused = RunLease::acquire(other.storage(), "acme", "orders", "run-2", HOUR).err().expect("refused");
    assert!(format!("{refused:#}").contains("already running (run run-1"), "{refused:#}");
    let _stock = RunLease::acquire(other.storage(), "acme", "stock", "run-3", HOUR).expect("another flow runs");
    let _tenant = RunLease::acquire(other.storage(), "bolt", "orders", "run-4", HOUR).expect("another tenant runs");
    drop(first);
    drop(RunLease::acquire(other.storage(), "acme", "orders", "run-2", HOUR).expect("free once the first ended"));

    // Processes asking at the same moment: exactly one gets the lease.
    let storages: Vec<Storage> = (0..8).map(|_| Storage::open(&place.database).unwrap()).collect();
    let start = Arc::new(Barrier::new(storages.len()));
    let taken: Vec<bool> = std::thread::scope(|s| {
        let asking: Vec<_> = storages
            .iter()
            .enumerate()
            .map(|(n, storage)| {
                let start = start.clone();
                s.spawn(move || {
                    start.wait();
                    RunLease::acquire(storage, "acme", "orders", &format!("run-at-once-{n}"), HOUR)
                })
            })
            .collect();
        // Every lease is held until all have asked: none is dropped early.
        let leases: Vec<_> = asking.into_iter().map(|t| t.join().unwrap()).collect();
        leases.iter().map(Result::is_ok).collect()
    });
    assert_eq!(taken.iter().filter(|t| **t).count(), 1, "{taken:?}");
}

/// Parked and synced records of the orders flow of `acme`, in run `run_id`.
fn record_outcomes(storage: &Storage, run_id: &str, outcomes: &[(&str, &str)]) {
    let ctx = RunContext { tenant: "acme".into(), run_id: run_id.into(), component: "orders".into() };
    let budget = LogBudget { bytes: 1 << 20, lines: 100 };
    let mut writer = ActivityWriter::new(storage.clone(), ctx, ComponentConfig::default(), budget);
    for (id, outcome) in outcomes {
        let event = RecordEvent {
            record_kind: "order".into(),
            source_id: id.to_string(),
            outcome: outcome.to_string(),
            detail: "no article for SKU-1".into(),
            ..RecordEvent::default()
        };
        writer.record(event).unwrap();
    }
    writer.flush();
}

/// What `trestle serve` keeps beside the runs: the incident register with
/// its deliveries, the API's tokens, and a tenant's erasure.
fn incidents_their_notices_tokens_and_erasure(place: &Place) {
    let storage = place.host().storage().clone();
    let incidents = Incidents::new(storage.clone()).unwrap();
    let three = Thresholds { failures_in_a_row: 3 };
    let revoked = || -> anyhow::Result<RunReport> {
        Err(FlowStopped { flow: "orders".into(), error: ContractError::Auth("the grant was revoked".into()) }.into())
    };
    let opened = incidents.after_run("acme", "orders", &revoked(), three).unwrap();
    assert_eq!(opened.iter().map(|n| (n.event, n.incident.kind)).collect::<Vec<_>>(), [("opened", "failing")]);
    assert!(
        incidents.after_run("acme", "orders", &revoked(), three).unwrap().is_empty(),
        "one incident, not one a run"
    );
    let waiting = incidents.undelivered("acme", "webhook").unwrap();
    assert_eq!(waiting, opened);
    incidents.delivered(&waiting[0], "webhook", Err("503 from the receiver".into())).unwrap();
    assert_eq!(incidents.undelivered("acme", "webhook").unwrap().len(), 1, "a failed delivery is tried again");
    incidents.delivered(&waiting[0], "webhook", Ok(())).unwrap();
    assert!(incidents.undelivered("acme", "webhook").unwrap().is_empty());

    record_outcomes(&storage, "r1", &[("1001", "parked"), ("1002", "parked")]);
    record_outcomes(&storage, "r2", &[("1002", "synced")]);
    let parked: Vec<String> = incidents.parked("acme", "orders").unwrap().into_iter().map(|w| w.source_id).collect();
    assert_eq!(parked, ["1001"]);
    let stalled = incidents.check_stall("acme", "orders", Duration::ZERO).unwrap();
    assert_eq!(stalled.iter().map(|n| (n.event, n.incident.kind)).collect::<Vec<_>>(), [("opened", "stalled")]);
    let summary = Summary { synced: 1, skipped: 0, parked: 0, failed: 0, notes: Vec::new() };
    let good = Ok(RunReport { run_id: "r3".into(), summary, lost_activity: None });
    let closed = incidents.after_run("acme", "orders", &good, three).unwrap();
    assert_eq!(closed.iter().map(|n| (n.event, n.incident.kind)).collect::<Vec<_>>(), [("closed", "failing")]);
    assert_eq!(incidents.open("acme").unwrap().iter().map(|i| i.kind).collect::<Vec<_>>(), ["stalled"]);

    let tokens = TenantTokens::new(storage.clone()).unwrap();
    let token = tokens.issue("acme").unwrap();
    assert_eq!(tokens.tenant_of(&token).unwrap().as_deref(), Some("acme"));
    let erased = retention::erase_tenant(&storage, "acme").unwrap();
    assert!(erased.rows.contains(&("incidents", 2)) && erased.rows.contains(&("activity", 3)), "{erased:?}");
    assert!(incidents.open("acme").unwrap().is_empty() && incidents.undelivered("acme", "webhook").unwrap().is_empty());
    tokens.revoke("acme").unwrap();
    assert_eq!(tokens.tenant_of(&token).unwrap(), None);
}

/// Every row of every table, as text.
fn everything_stored(storage: &Storage) -> String {
    let tables: Vec<String> = storage
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", args![], |r| r.get(0))
        .unwrap();
    assert!(tables.contains(&"activity".to_string()), "{tables:?}");
    let mut text = String::new();
    for table in tables {
        for row in storage.rows(&format!("SELECT * FROM \"{table}\""), args![]).unwrap() {
            for value in row.values {
                if let Value::Text(t) = value {
                    text.push_str(&t);
                    text.push('\n');
                }
            }
        }
    }
    text
}

#[test]
fn the_postgres_password_is_in_no_message_and_no_row() {
    let password = trestle_e2e::postgres::password();
    let place = Place::postgres();
    let Database::Postgres(url) = &place.database else { unreachable!() };
    let host = place.host();
    assert!(host.storage().describe().contains(&url.redacted()), "{}", host.storage().describe());
    assert!(!host.storage().describe().contains(password));
    let options = format!("{:?}", HostOptions { database: Some(place.database.clone()), cache_dir: None });
    assert!(!options.contains(password), "{options}");
    probe_run(&host, 2);
    assert!(!everything_stored(host.storage()).contains(password));

    // Refused: a wrong password, and no server at all. Both name the
    // database, neither shows a password.
    let given = trestle_e2e::postgres::fresh_database().url().to_string();
    let wrong = given.replace(password, "not-the-password");
    let err = format!("{:#}", Storage::open(&Database::parse(&wrong)).err().expect("a wrong password is refused"));
    assert!(err.contains("password authentication failed") && err.contains("postgres://trestle@127.0.0.1"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    let port = given.rsplit_once(':').unwrap().1.split('/').next().unwrap().to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = given.replace(&format!(":{port}/"), &format!(":{closed}/"));
    let err = format!("{:#}", Storage::open(&Database::parse(&nowhere)).err().expect("no server there"));
    assert!(err.contains(&format!("127.0.0.1:{closed}")) && !err.contains(password), "{err}");
}

#[test]
fn processes_starting_together_on_an_empty_postgres_database_all_open_it() {
    let place = Place::postgres();
    let start = Barrier::new(4);
    std::thread::scope(|s| {
        let opening: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    Storage::open(&place.database).map(|_| ()).map_err(|e| format!("{e:#}"))
                })
            })
            .collect();
        for opened in opening {
            opened.join().unwrap().expect("every process opens the database");
        }
    });
}
