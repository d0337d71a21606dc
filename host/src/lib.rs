//! The Trestle host: loads connector, flow and tenant mapping components
//! (WebAssembly components built against the `trestle:sync` contract) and
//! runs syncs with each component sandboxed in its own Store.
//!
//! Embedders create one [`Host`], [`Host::load`] components from bytes or
//! files, and run them with [`run::FlowRun`] or [`connection::check`];
//! everything they did can be read back with [`Host::activity`]. A host
//! serving many tenants, each on its own schedule, embeds
//! [`tenants::Tenants`].

pub mod bindings;
pub mod cache;
pub mod capabilities;
pub mod connection;
pub mod engine;
mod engines;
pub mod forward;
pub mod guest_state;
pub mod incidents;
pub mod limits;
pub mod manifest;
pub mod mapping;
pub mod plan;
pub mod retention;
pub mod roles;
pub mod run;
pub mod run_lease;
pub mod sample;
pub mod sealing;
pub mod storage;
pub mod tenant;
pub mod tenants;
pub mod traps;

pub use capabilities::config::ComponentConfig;
pub use capabilities::http::HttpPolicy;
pub use capabilities::log::{ActivityEntry, ActivityQuery};
pub use engine::{Host, HostOptions, LoadedComponent};
pub use guest_state::StoreSetup;
pub use limits::{ComponentKind, LimitOverrides, Limits};
pub use manifest::Manifest;
