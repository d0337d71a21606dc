//! `trestle run`: one run of a tenant's flows. A config without flows runs
//! its mapping module over a sample order, so a mapping can be tried before
//! any shop is connected.

use std::path::Path;

use trestle_host::bindings::Trigger;
use trestle_host::mapping::{MappingSlot, Record};
use trestle_host::sample::sample_order;

use crate::print;
use trestle_artifacts::Builtins;

/// A real run, or a dry run printed for people or as JSON lines.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Real,
    DryRun,
    DryRunJson,
}

pub fn run(config: &Path, only: Option<&str>, record: Option<String>, mode: Mode) -> anyhow::Result<()> {
    let (host, tenant) = super::open_tenant(config)?;
    let flows: Vec<String> = match only {
        Some(f) => vec![f.to_string()],
        None => tenant.config.flows.keys().cloned().collect(),
    };
    if flows.is_empty() {
        let Some((component, limits)) = tenant.mapping.clone() else {
            anyhow::bail!("the tenant config has no [flows] and no [mapping]: nothing to run");
        };
        let mut slot = MappingSlot::new(host.clone(), component.clone(), &tenant.config.tenant, "sample");
        slot.set_limits(limits);
        println!("No flows configured: running mapping module `{}` over a sample order.\n", component.name);
        let before = sample_order();
        match slot.apply(Record::Order(before.clone())).map_err(anyhow::Error::msg)? {
            Record::Order(after) => print::order_diff(&before, &after),
            _ => anyhow::bail!("mapping module `{}` returned another kind of record", component.name),
        }
        return Ok(());
    }
    // One flow failing (its connection down, say) does not keep the others
    // from running; the command still fails at the end.
    let mut failed = Vec::new();
    for flow in flows {
        let trigger = record.clone().map_or(Trigger::Scheduled, Trigger::RecordId);
        let mut run = tenant.flow_run(&host, &Builtins, &flow, trigger)?;
        if mode != Mode::Real {
            match host.plan_flow(run) {
                Ok(planned) if mode == Mode::DryRunJson => print::plan_json(&flow, &planned)?,
                Ok(planned) => print::plan(&flow, &planned),
                Err(e) => {
                    eprintln!("{flow}: the dry run failed: {e:#}");
                    failed.push(flow);
                }
            }
            continue;
        }
        let progress = print::Progress::start(&flow);
        run.observer = Some(progress.observer());
        let report = host.run_flow(run);
        progress.finish();
        match report {
            // A run whose own record is incomplete is not a clean run.
            Ok(report) if report.lost_activity.is_some() => {
                print::summary(&flow, &report);
                eprintln!("{flow}: the activity log of this run is incomplete (see the note above)");
                failed.push(flow);
            }
            Ok(report) => print::summary(&flow, &report),
            Err(e) => {
                eprintln!("{flow}: the run failed: {e:#}");
                failed.push(flow);
            }
        }
    }
    super::forget_old_payloads(&host, &tenant.config);
    if !failed.is_empty() {
        anyhow::bail!("{} of the flows failed: {}", failed.len(), failed.join(", "));
    }
    Ok(())
}
