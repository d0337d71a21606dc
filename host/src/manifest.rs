//! What a loaded component is and may do, read once when it is first
//! compiled and cached beside it (so a start does not instantiate every
//! connector to ask): the roles it plays (a connector's exports, a flow's
//! imports, read from the component itself), and for a connector its
//! settings (which are secret, which are URLs), its auth, its rate budgets
//! and whether it takes webhooks; for a flow the record kinds a record run
//! takes. The host enforces what this says and nothing else. See
//! docs/2026-12-01-connector-manifest.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use crate::bindings::exports::trestle::sync::connection::{Auth, ConnectorSpec, SettingKind};
use crate::roles::CONNECTOR_ROLES;

/// Bumped when the manifest's shape changes, so a cached one of an older
/// shape is rebuilt rather than misread.
pub const FORMAT: u32 = 1;

/// The contract's package.
const PACKAGE: &str = "trestle:sync/";
/// The role whose export makes a connector take webhooks.
pub const WEBHOOK_ROLE: &str = "webhook-source";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Roles ("order-source", ...): what a connector exports, what a flow imports.
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<ConnectorManifest>,
    /// A flow's record kinds ("order", ...): webhooks naming one start it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record_kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorManifest {
    pub name: String,
    pub title: String,
    pub version: String,
    pub settings: Vec<SettingManifest>,
    pub auth: AuthManifest,
    pub rate_limits: Vec<RateManifest>,
    /// It exports `webhook-source`.
    pub webhooks: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingManifest {
    pub name: String,
    pub description: String,
    pub required: bool,
    pub secret: bool,
    /// The connector connects there: the origin joins its HTTP allowlist.
    pub url: bool,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AuthManifest {
    /// The settings hold every credential.
    Settings,
    Oauth2Code(OAuth2Code),
}

/// OAuth2 authorization code grant, as the connector declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuth2Code {
    pub server_setting: String,
    pub authorize_path: String,
    pub token_path: String,
    pub client_id_setting: String,
    pub client_secret_setting: String,
    pub scopes: Vec<String>,
    pub refresh_token_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateManifest {
    pub methods: Vec<String>,
    pub path_suffixes: Vec<String>,
    pub per_method: bool,
    pub per_minute: u32,
}

impl AuthManifest {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthManifest::Settings => "settings",
            AuthManifest::Oauth2Code(_) => "oauth2-code",
        }
    }
}

impl Manifest {
    /// A connector's manifest from its exports and its spec; a spec that
    /// contradicts itself (auth naming a setting it does not declare) is
    /// refused here, at load, naming what is wrong.
    pub fn connector(roles: Vec<String>, spec: ConnectorSpec) -> anyhow::Result<Self> {
        let settings: Vec<SettingManifest> = spec
            .settings
            .into_iter()
            .map(|s| SettingManifest {
                url: s.kind == SettingKind::Url,
                name: s.name,
                description: s.description,
                required: s.required,
                secret: s.secret,
                default: s.default_value,
            })
            .collect();
        let auth = match spec.auth {
            Auth::Settings => AuthManifest::Settings,
            Auth::Oauth2Code(o) => AuthManifest::Oauth2Code(OAuth2Code {
                server_setting: o.server_setting,
                authorize_path: o.authorize_path,
                token_path: o.token_path,
                client_id_setting: o.client_id_setting,
                client_secret_setting: o.client_secret_setting,
                scopes: o.scopes,
                refresh_token_key: o.refresh_token_key,
            }),
        };
        if let AuthManifest::Oauth2Code(o) = &auth {
            let declared = |name: &str, url: bool| settings.iter().any(|s| s.name == name && (s.url || !url));
            for (what, name, url) in [
                ("server-setting", &o.server_setting, true),
                ("client-id-setting", &o.client_id_setting, false),
                ("client-secret-setting", &o.client_secret_setting, false),
            ] {
                if !declared(name, url) {
                    anyhow::bail!(
                        "connector `{}` declares OAuth2 with {what} `{name}`, which is not one of its {}settings",
                        spec.name,
                        if url { "URL " } else { "" }
                    );
                }
            }
        }
        let webhooks = roles.iter().any(|r| r == WEBHOOK_ROLE);
        let rate_limits = spec
            .rate_limits
            .into_iter()
            .map(|l| RateManifest {
                methods: l.methods,
                path_suffixes: l.path_suffixes,
                per_method: l.per_method,
                per_minute: l.per_minute,
            })
            .collect();
        let connector = ConnectorManifest {
            name: spec.name,
            title: spec.title,
            version: spec.version,
            settings,
            auth,
            rate_limits,
            webhooks,
        };
        Ok(Self { roles, connector: Some(connector), record_kinds: Vec::new() })
    }

    pub fn flow(roles: Vec<String>, record_kinds: Vec<String>) -> Self {
        Self { roles, connector: None, record_kinds }
    }

    pub fn mapping() -> Self {
        Self { roles: Vec::new(), connector: None, record_kinds: Vec::new() }
    }

    /// The settings marked secret.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.settings().iter().filter(|s| s.secret).map(|s| s.name.as_str())
    }

    /// The values of the settings marked as URLs: where the connector may connect.
    pub fn urls<'a>(&self, values: &'a BTreeMap<String, String>) -> Vec<&'a str> {
        let urls: Vec<&str> = self.settings().iter().filter(|s| s.url).map(|s| s.name.as_str()).collect();
        values.iter().filter(|(k, _)| urls.contains(&k.as_str())).map(|(_, v)| v.as_str()).collect()
    }

    pub fn settings(&self) -> &[SettingManifest] {
        self.connector.as_ref().map_or(&[], |c| c.settings.as_slice())
    }

    pub fn plays(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// The roles among a component's exports (`imports = false`) or imports,
/// by their short names.
pub fn roles_of(engine: &Engine, component: &Component, imports: bool) -> Vec<String> {
    let ty = component.component_type();
    let instance = |(name, item): (&str, ComponentItem)| {
        matches!(item, ComponentItem::ComponentInstance(_)).then(|| role_name(name)).flatten()
    };
    if imports {
        ty.imports(engine).filter_map(|(name, item)| instance((name, item.ty))).collect()
    } else {
        ty.exports(engine).filter_map(|(name, item)| instance((name, item.ty))).collect()
    }
}

/// "trestle:sync/order-source@0.1.0" -> "order-source"; `None` for
/// anything that is not a role.
fn role_name(interface: &str) -> Option<String> {
    let short = interface.strip_prefix(PACKAGE)?.split('@').next()?;
    CONNECTOR_ROLES.contains(&short).then(|| short.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_the_contracts_interfaces_minus_capabilities() {
        assert_eq!(role_name("trestle:sync/order-source@0.1.0").as_deref(), Some("order-source"));
        assert_eq!(role_name("trestle:sync/webhook-source@0.1.0").as_deref(), Some("webhook-source"));
        assert_eq!(role_name("trestle:sync/connection@0.1.0"), None);
        assert_eq!(role_name("trestle:sync/log@0.1.0"), None);
        assert_eq!(role_name("wasi:http/outgoing-handler@0.2.12"), None);
    }
}
