//! The contract's capability interfaces, implemented on a Store's state by
//! delegating to the plain-Rust capabilities.

use crate::bindings::trestle::sync::{config, log, state, transforms};
use crate::bindings::types::{Customer, Order, Product, StockLevel};
use crate::capabilities::log::RecordEvent;
use crate::guest_state::GuestState;
use crate::limits::ComponentKind;
use crate::mapping::Record;

impl state::Host for GuestState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.scope()?.get(&key).map_err(wasmtime::Error::from_anyhow)
    }

    fn set(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        self.scope()?.set(&key, &value).map_err(wasmtime::Error::from_anyhow)
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        self.scope()?.delete(&key).map_err(wasmtime::Error::from_anyhow)
    }

    fn keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        self.scope()?.keys(&prefix).map_err(wasmtime::Error::from_anyhow)
    }
}

impl GuestState {
    fn scope(&self) -> wasmtime::Result<&crate::capabilities::state::StateScope> {
        self.state.as_ref().ok_or_else(|| wasmtime::format_err!("{} `{}` has no state", self.kind.as_str(), self.name))
    }
}

impl config::Host for GuestState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.config.get(&key))
    }

    fn entries(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.config.entries())
    }
}

impl log::Host for GuestState {
    fn log(&mut self, level: log::Level, message: String, fields: Vec<(String, String)>) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.activity().log(level, &message, &fields);
        Ok(())
    }

    fn report(&mut self, event: log::RecordEvent) -> wasmtime::Result<()> {
        let outcome = match event.outcome {
            log::Outcome::Synced => "synced",
            log::Outcome::Skipped => "skipped",
            log::Outcome::Parked => "parked",
            log::Outcome::Failed => "failed",
        };
        if self.kind == ComponentKind::Mapping {
            // A mapping sees records, it does not sync them: what it claims
            // happened is one of its log lines, never an outcome in the audit.
            let claim = format!("reported {} {} as {outcome}: {}", event.record_kind, event.source_id, event.detail);
            self.activity().log("info", &claim, &[]);
            return Ok(());
        }
        if let Some(plan) = self.roles.as_mut().and_then(|r| r.plan_mut()) {
            plan.reported(&event.record_kind, &event.source_id, outcome, &event.detail);
        }
        self.activity().record(RecordEvent {
            record_kind: event.record_kind,
            source_system: event.source_system,
            source_id: event.source_id,
            target_system: event.target_system,
            target_id: event.target_id,
            outcome: outcome.to_string(),
            detail: event.detail,
            payload: event.payload,
        })?;
        Ok(())
    }
}

/// Without a mapping module, every record passes through unchanged.
impl transforms::Host for GuestState {
    fn map_order(&mut self, order: Order) -> wasmtime::Result<Result<Order, String>> {
        Ok(self.apply_mapping(Record::Order(order)).map(|r| match r {
            Record::Order(o) => o,
            _ => unreachable!("a mapping returns the kind it was given"),
        }))
    }

    fn map_customer(&mut self, customer: Customer) -> wasmtime::Result<Result<Customer, String>> {
        Ok(self.apply_mapping(Record::Customer(customer)).map(|r| match r {
            Record::Customer(c) => c,
            _ => unreachable!("a mapping returns the kind it was given"),
        }))
    }

    fn map_product(&mut self, product: Product) -> wasmtime::Result<Result<Product, String>> {
        Ok(self.apply_mapping(Record::Product(product)).map(|r| match r {
            Record::Product(p) => p,
            _ => unreachable!("a mapping returns the kind it was given"),
        }))
    }

    fn map_stock(&mut self, level: StockLevel) -> wasmtime::Result<Result<StockLevel, String>> {
        Ok(self.apply_mapping(Record::Stock(level)).map(|r| match r {
            Record::Stock(s) => s,
            _ => unreachable!("a mapping returns the kind it was given"),
        }))
    }
}

impl GuestState {
    fn apply_mapping(&mut self, record: Record) -> Result<Record, String> {
        match self.mapping.as_mut() {
            Some(slot) => slot.apply(record),
            None => Ok(record),
        }
    }
}
