//! Connectors and flows end to end against the emulators over real sockets.
//!
//! One test binary per crate (each file below is a module): every binary
//! links wasmtime and the emulators, so one per file cost gigabytes of disk
//! and minutes of linking (docs/2026-12-02-one-test-binary.md).

mod ccvshop_connector;
mod changed_orders;
mod customers_flow;
mod eaccounting_connector;
mod flow_entries;
mod hostile_mappings;
mod no_damage;
mod operations;
mod orders_flow;
mod payments_flow;
mod products_flow;
mod reconcile;
mod role_contract;
mod stock_flow;
mod storage;
mod third_connector;
