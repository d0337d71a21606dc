//! The trestle command end to end: each module starts the binary against emulators.
//!
//! One test binary per crate (each file below is a module): every binary
//! links wasmtime and the emulators, so one per file cost gigabytes of disk
//! and minutes of linking (docs/2026-12-02-one-test-binary.md).

mod alerts;
mod audit;
mod check;
mod common;
mod connect;
mod dashboard;
mod dashboard_browser;
mod demo_serves;
mod dry_run;
mod first_use;
mod kill;
mod manifest;
mod operations;
mod postgres;
mod purge;
mod reconcile;
mod secrets_at_rest;
mod serve;
mod serve_stop;
mod tenants;
