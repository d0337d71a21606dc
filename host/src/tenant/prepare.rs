//! From a tenant config to runnable parts: each connection's component
//! loaded with its own settings, secrets marked by the connector's manifest
//! and HTTP allowed to the settings it marks as URLs only; the mapping
//! module with its limits.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::bindings::Trigger;
use crate::capabilities::network::NetworkScope;
use crate::capabilities::pacing::{Pacing, RateRule};
use crate::connection::ConnectionSetup;
use crate::engine::{Host, LoadedComponent};
use crate::manifest::RateManifest;
use crate::run::FlowRun;
use crate::tenant::config::{FlowConfig, TenantConfig, resolve_settings};
use crate::tenant::spec_settings;
use crate::{ComponentConfig, ComponentKind, HttpPolicy, Limits};

/// Where a component named in a config comes from: the embedder's built-in
/// components by name, else a file path.
pub trait ComponentSource {
    fn builtin(&self, kind: ComponentKind, name: &str) -> Option<&'static [u8]>;
}

pub struct PreparedTenant {
    pub config: TenantConfig,
    pub connections: BTreeMap<String, ConnectionSetup>,
    pub mapping: Option<(Arc<LoadedComponent>, Option<Limits>)>,
}

fn load(
    host: &Host,
    source: &dyn ComponentSource,
    kind: ComponentKind,
    name: &str,
    key: &str,
) -> anyhow::Result<Arc<LoadedComponent>> {
    match source.builtin(kind, name) {
        Some(bytes) => host.load(name, kind, bytes),
        None if name.ends_with(".wasm") => {
            let label = Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or(name);
            host.load_file(label, kind, Path::new(name))
        }
        None => anyhow::bail!("`{key}` = {name:?} is neither a built-in {} nor a path to a .wasm file", kind.as_str()),
    }
}

/// The connection's requests paced to the budgets its connector declares;
/// the budgets are the connection's own (each has its own API client).
fn pacing(host: &Host, tenant: &str, connection: &str, limits: &[RateManifest]) -> Pacing {
    let rules = limits
        .iter()
        .map(|l| RateRule {
            methods: l.methods.clone(),
            path_suffixes: l.path_suffixes.clone(),
            per_method: l.per_method,
            per_minute: l.per_minute,
        })
        .collect();
    Pacing::new(rules, format!("{tenant}/{connection}"), host.pacer())
}

impl PreparedTenant {
    pub fn prepare(host: &Host, source: &dyn ComponentSource, config: TenantConfig) -> anyhow::Result<Self> {
        let defaults =
            Limits::defaults(ComponentKind::Connector).with_overrides(&config.limits).context("in [limits]")?;
        let mut connections = BTreeMap::new();
        for (name, c) in &config.connections {
            let key = format!("connections.{name}");
            let component = load(host, source, ComponentKind::Connector, &c.connector, &format!("{key}.connector"))?;
            let given = resolve_settings(&key, &c.settings)?;
            // The connector's manifest says which settings exist, their
            // defaults, which are secret and which are where it connects.
            let manifest = &component.manifest;
            let values = spec_settings::complete(&key, &c.connector, manifest.settings(), given)?;
            let network = if c.allow_private_network { NetworkScope::WithPrivate } else { NetworkScope::Public };
            let http =
                HttpPolicy::from_base_urls(manifest.urls(&values), network).with_context(|| format!("in [{key}]"))?;
            let rate_limits = manifest.connector.as_ref().map_or(&[][..], |c| c.rate_limits.as_slice());
            let http = if c.pace_requests { http.paced(pacing(host, &config.tenant, name, rate_limits)) } else { http };
            let secrets: Vec<String> = manifest.secrets().map(String::from).collect();
            connections.insert(
                name.clone(),
                ConnectionSetup {
                    name: name.clone(),
                    component: component.clone(),
                    config: ComponentConfig::new(values, secrets),
                    http,
                    limits: Some(defaults.clone()),
                },
            );
        }
        let mapping = match &config.mapping {
            Some(m) => {
                let component = load(host, source, ComponentKind::Mapping, &m.module, "mapping.module")?;
                let limits = Limits::defaults(ComponentKind::Mapping)
                    .with_overrides(&m.limits)
                    .context("in [mapping.limits]")?;
                Some((component, Some(limits)))
            }
            None => None,
        };
        Ok(Self { config, connections, mapping })
    }

    /// The component of the flow `name`, loaded (its manifest with it).
    pub fn flow_component(
        &self,
        host: &Host,
        source: &dyn ComponentSource,
        name: &str,
    ) -> anyhow::Result<Arc<LoadedComponent>> {
        let flow = self.flow_config(name)?;
        let component = flow.component.as_deref().unwrap_or(name);
        load(host, source, ComponentKind::Flow, component, &format!("flows.{name}.component"))
    }

    fn flow_config(&self, name: &str) -> anyhow::Result<&FlowConfig> {
        self.config.flows.get(name).with_context(|| {
            let known: Vec<&str> = self.config.flows.keys().map(String::as_str).collect();
            format!(
                "the tenant config has no flow `{name}`; it has: {}",
                if known.is_empty() { "none".into() } else { known.join(", ") }
            )
        })
    }

    /// One run of the flow `name` as the config describes it.
    pub fn flow_run(
        &self,
        host: &Host,
        source: &dyn ComponentSource,
        name: &str,
        trigger: Trigger,
    ) -> anyhow::Result<FlowRun> {
        let flow = self.flow_config(name)?;
        let key = format!("flows.{name}");
        let component = self.flow_component(host, source, name)?;
        let mut by_connection: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (role, connection) in &flow.roles {
            by_connection.entry(connection.as_str()).or_default().push(role.clone());
        }
        let connections = by_connection.into_iter().map(|(c, roles)| (self.connections[c].clone(), roles)).collect();
        let settings = resolve_settings(&format!("{key}.settings"), &flow.settings)?;
        let limits =
            Limits::defaults(ComponentKind::Flow).with_overrides(&self.config.limits).context("in [limits]")?;
        Ok(FlowRun {
            tenant: self.config.tenant.clone(),
            name: name.to_string(),
            flow: component,
            config: ComponentConfig::new(settings, []),
            limits: Some(limits),
            connections,
            mapping: self.mapping.clone(),
            trigger,
            observer: None,
        })
    }
}
