//! Product creates in flight. A create is marked before it is sent and the
//! mark cleared once its answer is in, so a run killed (or an answer lost)
//! in between leaves the mark: the next upsert that finds the product knows
//! it as this connection's own create, and reports it as created, so the
//! flow still gives it what follows a create (initial stock, a category).

use trestle_guest::state;

fn key(sku: &str) -> String {
    format!("creating/{sku}")
}

pub fn mark(sku: &str) {
    state::set(&key(sku), "1");
}

pub fn done(sku: &str) {
    state::delete(&key(sku));
}

/// Whether a create of `sku` was sent and never answered; forgets the mark.
pub fn was_interrupted(sku: &str) -> bool {
    let marked = state::get(&key(sku)).is_some();
    if marked {
        done(sku);
    }
    marked
}
