//! One customer, start to finish, and the run's tally. Per customer: map it
//! through the tenant's module; refuse it without an e-mail (the books match
//! customers by e-mail, so it could only become a duplicate); work out its
//! defaults by country; write it only when it differs from what was last
//! written, to the books customer it went to before or else the one with its
//! e-mail, or a new one. Errors that concern the customer park it (every run
//! sees every customer, so it is retried on the next one); errors that
//! concern the connection (credentials, a broken connector) stop the run.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use trestle::sync::customer_sink::{self, CustomerDefaults};
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::{self, Outcome, RecordEvent};
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::flow::notes::Notes;
use trestle_guest::flow::parking;
use trestle_guest::types::{Address, Customer, CustomerKind};

use crate::exports::trestle::sync::flow_run::Summary;
use crate::settings::Settings;
use crate::{defaults, ledger, trestle};

pub struct Run {
    settings: Settings,
    /// E-mail (lower case) -> the shop customer that has it, first come
    /// first served: two shop customers with one e-mail would both land on
    /// the same books customer.
    emails: BTreeMap<String, String>,
    synced: u32,
    unchanged: u32,
    parked: u32,
    notes: Notes,
}

enum Written {
    Created(String),
    Updated(String),
}

impl Written {
    fn target_id(&self) -> &str {
        match self {
            Written::Created(id) | Written::Updated(id) => id,
        }
    }
}

/// A customer written to the books, with what was sent.
struct Sent {
    written: Written,
    customer: Customer,
    defaults: CustomerDefaults,
}

impl Run {
    pub fn new(settings: Settings) -> Self {
        Run { settings, emails: BTreeMap::new(), synced: 0, unchanged: 0, parked: 0, notes: Notes::default() }
    }

    /// Unchanged customers are counted as skipped but not logged one by
    /// one: every run sees every customer, and the activity log would fill
    /// up with records of nothing happening.
    pub fn summary(mut self) -> Summary {
        if self.unchanged > 0 {
            self.notes
                .push(format!("unchanged since they were last written, so not sent: {} customer(s)", self.unchanged));
        }
        Summary {
            synced: self.synced,
            skipped: self.unchanged,
            parked: self.parked,
            failed: 0,
            notes: self.notes.into_vec(),
        }
    }

    /// Claims the customer's e-mail for it; the shop customer that claimed
    /// it earlier in the list, if another one did.
    pub fn claim_email(&mut self, customer: &Customer) -> Option<String> {
        let email = customer.email.trim().to_lowercase();
        if email.is_empty() {
            return None;
        }
        let owner = self.emails.entry(email).or_insert_with(|| customer.source_id.clone());
        (*owner != customer.source_id).then(|| owner.clone())
    }

    pub fn handle(&mut self, source: Customer) -> Result<(), Error> {
        match self.sync(&source) {
            Ok(None) => self.unchanged += 1,
            Ok(Some(sent)) => {
                self.synced += 1;
                let (target_id, what) = match sent.written {
                    Written::Created(id) => (id, "created"),
                    Written::Updated(id) => (id, "updated"),
                };
                let detail = format!("{what} books customer {target_id} ({})", kind_name(sent.customer.kind));
                report(
                    &source,
                    Outcome::Synced,
                    Some(target_id),
                    detail,
                    Some(payload(&sent.customer, &sent.defaults)),
                );
            }
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
            Err(e) => {
                let reason = parking::reason(&e);
                self.parked += 1;
                self.notes.push(format!("customer {} ({}) parked: {reason}", source.source_id, who(&source)));
                report(&source, Outcome::Parked, None, reason, None);
            }
        }
        Ok(())
    }

    /// What was written, or None when nothing had changed.
    fn sync(&mut self, source: &Customer) -> Result<Option<Sent>, Error> {
        if let Some(owner) = self.claim_email(source) {
            return Err(Error::Invalid(format!(
                "shop customer {owner} has the same e-mail address, and the books match customers by e-mail: \
                 only {owner} is synced; give this customer its own address in the shop"
            )));
        }
        let customer = transforms::map_customer(source).map_err(Error::Invalid)?;
        let email = customer.email.trim();
        if email.is_empty() {
            return Err(Error::Invalid(
                "no e-mail address, so it cannot be matched with a customer in the books: add one in the shop".into(),
            ));
        }
        let defaults = defaults::for_customer(&customer, &self.settings)?;
        let fingerprint = ledger::digest(&customer, &defaults);
        let known = ledger::written(&source.source_id);
        if known.as_ref().is_some_and(|w| w.fingerprint == fingerprint) {
            return Ok(None);
        }
        let written = write(known.map(|w| w.target_id), email, &customer, &defaults)?;
        ledger::record(&source.source_id, written.target_id(), &fingerprint);
        Ok(Some(Sent { written, customer, defaults }))
    }
}

/// To the books customer this one was written to before (which follows a
/// change of e-mail address), else to the one with its e-mail (as the shop
/// spells it, should the books compare case), else to a new one.
fn write(
    known: Option<String>,
    email: &str,
    customer: &Customer,
    defaults: &CustomerDefaults,
) -> Result<Written, Error> {
    if let Some(id) = known {
        match customer_sink::update_customer(&id, customer, defaults) {
            Ok(()) => return Ok(Written::Updated(id)),
            // Deleted in the books since: match by e-mail again.
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    match customer_sink::find_by_email(email)? {
        Some(found) => {
            customer_sink::update_customer(&found.id, customer, defaults)?;
            Ok(Written::Updated(found.id))
        }
        None => Ok(Written::Created(customer_sink::create_customer(customer, defaults)?)),
    }
}

fn kind_name(kind: CustomerKind) -> &'static str {
    match kind {
        CustomerKind::Private => "private person",
        CustomerKind::Company => "company",
    }
}

fn address(a: &Address) -> Value {
    json!({
        "name": a.name, "company": a.company, "street": a.street, "house_number": a.house_number,
        "house_number_suffix": a.house_number_suffix, "extra_line": a.extra_line, "postal_code": a.postal_code,
        "city": a.city, "region": a.region, "country_code": a.country_code, "phone": a.phone,
    })
}

/// What was sent, for the activity log.
fn payload(c: &Customer, d: &CustomerDefaults) -> String {
    json!({
        "kind": kind_name(c.kind), "email": c.email, "first_name": c.first_name, "last_name": c.last_name,
        "company_name": c.company_name,
        "contact": c.contact.as_ref().map(|p| json!({"name": p.name, "email": p.email, "phone": p.phone})),
        "vat_number": c.vat_number, "registration_number": c.registration_number, "phone": c.phone,
        "billing_address": address(&c.billing_address), "delivery_address": c.delivery_address.as_ref().map(address),
        "terms_of_payment_id": d.terms_of_payment_id, "vat_code": d.vat_code, "revenue_account": d.revenue_account,
        "custom_fields": c.custom_fields,
    })
    .to_string()
}

fn who(customer: &Customer) -> &str {
    if customer.email.trim().is_empty() { "no e-mail" } else { customer.email.as_str() }
}

fn report(customer: &Customer, outcome: Outcome, target_id: Option<String>, detail: String, payload: Option<String>) {
    log::report(&RecordEvent {
        record_kind: "customer".into(),
        source_system: "shop".into(),
        source_id: customer.source_id.clone(),
        target_system: "books".into(),
        target_id,
        outcome,
        detail: format!("{}: {detail}", who(customer)),
        payload,
    });
}
