//! A tenant as its config describes it, and turned into loaded components
//! ready to run.

pub mod alerts;
pub mod bounds;
pub mod config;
pub mod interval;
pub mod paths;
pub mod prepare;
pub mod retention;
pub(crate) mod spec_settings;
pub mod webhooks;

pub use config::TenantConfig;
pub use paths::PathScope;
pub use prepare::{ComponentSource, PreparedTenant};
pub use webhooks::{WebhookRoute, WebhookRoutes};
