//! The eAccounting emulator as the official OpenAPI document describes it.
//!
//! One test binary per crate (each file below is a module): every binary
//! links wasmtime and the emulators, so one per file cost gigabytes of disk
//! and minutes of linking (docs/2026-12-02-one-test-binary.md).

mod api;
mod common;
mod identity;
mod limits;
mod payments;
mod schema_subset;
