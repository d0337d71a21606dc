//! `trestle run`: one run of a tenant's flows. A config without flows runs
//! its mapping module over a sample order, so a mapping can be tried before
//! any shop is connected.

use std::path::Path;

use chrono::{Days, NaiveDate, NaiveTime, SecondsFormat};
use trestle_host::bindings::{DateRange, Trigger};
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

/// What a run covers, from the command line: everything new (the
/// schedule's run), one record (`--force`: again, although synced), or the
/// records created in a range of days.
pub fn trigger(
    record: Option<String>,
    force: bool,
    since: Option<&str>,
    until: Option<&str>,
) -> anyhow::Result<Trigger> {
    Ok(match (record, since) {
        (Some(id), _) if force => Trigger::Resync(id),
        (Some(id), _) => Trigger::RecordId(id),
        (None, Some(since)) => Trigger::Backfill(days(since, until)?),
        (None, None) => Trigger::Scheduled,
    })
}

/// `--since` and `--until` as instants: from the start of the first day to
/// the end of the last, in UTC.
pub(crate) fn days(since: &str, until: Option<&str>) -> anyhow::Result<DateRange> {
    let day = |flag: &str, text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|e| anyhow::anyhow!("--{flag} `{text}` is not a day like 2026-10-01 ({e})"))
    };
    let first = day("since", since)?;
    let last = until.map(|u| day("until", u)).transpose()?;
    if let Some(last) = last
        && last < first
    {
        anyhow::bail!("--until {last} is before --since {first}: the range would be empty");
    }
    let start_of = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok(DateRange { since: start_of(first), before: last.map(|l| start_of(l + Days::new(1))) })
}

pub fn run(config: &Path, only: Option<&str>, trigger: Trigger, mode: Mode) -> anyhow::Result<()> {
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
    // A scheduled `trestle run` (from cron, say) keeps the incidents and
    // tells the alert channels as `trestle serve` does; an owner's one-off
    // operation shows its outcome to the owner instead.
    let alerts = match (&trigger, mode) {
        (Trigger::Scheduled, Mode::Real) => Some(super::alerts::Alerts::new(&host, &tenant)?),
        _ => None,
    };
    for flow in flows {
        let mut run = tenant.flow_run(&host, &Builtins, &flow, trigger.clone())?;
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
        if let Some(alerts) = &alerts {
            alerts.after_run(&flow, &report);
            alerts.check_stalls(std::slice::from_ref(&flow));
        }
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

#[cfg(test)]
mod tests {
    use super::days;

    #[test]
    fn a_range_of_days_runs_from_the_start_of_the_first_to_the_end_of_the_last() {
        let range = days("2026-10-01", Some("2026-10-31")).unwrap();
        assert_eq!(range.since, "2026-10-01T00:00:00Z");
        assert_eq!(range.before.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(days("2026-10-01", None).unwrap().before, None);
    }

    #[test]
    fn a_bad_day_or_an_empty_range_is_refused_saying_why() {
        let bad = days("1 October", None).unwrap_err().to_string();
        assert!(bad.contains("--since `1 October` is not a day like 2026-10-01"), "{bad}");
        let empty = days("2026-10-02", Some("2026-10-01")).unwrap_err().to_string();
        assert!(empty.contains("--until 2026-10-01 is before --since 2026-10-02"), "{empty}");
    }
}
