//! The records a flow parked, each with the reason the owner reads, and the
//! ones the owner then chose to leave out (skipped, with their own reason).
//! Kept in the host's state (namespaced to the tenant and flow) under
//! `parked/<id>` and `skipped/<id>`: every run retries the parked ones
//! first and never touches the skipped ones.

use crate::state;

const PARKED: &str = "parked/";
const SKIPPED: &str = "skipped/";

pub fn park(id: &str, reason: &str) {
    state::set(&format!("{PARKED}{id}"), reason);
}

pub fn unpark(id: &str) {
    state::delete(&format!("{PARKED}{id}"));
}

/// Why the record is parked, if it is.
pub fn reason(id: &str) -> Option<String> {
    state::get(&format!("{PARKED}{id}"))
}

/// Ids of the parked records, oldest key first.
pub fn all() -> Vec<String> {
    state::keys(PARKED).into_iter().filter_map(|k| k.strip_prefix(PARKED).map(str::to_string)).collect()
}

/// The owner leaves a parked record out, for `reason`: it is not retried,
/// nor written when a listing shows it again.
pub fn skip(id: &str, reason: &str) {
    state::set(&format!("{SKIPPED}{id}"), reason);
    unpark(id);
}

/// Why the owner left this record out, if they did.
pub fn skipped(id: &str) -> Option<String> {
    state::get(&format!("{SKIPPED}{id}"))
}

pub fn unskip(id: &str) {
    state::delete(&format!("{SKIPPED}{id}"));
}
