//! Facts about the books kept in the connection's state across runs, so a
//! document for a known customer with known articles costs one call (the
//! create) instead of a look-up per row and one for the customer. Each fact
//! is forgotten when the books contradict it: a refused document forgets
//! its articles and customer, a written customer forgets its kind.

use trestle_guest::{Error, state};

use crate::exports::trestle::sync::sales_document_sink::SalesDocument;
use crate::{articles, client, json, percent};

fn article_key(number: &str) -> String {
    format!("article-id/{number}")
}

fn customer_key(id: &str) -> String {
    format!("customer-private/{id}")
}

/// The id of the article with this number.
pub fn article_id(number: &str) -> Result<String, Error> {
    if let Some(id) = state::get(&article_key(number)) {
        return Ok(id);
    }
    let id = articles::id_for_number(number)?;
    state::set(&article_key(number), &id);
    Ok(id)
}

/// Whether the customer is a private person (which decides the price basis
/// of its documents).
pub fn customer_is_private(id: &str) -> Result<bool, Error> {
    if let Some(flag) = state::get(&customer_key(id)) {
        return Ok(flag == "1");
    }
    let customer = client::get(&format!("/customers/{}", percent::encode(id)))?;
    let private = json::flag(&customer, "IsPrivatePerson", "eAccounting customer")?;
    state::set(&customer_key(id), if private { "1" } else { "0" });
    Ok(private)
}

pub fn forget_customer(id: &str) {
    state::delete(&customer_key(id));
}

/// After the books refused a document: one of its articles may be gone, or
/// the customer changed.
pub fn forget_inputs_of(document: &SalesDocument) {
    for number in document.bookings.iter().filter_map(|b| b.article_id.as_deref()) {
        state::delete(&article_key(number));
    }
    forget_customer(&document.customer_id);
}
