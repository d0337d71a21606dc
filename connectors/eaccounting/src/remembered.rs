//! Facts about the books kept in the connection's state across runs, so a
//! document for a known customer with known articles costs one call (the
//! create) instead of a look-up per row and one for the customer. Each fact
//! is forgotten when the books contradict it: a refused document forgets
//! its articles and customer, a written customer forgets its kind, and a
//! document priced on another basis than the kind implied forgets it. Keys
//! carry the company, so a connection pointed at another company starts
//! afresh.

use trestle_guest::{Error, state};

use crate::exports::trestle::sync::sales_document_sink::SalesDocument;
use crate::{articles, client, company, json, percent};

fn article_key(number: &str) -> Result<String, Error> {
    Ok(format!("{}/article-id/{number}", company::identity()?))
}

fn customer_key(id: &str) -> Result<String, Error> {
    Ok(format!("{}/customer-private/{id}", company::identity()?))
}

fn service_key(number: &str) -> Result<String, Error> {
    Ok(format!("{}/article-service/{number}", company::identity()?))
}

/// Remembers that an article was created as a service: where the books have
/// no services coding of its rate it sits on a goods coding, which alone
/// would not tell.
pub fn service(number: &str) -> Result<(), Error> {
    state::set(&service_key(number)?, "1");
    Ok(())
}

pub fn created_as_service(number: &str) -> Result<bool, Error> {
    Ok(state::get(&service_key(number)?).is_some())
}

/// The id of the article with this number.
pub fn article_id(number: &str) -> Result<String, Error> {
    let key = article_key(number)?;
    if let Some(id) = state::get(&key) {
        return Ok(id);
    }
    let id = articles::id_for_number(number)?;
    state::set(&key, &id);
    Ok(id)
}

/// Whether the customer is a private person (which decides the price basis
/// of its documents).
pub fn customer_is_private(id: &str) -> Result<bool, Error> {
    let key = customer_key(id)?;
    if let Some(flag) = state::get(&key) {
        return Ok(flag == "1");
    }
    let customer = client::get(&format!("/customers/{}", percent::encode(id)))?;
    let private = json::flag(&customer, "IsPrivatePerson", "eAccounting customer")?;
    state::set(&key, if private { "1" } else { "0" });
    Ok(private)
}

pub fn forget_customer(id: &str) {
    // Without the company's identity nothing was remembered either.
    if let Ok(key) = customer_key(id) {
        state::delete(&key);
    }
}

/// After the books refused a document: one of its articles may be gone, or
/// the customer changed.
pub fn forget_inputs_of(document: &SalesDocument) {
    for number in document.bookings.iter().filter_map(|b| b.article_id.as_deref()) {
        if let Ok(key) = article_key(number) {
            state::delete(&key);
        }
    }
    forget_customer(&document.customer_id);
}
