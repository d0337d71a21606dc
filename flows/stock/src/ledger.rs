//! What the flow remembers between runs, in the host's state (namespaced to
//! this tenant and flow): the quantity last pushed per shop SKU, and the
//! SKUs the shop lacked. Only a
//! write the shop accepted is recorded, so a level that failed to land
//! differs from the record and is pushed again on the next run.

use trestle_guest::state;

const PUSHED: &str = "pushed/";
/// SKUs the shop did not have, with the quantity we then had for them: not
/// asked again (a variant look-up costs a slow call) until that changes.
const ABSENT: &str = "absent/";

/// The quantity as stored and compared: one spelling per value.
pub fn spelled(quantity: f64) -> String {
    format!("{quantity}")
}

pub fn last_pushed(sku: &str) -> Option<String> {
    state::get(&format!("{PUSHED}{sku}"))
}

pub fn record_pushed(sku: &str, quantity: f64) {
    state::set(&format!("{PUSHED}{sku}"), &spelled(quantity));
    state::delete(&format!("{ABSENT}{sku}"));
}

/// Whether the shop lacked this SKU when we last had this quantity for it.
pub fn known_absent(sku: &str, quantity: f64) -> bool {
    state::get(&format!("{ABSENT}{sku}")).is_some_and(|q| q == spelled(quantity))
}

pub fn record_absent(sku: &str, quantity: f64) {
    state::set(&format!("{ABSENT}{sku}"), &spelled(quantity));
}

/// Forgets every pushed level: while the flow does not manage the shop's
/// stock, the shop's own figures move, so a later run must push them all.
pub fn forget_all() {
    for key in state::keys(PUSHED).into_iter().chain(state::keys(ABSENT)) {
        state::delete(&key);
    }
}
