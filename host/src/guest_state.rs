//! What one Store holds: the capability units, composed. One type for every
//! kind of component; the linker decides which of them a component can
//! actually reach, and `prepare` builds every unit from what the tenant
//! config decided for the Store (`StoreSetup`) without any wasm.

use std::sync::{Arc, Mutex};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtxView, WasiHttpView};

use crate::capabilities::config::ComponentConfig;
use crate::capabilities::http::{HttpCapability, HttpPolicy};
use crate::capabilities::log::{ActivityWriter, LogCapability, RecordObserver, RunContext};
use crate::capabilities::roles::{RolesCapability, ServeRoles};
use crate::capabilities::sandbox::Sandbox;
use crate::capabilities::state::StateCapability;
use crate::capabilities::transforms::{MapRecords, TransformsCapability};
use crate::limits::{ComponentKind, Limits};
use crate::storage::Storage;

pub struct GuestState {
    pub sandbox: Sandbox,
    /// WASI's and `wasi:http`'s resources, one table for both.
    table: ResourceTable,
    pub http: HttpCapability,
    pub state: StateCapability,
    pub config: ComponentConfig,
    pub log: LogCapability,
    /// Flows only: the connectors serving the roles the flow imports.
    pub roles: RolesCapability,
    /// Flows only: the tenant's mapping module, if one is configured.
    pub transforms: TransformsCapability,
}

/// What a Store gets besides its component: settings, network policy,
/// limits, and for flows the mapping module.
#[derive(Default)]
pub struct StoreSetup {
    pub config: ComponentConfig,
    pub http: HttpPolicy,
    pub limits: Option<Limits>,
    /// The name the Store logs and reports errors under (a flow's entry in
    /// the tenant config); defaults to the component's name.
    pub name: Option<String>,
    /// State namespace; defaults to `name`.
    pub namespace: Option<String>,
    /// State and activity go to a throwaway database: a dry run changes
    /// nothing a real run would see.
    pub isolated: bool,
    /// State reads the database and the Store's own writes; writes stay in
    /// memory (a dry run that still sees what real runs recorded).
    pub planned: bool,
    /// Where the activity goes instead of the state's database (a dry
    /// run's log, kept apart from the real one).
    pub activity_storage: Option<Storage>,
    pub mapping: Option<Box<dyn MapRecords>>,
    /// Sees every record outcome the component reports.
    pub observer: Option<RecordObserver>,
    /// An activity writer to go on with: a mapping module's fresh instance
    /// after a trap keeps the run's log budget, it does not get a new one.
    pub activity: Option<Arc<Mutex<ActivityWriter>>>,
}

/// Who a Store runs for: the component, the tenant and the run.
pub struct StoreOwner<'a> {
    pub component: &'a str,
    pub kind: ComponentKind,
    pub tenant: &'a str,
    pub run_id: &'a str,
}

impl GuestState {
    /// Every unit of one Store. `storage`: the host's database, unless the
    /// setup isolates the Store; `roles`: what serves a flow's role calls.
    pub fn prepare(
        owner: StoreOwner<'_>,
        storage: &Storage,
        setup: StoreSetup,
        roles: Option<Box<dyn ServeRoles>>,
    ) -> anyhow::Result<Self> {
        let kind = owner.kind;
        let limits = setup.limits.unwrap_or_else(|| Limits::defaults(kind));
        let name = setup.name.unwrap_or_else(|| owner.component.to_string());
        // A dry run keeps what it writes in a database of its own, dropped
        // with the Store.
        let storage = if setup.isolated { Storage::in_memory()? } else { storage.clone() };
        let activity_storage = setup.activity_storage.unwrap_or_else(|| storage.clone());
        let ctx = RunContext { tenant: owner.tenant.into(), run_id: owner.run_id.into(), component: name.clone() };
        let roles = RolesCapability::prepare(roles);
        let log = LogCapability::prepare(kind, setup.activity, activity_storage, ctx, setup.config.clone(), &limits)
            .observed(setup.observer)
            .planned(roles.plan());
        let sandbox = Sandbox::prepare(&name, kind, limits);
        let state = match kind {
            ComponentKind::Mapping => StateCapability::none(sandbox.who()),
            ComponentKind::Connector | ComponentKind::Flow => {
                let namespace = setup.namespace.as_deref().unwrap_or(&name);
                StateCapability::prepare(storage, owner.tenant, namespace, setup.planned)
            }
        };
        Ok(GuestState {
            http: HttpCapability::prepare(setup.http, log.activity.clone()),
            sandbox,
            table: ResourceTable::new(),
            state,
            config: setup.config,
            log,
            roles,
            transforms: TransformsCapability::prepare(setup.mapping),
        })
    }

    /// The name the Store logs and reports errors under.
    pub fn name(&self) -> &str {
        &self.sandbox.name
    }

    pub fn limits(&self) -> &Limits {
        &self.sandbox.limits
    }

    pub fn activity(&self) -> std::sync::MutexGuard<'_, ActivityWriter> {
        self.log.writer()
    }

    /// Why the host last refused one of this component's HTTP requests.
    pub fn http_refusal(&self) -> Option<String> {
        self.http.last_refusal()
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.sandbox.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http.ctx, table: &mut self.table, hooks: &mut self.http.hooks }
    }
}
