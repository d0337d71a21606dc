//! Booked orders the shop changed afterwards (see `changes`): reported for
//! the owner once per change, or, by setting, their invoice credited in
//! full (rows as the books hold them) and the order booked anew. Each step
//! is looked up by its own reference before it is written, and what the
//! rebooking started from is kept until its new invoice is recorded, so a
//! run that dies half-way finishes it on the next run as it began.

use serde_json::{Value, json};
use trestle::sync::order_source;
use trestle::sync::sales_document_sink::{self, DocumentKind, SalesDocument};
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::Outcome;
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::flow::parking;
use trestle_guest::types::Order;

use super::{Run, kind_name, payload, report};
use crate::settings::{Changed, Payments};
use crate::totals::Check;
use crate::{changes, ledger, payments, trestle};

impl Run {
    /// Booked orders whose totals the listing shows moved since booking.
    pub fn changed_after_booking(&mut self, source_ids: Vec<String>) -> Result<(), Error> {
        for source_id in source_ids {
            let (Some(document), Some(booked)) = (ledger::synced(&source_id), ledger::booked(&source_id)) else {
                continue;
            };
            let source = match order_source::get_order(&source_id) {
                Ok(order) => order,
                Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
                Err(e) => {
                    self.notes.push(format!("changed order {source_id} not handled yet: {}", parking::cause(&e)));
                    continue;
                }
            };
            let now = changes::digest(&source);
            if now == booked || ledger::change_reported(&source_id).as_deref() == Some(now.as_str()) {
                continue;
            }
            let noun = kind_name(self.settings.document);
            let not_rebooked = match self.settings.changed {
                Changed::Report if self.settings.document != DocumentKind::Invoice => {
                    Some(format!("the flow does not edit a {noun} it wrote"))
                }
                Changed::Report => None,
                Changed::Rebook if ledger::refunded(&source_id).is_some() => Some(
                    "a refund was credited on it, so crediting the invoice in full would credit that refund twice"
                        .to_string(),
                ),
                Changed::Rebook => {
                    self.rebook(&source, &document, &booked)?;
                    continue;
                }
            };
            let booked_as = format!("{noun} {document}");
            let reason = changes::reported(&source.order_number, &booked_as, &booked, &now, not_rebooked.as_deref());
            ledger::record_change_reported(&source_id, &now);
            self.parked += 1;
            self.notes.push(reason.clone());
            report(&source, Outcome::Parked, Some(document), reason, None);
        }
        Ok(())
    }

    fn rebook(&mut self, source: &Order, document: &str, booked: &str) -> Result<(), Error> {
        let id = &source.source_id;
        let started = match ledger::rebooking(id).and_then(|s| serde_json::from_str::<Value>(&s).ok()) {
            Some(started) => started,
            None => {
                let started = json!({
                    "change": ledger::rebookings(id) + 1,
                    "document": document,
                    "booked": booked,
                    // The books hold the booked invoice's payment: its
                    // credit pays it back.
                    "paid": self.settings.payments == Payments::Register && ledger::awaited_payment(id).is_none(),
                });
                ledger::start_rebooking(id, &started.to_string());
                started
            }
        };
        let change = started["change"].as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(1);
        let old = started["document"].as_str().unwrap_or(document).to_string();
        let was = started["booked"].as_str().unwrap_or(booked).to_string();
        let paid_back = started["paid"].as_bool().unwrap_or(false).then(|| changes::amount_of(&was)).flatten();
        let now = changes::digest(source);
        let what = format!(
            "changed in the shop after invoice {old} was booked (total {}, now {})",
            changes::total_of(&was),
            changes::total_of(&now)
        );
        match self.book_anew(source, &old, change, paid_back) {
            Ok(Rebooked { credit, document: new, created }) => {
                ledger::payment_settled(id);
                self.expect_payment(source, &new);
                ledger::record_synced(id, &new);
                ledger::record_rebookings(id, change);
                ledger::record_booked(id, &now);
                ledger::finish_rebooking(id);
                self.synced += 1;
                let repaid = paid_back.map(|a| format!(", {a:.2} {} paid back", source.currency)).unwrap_or_default();
                let mut detail =
                    format!("{what}: credit invoice {credit} credits it{repaid}; booked anew as invoice {new}");
                let (outcome, payload) = match created {
                    Some((document, check)) => {
                        if let Some(said) = check.detail(&source.currency, self.settings.totals_threshold) {
                            detail = format!("{detail}; {said}");
                        }
                        (check.outcome(), Some(payload(&document)))
                    }
                    None => (Outcome::Synced, None),
                };
                report(source, outcome, Some(new), detail, payload);
                self.settle(source)?;
            }
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
            Err(e) => {
                let reason = format!(
                    "order {} {what}; its rebooking failed and is tried again on the next run: {}",
                    source.order_number,
                    parking::cause(&e)
                );
                self.notes.push(reason.clone());
                report(source, Outcome::Parked, Some(old), reason, None);
            }
        }
        Ok(())
    }

    /// The credit of invoice `old` (with what was paid on it given back),
    /// then the new invoice; each found by its reference before it is made.
    fn book_anew(&mut self, source: &Order, old: &str, change: u32, paid_back: Option<f64>) -> Result<Rebooked, Error> {
        let credit_reference = changes::credit_reference(&source.order_number, change);
        let credit =
            sales_document_sink::create_credit(DocumentKind::Invoice, old, &credit_reference, &payments::today())?;
        if let Some(amount) = paid_back {
            let settled = payments::refund(source, &credit.id, &credit_reference, amount, &self.settings)?;
            if settled.registered != 0.0 {
                self.payments += 1;
            }
        }
        let reference = changes::reference(&source.order_number, change);
        if let Some(document) = self.existing_document(&reference)? {
            return Ok(Rebooked { credit: credit.id, document, created: None });
        }
        let order = transforms::map_order(source).map_err(Error::Invalid)?;
        let (document, _) = self.document_for(order, reference)?;
        let (id, check) = self.create(source, &document)?;
        Ok(Rebooked { credit: credit.id, document: id, created: Some((document, check)) })
    }
}

struct Rebooked {
    credit: String,
    document: String,
    /// The new document as written and the check of its total; none when an
    /// earlier run had written it.
    created: Option<(SalesDocument, Check)>,
}
