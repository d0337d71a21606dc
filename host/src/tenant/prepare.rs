//! From a tenant config to runnable parts: each connection's component
//! loaded with its own settings, secrets marked by the connector's manifest
//! and HTTP allowed to the settings it marks as URLs only; the mapping
//! module with its limits.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::bindings::Trigger;
use crate::capabilities::config::ComponentConfig;
use crate::capabilities::http::HttpPolicy;
use crate::capabilities::pacing::{Pacer, Pacing};
use crate::connection::ConnectionSetup;
use crate::engine::{Host, LoadedComponent};
use crate::limits::{ComponentKind, Limits};
use crate::manifest::Manifest;
use crate::run::FlowRun;
use crate::tenant::config::{ConnectionConfig, FlowConfig, TenantConfig, resolve_settings};

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

/// What the tenant config decides for one connection's Store, from its
/// table and its connector's manifest: no component is loaded or run.
pub struct ConnectionUnits {
    pub config: ComponentConfig,
    pub http: HttpPolicy,
}

impl ConnectionUnits {
    pub fn prepare(
        tenant: &str,
        name: &str,
        connection: &ConnectionConfig,
        manifest: &Manifest,
        pacer: Arc<Pacer>,
    ) -> anyhow::Result<Self> {
        let table = format!("connections.{name}");
        let config = ComponentConfig::prepare(&table, connection, manifest)?;
        let declared = manifest.connector.as_ref().map_or(&[][..], |c| c.rate_limits.as_slice());
        let pacing = connection.pace_requests.then(|| Pacing::prepare(pacer, tenant, name, declared));
        let http = HttpPolicy::prepare(&table, connection, manifest, &config, pacing)?;
        Ok(Self { config, http })
    }
}

impl PreparedTenant {
    pub fn prepare(host: &Host, source: &dyn ComponentSource, config: TenantConfig) -> anyhow::Result<Self> {
        let defaults =
            Limits::defaults(ComponentKind::Connector).with_overrides(&config.limits).context("in [limits]")?;
        let mut connections = BTreeMap::new();
        for (name, c) in &config.connections {
            let key = format!("connections.{name}");
            let component = load(host, source, ComponentKind::Connector, &c.connector, &format!("{key}.connector"))?;
            let units = ConnectionUnits::prepare(&config.tenant, name, c, &component.manifest, host.pacer())?;
            let setup = ConnectionSetup {
                name: name.clone(),
                component: component.clone(),
                config: units.config,
                http: units.http,
                limits: Some(defaults.clone()),
            };
            connections.insert(name.clone(), setup);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::trestle::sync::{config, log, state};
    use crate::capabilities::log::ActivityQuery;
    use crate::guest_state::{GuestState, StoreOwner, StoreSetup};
    use crate::storage::Storage;

    /// A connector's manifest as it would come out of its spec.
    fn manifest() -> Manifest {
        serde_json::from_value(serde_json::json!({
            "roles": ["order-source"],
            "connector": {
                "name": "shop-api", "title": "Shop", "version": "1",
                "settings": [
                    {"name": "base_url", "description": "the API", "required": true, "secret": false, "url": true,
                     "default": null},
                    {"name": "page_size", "description": "", "required": false, "secret": false, "url": false,
                     "default": "50"},
                    {"name": "api_key", "description": "", "required": true, "secret": true, "url": false,
                     "default": null}
                ],
                "auth": {"kind": "settings"},
                "rate_limits": [{"methods": ["GET"], "path_suffixes": [], "per_method": true, "per_minute": 60}],
                "webhooks": false
            }
        }))
        .unwrap()
    }

    const TENANT: &str = r#"
        tenant = "acme"
        [connections.shop]
        connector = "shop-api"
        base_url = "http://127.0.0.1:8080/api"
        api_key = "k3y-of-acme"
        allow_private_network = true
    "#;

    /// From the tenant config to one connection's Store state, no wasm: the
    /// state a connector instance would see through each capability.
    #[test]
    fn a_connections_store_state_comes_from_its_table_and_its_manifest() {
        let tenant = TenantConfig::parse(TENANT).unwrap();
        let units =
            ConnectionUnits::prepare("acme", "shop", &tenant.connections["shop"], &manifest(), Arc::default()).unwrap();
        let storage = Storage::in_memory().unwrap();
        let setup = StoreSetup {
            config: units.config,
            http: units.http,
            namespace: Some("shop".into()),
            ..StoreSetup::default()
        };
        let owner = StoreOwner { component: "shop-api", kind: ComponentKind::Connector, tenant: "acme", run_id: "r1" };
        let mut store = GuestState::prepare(owner, &storage, setup, None).unwrap();

        // config: the defaults filled in, the secret readable but never listed.
        assert_eq!(config::Host::get(&mut store.config, "page_size".into()).unwrap().as_deref(), Some("50"));
        assert_eq!(config::Host::get(&mut store.config, "api_key".into()).unwrap().as_deref(), Some("k3y-of-acme"));
        let listed = config::Host::entries(&mut store.config).unwrap();
        assert!(!format!("{listed:?}").contains("k3y"), "{listed:?}");
        // http: the URL setting's origin only.
        assert!(store.http.hooks.policy.check(&"http://127.0.0.1:8080/api/orders".parse().unwrap()).is_ok());
        assert!(store.http.hooks.policy.check(&"http://127.0.0.1:9090/".parse().unwrap()).is_err());
        // state: the connection's namespace of the tenant.
        state::Host::set(&mut store.state, "cursor".into(), "7".into()).unwrap();
        let scope = crate::capabilities::state::StateScope::new(storage.clone(), "acme", "shop");
        assert_eq!(scope.get("cursor").unwrap().as_deref(), Some("7"));
        // log: under the component's name, the secret scrubbed.
        log::Host::log(&mut store.log, log::Level::Info, "signing with k3y-of-acme".into(), vec![]).unwrap();
        // sandbox: the connector defaults.
        assert_eq!(store.limits(), &Limits::defaults(ComponentKind::Connector));
        drop(store);
        let lines = crate::capabilities::log::query(&storage, &ActivityQuery::default()).unwrap();
        assert_eq!((lines[0].component.as_str(), lines[0].message.as_str()), ("shop-api", "signing with [redacted]"));
    }

    #[test]
    fn a_connection_table_the_manifest_refuses_is_named() {
        let tenant = TenantConfig::parse(&TENANT.replace("api_key", "apikey")).unwrap();
        let err = ConnectionUnits::prepare("acme", "shop", &tenant.connections["shop"], &manifest(), Arc::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("`connections.shop.apikey` is not a setting of the connector `shop-api`"), "{err}");
    }
}
