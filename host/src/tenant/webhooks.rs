//! Which flows a webhook starts. A connector that exports `webhook-source`
//! names the records a delivery concerns by kind ("order", "product"); a
//! flow's manifest says which kinds its record runs take. A record of kind
//! K from connection C starts every flow that takes K and binds its
//! `K-source` role to C: the flow reads that record from where the webhook
//! came from, so a flow writing *to* C is never started by C's own echo.

use crate::Host;
use crate::tenant::PreparedTenant;
use crate::tenant::prepare::ComponentSource;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRoute {
    pub flow: String,
    pub connection: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookRoutes {
    pub routes: Vec<WebhookRoute>,
}

impl WebhookRoutes {
    /// The flows a record of `kind` from `connection` starts.
    pub fn flows_for(&self, connection: &str, kind: &str) -> Vec<&str> {
        self.routes.iter().filter(|r| r.connection == connection && r.kind == kind).map(|r| r.flow.as_str()).collect()
    }

    /// The kinds `flow` takes from `connection`'s webhooks.
    pub fn kinds_from(&self, flow: &str, connection: &str) -> Vec<&str> {
        self.routes.iter().filter(|r| r.flow == flow && r.connection == connection).map(|r| r.kind.as_str()).collect()
    }
}

impl PreparedTenant {
    /// Every (flow, connection, kind) a webhook can start, read from the
    /// flows' and connectors' manifests.
    pub fn webhook_routes(&self, host: &Host, source: &dyn ComponentSource) -> anyhow::Result<WebhookRoutes> {
        let mut routes = Vec::new();
        for (name, flow) in &self.config.flows {
            let component = self.flow_component(host, source, name)?;
            for kind in &component.manifest.record_kinds {
                let Some(connection) = flow.roles.get(&format!("{kind}-source")) else { continue };
                let takes_webhooks = self
                    .connections
                    .get(connection)
                    .is_some_and(|c| c.component.manifest.connector.as_ref().is_some_and(|m| m.webhooks));
                if takes_webhooks {
                    routes.push(WebhookRoute {
                        flow: name.clone(),
                        connection: connection.clone(),
                        kind: kind.clone(),
                    });
                }
            }
        }
        Ok(WebhookRoutes { routes })
    }
}
