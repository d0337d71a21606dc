//! What the host supplies to components, one capability per module, each a
//! unit in the manner of Spin's factors: it owns its per-Store state (a
//! `...Capability` type, or `ComponentConfig`), its `prepare` step (from
//! the tenant config and the connector's manifest, no wasm involved) and
//! its `link` into a Linker (given a getter of its state from the Store's).
//! `guest_state` composes them into one Store's data. See
//! docs/2026-12-02-capability-units.md.

pub mod config;
pub mod http;
pub mod log;
pub mod network;
mod outbound;
pub mod pacing;
pub mod roles;
pub mod sandbox;
pub mod state;
pub mod transforms;
