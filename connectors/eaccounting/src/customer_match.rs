//! Which books customer a shop customer is. E-mail addresses compare
//! trimmed and in lower case, whatever the books' collation (undocumented):
//! the books are asked for the address as given and in lower case, and the
//! connection remembers, per company, which customer each address belongs
//! to, so an address spelled a third way (or a company found by its number
//! under another address) still finds it when the books' filter does not. A
//! company is also looked for by its VAT number, then its registration
//! number, before a new customer is created for it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde_json::Value;
use trestle_guest::types::{Customer, CustomerKind};
use trestle_guest::{Error, state};

use crate::client::{self, literal};
use crate::{company, json, percent};

thread_local! {
    /// Customers read in this run (= instance) by id, so an update right
    /// after a look-up needs no second read. Taken on use.
    static READ: RefCell<HashMap<String, Value>> = RefCell::new(HashMap::new());
    /// Normalised addresses `by_email` found in no customer this run.
    static ABSENT: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

pub fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

fn key(normalised: &str) -> Result<String, Error> {
    Ok(format!("{}/customer-by-email/{normalised}", company::identity()?))
}

pub fn path(id: &str) -> String {
    format!("/customers/{}", percent::encode(id))
}

/// From now on `email` finds customer `id`.
pub fn remember(email: &str, id: &str) -> Result<(), Error> {
    let normalised = normalise(email);
    if !normalised.is_empty() {
        state::set(&key(&normalised)?, id);
        ABSENT.with(|a| a.borrow_mut().remove(&normalised));
    }
    Ok(())
}

/// The stored customer last read for `id` in this run, if any.
pub fn take_read(id: &str) -> Option<Value> {
    READ.with(|r| r.borrow_mut().remove(id))
}

fn keep_read(item: &Value) -> Result<String, Error> {
    let id = json::string(item, "Id", "eAccounting customer")?;
    READ.with(|r| r.borrow_mut().insert(id.clone(), item.clone()));
    Ok(id)
}

/// Whether `by_email` found nobody with `email` in this run (and nothing
/// was created for it since).
pub fn known_absent(email: &str) -> bool {
    ABSENT.with(|a| a.borrow().contains(&normalise(email)))
}

/// The books customer with `email`, however either side spells it: the
/// books asked for both spellings, else the customer remembered for it.
pub fn by_email(email: &str) -> Result<Option<Value>, Error> {
    let normalised = normalise(email);
    if normalised.is_empty() {
        return Ok(None);
    }
    let mut spellings = vec![email.trim().to_string()];
    if spellings[0] != normalised {
        spellings.push(normalised.clone());
    }
    if let Some(found) = search("EmailAddress", &spellings)?.into_iter().next() {
        let id = keep_read(&found)?;
        remember(&normalised, &id)?;
        return Ok(Some(found));
    }
    let key = key(&normalised)?;
    if let Some(id) = state::get(&key) {
        match client::get(&path(&id)) {
            Ok(item) => {
                keep_read(&item)?;
                return Ok(Some(item));
            }
            // Deleted in the books since: a new one may be created.
            Err(Error::NotFound(_)) => state::delete(&key),
            Err(e) => return Err(e),
        }
    }
    ABSENT.with(|a| a.borrow_mut().insert(normalised));
    Ok(None)
}

/// For a company: the books company with its VAT number, else with its
/// registration number. Several with the same number is an error, not a
/// guess (nor a reason to add one more).
pub fn by_company_number(customer: &Customer) -> Result<Option<Value>, Error> {
    if customer.kind != CustomerKind::Company {
        return Ok(None);
    }
    let numbers = [("VatNumber", &customer.vat_number), ("CorporateIdentityNumber", &customer.registration_number)];
    for (field, number) in numbers {
        let Some(number) = number.as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
            continue;
        };
        let wanted = compact(number);
        let mut spellings = vec![number.to_string()];
        if wanted != number {
            spellings.push(wanted.clone());
        }
        let companies: Vec<Value> = search(field, &spellings)?
            .into_iter()
            .filter(|c| c["IsPrivatePerson"] == false && c[field].as_str().is_some_and(|n| compact(n) == wanted))
            .collect();
        match companies.as_slice() {
            [] => continue,
            [one] => {
                keep_read(one)?;
                return Ok(Some(one.clone()));
            }
            many => {
                let numbers: Vec<&str> = many.iter().filter_map(|c| c["CustomerNumber"].as_str()).collect();
                return Err(Error::Invalid(format!(
                    "the books have {} companies with {field} {number} (customer numbers {}): merge them in \
                     eAccounting so the shop's company can be matched to one",
                    many.len(),
                    numbers.join(", ")
                )));
            }
        }
    }
    Ok(None)
}

/// The customers (first page: a handful at most) whose `field` equals one
/// of `spellings`.
fn search(field: &str, spellings: &[String]) -> Result<Vec<Value>, Error> {
    let filter = spellings.iter().map(|s| format!("{field} eq {}", literal(s))).collect::<Vec<_>>().join(" or ");
    Ok(client::list_page("/customers", &[("$filter", filter)], None)?.items)
}

/// A VAT or registration number without spaces, dots or dashes, upper case.
fn compact(number: &str) -> String {
    number.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
}
