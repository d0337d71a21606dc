//! What the flow remembers between runs, in the host's state (namespaced to
//! this tenant and flow): the quantity last pushed per shop SKU, the SKUs
//! the shop kept no stock under, and the levels that are copies. Only a
//! write the shop accepted is recorded, so a level that failed to land
//! differs from the record and is pushed again on the next run.

use trestle_guest::state;

const PUSHED: &str = "pushed/";
/// SKUs the shop kept no stock under (no such SKU, or a product with
/// variants), with the quantity we then had for them: not asked again (a
/// variant look-up costs a slow call) until that changes.
const ABSENT: &str = "absent/";
/// SKUs whose level the books still hold as created from the shop's copy:
/// reported once, then only counted.
const COPY: &str = "copy/";

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

/// The SKUs whose level was a copy on the run that last looked.
pub fn copies() -> std::collections::HashSet<String> {
    state::keys(COPY).into_iter().filter_map(|k| k.strip_prefix(COPY).map(str::to_string)).collect()
}

pub fn record_copy(sku: &str) {
    state::set(&format!("{COPY}{sku}"), "1");
}

pub fn forget_copy(sku: &str) {
    state::delete(&format!("{COPY}{sku}"));
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
    for key in state::keys(PUSHED).into_iter().chain(state::keys(ABSENT)).chain(state::keys(COPY)) {
        state::delete(&key);
    }
}
