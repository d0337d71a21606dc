//! One module per subcommand.

pub mod check;
pub mod connect;
pub mod demo;
pub mod logs;
pub mod run;
pub mod serve;

use std::path::Path;

use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{Host, HostOptions};

use trestle_artifacts::Builtins;

/// Loads a tenant config and everything it names, on a host whose database
/// and component cache live where the config says.
pub fn open_tenant(config: &Path) -> anyhow::Result<(Host, PreparedTenant)> {
    let tenant = TenantConfig::load(config)?;
    let database = tenant.database.clone().expect("load() always sets the database path");
    let cache_dir = database.parent().map(|d| d.join("cache"));
    let host = Host::new(HostOptions { database: Some(database), cache_dir })?;
    let prepared = PreparedTenant::prepare(&host, &Builtins, tenant)?;
    Ok((host, prepared))
}
