//! What the database keeps of a tenant, and for how long (GDPR): record
//! payloads (the addresses and phone numbers that came from the shop) are
//! forgotten after the tenant's retention period, the rest of the activity
//! log stays as the audit; erasing a tenant removes every row it has.

use std::time::Duration;

use anyhow::Context;

use crate::args;
use crate::incidents::Incidents;
use crate::storage::{Sql, Storage};
use crate::tenants::TenantTokens;

/// Tables with a `tenant` column; every row of an erased tenant goes.
/// Everything kept of a tenant, but the operator's pause (an operator's
/// decision, not the tenant's data: a paused tenant stays paused).
const TENANT_TABLES: &[&str] =
    &["state", "activity", "runs", "run_leases", "incidents", "flow_health", "tenant_tokens"];

/// What erasing a tenant removed, table by table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub rows: Vec<(&'static str, usize)>,
}

impl Erased {
    pub fn total(&self) -> usize {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// Empties the payloads of the tenant's activity entries written more than
/// `older_than` ago (zero: all of them); returns how many.
pub fn forget_payloads(storage: &Storage, tenant: &str, older_than: Duration) -> anyhow::Result<usize> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    storage
        .execute(
            "UPDATE activity SET payload = NULL WHERE tenant = ?1 AND payload IS NOT NULL AND at <= ?2",
            args![tenant, cutoff],
        )
        .map(|n| n as usize)
        .with_context(|| format!("cannot forget old payloads in {}", storage.describe()))
}

/// Removes everything the database holds of `tenant` (right to erasure), in
/// one transaction: all of it or, on an error, nothing.
pub fn erase_tenant(storage: &Storage, tenant: &str) -> anyhow::Result<Erased> {
    // The incident and token tables exist only once a service has run;
    // make sure.
    Incidents::new(storage.clone())?;
    TenantTokens::new(storage.clone())?;
    let in_db = || format!("cannot erase tenant `{tenant}` from {}", storage.describe());
    let erased = storage
        .transaction(|tx| {
            let mut erased = Erased::default();
            let notices = tx.execute(
                "DELETE FROM incident_notices WHERE incident_id IN (SELECT id FROM incidents WHERE tenant = ?1)",
                args![tenant],
            )?;
            erased.rows.push(("incident_notices", notices as usize));
            for table in TENANT_TABLES {
                let n = tx.execute(&format!("DELETE FROM {table} WHERE tenant = ?1"), args![tenant])?;
                erased.rows.push((table, n as usize));
            }
            Ok(erased)
        })
        .with_context(in_db)?;
    // Deleted rows linger in free pages until the file is rewritten.
    storage.compact().with_context(in_db)?;
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage_with(tenants: &[&str]) -> Storage {
        let storage = Storage::in_memory().unwrap();
        let conn = &storage;
        for tenant in tenants {
            for (at, payload) in [("2026-01-01T00:00:00.000000Z", "Jan's address"), (&*now(), "today's address")] {
                conn.execute(
                    "INSERT INTO activity (at, tenant, run_id, component, kind, level, message, payload)
                     VALUES (?1, ?2, 'r', 'orders', 'record', 'info', 'order 1 synced: ', ?3)",
                    args![at, tenant, payload],
                )
                .unwrap();
            }
            conn.execute("INSERT INTO state VALUES (?1, 'books', 'refresh_token', 'tok')", args![tenant]).unwrap();
            conn.execute(
                "INSERT INTO runs (id, tenant, flow, started_at) VALUES (?1, ?1, 'orders', 'x')",
                args![tenant],
            )
            .unwrap();
        }
        storage
    }

    fn now() -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }

    fn payloads(storage: &Storage, tenant: &str) -> Vec<String> {
        storage
            .query(
                "SELECT payload FROM activity WHERE tenant = ?1 AND payload IS NOT NULL ORDER BY id",
                args![tenant],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn payloads_past_the_retention_period_are_forgotten_and_the_entries_stay() {
        let storage = storage_with(&["t1", "t2"]);
        let thirty_days = Duration::from_secs(30 * 86_400);
        assert_eq!(forget_payloads(&storage, "t1", thirty_days).unwrap(), 1);
        assert_eq!(payloads(&storage, "t1"), ["today's address"]);
        assert_eq!(payloads(&storage, "t2").len(), 2, "another tenant keeps its own period");
        let entries: i64 =
            storage.query_one("SELECT COUNT(*) FROM activity WHERE tenant = 't1'", args![], |r| r.get(0)).unwrap();
        assert_eq!(entries, 2, "the audit entries stay");
        assert_eq!(forget_payloads(&storage, "t1", Duration::ZERO).unwrap(), 1, "zero keeps none");
        assert!(payloads(&storage, "t1").is_empty());
    }

    #[test]
    fn erasing_a_tenant_removes_all_its_rows_and_nothing_of_another() {
        let storage = storage_with(&["t1", "t2"]);
        let tokens = TenantTokens::new(storage.clone()).unwrap();
        let (gone, kept) = (tokens.issue("t1").unwrap(), tokens.issue("t2").unwrap());
        let erased = erase_tenant(&storage, "t1").unwrap();
        assert_eq!(erased.total(), 5, "{erased:?}");
        assert!(erased.rows.contains(&("tenant_tokens", 1)), "its API token goes too: {erased:?}");
        assert_eq!(tokens.tenant_of(&gone).unwrap(), None, "the erased tenant's token opens nothing");
        assert_eq!(tokens.tenant_of(&kept).unwrap().as_deref(), Some("t2"));
        assert!(erased.rows.contains(&("activity", 2)) && erased.rows.contains(&("state", 1)), "{erased:?}");
        let left = |table: &str| -> i64 {
            storage
                .query_one(&format!("SELECT COUNT(*) FROM {table} WHERE tenant = 't1'"), args![], |r| r.get(0))
                .unwrap()
        };
        for table in TENANT_TABLES {
            assert_eq!(left(table), 0, "{table}");
        }
        assert_eq!(payloads(&storage, "t2").len(), 2);
        assert_eq!(erase_tenant(&storage, "t1").unwrap().total(), 0, "erasing twice finds nothing");
    }
}
