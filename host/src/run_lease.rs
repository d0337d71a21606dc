//! One run of a flow per tenant at a time, across every process sharing the
//! database (`trestle serve` and a `trestle run` by hand, say): two runs of
//! the orders flow side by side could both find an order absent in the books
//! and both create it. A lease row per tenant and flow names its holder; a
//! holder that is gone (a killed process on this machine) or whose lease
//! outlived the run's time limit is taken over, so a crash never blocks the
//! next run.

use std::time::Duration;

use crate::args;
use crate::storage::{Sql, Storage};

pub struct RunLease {
    storage: Storage,
    tenant: String,
    flow: String,
    run_id: String,
}

/// The lease is held: said as it is, without naming the database.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct AlreadyRunning(String);

/// Who holds a lease: enough to tell whether it is still alive.
struct Holder {
    run_id: String,
    pid: u32,
    machine: String,
    since: String,
    expires_at: i64,
}

impl RunLease {
    /// Takes the lease for a run that may last up to `longest`, or says who
    /// holds it.
    pub fn acquire(
        storage: &Storage,
        tenant: &str,
        flow: &str,
        run_id: &str,
        longest: Duration,
    ) -> anyhow::Result<Self> {
        let in_db = || format!("cannot take the run lease in {}", storage.describe());
        storage
            .write_transaction(|tx| {
                let holder = tx.query_opt(
                    "SELECT run_id, pid, machine, since, expires_at FROM run_leases WHERE tenant = ?1 AND flow = ?2",
                    args![tenant, flow],
                    |row| {
                        Ok(Holder {
                            run_id: row.get(0)?,
                            pid: row.get(1)?,
                            machine: row.get(2)?,
                            since: row.get(3)?,
                            expires_at: row.get(4)?,
                        })
                    },
                )?;
                let now = chrono::Utc::now();
                if let Some(h) = holder
                    && h.expires_at > now.timestamp()
                    // A holder on another machine is trusted until its lease expires.
                    && (h.machine != machine() || process_alive(h.pid))
                {
                    return Err(AlreadyRunning(format!(
                        "flow `{flow}` of tenant `{tenant}` is already running (run {}, process {} on {}, since {}); \
                         one run at a time keeps records from being written twice: wait for it to finish",
                        h.run_id, h.pid, h.machine, h.since
                    ))
                    .into());
                }
                let expires_at = now.timestamp() + i64::try_from(longest.as_secs()).unwrap_or(i64::MAX / 2) + 60;
                tx.execute(
                    "INSERT INTO run_leases (tenant, flow, run_id, pid, machine, since, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (tenant, flow) DO UPDATE SET run_id = excluded.run_id, pid = excluded.pid, \
                       machine = excluded.machine, since = excluded.since, expires_at = excluded.expires_at",
                    args![tenant, flow, run_id, std::process::id(), machine(), now.to_rfc3339(), expires_at],
                )?;
                Ok(())
            })
            .map_err(|e| if e.is::<AlreadyRunning>() { e } else { e.context(in_db()) })?;
        Ok(RunLease { storage: storage.clone(), tenant: tenant.into(), flow: flow.into(), run_id: run_id.into() })
    }
}

impl Drop for RunLease {
    fn drop(&mut self) {
        // Only our own lease: one taken over after ours expired stays.
        let _ = self.storage.execute(
            "DELETE FROM run_leases WHERE tenant = ?1 AND flow = ?2 AND run_id = ?3",
            args![self.tenant, self.flow, self.run_id],
        );
    }
}

/// This machine's name, to tell whether a holder's process id means
/// anything here.
fn machine() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

/// Whether a process of this machine still runs. Without /proc (not Linux)
/// every holder counts as alive and only its lease's expiry frees it.
fn process_alive(pid: u32) -> bool {
    let proc_fs = std::path::Path::new("/proc/self");
    !proc_fs.exists() || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_second_run_of_the_same_flow_is_refused_until_the_first_ends() {
        let storage = Storage::in_memory().unwrap();
        let first = RunLease::acquire(&storage, "t", "orders", "run-1", HOUR).unwrap();
        let refused = RunLease::acquire(&storage, "t", "orders", "run-2", HOUR).err().unwrap().to_string();
        assert!(refused.contains("already running (run run-1"), "{refused}");
        // Other flows and other tenants are not held back.
        let _stock = RunLease::acquire(&storage, "t", "stock", "run-3", HOUR).unwrap();
        let _other = RunLease::acquire(&storage, "u", "orders", "run-4", HOUR).unwrap();
        drop(first);
        RunLease::acquire(&storage, "t", "orders", "run-2", HOUR).unwrap();
    }

    #[test]
    fn a_lease_left_by_a_killed_process_or_past_its_time_is_taken_over() {
        let storage = Storage::in_memory().unwrap();
        let insert = |pid: u32, expires_at: i64| {
            storage.execute("DELETE FROM run_leases", args![]).unwrap();
            storage
                .execute(
                    "INSERT INTO run_leases VALUES ('t', 'orders', 'old', ?1, ?2, 'then', ?3)",
                    args![pid, machine(), expires_at],
                )
                .unwrap();
        };
        let future = chrono::Utc::now().timestamp() + 3600;
        // A process id no live process has (above the kernel's pid_max).
        insert(u32::MAX - 1, future);
        RunLease::acquire(&storage, "t", "orders", "new", HOUR).expect("the dead holder's lease is taken over");
        insert(std::process::id(), chrono::Utc::now().timestamp() - 1);
        RunLease::acquire(&storage, "t", "orders", "newer", HOUR).expect("an expired lease is taken over");
    }
}
