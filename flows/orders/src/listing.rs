//! One page of the shop's orders, as cheaply as the flow can have it: its
//! headers first, then the lines of only the orders the flow does not have
//! yet (neither synced, skipped by the owner nor parked; parked ones are
//! retried at the start of every run). An order's lines can cost a request each, so a rerun over a
//! page of known orders costs the listing alone.

use trestle::sync::order_source::{self, OrderDetail, OrderFilter};
use trestle_guest::Error;
use trestle_guest::types::Order;

use crate::{changes, ledger, trestle};

pub struct Page {
    /// The orders the flow has yet to handle, with their lines.
    pub new: Vec<Order>,
    /// Source ids of booked orders the page lists with a status the
    /// settings call cancelled (see `cancellations`).
    pub cancelled: Vec<String>,
    /// Source ids of booked orders whose totals moved since they were
    /// booked (see `changes`).
    pub changed: Vec<String>,
    pub next: Option<String>,
}

/// The page at `cursor`; `parked` are the source ids parked at the start of
/// the run.
pub fn read(
    filter: &OrderFilter,
    cursor: Option<&str>,
    parked: &[String],
    cancelled_statuses: &[String],
) -> Result<Page, Error> {
    let headers = order_source::list_orders(&OrderFilter { detail: OrderDetail::Headers, ..filter.clone() }, cursor)?;
    let cancelled: Vec<String> = headers
        .orders
        .iter()
        .filter(|o| cancelled_statuses.contains(&o.status) && ledger::synced(&o.source_id).is_some())
        .map(|o| o.source_id.clone())
        .collect();
    let changed = changed_since_booked(&headers.orders, cancelled_statuses);
    // An order cancelled before it was booked is not booked.
    let wanted: Vec<String> = headers
        .orders
        .into_iter()
        .filter(|o| !cancelled_statuses.contains(&o.status))
        .map(|o| o.source_id)
        .filter(|id| ledger::synced(id).is_none() && ledger::skipped(id).is_none() && !parked.contains(id))
        .collect();
    if wanted.is_empty() {
        return Ok(Page { new: Vec::new(), cancelled, changed, next: headers.next });
    }
    let full = order_source::list_orders(&OrderFilter { detail: OrderDetail::Only(wanted), ..filter.clone() }, cursor)?;
    Ok(Page { new: full.orders, cancelled, changed, next: headers.next })
}

/// Booked, not cancelled orders whose digest is not the one they were
/// booked with. An order booked before digests were kept gets the one it
/// has now: a change made before that is not known.
fn changed_since_booked(orders: &[Order], cancelled_statuses: &[String]) -> Vec<String> {
    let mut changed = Vec::new();
    for order in orders.iter().filter(|o| !cancelled_statuses.contains(&o.status)) {
        if ledger::synced(&order.source_id).is_none() || ledger::cancellation(&order.source_id).is_some() {
            continue;
        }
        let now = changes::digest(order);
        match ledger::booked(&order.source_id) {
            None => ledger::record_booked(&order.source_id, &now),
            Some(booked) if booked != now => changed.push(order.source_id.clone()),
            Some(_) => {}
        }
    }
    changed
}
