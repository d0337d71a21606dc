//! What a tenant's runs did, read back for the API: its runs from the
//! `runs` table and its record outcomes from the activity log.

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::args;
use crate::capabilities::log::{ActivityQuery, query};
use crate::storage::{Sql, Storage};

/// One run as the `runs` table keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub flow: String,
    pub started_at: String,
    /// `None` while it runs (or if its process died mid-run).
    pub finished_at: Option<String>,
    /// "ok", "failed", "dry-run", "dry-run failed"; `None` while it runs.
    pub outcome: Option<String>,
    /// Its counts and notes, or its error.
    pub summary: Option<Value>,
}

/// What a run did to one record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordOutcome {
    pub at: String,
    pub run_id: String,
    pub flow: String,
    pub record_kind: Option<String>,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    /// synced, skipped, parked or failed.
    pub outcome: Option<String>,
    pub message: String,
    /// The record as the flow reported it; `None` once past retention.
    pub payload: Option<Value>,
}

/// The tenant's newest runs first, of one flow or all.
pub fn runs(storage: &Storage, tenant: &str, flow: Option<&str>, limit: usize) -> anyhow::Result<Vec<RunRecord>> {
    storage
        .query(
            "SELECT id, flow, started_at, finished_at, outcome, summary FROM runs
              WHERE tenant = ?1 AND (flow = ?2 OR ?2 IS NULL) ORDER BY started_at DESC, id DESC LIMIT ?3",
            args![tenant, flow, limit as i64],
            |r| {
                let summary: Option<String> = r.get(5)?;
                Ok(RunRecord {
                    id: r.get(0)?,
                    flow: r.get(1)?,
                    started_at: r.get(2)?,
                    finished_at: r.get(3)?,
                    outcome: r.get(4)?,
                    summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
                })
            },
        )
        .with_context(|| format!("cannot read runs from {}", storage.describe()))
}

/// Which record outcomes to read; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub flow: Option<String>,
    pub outcome: Option<String>,
    pub source_id: Option<String>,
    pub run_id: Option<String>,
    pub limit: usize,
}

/// The tenant's record outcomes, oldest first; `redact` is applied to
/// every message and payload on the way out.
pub fn records(
    storage: &Storage,
    tenant: &str,
    q: &RecordQuery,
    redact: impl Fn(&str) -> String,
) -> anyhow::Result<Vec<RecordOutcome>> {
    let entries = query(
        storage,
        &ActivityQuery {
            tenant: Some(tenant.to_string()),
            run_id: q.run_id.clone(),
            component: q.flow.clone(),
            kind: Some("record".into()),
            source_id: q.source_id.clone(),
            outcome: q.outcome.clone(),
            limit: Some(q.limit),
            ..ActivityQuery::default()
        },
    )?;
    Ok(entries
        .into_iter()
        .map(|e| RecordOutcome {
            at: e.at,
            run_id: e.run_id,
            flow: e.component,
            record_kind: e.record_kind,
            source_id: e.source_id,
            target_id: e.target_id,
            outcome: e.outcome,
            message: redact(&e.message),
            payload: e.payload.map(|p| {
                let p = redact(&p);
                serde_json::from_str(&p).unwrap_or(Value::String(p))
            }),
        })
        .collect())
}
