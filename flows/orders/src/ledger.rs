//! What the flow remembers between runs, in the host's state (namespaced to
//! this tenant): where each order went, which are parked and why, what is
//! known of customers and articles, and the page cursor.

pub use trestle_guest::flow::parked::{all as parked, park, reason as parked_reason, skip, skipped, unpark, unskip};
use trestle_guest::state;

const CURSOR: &str = "cursor";

fn order_key(source_id: &str) -> String {
    format!("order/{source_id}")
}

pub fn cursor() -> Option<String> {
    state::get(CURSOR)
}

pub fn set_cursor(cursor: &str) {
    state::set(CURSOR, cursor);
}

/// The document an order became, if it was synced.
pub fn synced(source_id: &str) -> Option<String> {
    state::get(&order_key(source_id))
}

pub fn record_synced(source_id: &str, target_id: &str) {
    state::set(&order_key(source_id), target_id);
    unpark(source_id);
}

/// Recorded as synced no more: the document it went to is gone from the
/// target, so it is written anew.
pub fn forget_synced(source_id: &str) {
    state::delete(&order_key(source_id));
}

/// A value remembered for a key (customer ids by e-mail, known articles).
pub fn remembered(key: &str) -> Option<String> {
    state::get(&format!("memo/{key}"))
}

pub fn remember(key: &str, value: &str) {
    state::set(&format!("memo/{key}"), value);
}

pub fn forget(key: &str) {
    state::delete(&format!("memo/{key}"));
}

fn payment_key(source_id: &str) -> String {
    format!("payment/{source_id}")
}

/// An invoice whose payment is still to be registered: kept from its
/// booking until the books hold what the shop received, so a run that dies
/// between the two (or an order paid later) is settled by a later run.
pub fn await_payment(source_id: &str, pending: &str) {
    state::set(&payment_key(source_id), pending);
}

pub fn awaited_payment(source_id: &str) -> Option<String> {
    state::get(&payment_key(source_id))
}

pub fn payment_settled(source_id: &str) {
    state::delete(&payment_key(source_id));
}

/// Source ids of the orders whose payments are awaited.
pub fn awaited_payments() -> Vec<String> {
    state::keys("payment/").into_iter().filter_map(|k| k.strip_prefix("payment/").map(str::to_string)).collect()
}

/// How a booked order cancelled in the shop was handled: "parked", or the
/// credit document's id. Handled once.
pub fn cancellation(source_id: &str) -> Option<String> {
    state::get(&format!("cancelled/{source_id}"))
}

pub fn record_cancellation(source_id: &str, outcome: &str) {
    state::set(&format!("cancelled/{source_id}"), outcome);
}

/// Orders a refund was credited on (marked before its credit is created, so
/// a run killed in between still knows): a cancellation must not credit
/// them in full again.
pub fn refunded(source_id: &str) -> Option<String> {
    state::get(&format!("refunded/{source_id}"))
}

pub fn record_refunded(source_id: &str, refund_number: &str) {
    state::set(&format!("refunded/{source_id}"), refund_number);
}

/// How a shop refund was handled: the credit invoice's id once it and its
/// refund payment are in the books. Handled once.
pub fn refund(refund_id: &str) -> Option<String> {
    state::get(&format!("refund/{refund_id}"))
}

pub fn record_refund(refund_id: &str, outcome: &str) {
    state::set(&format!("refund/{refund_id}"), outcome);
}

/// What the shop's order came to when it was last booked (see `changes`),
/// to tell an order changed after booking.
pub fn booked(source_id: &str) -> Option<String> {
    state::get(&format!("booked/{source_id}"))
}

pub fn record_booked(source_id: &str, digest: &str) {
    state::set(&format!("booked/{source_id}"), digest);
}

/// The change of a booked order last reported to the owner (its digest), so
/// each change is reported once.
pub fn change_reported(source_id: &str) -> Option<String> {
    state::get(&format!("change-reported/{source_id}"))
}

pub fn record_change_reported(source_id: &str, digest: &str) {
    state::set(&format!("change-reported/{source_id}"), digest);
}

/// How often a changed order was booked anew (credit + new document); 0 for
/// one booked once.
pub fn rebookings(source_id: &str) -> u32 {
    state::get(&format!("rebooked/{source_id}")).and_then(|n| n.parse().ok()).unwrap_or(0)
}

pub fn record_rebookings(source_id: &str, count: u32) {
    state::set(&format!("rebooked/{source_id}"), &count.to_string());
}

/// A rebooking under way (what it started from), kept until its new
/// document is recorded: a run that dies half-way finishes it as it began.
pub fn rebooking(source_id: &str) -> Option<String> {
    state::get(&format!("rebooking/{source_id}"))
}

pub fn start_rebooking(source_id: &str, started: &str) {
    state::set(&format!("rebooking/{source_id}"), started);
}

pub fn finish_rebooking(source_id: &str) {
    state::delete(&format!("rebooking/{source_id}"));
}
