//! The register against a real (in-memory) database, no wasm.

use std::time::Duration;

use super::*;
use crate::bindings::{ContractError, Summary};
use crate::capabilities::config::ComponentConfig;
use crate::capabilities::log::{ActivityWriter, LogBudget, RecordEvent, RunContext};

const THREE: Thresholds = Thresholds { failures_in_a_row: 3 };

fn register() -> (Storage, Incidents) {
    let storage = Storage::in_memory().unwrap();
    (storage.clone(), Incidents::new(storage).unwrap())
}

fn ok_run(run_id: &str, synced: u32) -> anyhow::Result<RunReport> {
    let summary = Summary { synced, skipped: 0, parked: 0, failed: 0, notes: vec![] };
    Ok(RunReport { run_id: run_id.into(), summary, lost_activity: None })
}

fn stopped(error: ContractError) -> anyhow::Result<RunReport> {
    Err(anyhow::Error::new(FlowStopped { flow: "orders".into(), error }))
}

fn outcomes(storage: &Storage, run_id: &str, records: &[(&str, &str, &str)]) {
    let ctx = RunContext { tenant: "t".into(), run_id: run_id.into(), component: "orders".into() };
    let mut writer =
        ActivityWriter::new(storage.clone(), ctx, ComponentConfig::default(), LogBudget { bytes: 1 << 20, lines: 100 });
    for (id, outcome, detail) in records {
        let event = RecordEvent {
            record_kind: "order".into(),
            source_id: id.to_string(),
            outcome: outcome.to_string(),
            detail: detail.to_string(),
            ..RecordEvent::default()
        };
        writer.record(event).unwrap();
    }
    writer.flush();
}

#[test]
fn a_revoked_grant_opens_one_incident_that_the_next_good_run_closes() {
    let (_, incidents) = register();
    let revoked = || stopped(ContractError::Auth("the authorization was revoked; reconnect".into()));
    let opened = incidents.after_run("t", "orders", &revoked(), THREE).unwrap();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].event, "opened");
    assert_eq!(opened[0].incident.kind, "failing");
    assert!(opened[0].incident.explanation.contains("cannot sign in: the authorization was revoked; reconnect"));
    assert!(incidents.after_run("t", "orders", &revoked(), THREE).unwrap().is_empty(), "no second opening");
    assert_eq!(incidents.open("t").unwrap().len(), 1);

    let closed = incidents.after_run("t", "orders", &ok_run("r2", 0), THREE).unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].event, "closed");
    assert_eq!(closed[0].incident.id, opened[0].incident.id);
    assert!(incidents.open("t").unwrap().is_empty());
}

#[test]
fn an_api_that_is_down_opens_an_incident_at_the_third_failure_in_a_row() {
    let (_, incidents) = register();
    let down = || stopped(ContractError::Transient("the books answered 503".into()));
    assert!(incidents.after_run("t", "orders", &down(), THREE).unwrap().is_empty());
    assert!(incidents.after_run("t", "orders", &down(), THREE).unwrap().is_empty());
    incidents.after_run("t", "orders", &ok_run("r", 0), THREE).unwrap();
    assert!(incidents.after_run("t", "orders", &down(), THREE).unwrap().is_empty(), "a good run resets the count");
    assert!(incidents.after_run("t", "orders", &down(), THREE).unwrap().is_empty());
    let third = incidents.after_run("t", "orders", &down(), THREE).unwrap();
    assert_eq!(third.len(), 1);
    assert!(third[0].incident.explanation.contains("could not reach an API (3 runs in a row): the books answered 503"));
    assert!(incidents.after_run("t", "stock", &down(), THREE).unwrap().is_empty(), "flows count apart");
}

#[test]
fn a_run_that_could_not_start_counts_as_failed_with_its_reason() {
    let (_, incidents) = register();
    let broken =
        || -> anyhow::Result<RunReport> { Err(anyhow::anyhow!("the tenant config names no connection `shop`")) };
    incidents.after_run("t", "orders", &broken(), THREE).unwrap();
    incidents.after_run("t", "orders", &broken(), THREE).unwrap();
    let opened = incidents.after_run("t", "orders", &broken(), THREE).unwrap();
    assert!(
        opened[0]
            .incident
            .explanation
            .ends_with("failed (3 runs in a row): the tenant config names no connection `shop`")
    );
}

#[test]
fn mismatched_documents_are_named_in_the_incident() {
    let (storage, incidents) = register();
    outcomes(&storage, "r1", &[("4021", "mismatched", "books 100.01, shop 100.00"), ("4022", "synced", "")]);
    let opened = incidents.after_run("t", "orders", &ok_run("r1", 2), THREE).unwrap();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].incident.kind, "mismatched");
    assert!(opened[0].incident.explanation.contains("order 4021 (since "));
    assert!(opened[0].incident.explanation.contains("books 100.01, shop 100.00"));
    assert!(!opened[0].incident.explanation.contains("4022"));
}

#[test]
fn records_parked_too_long_stall_the_flow_until_they_are_synced() {
    let (storage, incidents) = register();
    outcomes(&storage, "r1", &[("7", "parked", "article SKU-9 is not in the books"), ("8", "synced", "")]);
    assert!(incidents.check_stall("t", "orders", Duration::from_secs(3600)).unwrap().is_empty(), "not long yet");
    let opened = incidents.check_stall("t", "orders", Duration::ZERO).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].incident.explanation.contains("1 record is waiting"));
    assert!(opened[0].incident.explanation.contains("order 7 (since "));
    assert!(opened[0].incident.explanation.contains("article SKU-9 is not in the books"));
    assert!(incidents.check_stall("t", "orders", Duration::ZERO).unwrap().is_empty(), "opened once");

    outcomes(&storage, "r2", &[("7", "parked", "still missing")]);
    assert!(incidents.check_stall("t", "orders", Duration::ZERO).unwrap().is_empty(), "parked again: still waiting");
    outcomes(&storage, "r3", &[("7", "synced", "")]);
    let closed = incidents.check_stall("t", "orders", Duration::ZERO).unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].event, "closed");
}

#[test]
fn a_notice_stays_undelivered_on_a_channel_until_it_was_sent() {
    let (_, incidents) = register();
    let revoked = stopped(ContractError::Auth("revoked".into()));
    incidents.after_run("t", "orders", &revoked, THREE).unwrap();
    let waiting = incidents.undelivered("t", "email").unwrap();
    assert_eq!(waiting.len(), 1);
    incidents.delivered(&waiting[0], "email", Err("connection refused".into())).unwrap();
    assert_eq!(incidents.undelivered("t", "email").unwrap().len(), 1, "a failed attempt is tried again");
    incidents.after_run("t", "orders", &ok_run("r", 0), THREE).unwrap();
    let both: Vec<&str> = incidents.undelivered("t", "email").unwrap().iter().map(|n| n.event).collect();
    assert_eq!(both, ["opened", "closed"], "in order");
    for notice in incidents.undelivered("t", "email").unwrap() {
        incidents.delivered(&notice, "email", Ok(())).unwrap();
    }
    assert!(incidents.undelivered("t", "email").unwrap().is_empty());
    assert_eq!(incidents.undelivered("t", "webhook").unwrap().len(), 2, "channels are apart");
    assert!(incidents.undelivered("other", "email").unwrap().is_empty(), "tenants are apart");
}
