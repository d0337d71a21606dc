//! What the flow remembers between runs, in the host's state (namespaced to
//! this tenant and flow): per SKU what was last written and where, which
//! SKUs are parked and why, what still follows a create, which SKUs are
//! copies of the target's own records or variants there, and the target's id of each
//! category path.

use serde_json::{Value, json};
pub use trestle_guest::flow::parked::{all as parked, park, unpark};
use trestle_guest::state;

/// What was last written for one SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub target_id: String,
    /// Of the product as sent and the settings that shaped the write.
    pub fingerprint: String,
    /// The category the product was last linked to.
    pub category_id: Option<String>,
}

fn written_key(sku: &str) -> String {
    format!("product/{sku}")
}

fn variant_key(sku: &str) -> String {
    format!("variant/{sku}")
}

fn category_key(path: &[String]) -> String {
    format!("category/{}", Value::from(path.to_vec()))
}

pub fn written(sku: &str) -> Option<Written> {
    let value: Value = serde_json::from_str(&state::get(&written_key(sku))?).ok()?;
    Some(Written {
        target_id: value["id"].as_str()?.to_string(),
        fingerprint: value["fingerprint"].as_str()?.to_string(),
        category_id: value["category"].as_str().map(str::to_string),
    })
}

/// Records the write and clears a parked reason.
pub fn record(sku: &str, written: &Written) {
    let value = json!({
        "id": written.target_id, "fingerprint": written.fingerprint, "category": written.category_id,
    });
    state::set(&written_key(sku), &value.to_string());
    unpark(sku);
    state::delete(&variant_key(sku));
}

/// The target answered that it keeps this SKU as a variant (nothing was
/// written); `record` forgets it.
pub fn record_variant(sku: &str) {
    state::set(&variant_key(sku), "1");
}

pub fn is_variant(sku: &str) -> bool {
    state::get(&variant_key(sku)).is_some()
}

/// A parked SKU is written on the next run even if its fingerprint matches.
pub fn is_parked(sku: &str) -> bool {
    trestle_guest::flow::parked::reason(sku).is_some()
}

/// What follows a create and must not be lost to a failure in between:
/// marked when the flow creates a product, cleared once done.
#[derive(Debug, Clone, Copy)]
pub enum Pending {
    /// The books' stock, as the product's initial stock.
    Stock,
    /// The link to the default category (only created products get it).
    Category,
}

fn pending_key(what: Pending, sku: &str) -> String {
    match what {
        Pending::Stock => format!("stock-pending/{sku}"),
        Pending::Category => format!("category-pending/{sku}"),
    }
}

pub fn mark_pending(what: Pending, sku: &str) {
    state::set(&pending_key(what, sku), "1");
}

pub fn is_pending(what: Pending, sku: &str) -> bool {
    state::get(&pending_key(what, sku)).is_some()
}

pub fn clear_pending(what: Pending, sku: &str) {
    state::delete(&pending_key(what, sku));
}

/// SKUs the source reported as copies of the target's own record: the
/// first sighting is reported, later ones only counted.
fn origin_key(sku: &str) -> String {
    format!("origin/{sku}")
}

/// The SKUs that were copies on the run that last looked.
pub fn origins() -> std::collections::HashSet<String> {
    state::keys("origin/").into_iter().filter_map(|k| k.strip_prefix("origin/").map(str::to_string)).collect()
}

pub fn record_origin(sku: &str) {
    state::set(&origin_key(sku), "1");
}

pub fn forget_origin(sku: &str) {
    state::delete(&origin_key(sku));
}

pub fn category(path: &[String]) -> Option<String> {
    state::get(&category_key(path))
}

pub fn remember_category(path: &[String], id: &str) {
    state::set(&category_key(path), id);
}

pub fn forget_category(path: &[String]) {
    state::delete(&category_key(path));
}
