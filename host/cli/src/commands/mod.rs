//! One module per subcommand.

pub mod alerts;
pub mod check;
pub mod connect;
pub mod decide;
pub mod demo;
pub mod inspect;
pub mod logs;
pub mod purge;
pub mod reconcile;
pub mod rekey;
pub mod run;
pub mod serve;

use std::path::Path;
use std::sync::OnceLock;

use trestle_host::sealing::StateKeys;
use trestle_host::storage::Database;
use trestle_host::tenant::{PathScope, PreparedTenant, TenantConfig};
use trestle_host::{Host, HostOptions};

use trestle_artifacts::Builtins;

/// How far config paths may reach, as the operator said on the command line.
static PATH_SCOPE: OnceLock<PathScope> = OnceLock::new();

pub fn set_path_scope(scope: PathScope) {
    let _ = PATH_SCOPE.set(scope);
}

/// A line of what a command does, with the time (the service's log).
pub fn say(line: &str) {
    println!("{} {line}", chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
}

/// Forgets the tenant's record payloads past its retention period; said,
/// not fatal, when the database refuses (the run itself went through).
pub fn forget_old_payloads(host: &Host, tenant: &TenantConfig) {
    if let Err(e) =
        trestle_host::retention::forget_payloads(host.storage(), &tenant.tenant, tenant.retention.payloads_for())
    {
        eprintln!("old record payloads are kept for now: {e:#}");
    }
}

/// The folder a tenant config is in.
pub fn folder_of(config: &Path) -> &Path {
    config.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// How far config paths may reach, as the operator allows.
pub fn path_scope() -> PathScope {
    PATH_SCOPE.get().copied().unwrap_or_default()
}

/// Reads a tenant config with the paths the operator allows.
pub fn load_config(config: &Path) -> anyhow::Result<TenantConfig> {
    TenantConfig::load_with(config, path_scope())
}

/// A host on `database`, sealing state with the operator's keys if they
/// are set. Its component cache is beside a database file, else (a
/// PostgreSQL URL) in `folder`'s `.trestle/cache`.
pub fn open_host(database: &Database, folder: &Path) -> anyhow::Result<Host> {
    let cache_dir = match database {
        Database::File(path) => path.parent().map(|d| d.join("cache")),
        Database::Postgres(_) => Some(folder.join(".trestle/cache")),
    };
    let host = Host::new(HostOptions { database: Some(database.clone()), cache_dir })?;
    if let Some(keys) = StateKeys::from_env()? {
        host.storage().seal_state_with(keys)?;
    }
    Ok(host)
}

/// Loads a tenant config and everything it names, on a host whose database
/// and component cache live where the config says.
pub fn open_tenant(config: &Path) -> anyhow::Result<(Host, PreparedTenant)> {
    let tenant = load_config(config)?;
    let database = tenant.database.clone().expect("load() always sets the database");
    let host = open_host(&database, folder_of(config))?;
    let prepared = PreparedTenant::prepare(&host, &Builtins, tenant)?;
    Ok((host, prepared))
}
