//! Incidents: a flow whose runs fail, whose records wait too long, or whose
//! documents book with totals other than the shop's has an open incident,
//! with an explanation in the owner's words and the next step. It opens
//! once and closes once on recovery, so whoever is told (see the CLI's
//! alert channels) hears of each opening and closing once, not of every run.
//! Each notice is remembered per channel until it was delivered, so a mail
//! server that is down delays a notice and never loses it.

mod explain;
pub mod rules;

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::args;
use crate::run::{FlowStopped, RunReport};
use crate::storage::{Row, Sql, Storage};
pub use rules::{Cause, IncidentKind, Thresholds, WaitingRecord};
use rules::{Decision, RunFacts};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    flow        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,
    explanation TEXT NOT NULL,
    next_step   TEXT NOT NULL,
    closed_why  TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_incident ON incidents (tenant, flow, kind) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS flow_health (
    tenant            TEXT NOT NULL,
    flow              TEXT NOT NULL,
    failures_in_a_row INTEGER NOT NULL,
    PRIMARY KEY (tenant, flow)
);
CREATE TABLE IF NOT EXISTS incident_notices (
    incident_id INTEGER NOT NULL,
    event       TEXT NOT NULL,
    channel     TEXT NOT NULL,
    sent_at     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    PRIMARY KEY (incident_id, event, channel)
);
";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub tenant: String,
    pub flow: String,
    pub kind: &'static str,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub explanation: String,
    pub next_step: String,
    /// Why it closed ("run ... finished without failing").
    pub closed_why: Option<String>,
}

/// An incident that opened or closed: what a channel tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// "opened" or "closed".
    pub event: &'static str,
    pub incident: Incident,
}

/// The incident register of one database.
#[derive(Clone)]
pub struct Incidents {
    storage: Storage,
}

impl Incidents {
    pub fn new(storage: Storage) -> anyhow::Result<Self> {
        storage
            .create_tables(SCHEMA)
            .with_context(|| format!("cannot create the incident tables in {}", storage.describe()))?;
        Ok(Self { storage })
    }

    /// Opens and closes the flow's incidents after a run (or an attempt to
    /// start one that failed before the run began); returns what changed.
    pub fn after_run(
        &self,
        tenant: &str,
        flow: &str,
        result: &anyhow::Result<RunReport>,
        thresholds: Thresholds,
    ) -> anyhow::Result<Vec<Notice>> {
        let failures_in_a_row = self.count_failure(tenant, flow, result.is_err())?;
        let facts = match result {
            Ok(report) => RunFacts {
                run_id: report.run_id.clone(),
                failure: None,
                failures_in_a_row,
                synced: report.summary.synced,
                mismatched: self.mismatched(tenant, &report.run_id)?,
            },
            Err(e) => RunFacts {
                failure: Some(match e.downcast_ref::<FlowStopped>() {
                    Some(stopped) => Cause::of_contract_error(&stopped.error),
                    None => Cause::Other(format!("{e:#}")),
                }),
                failures_in_a_row,
                ..RunFacts::default()
            },
        };
        let open = self.open_kinds(tenant, flow)?;
        let decisions = rules::after_run(&facts, thresholds, &open);
        decisions.into_iter().map(|d| self.apply(tenant, flow, d)).collect()
    }

