//! `trestle:sync/config`: a component's own settings and secrets. The host
//! hands each Store only the section of the tenant config that belongs to
//! that component, so nothing here can reach another component's values.
//! A connection's settings are prepared from its table in the tenant config
//! against its connector's manifest (`prepare`).

use std::collections::{BTreeMap, BTreeSet};

use crate::bindings::trestle::sync::config;
use crate::manifest::Manifest;
use crate::tenant::config::{ConnectionConfig, resolve_settings};
use crate::tenant::spec_settings;

#[derive(Debug, Clone, Default)]
pub struct ComponentConfig {
    values: BTreeMap<String, String>,
    secret_keys: BTreeSet<String>,
}

/// Secrets shorter than this are not scrubbed from text: replacing "1" in
/// every log line would destroy the log without protecting anything.
const MIN_REDACTED_LEN: usize = 4;

impl ComponentConfig {
    pub fn new(values: BTreeMap<String, String>, secret_keys: impl IntoIterator<Item = String>) -> Self {
        Self { values, secret_keys: secret_keys.into_iter().collect() }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }

    /// A connection's settings from its table (`table`, e.g.
    /// `connections.shop`), held against its connector's manifest: unknown
    /// keys refused, defaults applied, the secrets it marks kept secret.
    pub fn prepare(table: &str, connection: &ConnectionConfig, manifest: &Manifest) -> anyhow::Result<Self> {
        let given = resolve_settings(table, &connection.settings)?;
        let values = spec_settings::complete(table, &connection.connector, manifest.settings(), given)?;
        Ok(Self::new(values, manifest.secrets().map(String::from)))
    }

    /// Every value, secrets included: for the host's own use (which URLs
    /// the connection may reach), never for a guest.
    pub(crate) fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// Every setting that is not a secret.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .filter(|(k, _)| !self.secret_keys.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Replaces every secret value in `text` with "[redacted]".
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for key in &self.secret_keys {
            if let Some(secret) = self.values.get(key).filter(|s| s.len() >= MIN_REDACTED_LEN) {
                out = out.replace(secret.as_str(), "[redacted]");
            }
        }
        out
    }
}

link_interface!(config, ComponentConfig);

impl config::Host for ComponentConfig {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(ComponentConfig::get(self, &key))
    }

    fn entries(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(ComponentConfig::entries(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ComponentConfig {
        let values = BTreeMap::from([
            ("base_url".to_string(), "http://127.0.0.1:1".to_string()),
            ("secret_key".to_string(), "s3cr3t-value".to_string()),
        ]);
        ComponentConfig::new(values, ["secret_key".to_string()])
    }

    #[test]
    fn secrets_are_readable_by_key_but_never_listed_or_logged() {
        let c = sample();
        assert_eq!(c.get("secret_key").as_deref(), Some("s3cr3t-value"));
        assert_eq!(c.entries(), vec![("base_url".to_string(), "http://127.0.0.1:1".to_string())]);
        assert_eq!(c.redact("signing with s3cr3t-value failed"), "signing with [redacted] failed");
    }
}
