//! What the flow remembers between runs, in the host's state (namespaced to
//! this tenant and flow): per shop customer, the books customer it was
//! written to and a digest of what was written, so an unchanged customer
//! costs no call to the books. The orders flow keeps the same idea per
//! e-mail in its own state; the two do not share it.

use trestle::sync::customer_sink::CustomerDefaults;
use trestle_guest::flow::fingerprint;
use trestle_guest::state;
use trestle_guest::types::Customer;

use crate::trestle;

pub struct Written {
    pub target_id: String,
    pub fingerprint: String,
}

fn key(source_id: &str) -> String {
    format!("customer/{source_id}")
}

pub fn written(source_id: &str) -> Option<Written> {
    let stored = state::get(&key(source_id))?;
    // The digest has no spaces; a target id might.
    let (target_id, fingerprint) = stored.rsplit_once(' ')?;
    Some(Written { target_id: target_id.to_string(), fingerprint: fingerprint.to_string() })
}

pub fn record(source_id: &str, target_id: &str, fingerprint: &str) {
    state::set(&key(source_id), &format!("{target_id} {fingerprint}"));
}

/// A short digest of everything sent to the books: equal when neither the
/// customer nor its defaults changed.
pub fn digest(customer: &Customer, defaults: &CustomerDefaults) -> String {
    fingerprint::of(&format!("{customer:?}|{defaults:?}"))
}
