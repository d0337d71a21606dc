//! `trestle unpark` and `trestle skip`: the owner's word on a parked
//! record, carried out by the flow that parked it (it owns its ledger) in a
//! run of its own, recorded like any other.

use std::path::PathBuf;

use trestle_host::bindings::{SkipRequest, Trigger};
use trestle_host::tenant::PreparedTenant;

use crate::print;
use trestle_artifacts::Builtins;

#[derive(clap::Args)]
pub struct Args {
    /// The tenant config (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// The record's id in its source, as `trestle logs` shows it.
    record: String,
    /// The flow that parked it (default: the config's only flow).
    #[arg(long)]
    flow: Option<String>,
}

pub fn unpark(args: Args) -> anyhow::Result<()> {
    let trigger = Trigger::Unpark(args.record.clone());
    decide(args, trigger)
}

pub fn skip(args: Args, reason: String) -> anyhow::Result<()> {
    if reason.trim().is_empty() {
        anyhow::bail!("--reason is empty: say why the record is left out, for whoever reads the activity log");
    }
    let trigger = Trigger::Skip(SkipRequest { id: args.record.clone(), reason });
    decide(args, trigger)
}

fn decide(args: Args, trigger: Trigger) -> anyhow::Result<()> {
    let (host, tenant) = super::open_tenant(&args.config)?;
    let flow = flow_of(&tenant, args.flow)?;
    let run = tenant.flow_run(&host, &Builtins, &flow, trigger)?;
    let report = host.run_flow(run)?;
    print::summary(&flow, &report);
    Ok(())
}

fn flow_of(tenant: &PreparedTenant, named: Option<String>) -> anyhow::Result<String> {
    if let Some(flow) = named {
        return Ok(flow);
    }
    let flows: Vec<&String> = tenant.config.flows.keys().collect();
    match flows[..] {
        [only] => Ok(only.clone()),
        _ => anyhow::bail!(
            "name the flow that parked the record with --flow; the config has: {}",
            flows.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}
