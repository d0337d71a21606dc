//! A configured connection: a connector component with its settings, network
//! policy and limits, and what can be asked of it directly (spec, check).

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::Instance;

use crate::bindings::ContractError;
use crate::bindings::exports::trestle::sync::connection::ConnectorSpec;
use crate::bindings::exports::trestle::sync::webhook_source::{Change, Delivery};
use crate::engine::{Host, LoadedComponent, StoreSetup};
use crate::forward::ConnectorInstance;
use crate::guest_state::GuestState;
use crate::storage::Storage;
use crate::traps;
use crate::{ComponentConfig, HttpPolicy, Limits};

/// Full interface name of a role ("order-source" -> "trestle:sync/order-source@0.1.0").
pub fn role_interface(role: &str) -> String {
    format!("trestle:sync/{role}@0.1.0")
}

#[derive(Clone)]
pub struct ConnectionSetup {
    /// The connection's name in the tenant config; also its state namespace,
    /// so two connections to two shops never share tokens or cursors.
    pub name: String,
    pub component: Arc<LoadedComponent>,
    pub config: ComponentConfig,
    pub http: HttpPolicy,
    pub limits: Option<Limits>,
}

impl ConnectionSetup {
    /// `activity`: where its activity log goes instead of the host's
    /// database (a dry run's own).
    pub fn instantiate(
        &self,
        host: &Host,
        tenant: &str,
        run_id: &str,
        activity: Option<Storage>,
    ) -> anyhow::Result<ConnectorInstance> {
        let (store, instance) = self.store(host, tenant, run_id, activity)?;
        Ok(ConnectorInstance::new(store, instance))
    }

    fn store(
        &self,
        host: &Host,
        tenant: &str,
        run_id: &str,
        activity_storage: Option<Storage>,
    ) -> anyhow::Result<(Store<GuestState>, Instance)> {
        let setup = StoreSetup {
            config: self.config.clone(),
            http: self.http.clone(),
            limits: self.limits.clone(),
            namespace: Some(self.name.clone()),
            activity_storage,
            ..StoreSetup::default()
        };
        host.instantiate(&self.component, tenant, run_id, setup, None)
    }

    /// A connector instance of its own, for calling its roles directly (an
    /// embedder's own orchestration, or tests). No host retries apply.
    pub fn session(&self, host: &Host, tenant: &str) -> anyhow::Result<Session> {
        let (store, instance) = self.store(host, tenant, &new_run_id(), None)?;
        Ok(Session { store, instance, component: self.component.clone() })
    }

    /// The connector's description of itself and its settings.
    pub fn spec(&self, host: &Host, tenant: &str) -> anyhow::Result<ConnectorSpec> {
        let mut session = self.session(host, tenant)?;
        let guest = session.connection()?;
        guest.call_spec(&mut session.store).map_err(|e| traps::explain(e, session.store.data()))
    }

    /// Verifies credentials and reachability. `Ok(Err(..))` is the
    /// connector's answer in words; `Err` means the connector itself failed.
    pub fn check(&self, host: &Host, tenant: &str) -> anyhow::Result<Result<String, ContractError>> {
        let mut session = self.session(host, tenant)?;
        let guest = session.connection()?;
        let answer = guest.call_check(&mut session.store).map_err(|e| traps::explain(e, session.store.data()))?;
        // The connector can only guess why its request failed (a wrong key,
        // an unreachable API); when the host refused it, the host says why.
        Ok(answer.map_err(|e| match session.store.data().http_refusal() {
            Some(reason) => ContractError::Fatal(format!("the host refused a request: {reason}")),
            None => e,
        }))
    }

    /// A webhook delivery for this connection, verified by its connector
    /// against `keys` (none: taken unverified, as the operator chose) and
    /// turned into the records it concerns. `Ok(Err(..))` is the
    /// connector's refusal in words (a bad signature, a body naming
    /// nothing); `Err` means the connector itself failed.
    pub fn receive_webhook(
        &self,
        host: &Host,
        tenant: &str,
        delivery: &Delivery,
        keys: Option<&[String]>,
    ) -> anyhow::Result<Result<Vec<Change>, ContractError>> {
        let mut session = self.session(host, tenant)?;
        let guest = session.webhook_source()?;
        guest.call_receive(&mut session.store, delivery, keys).map_err(|e| traps::explain(e, session.store.data()))
    }
}

pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A live connector for direct calls: `session.role::<order_source::GuestIndices>()`
/// style access through the generated bindings.
pub struct Session {
    pub store: Store<GuestState>,
    pub instance: Instance,
    component: Arc<LoadedComponent>,
}

macro_rules! role_accessors {
    ($($method:ident => $module:ident),* $(,)?) => {
        impl Session {
            $(
                /// The role's functions; fails when the connector does not export it.
                pub fn $method(&mut self) -> anyhow::Result<crate::bindings::exports::trestle::sync::$module::Guest> {
                    let indices = crate::bindings::exports::trestle::sync::$module::GuestIndices::new(&self.component.pre)
                        .map_err(|e| anyhow::Error::from(e).context(format!(
                            "connector `{}` does not export {}", self.component.name, stringify!($module)
                        )))?;
                    Ok(indices.load(&mut self.store, &self.instance)?)
                }
            )*
        }
    };
}

role_accessors! {
    connection => connection,
    order_source => order_source,
    customer_source => customer_source,
    customer_sink => customer_sink,
    sales_document_sink => sales_document_sink,
    product_source => product_source,
    product_sink => product_sink,
    category_sink => category_sink,
    stock_source => stock_source,
    stock_sink => stock_sink,
    reference_data => reference_data,
    webhook_source => webhook_source,
}
