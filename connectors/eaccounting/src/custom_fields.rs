//! A mapping's custom fields in what we send. A field reaches eAccounting
//! only if the target component's schema has it and lets a client write
//! it; any other is dropped, with one warning per run and field, since the
//! API refuses (or ignores) what its schema does not name. A field the
//! connector owns (how a record is found again, who it belongs to, its
//! rows and amounts) is refused outright: the record is parked naming it,
//! because writing it anyway would book something Trestle cannot recognise.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::log::{self, Level};

use crate::schema::Component;

/// Where custom fields go: a component, what a user calls it, and the
/// fields the connector owns there.
pub struct Target {
    pub component: &'static Component,
    /// "invoice", "customer" …
    pub noun: &'static str,
    /// Fields no custom field may set, each with why.
    pub owned: Vec<(&'static str, &'static str)>,
}

/// Amount fields, whatever the document: the API prices rows itself.
const AMOUNT: &str = "amounts follow from the rows the connector books";
pub const ID: &str = "the books assign it";

impl Target {
    pub fn new(component: &str, noun: &'static str, owned: &[(&'static str, &'static str)]) -> Target {
        Target { component: Component::named(component), noun, owned: owned.to_vec() }
    }

    /// An article's: its number is the SKU it is found by.
    pub fn article() -> Target {
        Target::new("ArticleApi", "article", &[("Number", "it is the SKU the article is found by"), ("Id", ID)])
    }

    /// Why `field` is the connector's, if it is.
    fn owner_reason(&self, field: &str) -> Option<&'static str> {
        let owned = self.owned.iter().find(|(name, _)| name.eq_ignore_ascii_case(field)).map(|(_, why)| *why);
        owned.or_else(|| field.contains("Amount").then_some(AMOUNT))
    }
}

thread_local! {
    /// (component, field) already warned about in this run (= instance).
    static WARNED: RefCell<BTreeSet<(&'static str, String)>> = const { RefCell::new(BTreeSet::new()) };
}

/// Sets each (field, JSON value) on `payload` (an object) where `target`
/// allows it, overriding what the connector put there: that is how a
/// tenant reaches fields the canonical model does not name.
pub fn merge(payload: &mut Value, fields: &[(String, String)], target: &Target, what: &str) -> Result<(), Error> {
    trestle_guest::custom_fields::merge(payload, accepted(fields, target, what)?);
    Ok(())
}

/// The custom fields `target` takes, parsed; an owned one or one that is
/// not JSON is an error naming it.
pub fn accepted(fields: &[(String, String)], target: &Target, what: &str) -> Result<Vec<(String, Value)>, Error> {
    let mut kept = Vec::new();
    for (field, text) in fields {
        if let Some(why) = target.owner_reason(field) {
            return Err(Error::Invalid(format!(
                "{what}: the mapping sets custom field `{field}`, which the connector owns on an eAccounting {} \
                 ({why}); remove it from the mapping",
                target.noun
            )));
        }
        let value = trestle_guest::custom_fields::value(field, text, what)?;
        if target.component.is_writable(field) {
            kept.push((field.clone(), value));
        } else {
            warn_dropped(field, target);
        }
    }
    Ok(kept)
}

fn warn_dropped(field: &str, target: &Target) {
    let first = WARNED.with(|w| w.borrow_mut().insert((target.component.name, field.to_string())));
    if !first {
        return;
    }
    let why = if target.component.is_read_only(field) { "is read-only in" } else { "is not a field of" };
    log::log(
        Level::Warn,
        &format!(
            "custom field `{field}` {why} eAccounting's {} ({}), so it is not sent; \
             further ones are dropped without a word in this run",
            target.noun, target.component.name
        ),
        &[("field".into(), field.to_string())],
    );
}
