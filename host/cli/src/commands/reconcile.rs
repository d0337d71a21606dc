//! `trestle reconcile`: are both sides the same? Each flow compares the
//! records it keeps the same (its `reconcile` export; the CLI knows no
//! system) over the same connections and rate budgets as a run, and writes
//! nothing. Exit 0: no drift; 1: drift; 2: some flow could not compare.
//! See docs/2026-12-02-reconcile.md.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};
use trestle_artifacts::Builtins;
use trestle_host::bindings::{Drift, DriftKind, Trigger};

#[derive(clap::Args)]
pub struct Args {
    /// The tenant config (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// Only this flow (default: every flow in the config).
    #[arg(long)]
    flow: Option<String>,
    /// Only records created on or after this day (YYYY-MM-DD, UTC), where the flow's records
    /// have a creation date (orders); default: what the flow's settings select.
    #[arg(long)]
    since: Option<String>,
    /// One JSON object per flow: what it compared and each drift with both sides' values.
    #[arg(long)]
    json: bool,
}

/// Drift found.
const DRIFT: u8 = 1;
/// Some flow could not compare (the reason is printed).
const COULD_NOT_COMPARE: u8 = 2;

pub fn run(args: Args) -> ExitCode {
    match reconcile(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: could not compare: {e:#}");
            ExitCode::from(COULD_NOT_COMPARE)
        }
    }
}

fn reconcile(args: &Args) -> anyhow::Result<u8> {
    let range = args.since.as_deref().map(|since| super::run::days(since, None)).transpose()?;
    let (host, tenant) = super::open_tenant(&args.config)?;
    let flows: Vec<String> = match &args.flow {
        Some(f) => vec![f.clone()],
        None => tenant.config.flows.keys().cloned().collect(),
    };
    if flows.is_empty() {
        anyhow::bail!("the tenant config has no [flows]: nothing to compare");
    }
    let (mut drifted, mut failed) = (false, false);
    for flow in flows {
        let compared = tenant
            .flow_run(&host, &Builtins, &flow, Trigger::Scheduled)
            .and_then(|run| host.reconcile_flow(run, range.clone()));
        match compared {
            Ok(found) => {
                let r = &found.reconciliation;
                drifted |= !r.drift.is_empty();
                if args.json {
                    let drift: Vec<Value> = r.drift.iter().map(drift_json).collect();
                    println!(
                        "{}",
                        json!({ "flow": flow, "compared": r.compared, "drift": drift, "notes": found.notes })
                    );
                    continue;
                }
                if r.compared.is_empty() {
                    println!("{flow}: compares nothing");
                    continue;
                }
                println!("{flow}: compared {}", r.compared.join(", "));
                for d in &r.drift {
                    println!("  {} {}: {}", d.record_kind, d.key, d.detail);
                }
                for note in &found.notes {
                    println!("  note: {note}");
                }
                println!(
                    "{flow}: {}",
                    if r.drift.is_empty() { "no drift".to_string() } else { format!("{} drift", r.drift.len()) }
                );
            }
            Err(e) => {
                failed = true;
                if args.json {
                    println!("{}", json!({ "flow": flow, "error": format!("{e:#}") }));
                } else {
                    eprintln!("{flow}: could not compare: {e:#}");
                }
            }
        }
    }
    Ok(if failed {
        COULD_NOT_COMPARE
    } else if drifted {
        DRIFT
    } else {
        0
    })
}

fn drift_json(d: &Drift) -> Value {
    let kind = match d.kind {
        DriftKind::MissingInTarget => "missing-in-target",
        DriftKind::MissingInSource => "missing-in-source",
        DriftKind::Differs => "differs",
    };
    json!({
        "record_kind": d.record_kind,
        "key": d.key,
        "kind": kind,
        "field": d.field,
        "source_value": d.source_value,
        "target_value": d.target_value,
        "detail": d.detail,
    })
}
