//! `trestle:sync/state`: key-value state namespaced per tenant and connection.
//! Every query is bound to the scope, so one tenant can never name another
//! tenant's keys, whatever key string it sends. A dry run's scope keeps its
//! writes in memory (`planned`): the run reads its own writes, the database
//! never sees them. A Store holds a `StateCapability`: its scope, if its
//! kind has state (mapping modules have none).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::args;
use crate::bindings::trestle::sync::state;
use crate::sealing;
use crate::storage::{Sql, Storage};

/// A dry run's writes: key -> value set (`Some`) or deleted (`None`).
type Overlay = BTreeMap<String, Option<String>>;

#[derive(Clone)]
pub struct StateScope {
    storage: Storage,
    tenant: String,
    namespace: String,
    /// Dry run only: what this run wrote.
    overlay: Option<Arc<Mutex<Overlay>>>,
}

impl StateScope {
    pub fn new(storage: Storage, tenant: &str, namespace: &str) -> Self {
        Self { storage, tenant: tenant.to_string(), namespace: namespace.to_string(), overlay: None }
    }

    /// The same scope for a dry run: it reads the database and its own
    /// writes, and writes nothing.
    pub fn planned(self) -> Self {
        Self { overlay: Some(Arc::default()), ..self }
    }

    fn overlaid(&self) -> Option<std::sync::MutexGuard<'_, Overlay>> {
        self.overlay.as_ref().map(|o| o.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn get(&self, key: &str) -> anyhow::Result<Option<String>> {
        if let Some(written) = self.overlaid().and_then(|o| o.get(key).cloned()) {
            return Ok(written);
        }
        let stored: Option<String> = self
            .storage
            .query_opt(
                "SELECT value FROM state WHERE tenant = ?1 AND namespace = ?2 AND key = ?3",
                args![self.tenant, self.namespace, key],
                |r| r.get(0),
            )
            .with_context(|| format!("cannot read state `{key}` from {}", self.storage.describe()))?;
        stored.map(|value| self.open(key, value)).transpose()
    }

    fn binding(&self, key: &str) -> String {
        sealing::binding(&self.tenant, &self.namespace, key)
    }

    fn open(&self, key: &str, stored: String) -> anyhow::Result<String> {
        let what = format!("state `{key}` of `{}` (tenant {})", self.namespace, self.tenant);
        sealing::open(self.storage.state_keys(), &what, &self.binding(key), stored)
    }

    pub fn set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        if let Some(mut overlay) = self.overlaid() {
            overlay.insert(key.to_string(), Some(value.to_string()));
            return Ok(());
        }
        let stored = match self.storage.state_keys() {
            Some(keys) => keys.seal(&self.binding(key), value),
            None => value.to_string(),
        };
        self.storage
            .execute(
                "INSERT INTO state (tenant, namespace, key, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant, namespace, key) DO UPDATE SET value = excluded.value",
                args![self.tenant, self.namespace, key, stored],
            )
            .with_context(|| format!("cannot write state `{key}` to {}", self.storage.describe()))?;
        Ok(())
    }

    pub fn delete(&self, key: &str) -> anyhow::Result<()> {
        if let Some(mut overlay) = self.overlaid() {
            overlay.insert(key.to_string(), None);
            return Ok(());
        }
        self.storage
            .execute(
                "DELETE FROM state WHERE tenant = ?1 AND namespace = ?2 AND key = ?3",
                args![self.tenant, self.namespace, key],
            )
            .with_context(|| format!("cannot delete state `{key}` from {}", self.storage.describe()))?;
        Ok(())
    }

    pub fn keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut keys: Vec<String> = self
            .storage
            .query(
                "SELECT key FROM state WHERE tenant = ?1 AND namespace = ?2 AND substr(key, 1, length(?3)) = ?3
                 ORDER BY key",
                args![self.tenant, self.namespace, prefix],
                |r| r.get(0),
            )
            .with_context(|| format!("cannot list state from {}", self.storage.describe()))?;
        if let Some(overlay) = self.overlaid() {
            let mut merged: std::collections::BTreeSet<String> = keys.into_iter().collect();
            for (key, value) in overlay.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)) {
                match value {
                    Some(_) => merged.insert(key.clone()),
                    None => merged.remove(key),
                };
            }
            keys = merged.into_iter().collect();
        }
        Ok(keys)
    }
}

