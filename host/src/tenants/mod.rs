//! Many tenants on one host, as `trestle serve --tenants` runs them and a
//! host platform embeds them: [`Tenants`] is the set served (put, changed,
//! paused and removed while it runs), each tenant on its own schedule, its
//! runs taken by a bounded pool of workers from a queue fair across
//! tenants (`queue`), each run within a time limit. [`TenantDirectory`]
//! feeds the set from a directory of TOML files and watches it;
//! [`TenantTokens`] are the per-tenant API tokens; `history` reads back
//! what the runs did. See docs/2026-12-02-many-tenants.md and
//! `examples/many_tenants.rs`.

pub mod directory;
pub mod history;
mod pauses;
pub mod queue;
pub mod set;
pub mod tokens;

pub use directory::TenantDirectory;
pub use queue::{FlowStatus, Job, LastRun, Queued, Work};
pub use set::{Observer, Put, ServedTenant, TenantView, Tenants, TenantsOptions, Workers};
pub use tokens::TenantTokens;
