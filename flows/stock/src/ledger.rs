//! What the flow remembers between runs, in the host's state (namespaced to
//! this tenant and flow): the quantity last pushed per shop SKU. Only a
//! write the shop accepted is recorded, so a level that failed to land
//! differs from the record and is pushed again on the next run.

use trestle_guest::state;

const PUSHED: &str = "pushed/";

/// The quantity as stored and compared: one spelling per value.
pub fn spelled(quantity: f64) -> String {
    format!("{quantity}")
}

pub fn last_pushed(sku: &str) -> Option<String> {
    state::get(&format!("{PUSHED}{sku}"))
}

pub fn record_pushed(sku: &str, quantity: f64) {
    state::set(&format!("{PUSHED}{sku}"), &spelled(quantity));
}

/// Forgets every pushed level: while the flow does not manage the shop's
/// stock, the shop's own figures move, so a later run must push them all.
pub fn forget_all() {
    for key in state::keys(PUSHED) {
        state::delete(&key);
    }
}
