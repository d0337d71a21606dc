//! Orders the cursor has passed can become selectable later: paid by bank
//! transfer days after they were placed, or given a chosen status. The
//! shop's list, filtered by the settings, then shows them among older pages
//! the cursor will not read again. So each scheduled run also looks back
//! over the orders created in the last `recheck_days` days; those already
//! synced or parked cost nothing but the listing.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use trestle::sync::order_source::OrderFilter;
use trestle_guest::Error;
use trestle_guest::bindings::wasi::clocks::wall_clock;

use trestle_guest::flow::pages::Step;

use crate::process::Run;
use crate::trestle;

pub fn recent_orders(run: &mut Run, mut filter: OrderFilter) -> Result<Step, Error> {
    if run.settings.recheck_days == 0 {
        return Ok(Step::Continue);
    }
    filter.created_since = window_start(run.settings.recheck_days, filter.created_since.as_deref());
    sweep(run, &filter)
}

/// Every page the filter selects, from the first; the orders already
/// synced, skipped or parked cost nothing but the listing, and no cursor is
/// kept.
pub fn sweep(run: &mut Run, filter: &OrderFilter) -> Result<Step, Error> {
    crate::handle_pages(run, filter, None, false)
}

/// The later of `days` ago (0: no window) and the settings' own start.
pub fn window_start(days: u32, configured: Option<&str>) -> Option<String> {
    let parsed = configured.and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    if days == 0 {
        return configured.map(str::to_string);
    }
    let now = wall_clock::now();
    let now = DateTime::<Utc>::from_timestamp(now.seconds as i64, 0).unwrap_or_default();
    let window_start = now - Duration::days(i64::from(days));
    match parsed {
        Some(c) if c >= window_start => configured.map(str::to_string),
        _ => Some(window_start.to_rfc3339_opts(SecondsFormat::Secs, true)),
    }
}
