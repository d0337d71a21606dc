//! The tenant config (TOML): connections, flows with their role bindings and
//! settings, an optional mapping module, and limit overrides. Bad configs
//! are refused with the key that is wrong and what is allowed.
//!
//! ```toml
//! tenant = "demo-shop"
//!
//! [connections.shop]
//! connector = "shop-api"           # a built-in name, or a path to a .wasm
//! base_url = "https://shop.example"
//! public_key = "..."
//! secret_key = { env = "SHOP_SECRET_KEY" }
//!
//! [flows.orders]
//! roles = { order-source = "shop", sales-document-sink = "books" }
//! settings = { document = "invoice" }
//!
//! [mapping]
//! module = "country-codes"
//! limits = { fuel = 100000000 }
//!
//! [serve]                          # only for `trestle serve`
//! webhook_keys = [{ env = "SHOP_WEBHOOK_KEY" }]
//!
//! [alerts]                         # see `alerts`
//! email = { smtp = "smtps://mail.example", from = "sync@shop.example", to = ["owner@shop.example"] }
//! ```

pub use crate::roles::ROLES;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::limits::{ComponentKind, LimitOverrides};
use crate::storage::Database;
use crate::tenant::alerts::AlertsConfig;
use crate::tenant::bounds;
use crate::tenant::paths::PathScope;
use crate::tenant::retention::RetentionConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The tenant's id: namespaces its state and activity.
    pub tenant: String,
    /// A SQLite file, default `.trestle/trestle.db` beside the config
    /// (relative to the config's folder and inside it, see `paths`), or a
    /// `postgres://` URL (`{ env = "NAME" }` keeps its password out of the file).
    pub database: Option<Database>,
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
    #[serde(default)]
    pub flows: BTreeMap<String, FlowConfig>,
    pub mapping: Option<MappingConfig>,
    /// Overrides for connectors and flows.
    #[serde(default)]
    pub limits: LimitOverrides,
    /// How `trestle serve` receives webhooks.
    #[serde(default)]
    pub serve: ServeConfig,
    /// When a flow's trouble becomes an incident, and whom to tell.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// How long record payloads are kept.
    #[serde(default)]
    pub retention: RetentionConfig,
}

/// The `[serve]` section: what `trestle serve` needs to trust webhooks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The keys the sender returned when each webhook was registered (a
    /// shop may give every webhook its own); the connector checks that a
    /// delivery is signed with one of them. Empty: deliveries are refused
    /// unless the operator takes unsigned ones.
    #[serde(default)]
    pub webhook_keys: Vec<SettingValue>,
    /// The service's address as the shop calls it (e.g. behind a proxy,
    /// `https://sync.example`), part of what is signed; default: `http://`
    /// and the request's Host header.
    pub public_url: Option<String>,
    /// Time between scheduled runs of this tenant when served with others
    /// (`trestle serve --tenants`): e.g. "15m"; default `--every`.
    pub every: Option<String>,
}

impl ServeConfig {
    /// `every` read, or why it cannot be.
    pub fn every(&self) -> anyhow::Result<Option<std::time::Duration>> {
        self.every
            .as_deref()
            .map(|e| crate::tenant::interval::parse_interval(e).map_err(|why| anyhow::anyhow!("`serve.every`: {why}")))
            .transpose()
    }
}

// No deny_unknown_fields: every key besides `connector` is a setting, and
// the connector's spec says which are required.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectionConfig {
    /// Built-in connector name or path to a component file.
    pub connector: String,
    /// Pace requests to the rate limits the connector declares (the default).
    /// Off only for an API that does not limit, such as a local emulator.
    #[serde(default = "pace_by_default")]
    pub pace_requests: bool,
    /// Let the connector reach loopback and private-network addresses (an
    /// emulator on this machine, an API on the LAN). Off: public addresses
    /// only. Link-local and metadata addresses are refused either way.
    #[serde(default)]
    pub allow_private_network: bool,
    /// Every other key is a setting of the connector.
    #[serde(flatten)]
    pub settings: BTreeMap<String, SettingValue>,
}

fn pace_by_default() -> bool {
    true
}

