//! A tenant as its config describes it, and turned into loaded components
//! ready to run.

pub mod config;
pub mod prepare;

pub use config::TenantConfig;
pub use prepare::{ComponentSource, PreparedTenant};
