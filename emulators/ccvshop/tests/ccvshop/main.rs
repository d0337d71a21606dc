//! The CCV Shop emulator as the official API documents it.
//!
//! One test binary per crate (each file below is a module): every binary
//! links wasmtime and the emulators, so one per file cost gigabytes of disk
//! and minutes of linking (docs/2026-12-02-one-test-binary.md).

mod auth;
mod common;
mod invoices;
mod limits_and_faults;
mod orders;
mod products;
mod sdk_fidelity;
mod webhooks_and_control;
