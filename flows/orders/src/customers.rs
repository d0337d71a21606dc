//! Which customer an order is booked on: one default customer, or the buyer
//! found by e-mail (created if missing, updated if changed and allowed).
//! Ids are remembered with a fingerprint of what was sent, so a known,
//! unchanged customer costs no call at all.

use trestle::sync::customer_sink::{self, CustomerDefaults};
use trestle_guest::Error;
use trestle_guest::flow::fingerprint;
use trestle_guest::types::Customer;

use crate::ledger;
use crate::settings::{CustomerMode, Settings};
use crate::trestle;

pub enum Resolved {
    Known(String),
    Created(String),
    Updated(String),
}

impl Resolved {
    pub fn id(&self) -> &str {
        match self {
            Resolved::Known(id) | Resolved::Created(id) | Resolved::Updated(id) => id,
        }
    }
}

pub fn resolve(customer: &Customer, defaults: &CustomerDefaults, settings: &Settings) -> Result<Resolved, Error> {
    if let CustomerMode::Default(id) = &settings.customers {
        return Ok(Resolved::Known(id.clone()));
    }
    // Looked up as the shop spells it (the customers flow writes it so); the
    // memo key ignores case.
    let email = customer.email.trim();
    if email.is_empty() {
        return Err(Error::Invalid("the order has no buyer e-mail, so its customer cannot be found".into()));
    }
    let fingerprint = digest(customer);
    let memo = format!("customer/{}", email.to_lowercase());
    if let Some(stored) = ledger::remembered(&memo)
        && let Some((id, seen)) = stored.split_once(' ')
        && (seen == fingerprint || !settings.update_customers)
    {
        return Ok(Resolved::Known(id.to_string()));
    }
    let resolved = match customer_sink::find_by_email(email)? {
        Some(found) if !settings.update_customers => Resolved::Known(found.id),
        Some(found) => {
            customer_sink::update_customer(&found.id, customer, defaults)?;
            Resolved::Updated(found.id)
        }
        None => Resolved::Created(customer_sink::create_customer(customer, defaults)?),
    };
    ledger::remember(&memo, &format!("{} {fingerprint}", resolved.id()));
    Ok(resolved)
}

/// A short digest of the customer as we would send it: equal when nothing
/// the books keep has changed.
fn digest(c: &Customer) -> String {
    fingerprint::of(&format!(
        "{:?}|{}|{}|{:?}|{:?}|{:?}|{:?}",
        c.kind, c.first_name, c.last_name, c.company_name, c.vat_number, c.billing_address, c.phone
    ))
}
