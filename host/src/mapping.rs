//! Tenant mapping modules: each runs in its own Store, metered by fuel, with
//! nothing imported but `log` (and the WASI basics its language runtime
//! needs). A mapping that traps is replaced by a fresh instance for the next
//! record; one that keeps hitting limits is switched off for the run, so a
//! hostile module costs a few records' time, not the whole run's. What it
//! returns is checked before any flow sees it: identity fields unchanged
//! (`identity`), the canonical invariants held (`invariants`), a refusal's
//! reason cut to size.

mod identity;
mod invariants;

use std::sync::{Arc, Mutex};

use wasmtime::Store;
use wasmtime::component::Instance;

use crate::bindings::exports::trestle::sync::transforms::{Guest as Transforms, GuestIndices as TransformsIndices};
use crate::capabilities::log::ActivityWriter;
use crate::capabilities::transforms::MapRecords;
pub use crate::capabilities::transforms::Record;
use crate::engine::{Host, LoadedComponent};
use crate::guest_state::GuestState;
use crate::limits::{ComponentKind, Limits, REASON_BYTES};
use crate::traps;

pub use invariants::{MAX_AMOUNT, MAX_QUANTITY};

/// After this many failed calls in one run, the module is not called again.
const MAX_FAILURES: u32 = 3;

/// A mapping module as a flow run holds it: instantiated on first use.
pub struct MappingSlot {
    host: Host,
    component: Arc<LoadedComponent>,
    tenant: String,
    run_id: String,
    limits: Limits,
    live: Option<(Store<GuestState>, Transforms)>,
    /// The module's activity log, kept across instances: one budget per run.
    activity: Option<Arc<Mutex<ActivityWriter>>>,
    /// A dry run's own activity log, instead of the host's.
    activity_storage: Option<crate::storage::Storage>,
    failures: u32,
    last_failure: Option<String>,
}

impl MappingSlot {
    pub fn new(host: Host, component: Arc<LoadedComponent>, tenant: &str, run_id: &str) -> Self {
        Self {
            host,
            component,
            tenant: tenant.into(),
            run_id: run_id.into(),
            limits: Limits::defaults(ComponentKind::Mapping),
            live: None,
            activity: None,
            activity_storage: None,
            failures: 0,
            last_failure: None,
        }
    }

    /// The tenant's overrides of the mapping defaults.
    pub fn set_limits(&mut self, limits: Option<Limits>) {
        self.limits = limits.unwrap_or_else(|| Limits::defaults(ComponentKind::Mapping));
    }

    /// Logs to this database instead of the host's (a dry run's).
    pub fn log_to(&mut self, storage: Option<crate::storage::Storage>) {
        self.activity_storage = storage;
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
        let input = record.clone();
        let checked = self.call(record).and_then(|mapped| match mapped {
            Ok(output) => self.check(&input, output),
            Err(reason) => {
                Ok(Err(format!("mapping module `{}` refused the record: {}", self.component.name, capped(reason))))
            }
        });
        match checked {
            Ok(result) => result,
            Err(message) => {
                self.failures += 1;
                self.last_failure = Some(message.clone());
                self.live = None;
                Err(message)
            }
        }
    }

    /// What the module returned, checked: refused (inner `Err`) when it
    /// changes an identity or breaks an invariant, a failure (outer) when it
    /// is larger than the output limit. The invariants bound counts and
    /// texts cheaply first; the size is measured only for what passed them.
    fn check(&self, input: &Record, output: Record) -> Result<Result<Record, String>, String> {
        let name = &self.component.name;
        let valid =
            identity::unchanged(input, &output).and_then(|()| invariants::hold(input, &output, &self.limits.record));
        if let Err(problem) = valid {
            return Ok(Err(format!(
                "mapping module `{name}` returned {} that cannot be used: {problem}",
                input.noun()
            )));
        }
        let limit = self.limits.output_bytes;
        let peak = self.live.as_ref().map_or(0, |(store, _)| store.data().sandbox.limiter.peak_bytes);
        if peak > limit {
            let size = output.approximate_size();
            if size > limit {
                return Err(format!(
                    "mapping module `{name}` hit its output limit of {} KiB (it returned {} KiB for one record)",
                    limit / 1024,
                    size / 1024
                ));
            }
        }
        Ok(Ok(output))
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
                    crate::StoreSetup {
                        limits: Some(self.limits.clone()),
                        activity: self.activity.clone(),
                        activity_storage: self.activity_storage.clone(),
                        ..Default::default()
                    },
                    None,
                )
                .map_err(|e| format!("{e:#}"))?;
            self.activity = Some(store.data().log.activity.clone());
            self.live = Some(Self::bind(&self.component, store, instance)?);
        }
        let (store, guest) = self.live.as_mut().expect("instantiated above");
        let limits = store.data().limits().clone();
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
        outcome.map_err(|e| traps::describe(&e, store.data()))
    }

    fn bind(
        component: &LoadedComponent,
        mut store: Store<GuestState>,
        instance: Instance,
    ) -> Result<(Store<GuestState>, Transforms), String> {
        let name = store.data().name().to_string();
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

impl MapRecords for MappingSlot {
    fn apply(&mut self, record: Record) -> Result<Record, String> {
        MappingSlot::apply(self, record)
    }
}

impl Record {
    fn noun(&self) -> &'static str {
        match self {
            Record::Order(_) => "an order",
            Record::Customer(_) => "a customer",
            Record::Product(_) => "a product",
            Record::Stock(_) => "a stock level",
        }
    }

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

/// A module's refusal reason, cut to [`REASON_BYTES`]: it is stored as the
/// parked record's reason and shown on every run until the record syncs.
fn capped(reason: String) -> String {
    if reason.len() <= REASON_BYTES {
        return reason;
    }
    let mut end = REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}... (truncated: the first {} KiB of {} KiB are kept)",
        &reason[..end],
        REASON_BYTES / 1024,
        reason.len().div_ceil(1024)
    )
}

/// A text a module returned, quoted and cut short for a message.
fn shown(text: &str) -> String {
    const SHOWN: usize = 64;
    if text.len() <= SHOWN {
        return format!("{text:?}");
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}... ({} bytes)", &text[..end], text.len())
}
