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

use crate::process::{Handled, Run};
use crate::{ledger, listing, trestle};

pub fn recent_orders(run: &mut Run, mut filter: OrderFilter) -> Result<Handled, Error> {
    let days = run.settings.recheck_days;
    if days == 0 {
        return Ok(Handled::Continue);
    }
    let now = wall_clock::now();
    let now = DateTime::<Utc>::from_timestamp(now.seconds as i64, 0).unwrap_or_default();
    let window_start = now - Duration::days(i64::from(days));
    // The later of the window and the settings' own start.
    let configured = filter.created_since.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    if configured.is_none_or(|c| c < window_start) {
        filter.created_since = Some(window_start.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    sweep(run, &filter)
}

/// Every page the filter selects, from the first; the orders already
/// synced, skipped or parked cost nothing but the listing, and no cursor is
/// kept.
pub fn sweep(run: &mut Run, filter: &OrderFilter) -> Result<Handled, Error> {
    // Parked orders are retried at the start of a scheduled run.
    let parked = ledger::parked();
    let mut cursor = None;
    loop {
        let page = listing::read(filter, cursor.as_deref(), &parked, &run.settings.cancelled_statuses)?;
        run.cancelled_after_booking(page.cancelled)?;
        if run.handle_batch(page.new)? == Handled::Stop {
            return Ok(Handled::Stop);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(Handled::Continue),
        }
    }
}
