//! The host library: forwarding, sandbox limits, the compile cache and tenant config.
//!
//! One test binary per crate (each file below is a module): every binary
//! links wasmtime and the emulators, so one per file cost gigabytes of disk
//! and minutes of linking (docs/2026-12-02-one-test-binary.md).

mod cache;
mod forwarding;
mod sandbox;
mod tenant_config;