/// A setting written inline, or read from the environment so secrets need
/// not live in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SettingValue {
    Text(String),
    Number(i64),
    Float(f64),
    Bool(bool),
    Env {
        env: String,
    },
    /// A nested table, flattened into dotted keys: `[x.settings.vat_code] SE = "..."`
    /// becomes the setting `vat_code.SE`.
    Table(BTreeMap<String, SettingValue>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    /// Built-in flow name or path; defaults to the flow's own name.
    pub component: Option<String>,
    /// Role -> connection name.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    #[serde(default)]
    pub settings: BTreeMap<String, SettingValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// Built-in mapping name or path to a component file.
    pub module: String,
    #[serde(default)]
    pub limits: LimitOverrides,
}

/// Keys of a `[connections.NAME]` table the host reads itself; every
/// other key is a setting of the connector.
pub const HOST_CONNECTION_KEYS: &[&str] = &["connector", "pace_requests", "allow_private_network"];

impl TenantConfig {
    /// Reads a config file; its paths stay inside its folder.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Self::load_with(path, PathScope::TenantFolder)
    }

    /// Reads a config file, its paths (database, component files) taken
    /// relative to its folder and allowed as far as `scope` says.
    pub fn load_with(path: &Path, scope: PathScope) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the tenant config {}", path.display()))?;
        let mut config = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        config.resolve_paths(dir, scope).with_context(|| format!("in {}", path.display()))?;
        Ok(config)
    }

    fn resolve_paths(&mut self, dir: &Path, scope: PathScope) -> anyhow::Result<()> {
        let database = self.database.take().unwrap_or_else(|| Database::File(".trestle/trestle.db".into()));
        self.database = Some(match database {
            Database::File(path) => Database::File(scope.resolve(dir, "database", &path)?),
            url @ Database::Postgres(_) => url,
        });
        // A component named by a path (not a built-in name) is a file too.
        let file = |key: String, name: &mut String| -> anyhow::Result<()> {
            if name.ends_with(".wasm") {
                *name = scope.resolve(dir, &key, Path::new(name.as_str()))?.to_string_lossy().into_owned();
            }
            Ok(())
        };
        for (name, c) in &mut self.connections {
            file(format!("connections.{name}.connector"), &mut c.connector)?;
        }
        for (name, f) in &mut self.flows {
            if let Some(component) = &mut f.component {
                file(format!("flows.{name}.component"), component)?;
            }
        }
        if let Some(m) = &mut self.mapping {
            file("mapping.module".into(), &mut m.module)?;
        }
        Ok(())
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: TenantConfig =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("the tenant config is not valid: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        bounds::check("limits", ComponentKind::Flow, &self.limits)?;
        self.alerts.validate()?;
        self.serve.every()?;
        if let Some(m) = &self.mapping {
            bounds::check("mapping.limits", ComponentKind::Mapping, &m.limits)?;
        }
        if self.tenant.trim().is_empty() || !self.tenant.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            bail!("`tenant` must be a non-empty id of letters, digits, '-', '_' or '.', got {:?}", self.tenant);
        }
        for (flow, f) in &self.flows {
            for (role, connection) in &f.roles {
                if !ROLES.contains(&role.as_str()) {
                    bail!("`flows.{flow}.roles.{role}` is not a role; allowed: {}", ROLES.join(", "));
                }
                if !self.connections.contains_key(connection) {
                    let known: Vec<&str> = self.connections.keys().map(String::as_str).collect();
                    bail!(
                        "`flows.{flow}.roles.{role}` names the connection `{connection}`, which is not defined; defined: {}",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    );
                }
            }
        }
        Ok(())
    }
}

impl SettingValue {
    /// The value as text, reading `{ env = "NAME" }` from the environment.
    pub fn resolve(&self, key: &str) -> anyhow::Result<String> {
        Ok(match self {
            SettingValue::Text(s) => s.clone(),
            SettingValue::Number(n) => n.to_string(),
            SettingValue::Float(f) => f.to_string(),
            SettingValue::Bool(b) => b.to_string(),
            SettingValue::Env { env } => std::env::var(env).with_context(|| {
                format!("setting `{key}` is read from the environment variable {env}, which is not set")
            })?,
            SettingValue::Table(_) => bail!("setting `{key}` is a table; only its entries have values"),
        })
    }
}

/// Resolves every setting of a table, flattening nested tables into dotted
/// keys.
pub fn resolve_settings(
    table: &str,
    settings: &BTreeMap<String, SettingValue>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    flatten(table, "", settings, &mut out)?;
    Ok(out)
}

