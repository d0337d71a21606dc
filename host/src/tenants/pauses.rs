//! Which tenants the operator paused, in the database: a restart, or an
//! edit of the tenant's file, does not resume a paused tenant.

use crate::args;
use crate::storage::{Sql, Storage};
use anyhow::Context;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenant_pauses (
    tenant TEXT PRIMARY KEY,
    since  TEXT NOT NULL
);
";

#[derive(Clone)]
pub struct Pauses {
    storage: Storage,
}

impl Pauses {
    pub fn new(storage: Storage) -> anyhow::Result<Self> {
        storage
            .create_tables(SCHEMA)
            .with_context(|| format!("cannot create the tenant pauses table in {}", storage.describe()))?;
        Ok(Self { storage })
    }

    pub fn paused(&self, tenant: &str) -> anyhow::Result<bool> {
        let found = self
            .storage
            .query_opt("SELECT 1 FROM tenant_pauses WHERE tenant = ?1", args![tenant], |_| Ok(()))
            .with_context(|| format!("cannot read the tenant pauses in {}", self.storage.describe()))?;
        Ok(found.is_some())
    }

    pub fn pause(&self, tenant: &str) -> anyhow::Result<()> {
        let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.storage
            .execute(
                "INSERT INTO tenant_pauses (tenant, since) VALUES (?1, ?2) ON CONFLICT (tenant) DO NOTHING",
                args![tenant, since],
            )
            .with_context(|| format!("cannot pause tenant `{tenant}` in {}", self.storage.describe()))?;
        Ok(())
    }

    pub fn resume(&self, tenant: &str) -> anyhow::Result<()> {
        self.storage
            .execute("DELETE FROM tenant_pauses WHERE tenant = ?1", args![tenant])
            .with_context(|| format!("cannot resume tenant `{tenant}` in {}", self.storage.describe()))?;
        Ok(())
    }
}
