//! `trestle purge`: the right to erasure. `--tenant T` removes everything
//! the tenant's database holds of T (state and tokens, id maps, cursors,
//! activity, runs, incidents) and says what it removed; the tenant must be
//! named, so a slip of the keyboard cannot erase the wrong one.
//! `--payloads` forgets the payloads past the retention period now, as
//! every run does at its end.

use std::path::PathBuf;

use anyhow::bail;
use trestle_host::retention;
use trestle_host::tenant::interval::describe_interval;
use trestle_host::{Host, HostOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The tenant config whose database to purge.
    #[arg(long, short)]
    config: PathBuf,
    /// Erase every row of this tenant.
    #[arg(long, conflicts_with = "payloads", required_unless_present = "payloads")]
    tenant: Option<String>,
    /// Only forget record payloads older than `[retention] payload_days`.
    #[arg(long)]
    payloads: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = super::load_config(&args.config)?;
    let database = config.database.clone().expect("load() always sets the database");
    if !database.exists() {
        bail!("nothing to purge: {database} does not exist");
    }
    let host = Host::new(HostOptions { database: Some(database), cache_dir: None })?;
    match args.tenant {
        Some(tenant) => {
            let erased = retention::erase_tenant(host.storage(), &tenant)?;
            let rows: Vec<String> = erased.rows.iter().map(|(table, n)| format!("{n} {table}")).collect();
            println!("erased tenant `{tenant}` from {}: {}", host.storage().describe(), rows.join(", "));
            if erased.total() == 0 {
                println!("(it held nothing of `{tenant}`; the config's tenant is `{}`)", config.tenant);
            }
        }
        None => {
            let kept = config.retention.payloads_for();
            let n = retention::forget_payloads(host.storage(), &config.tenant, kept)?;
            println!("forgot {n} record payloads of `{}` older than {}", config.tenant, describe_interval(kept));
        }
    }
    Ok(())
}