fn flatten(
    table: &str,
    prefix: &str,
    settings: &BTreeMap<String, SettingValue>,
    out: &mut BTreeMap<String, String>,
) -> anyhow::Result<()> {
    for (k, v) in settings {
        let key = format!("{prefix}{k}");
        match v {
            SettingValue::Table(inner) => flatten(table, &format!("{key}."), inner, out)?,
            other => {
                out.insert(key.clone(), other.resolve(&format!("{table}.{key}"))?);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        tenant = "demo-shop"
        [connections.shop]
        connector = "shop-api"
        base_url = "http://127.0.0.1:1"
        page_size = 50
        secret_key = { env = "TRESTLE_TEST_UNSET_VARIABLE" }
        [connections.books]
        connector = "books-api"
        api_base_url = "http://127.0.0.1:2/v2"
        [flows.orders]
        roles = { order-source = "shop", sales-document-sink = "books" }
        settings = { document = "invoice", vat_code = { SE = "25", NL = "21" } }
        [mapping]
        module = "country-codes"
        limits = { fuel = 2000000 }
    "#;

    #[test]
    fn a_good_config_parses_with_typed_settings() {
        let c = TenantConfig::parse(GOOD).unwrap();
        assert_eq!(c.connections["shop"].connector, "shop-api");
        assert_eq!(c.flows["orders"].roles["order-source"], "shop");
        assert_eq!(c.mapping.unwrap().limits.fuel, Some(2000000));
        let orders = resolve_settings("flows.orders.settings", &c.flows["orders"].settings).unwrap();
        assert_eq!(orders["vat_code.SE"], "25");
        assert_eq!(orders["document"], "invoice");
        let books = resolve_settings("connections.books", &c.connections["books"].settings).unwrap();
        assert_eq!(books["api_base_url"], "http://127.0.0.1:2/v2");
        let err = resolve_settings("connections.shop", &c.connections["shop"].settings).unwrap_err().to_string();
        assert!(err.contains("connections.shop.secret_key") && err.contains("TRESTLE_TEST_UNSET_VARIABLE"), "{err}");
        assert!(c.serve.webhook_keys.is_empty(), "no [serve]: webhooks unverified");

        let served =
            TenantConfig::parse(&format!("{GOOD}\n[serve]\nwebhook_keys = [\"k1\", {{ env = \"K2\" }}]\n")).unwrap();
        assert_eq!(served.serve.webhook_keys.len(), 2);
    }

    #[test]
    fn bad_configs_name_the_key_and_what_is_allowed() {
        let unknown_role = GOOD.replace("order-source = \"shop\"", "order-sauce = \"shop\"");
        let err = TenantConfig::parse(&unknown_role).unwrap_err().to_string();
        assert!(err.contains("flows.orders.roles.order-sauce") && err.contains("allowed: order-source"), "{err}");

        let unknown_connection = GOOD.replace("order-source = \"shop\"", "order-source = \"shopp\"");
        let err = TenantConfig::parse(&unknown_connection).unwrap_err().to_string();
        assert!(err.contains("`shopp`") && err.contains("defined: books, shop"), "{err}");

        let typo = GOOD.replace("limits = { fuel = 2000000 }", "limits = { fuell = 2000000 }");
        let err = TenantConfig::parse(&typo).unwrap_err().to_string();
        assert!(err.contains("fuell"), "{err}");

        let typo = format!("{GOOD}\n[serve]\nwebhook_key = \"k\"\n");
        let err = TenantConfig::parse(&typo).unwrap_err().to_string();
        assert!(err.contains("webhook_key") && err.contains("webhook_keys"), "{err}");

        let bad_tenant = GOOD.replace("tenant = \"demo-shop\"", "tenant = \"../etc\"");
        assert!(TenantConfig::parse(&bad_tenant).unwrap_err().to_string().contains("`tenant`"));
    }

    #[test]
    fn the_example_config_users_copy_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tenant.toml");
        let c = TenantConfig::load(&path).unwrap();
        assert_eq!(c.flows["orders"].roles["sales-document-sink"], "books");
        let settings = resolve_settings("flows.orders.settings", &c.flows["orders"].settings).unwrap();
        assert_eq!(settings["article.shipping.21"], "SHIPPING-21");
        assert_eq!(settings["article.shipping.default"], "SHIPPING-21");
    }
}