    /// Opens or closes the flow's stall incident: records still waiting
    /// (parked) for longer than `allowed`.
    pub fn check_stall(&self, tenant: &str, flow: &str, allowed: Duration) -> anyhow::Result<Vec<Notice>> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(allowed).unwrap_or(chrono::Duration::MAX);
        let waiting = self.waiting_since_before(tenant, flow, &stamp(cutoff))?;
        let open = self.open_kinds(tenant, flow)?;
        rules::stall(&waiting, &open).into_iter().map(|d| self.apply(tenant, flow, d)).collect()
    }

    /// The flow's records parked now (their last outcome), longest waiting first.
    pub fn parked(&self, tenant: &str, flow: &str) -> anyhow::Result<Vec<WaitingRecord>> {
        self.waiting_since_before(tenant, flow, "9999")
    }

    /// The tenant's open incidents, oldest first.
    pub fn open(&self, tenant: &str) -> anyhow::Result<Vec<Incident>> {
        self.storage
            .query(
                &format!("SELECT {COLUMNS} FROM incidents WHERE tenant = ?1 AND closed_at IS NULL ORDER BY id"),
                args![tenant],
                incident_of,
            )
            .with_context(|| format!("cannot read incidents from {}", self.storage.describe()))
    }

    /// Notices of the tenant not yet delivered to `channel`, oldest first
    /// (an incident that opened and closed while the channel was down gives
    /// both, in order).
    pub fn undelivered(&self, tenant: &str, channel: &str) -> anyhow::Result<Vec<Notice>> {
        let sql = format!(
            "SELECT {COLUMNS}, e.event FROM incidents
               JOIN (SELECT 'opened' AS event UNION ALL SELECT 'closed') e
                 ON e.event = 'opened' OR incidents.closed_at IS NOT NULL
              WHERE tenant = ?1
                AND NOT EXISTS (SELECT 1 FROM incident_notices n WHERE n.incident_id = incidents.id
                                AND n.event = e.event AND n.channel = ?2 AND n.sent_at IS NOT NULL)
              ORDER BY incidents.id, e.event = 'closed'"
        );
        self.storage
            .query(&sql, args![tenant, channel], |row| {
                let event: String = row.get(9)?;
                Ok(Notice { event: if event == "opened" { "opened" } else { "closed" }, incident: incident_of(row)? })
            })
            .with_context(|| format!("cannot read notices from {}", self.storage.describe()))
    }

    /// Records a delivery attempt of `notice` to `channel`.
    pub fn delivered(&self, notice: &Notice, channel: &str, outcome: Result<(), String>) -> anyhow::Result<()> {
        let (sent_at, error) = match outcome {
            Ok(()) => (Some(now()), None),
            Err(e) => (None, Some(e)),
        };
        self.storage
            .execute(
                "INSERT INTO incident_notices (incident_id, event, channel, sent_at, attempts, last_error)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5)
                 ON CONFLICT (incident_id, event, channel) DO UPDATE
                   SET sent_at = excluded.sent_at, attempts = incident_notices.attempts + 1, last_error = excluded.last_error",
                args![notice.incident.id, notice.event, channel, sent_at, error],
            )
            .with_context(|| format!("cannot record a notice in {}", self.storage.describe()))?;
        Ok(())
    }

    /// Failed runs in a row, counting this one.
    fn count_failure(&self, tenant: &str, flow: &str, failed: bool) -> anyhow::Result<u32> {
        let count: u32 = self
            .storage
            .query_one(
                "INSERT INTO flow_health (tenant, flow, failures_in_a_row) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant, flow) DO UPDATE
                   SET failures_in_a_row = CASE WHEN ?3 = 0 THEN 0 ELSE flow_health.failures_in_a_row + 1 END
                 RETURNING failures_in_a_row",
                args![tenant, flow, u32::from(failed)],
                |row| row.get(0),
            )
            .with_context(|| format!("cannot count failed runs in {}", self.storage.describe()))?;
        Ok(count)
    }

    fn open_kinds(&self, tenant: &str, flow: &str) -> anyhow::Result<Vec<IncidentKind>> {
        let kinds = self.storage.query(
            "SELECT kind FROM incidents WHERE tenant = ?1 AND flow = ?2 AND closed_at IS NULL",
            args![tenant, flow],
            |row| row.get::<String>(0),
        )?;
        Ok(kinds.iter().filter_map(|k| IncidentKind::parse(k)).collect())
    }

    fn apply(&self, tenant: &str, flow: &str, decision: Decision) -> anyhow::Result<Notice> {
        let conn = &self.storage;
        let in_db = || format!("cannot record an incident in {}", self.storage.describe());
        let (event, id) = match decision {
            Decision::Open { kind, facts } => {
                let said = explain::explain(flow, &facts);
                let id: i64 = conn
                    .query_one(
                        "INSERT INTO incidents (tenant, flow, kind, opened_at, explanation, next_step)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                        args![tenant, flow, kind.as_str(), now(), said.explanation, said.next_step],
                        |row| row.get(0),
                    )
                    .with_context(in_db)?;
                ("opened", id)
            }
            Decision::Close { kind, why } => {
                let id: i64 = conn
                    .query_one(
                        "UPDATE incidents SET closed_at = ?4, closed_why = ?5
                          WHERE tenant = ?1 AND flow = ?2 AND kind = ?3 AND closed_at IS NULL RETURNING id",
                        args![tenant, flow, kind.as_str(), now(), why],
                        |row| row.get(0),
                    )
                    .with_context(in_db)?;
                ("closed", id)
            }
        };
        let incident = conn
            .query_one(&format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1"), args![id], incident_of)
            .with_context(in_db)?;
        Ok(Notice { event, incident })
    }

    /// The records of `run_id` booked with totals other than the source's.
    fn mismatched(&self, tenant: &str, run_id: &str) -> anyhow::Result<Vec<WaitingRecord>> {
        self.storage
            .query(
                "SELECT record_kind, source_id, at, message FROM activity
                  WHERE tenant = ?1 AND run_id = ?2 AND kind = 'record' AND outcome = 'mismatched' ORDER BY id",
                args![tenant, run_id],
                waiting_of,
            )
            .with_context(|| format!("cannot read the run's records from {}", self.storage.describe()))
    }

    /// Records of the flow whose latest outcome is `parked` and that have
    /// been parked since before `cutoff` (since their last other outcome).
    fn waiting_since_before(&self, tenant: &str, flow: &str, cutoff: &str) -> anyhow::Result<Vec<WaitingRecord>> {
        self.storage
            .query(
                "WITH mine AS (
                 SELECT id, record_kind, source_id, outcome, at, message FROM activity
                  WHERE tenant = ?1 AND component = ?2 AND kind = 'record'),
             latest AS (SELECT record_kind, source_id, MAX(id) AS id FROM mine GROUP BY record_kind, source_id),
             still AS (SELECT m.* FROM latest l JOIN mine m ON m.id = l.id WHERE m.outcome = 'parked'),
             since AS (
                 SELECT s.record_kind, s.source_id, s.message,
                        (SELECT MIN(p.at) FROM mine p
                          WHERE p.record_kind = s.record_kind AND p.source_id = s.source_id
                            AND p.id > COALESCE((SELECT MAX(o.id) FROM mine o
                                                  WHERE o.record_kind = s.record_kind AND o.source_id = s.source_id
                                                    AND o.outcome <> 'parked'), 0)) AS at
                   FROM still s)
             SELECT record_kind, source_id, at, message FROM since WHERE at <= ?3 ORDER BY at",
                args![tenant, flow, cutoff],
                waiting_of,
            )
            .with_context(|| format!("cannot read parked records from {}", self.storage.describe()))
    }
}

const COLUMNS: &str = "incidents.id, tenant, flow, kind, opened_at, closed_at, explanation, next_step, closed_why";

fn incident_of(row: &Row) -> anyhow::Result<Incident> {
    let kind: String = row.get(3)?;
    Ok(Incident {
        id: row.get(0)?,
        tenant: row.get(1)?,
        flow: row.get(2)?,
        kind: IncidentKind::parse(&kind).map_or("unknown", IncidentKind::as_str),
        opened_at: row.get(4)?,
        closed_at: row.get(5)?,
        explanation: row.get(6)?,
        next_step: row.get(7)?,
        closed_why: row.get(8)?,
    })
}

/// A record row of the activity log; its message is "<kind> <id> <outcome>: <detail>".
fn waiting_of(row: &Row) -> anyhow::Result<WaitingRecord> {
    let message: String = row.get(3)?;
    let detail = message.split_once(": ").map_or(message.as_str(), |(_, d)| d).to_string();
    Ok(WaitingRecord { record_kind: row.get(0)?, source_id: row.get(1)?, since: row.get(2)?, detail })
}

fn now() -> String {
    stamp(chrono::Utc::now())
}

/// As the activity log writes times, so that they compare as text.
fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests;
