//! `trestle logs`: the activity log as a table or JSON, filtered.

use std::path::PathBuf;

use trestle_host::{ActivityQuery, Host, HostOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The tenant config whose database to read.
    #[arg(long, short)]
    config: PathBuf,
    /// Only entries of this component (a flow or connection name).
    #[arg(long)]
    component: Option<String>,
    /// Only what happened to this record id.
    #[arg(long)]
    record: Option<String>,
    /// Only records with this outcome: synced, skipped, parked, failed.
    #[arg(long)]
    outcome: Option<String>,
    /// Only this kind of entry: record, log, call, host.
    #[arg(long)]
    kind: Option<String>,
    /// Only this run.
    #[arg(long)]
    run: Option<String>,
    /// At most this many of the newest entries.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

const OUTCOMES: &[&str] = &["synced", "skipped", "parked", "failed", "mismatched"];

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(o) = &args.outcome
        && !OUTCOMES.contains(&o.as_str())
    {
        anyhow::bail!("--outcome {o} is not an outcome; allowed: {}", OUTCOMES.join(", "));
    }
    let tenant = super::load_config(&args.config)?;
    let database = tenant.database.clone().expect("load() always sets the database");
    if !database.exists() {
        anyhow::bail!("no activity yet: {database} does not exist (run `trestle run` first)");
    }
    let host = Host::new(HostOptions { database: Some(database), cache_dir: None })?;
    let entries = host.activity(&ActivityQuery {
        tenant: Some(tenant.tenant.clone()),
        run_id: args.run,
        component: args.component,
        kind: args.kind.or_else(|| args.outcome.as_ref().map(|_| "record".into())),
        source_id: args.record,
        outcome: args.outcome,
        limit: Some(args.limit),
        ..Default::default()
    })?;
    if args.json {
        for e in &entries {
            println!("{}", serde_json::to_string(e)?);
        }
        return Ok(());
    }
    println!("{:<24} {:<14} {:<7} {:<6} message", "at", "component", "kind", "level");
    for e in &entries {
        let at = e.at.get(..23).unwrap_or(&e.at);
        println!("{at:<24} {:<14} {:<7} {:<6} {}", e.component, e.kind, e.level, e.message);
    }
    Ok(())
}