/// Seals every state value of `tenant` not sealed with the current key
/// (after a key rotation, or values written before keys were set), in one
/// transaction; returns how many it rewrote.
pub fn reseal_tenant(storage: &Storage, tenant: &str) -> anyhow::Result<usize> {
    let Some(keys) = storage.state_keys() else {
        anyhow::bail!("no state keys are set: set {} to the keys to seal with", sealing::KEYS_VAR);
    };
    let in_db = || format!("cannot reseal the state of tenant `{tenant}` in {}", storage.describe());
    let resealed = storage
        .transaction(|tx| {
            let rows: Vec<(String, String, String)> =
                tx.query("SELECT namespace, key, value FROM state WHERE tenant = ?1", args![tenant], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            let mut resealed = 0;
            for (namespace, key, stored) in rows.into_iter().filter(|(_, _, v)| keys.needs_resealing(v)) {
                let bound = sealing::binding(tenant, &namespace, &key);
                let what = format!("state `{key}` of `{namespace}` (tenant {tenant})");
                let value = sealing::open(Some(keys), &what, &bound, stored)?;
                tx.execute(
                    "UPDATE state SET value = ?4 WHERE tenant = ?1 AND namespace = ?2 AND key = ?3",
                    args![tenant, namespace, key, keys.seal(&bound, &value)],
                )?;
                resealed += 1;
            }
            Ok(resealed)
        })
        .with_context(in_db)?;
    Ok(resealed)
}

/// A Store's state: its scope, or none (named in the error a call gets).
pub struct StateCapability {
    scope: Option<StateScope>,
    owner: String,
}

impl StateCapability {
    /// `namespace`: the connection's or flow's name in the tenant config;
    /// `planned`: a dry run's scope, which writes nothing.
    pub fn prepare(storage: Storage, tenant: &str, namespace: &str, planned: bool) -> Self {
        let scope = StateScope::new(storage, tenant, namespace);
        Self { scope: Some(if planned { scope.planned() } else { scope }), owner: namespace.to_string() }
    }

    /// No state at all; `owner` names the component in the error.
    pub fn none(owner: String) -> Self {
        Self { scope: None, owner }
    }

    pub fn scope(&self) -> wasmtime::Result<&StateScope> {
        self.scope.as_ref().ok_or_else(|| wasmtime::format_err!("{} has no state", self.owner))
    }
}

link_interface!(state, StateCapability);

impl state::Host for StateCapability {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.scope()?.get(&key).map_err(wasmtime::Error::from_anyhow)
    }

    fn set(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        self.scope()?.set(&key, &value).map_err(wasmtime::Error::from_anyhow)
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        self.scope()?.delete(&key).map_err(wasmtime::Error::from_anyhow)
    }

    fn keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        self.scope()?.keys(&prefix).map_err(wasmtime::Error::from_anyhow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealing::StateKeys;

    fn raw(storage: &Storage, key: &str) -> String {
        storage.query_one("SELECT value FROM state WHERE key = ?1", args![key], |r| r.get(0)).unwrap()
    }

    #[test]
    fn with_keys_set_values_are_sealed_in_the_database_and_read_back_as_written() {
        let storage = Storage::in_memory().unwrap();
        let before = StateScope::new(storage.clone(), "t", "books");
        before.set("old", "written before the keys").unwrap();
        let (k1, k2) = (StateKeys::new_entry("k1"), StateKeys::new_entry("k2"));
        storage.seal_state_with(StateKeys::parse(&k1).unwrap()).unwrap();
        let scope = StateScope::new(storage.clone(), "t", "books");
        scope.set("refresh_token", "rt-very-secret").unwrap();
        assert!(raw(&storage, "refresh_token").starts_with("sealed:v1:k1:"));
        assert!(!raw(&storage, "refresh_token").contains("rt-very-secret"));
        assert_eq!(scope.get("refresh_token").unwrap().as_deref(), Some("rt-very-secret"));
        assert_eq!(scope.get("old").unwrap().as_deref(), Some("written before the keys"));
        assert_eq!(reseal_tenant(&storage, "t").unwrap(), 1, "the value from before is sealed now");
        assert!(raw(&storage, "old").starts_with("sealed:v1:k1:"));

        // Rotation: the same rows under a process with k2 first and k1
        // kept to open; resealing moves all to k2.
        let rows: Vec<(String, String)> =
            storage.query("SELECT key, value FROM state", args![], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        let next = Storage::in_memory().unwrap();
        for (key, value) in &rows {
            next.execute("INSERT INTO state VALUES ('t', 'books', ?1, ?2)", args![key, value]).unwrap();
        }
        next.seal_state_with(StateKeys::parse(&format!("{k2},{k1}")).unwrap()).unwrap();
        let scope = StateScope::new(next.clone(), "t", "books");
        assert_eq!(scope.get("refresh_token").unwrap().as_deref(), Some("rt-very-secret"), "opens with the old key");
        assert_eq!(reseal_tenant(&next, "t").unwrap(), 2);
        assert!(raw(&next, "refresh_token").starts_with("sealed:v1:k2:"));
        assert_eq!(reseal_tenant(&next, "t").unwrap(), 0, "nothing left to reseal");
    }

    #[test]
    fn tenants_and_connections_never_see_each_others_keys() {
        let storage = Storage::in_memory().unwrap();
        let a = StateScope::new(storage.clone(), "tenant-a", "shop");
        let b = StateScope::new(storage.clone(), "tenant-b", "shop");
        let a2 = StateScope::new(storage, "tenant-a", "books");
        a.set("cursor", "41").unwrap();
        b.set("cursor", "7").unwrap();
        assert_eq!(a.get("cursor").unwrap().as_deref(), Some("41"));
        assert_eq!(b.get("cursor").unwrap().as_deref(), Some("7"));
        assert_eq!(a2.get("cursor").unwrap(), None);
        a.set("cursor", "42").unwrap();
        assert_eq!(a.get("cursor").unwrap().as_deref(), Some("42"));
        assert_eq!(b.keys("").unwrap(), vec!["cursor".to_string()]);
        a.delete("cursor").unwrap();
        assert_eq!(a.get("cursor").unwrap(), None);
        assert_eq!(b.get("cursor").unwrap().as_deref(), Some("7"));
    }

    #[test]
    fn a_planned_scope_reads_its_own_writes_and_leaves_the_database_alone() {
        let storage = Storage::in_memory().unwrap();
        let real = StateScope::new(storage.clone(), "t", "orders");
        real.set("map/1", "a").unwrap();
        real.set("map/2", "b").unwrap();
        let plan = StateScope::new(storage, "t", "orders").planned();
        plan.set("map/3", "c").unwrap();
        plan.set("map/1", "changed").unwrap();
        plan.delete("map/2").unwrap();
        assert_eq!(plan.get("map/1").unwrap().as_deref(), Some("changed"));
        assert_eq!(plan.get("map/2").unwrap(), None);
        assert_eq!(plan.keys("map/").unwrap(), vec!["map/1", "map/3"]);
        assert_eq!(real.get("map/1").unwrap().as_deref(), Some("a"));
        assert_eq!(real.keys("map/").unwrap(), vec!["map/1", "map/2"]);
    }

    #[test]
    fn keys_match_by_literal_prefix() {
        let s = StateScope::new(Storage::in_memory().unwrap(), "t", "n");
        for k in ["map/order/1", "map/order/2", "map/customer/1", "map%/x"] {
            s.set(k, "v").unwrap();
        }
        assert_eq!(s.keys("map/order/").unwrap(), vec!["map/order/1", "map/order/2"]);
        assert_eq!(s.keys("map%").unwrap(), vec!["map%/x"], "no LIKE wildcards");
    }

    #[test]
    fn the_capability_serves_its_scope_and_says_who_has_none() {
        use state::Host as _;
        let storage = Storage::in_memory().unwrap();
        let mut unit = StateCapability::prepare(storage.clone(), "t", "shop", false);
        unit.set("cursor".into(), "9".into()).unwrap();
        assert_eq!(StateScope::new(storage, "t", "shop").get("cursor").unwrap().as_deref(), Some("9"));
        let mut none = StateCapability::none("mapping module `acme-map`".into());
        let err = none.get("cursor".into()).unwrap_err().to_string();
        assert_eq!(err, "mapping module `acme-map` has no state");
    }
}
