//! Tenant mapping modules: each runs in its own Store, metered by fuel, with
//! nothing imported but `log` (and the WASI basics its language runtime
//! needs). A mapping that traps is replaced by a fresh instance for the next
//! record; one that keeps hitting limits is switched off for the run, so a
//! hostile module costs a few records' time, not the whole run's.

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::Instance;

use crate::bindings::exports::trestle::sync::transforms::{Guest as Transforms, GuestIndices as TransformsIndices};
use crate::bindings::types::{Customer, Order, Product, StockLevel};
use crate::engine::{Host, LoadedComponent};
use crate::guest_state::GuestState;
use crate::traps;

/// After this many failed calls in one run, the module is not called again.
const MAX_FAILURES: u32 = 3;

/// A mapping module as a flow run holds it: instantiated on first use.
pub struct MappingSlot {
    host: Host,
    component: Arc<LoadedComponent>,
    tenant: String,
    run_id: String,
    limits: Option<crate::Limits>,
    live: Option<(Store<GuestState>, Transforms)>,
    failures: u32,
    last_failure: Option<String>,
}

/// The four transforms, so a call can be written once for all of them.
// Each record is moved once per call; boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    Order(Order),
    Customer(Customer),
    Product(Product),
    Stock(StockLevel),
}

impl MappingSlot {
    pub fn new(host: Host, component: Arc<LoadedComponent>, tenant: &str, run_id: &str) -> Self {
        Self {
            host,
            component,
            tenant: tenant.into(),
            run_id: run_id.into(),
            limits: None,
            live: None,
            failures: 0,
            last_failure: None,
        }
    }

    /// The tenant's overrides of the mapping defaults.
    pub fn set_limits(&mut self, limits: Option<crate::Limits>) {
        self.limits = limits;
    }

    /// Runs the module over one record. `Err` is a reason a shop owner can
    /// read; the record is parked with it.
    pub fn apply(&mut self, record: Record) -> Result<Record, String> {
        if self.failures >= MAX_FAILURES {
            return Err(format!(
                "mapping module `{}` was switched off for this run after {MAX_FAILURES} failures; last: {}",
                self.component.name,
                self.last_failure.as_deref().unwrap_or("unknown")
            ));
        }
        match self.call(record) {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(reason)) => Err(format!("mapping module `{}` refused the record: {reason}", self.component.name)),
            Err(message) => {
                self.failures += 1;
                self.last_failure = Some(message.clone());
                self.live = None;
                Err(message)
            }
        }
    }

    /// Outer `Err`: the module failed (trap, limit); inner: it refused.
    fn call(&mut self, record: Record) -> Result<Result<Record, String>, String> {
        if self.live.is_none() {
            let (store, instance) = self
                .host
                .instantiate(
                    &self.component,
                    &self.tenant,
                    &self.run_id,
                    crate::StoreSetup { limits: self.limits.clone(), ..Default::default() },
                    None,
                )
                .map_err(|e| format!("{e:#}"))?;
            self.live = Some(Self::bind(&self.component, store, instance)?);
        }
        let (store, guest) = self.live.as_mut().expect("instantiated above");
        let limits = store.data().limits.clone();
        if let Some(fuel) = limits.fuel {
            store.set_fuel(fuel).map_err(|e| e.to_string())?;
        }
        store.set_epoch_deadline(limits.deadline_ticks());
        let outcome = match record {
            Record::Order(r) => guest.call_map_order(&mut *store, &r).map(|o| o.map(Record::Order)),
            Record::Customer(r) => guest.call_map_customer(&mut *store, &r).map(|o| o.map(Record::Customer)),
            Record::Product(r) => guest.call_map_product(&mut *store, &r).map(|o| o.map(Record::Product)),
            Record::Stock(r) => guest.call_map_stock(&mut *store, &r).map(|o| o.map(Record::Stock)),
        };
        let result = outcome.map_err(|e| traps::describe(&e, store.data()))?;
        if let Ok(r) = &result
            && store.data().limiter.peak_bytes > limits.output_bytes
        {
            let size = r.approximate_size();
            if size > limits.output_bytes {
                return Err(format!(
                    "mapping module `{}` hit its output limit of {} KiB (it returned {} KiB for one record)",
                    self.component.name,
                    limits.output_bytes / 1024,
                    size / 1024
                ));
            }
        }
        Ok(result)
    }

    fn bind(
        component: &LoadedComponent,
        mut store: Store<GuestState>,
        instance: Instance,
    ) -> Result<(Store<GuestState>, Transforms), String> {
        let name = store.data().name.clone();
        let guest = TransformsIndices::new(&component.pre)
            .and_then(|indices| indices.load(&mut store, &instance))
            .map_err(|e| {
                format!(
                    "mapping module `{name}` does not export trestle:sync/transforms@0.1.0 as the contract says: {e:#}"
                )
            })?;
        Ok((store, guest))
    }
}

impl Record {
    /// Bytes of text the record carries: what a hostile module could inflate.
    fn approximate_size(&self) -> usize {
        let json = match self {
            Record::Order(r) => format!("{r:?}"),
            Record::Customer(r) => format!("{r:?}"),
            Record::Product(r) => format!("{r:?}"),
            Record::Stock(r) => format!("{r:?}"),
        };
        json.len()
    }
}
