//! One order, start to finish, and the run's tally. Errors that concern the
//! order (bad data, a missing article, the books refusing it, a network
//! failure the host could not ride out) park it; errors that concern the
//! connection (credentials, a broken connector) stop the run, since every
//! order behind would fail the same way.

use std::collections::{HashMap, HashSet};

use trestle::sync::customer_sink::CustomerDefaults;
use trestle::sync::order_source;
use trestle::sync::sales_document_sink::{self, DocumentKind, SalesDocument};
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::{self, Outcome, RecordEvent};
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::flow::notes::Notes;
use trestle_guest::flow::pages::Step;
use trestle_guest::flow::parking;
use trestle_guest::types::Order;

use crate::customers::{self, Resolved};
use crate::settings::{Cancelled, Payments, Rounding, Settings};
use crate::totals::{self, Check};
use crate::{articles, bookings, cancellations, changes, ledger, payments, refunds, trestle};

mod changed;
mod owner;

pub struct Run {
    pub settings: Settings,
    /// What the books said of references looked up for the current batch:
    /// the document id, or None when there is none yet.
    looked_up: HashMap<String, Option<String>>,
    pub(crate) synced: u32,
    skipped: u32,
    parked: u32,
    /// Payments registered in this run.
    pub(crate) payments: u32,
    /// Orders whose awaited payment this run has looked at.
    settled: HashSet<String>,
    unaccounted: payments::Unaccounted,
    pub(crate) notes: Notes,
}

impl Run {
    pub fn new(settings: Settings) -> Self {
        Run {
            settings,
            looked_up: HashMap::new(),
            synced: 0,
            skipped: 0,
            parked: 0,
            payments: 0,
            settled: HashSet::new(),
            unaccounted: payments::Unaccounted::default(),
            notes: Notes::default(),
        }
    }

    pub fn summary(mut self) -> crate::exports::trestle::sync::flow_run::Summary {
        if self.payments > 0 {
            self.notes.push(format!("{} payment(s) registered on invoices", self.payments));
        }
        if let Some(note) = self.unaccounted.note() {
            self.notes.push(note);
        }
        crate::exports::trestle::sync::flow_run::Summary {
            synced: self.synced,
            skipped: self.skipped,
            parked: self.parked,
            failed: 0,
            notes: self.notes.into_vec(),
        }
    }

    /// Parked orders first: each is fetched again (it may have been fixed in
    /// the shop) and handled like a new one.
    pub fn retry_parked(&mut self) -> Result<Step, Error> {
        let mut orders = Vec::new();
        for source_id in ledger::parked() {
            match order_source::get_order(&source_id) {
                Ok(order) => orders.push(order),
                Err(Error::NotFound(_)) => {
                    ledger::unpark(&source_id);
                    self.notes.push(format!("order {source_id} was parked but no longer exists in the shop; unparked"));
                }
                Err(e) => return Err(e),
            }
        }
        self.handle_batch(orders)
    }

    /// A batch of orders (a page): the ones not in the id map are looked up
    /// in the books together, then each is handled.
    pub fn handle_batch(&mut self, orders: Vec<Order>) -> Result<Step, Error> {
        self.look_up(&orders)?;
        for order in orders {
            if self.handle(order)? == Step::Stop {
                return Ok(Step::Stop);
            }
        }
        Ok(Step::Continue)
    }

    /// One call for every unsynced order of the batch. If the books cannot
    /// answer now, each order is looked up on its own when it is handled
    /// (and parked if that fails too).
    fn look_up(&mut self, orders: &[Order]) -> Result<(), Error> {
        self.looked_up.clear();
        let references: Vec<String> =
            orders.iter().filter(|o| ledger::synced(&o.source_id).is_none()).map(|o| o.order_number.clone()).collect();
        if references.is_empty() {
            return Ok(());
        }
        match sales_document_sink::find_by_references(self.settings.document, &references) {
            Ok(found) => {
                self.looked_up = references.into_iter().map(|r| (r, None)).collect();
                for (reference, id) in found {
                    self.looked_up.insert(reference, Some(id));
                }
                Ok(())
            }
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => Err(e),
            Err(_) => Ok(()),
        }
    }

    /// The document this order already became in the books, if any.
    pub(crate) fn existing_document(&mut self, order_number: &str) -> Result<Option<String>, Error> {
        match self.looked_up.remove(order_number) {
            Some(found) => Ok(found),
            None => {
                let found = sales_document_sink::find_by_references(
                    self.settings.document,
                    std::slice::from_ref(&order_number.to_string()),
                )?;
                Ok(found.into_iter().next().map(|(_, id)| id))
            }
        }
    }

    /// An order looked at but deliberately not synced.
    pub fn pass_over(&mut self, order: &Order, why: String) {
        self.skipped += 1;
        self.notes.push(format!("order {} skipped: {why}", order.order_number));
        report(order, Outcome::Skipped, None, why, None);
    }

    fn handle(&mut self, order: Order) -> Result<Step, Error> {
        let handled = self.synced + self.skipped + self.parked;
        if self.settings.max_orders > 0 && handled >= self.settings.max_orders {
            return Ok(Step::Stop);
        }
        match self.sync(&order) {
            Ok(Done::Synced { target_id, detail, payload, check }) => {
                self.synced += 1;
                report(&order, check.outcome(), Some(target_id), detail, Some(payload));
            }
            Ok(Done::Skipped { target_id, why }) => {
                self.skipped += 1;
                report(&order, Outcome::Skipped, Some(target_id), why, None);
            }
            Ok(Done::SkippedByOwner { why }) => {
                self.skipped += 1;
                report(&order, Outcome::Skipped, None, why, None);
                return Ok(Step::Continue);
            }
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
            Err(e) => {
                let reason = parking::reason(&e);
                ledger::park(&order.source_id, &reason);
                articles::forget(&order);
                self.parked += 1;
                self.notes.push(format!("order {} parked: {reason}", order.order_number));
                report(&order, Outcome::Parked, None, reason, None);
                return Ok(Step::Continue);
            }
        }
        self.settle(&order)?;
        Ok(Step::Continue)
    }

    fn expect_payment(&self, order: &Order, document_id: &str) {
        if self.settings.document == DocumentKind::Invoice {
            payments::expect(order, document_id, &self.settings);
        }
    }

    /// Orders whose payments are awaited and that this run has not handled:
    /// each is read again, since the shop may have been paid since.
    pub fn settle_awaited(&mut self) -> Result<(), Error> {
        for source_id in ledger::awaited_payments() {
            if self.settled.contains(&source_id) {
                continue;
            }
            let Some(awaited) = payments::Awaited::read(&source_id) else { continue };
            if self.settings.bank_account(awaited.payment_method.as_deref()).is_none() {
                self.unaccounted.add(awaited.payment_method.as_deref());
                continue;
            }
            match order_source::get_order(&source_id) {
                Ok(order) => self.settle(&order)?,
                Err(Error::NotFound(_)) => {
                    ledger::payment_settled(&source_id);
                    self.notes.push(format!(
                        "order {source_id} awaited its payment but no longer exists in the shop; no longer awaited"
                    ));
                }
                Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
                Err(e) => self.notes.push(format!(
                    "order {source_id}'s payment not checked: {}; tried again on the next run",
                    parking::cause(&e)
                )),
            }
        }
        Ok(())
    }

    /// Registers the payment of an order whose payment is awaited, if the
    /// shop has it. A failure leaves it awaited for the next run.
    fn settle(&mut self, order: &Order) -> Result<(), Error> {
        let Some(awaited) = payments::Awaited::read(&order.source_id) else { return Ok(()) };
        self.settled.insert(order.source_id.clone());
        let target = Some(awaited.document_id.clone());
        match payments::settle(order, &awaited, &self.settings) {
            Ok(payments::Outcome::Registered(settled)) => {
                self.payments += 1;
                let detail = format!(
                    "payment of {:.2} {} registered on invoice {} ({:.2} remains)",
                    settled.registered, order.currency, awaited.document_id, settled.remaining
                );
                report_payment(order, Outcome::Synced, target, detail);
            }
            Ok(payments::Outcome::AlreadyPaid) => {
                let detail = format!("invoice {} holds the shop's payment already", awaited.document_id);
                report_payment(order, Outcome::Skipped, target, detail);
            }
            Ok(payments::Outcome::Unpaid) => {}
            Ok(payments::Outcome::NoAccount) => self.unaccounted.add(order.payment_method.as_deref()),
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
            Err(e) => {
                let reason = format!("payment not registered, tried again on the next run: {}", parking::cause(&e));
                self.notes.push(format!("order {} {reason}", order.order_number));
                report_payment(order, Outcome::Parked, target, reason);
            }
        }
        Ok(())
    }

    fn sync(&mut self, source: &Order) -> Result<Done, Error> {
        if let Some(target_id) = ledger::synced(&source.source_id) {
            return Ok(Done::Skipped { target_id, why: "already synced".into() });
        }
        if let Some(reason) = ledger::skipped(&source.source_id) {
            return Ok(Done::SkippedByOwner { why: format!("skipped by the owner: {reason}") });
        }
        let kind = self.settings.document;
        // Looked up before every create: an earlier run, another installation
        // or a crash between create and record may have written it already.
        if let Some(target_id) = self.existing_document(&source.order_number)? {
            self.expect_payment(source, &target_id);
            ledger::record_booked(&source.source_id, &changes::digest(source));
            ledger::record_synced(&source.source_id, &target_id);
            return Ok(Done::Skipped { target_id, why: "already in the books (found by our reference)".into() });
        }
        let order = transforms::map_order(source).map_err(Error::Invalid)?;
        let (document, customer) = self.document_for(order, source.order_number.clone())?;
        let (target_id, check) = self.create(source, &document)?;
        // Before the record: a run that dies between the two finds the
        // document by our reference and still awaits its payment.
        self.expect_payment(source, &target_id);
        ledger::record_booked(&source.source_id, &changes::digest(source));
        ledger::record_synced(&source.source_id, &target_id);
        let customer_note = match customer {
            Resolved::Known(_) => "existing customer",
            Resolved::Created(_) => "new customer",
            Resolved::Updated(_) => "updated customer",
        };
        let mut detail = format!("{} {target_id} for {customer_note} {}", kind_name(kind), document.customer_id);
        if let Some(said) = check.detail(&document.order.currency, self.settings.totals_threshold) {
            detail = format!("{detail}; {said}");
        }
        Ok(Done::Synced { detail, payload: payload(&document), target_id, check })
    }

    /// Creates `document` for `source` and checks the total the books
    /// booked against the shop's (see `totals`): an accepted rounding or a
    /// mismatch is a note of the run too.
    pub(crate) fn create(&mut self, source: &Order, document: &SalesDocument) -> Result<(String, Check), Error> {
        let created = sales_document_sink::create_document(document)?;
        let check = totals::check(&document.order, &created, &self.settings);
        if check.is_news()
            && let Some(said) = check.detail(&document.order.currency, self.settings.totals_threshold)
        {
            let booked = format!("{} {} {}", kind_name(document.kind), created.id, document.reference);
            self.notes.push(format!("order {}: {booked} {said}", source.order_number));
        }
        Ok((created.id, check))
    }

    /// The document an order (as mapped) is booked as, under `reference`,
    /// with its customer found or created and its articles made sure of.
    pub(crate) fn document_for(&mut self, order: Order, reference: String) -> Result<(SalesDocument, Resolved), Error> {
        let defaults =
            CustomerDefaults { terms_of_payment_id: self.payment_terms(&order), vat_code: None, revenue_account: None };
        let customer = customers::resolve(&order.customer, &defaults, &self.settings)?;
        let articles = articles::resolve(&order, &self.settings)?;
        if let Rounding::Row(article) = &self.settings.rounding {
            articles::ensure_rounding(article, &order, &self.settings)?;
        }
        let bookings = bookings::for_order(&order, articles, &self.settings)?;
        let document = SalesDocument {
            kind: self.settings.document,
            reference,
            customer_id: customer.id().to_string(),
            terms_of_payment_id: defaults.terms_of_payment_id.clone(),
            delivery_method_id: order
                .shipping_method
                .as_ref()
                .and_then(|m| self.settings.delivery_methods.get(m).cloned()),
            bookings,
            order,
            rounding: totals::rounding_row(&self.settings),
        };
        Ok((document, customer))
    }

    /// Booked orders the shop lists as cancelled, each handled once: parked
    /// for the owner with the reason, or credited, as the settings say: in
    /// full, or what is left of it after the refunds the flow credited. A
    /// failed credit is tried again on the next run.
    pub fn cancelled_after_booking(&mut self, source_ids: Vec<String>) -> Result<(), Error> {
        for source_id in source_ids {
            let Some(invoice) = ledger::synced(&source_id).filter(|_| ledger::cancellation(&source_id).is_none())
            else {
                continue;
            };
            let source = match order_source::get_order(&source_id) {
                Ok(order) => order,
                Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
                Err(e) => {
                    self.notes.push(format!("cancelled order {source_id} not handled yet: {}", parking::cause(&e)));
                    continue;
                }
            };
            let booked = format!("{} {invoice}", kind_name(self.settings.document));
            if self.settings.cancelled == Cancelled::Park {
                let reason = match ledger::refunded(&source_id) {
                    Some(refund) => cancellations::parked_after_refund(&source.order_number, &booked, &refund),
                    None => cancellations::parked_reason(&source.order_number, &booked),
                };
                ledger::record_cancellation(&source_id, "parked");
                self.parked += 1;
                self.notes.push(reason.clone());
                report(&source, Outcome::Parked, Some(invoice), reason, None);
                continue;
            }
            let credited = match ledger::refunded(&source_id) {
                None => Vec::new(),
                Some(_) => match refunds::credited_refunds(&source, &self.settings)? {
                    refunds::Credited::All(refunds) => refunds,
                    refunds::Credited::Waiting(number) => {
                        self.notes.push(format!(
                            "order {} was cancelled in the shop after {booked} was booked; its refund {number} is \
                             not in the books yet, so what is left to credit is not known: tried again on the next \
                             run",
                            source.order_number
                        ));
                        continue;
                    }
                },
            };
            let left = cancellations::less_refunds(source.clone(), &credited);
            if left.total_incl_vat.abs() < 0.005 {
                ledger::record_cancellation(&source_id, "refunded in full");
                self.skipped += 1;
                let why = format!("cancelled in the shop after {booked} was booked; its refunds credited all of it");
                report(&source, Outcome::Skipped, Some(invoice), why, None);
                continue;
            }
            match self.credit(&source, &left) {
                Ok((credit, check)) => {
                    ledger::record_cancellation(&source_id, &credit);
                    self.synced += 1;
                    let what = if credited.is_empty() { "credits" } else { "credits what the refunds left of" };
                    let mut detail = format!("cancelled in the shop: credit invoice {credit} {what} {booked}");
                    if let Some(said) = check.detail(&source.currency, self.settings.totals_threshold) {
                        detail = format!("{detail}; {said}");
                    }
                    report(&source, check.outcome(), Some(credit), detail, None);
                }
                Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
                Err(e) => {
                    let reason = format!(
                        "order {} was cancelled in the shop after {booked} was booked; its credit failed and is tried \
                         again on the next run: {}",
                        source.order_number,
                        parking::cause(&e)
                    );
                    self.notes.push(reason.clone());
                    report(&source, Outcome::Parked, Some(invoice), reason, None);
                }
            }
        }
        Ok(())
    }

    /// A credit invoice for `left` (the order, less what refunds credited
    /// already), found by its reference before it is created; with the
    /// refund of what the shop received for it, when the books hold the
    /// original's payment. An awaited payment of an unpaid order is awaited
    /// no more.
    fn credit(&mut self, source: &Order, left: &Order) -> Result<(String, Check), Error> {
        let reference = cancellations::credit_reference(&source.order_number);
        let (credit, check) = match self.existing_document(&reference)? {
            Some(id) => (id, Check::Unchecked),
            None => {
                let order = cancellations::credit_of(transforms::map_order(left).map_err(Error::Invalid)?);
                let (document, _) = self.document_for(order, reference.clone())?;
                self.create(source, &document)?
            }
        };
        let paid_in_books = ledger::awaited_payment(&source.source_id).is_none();
        if source.paid && paid_in_books && self.settings.payments == Payments::Register {
            payments::refund(source, &credit, &reference, left.total_incl_vat, &self.settings)?;
        } else {
            ledger::payment_settled(&source.source_id);
        }
        Ok((credit, check))
    }

    fn payment_terms(&self, order: &Order) -> Option<String> {
        let terms = &self.settings.payment_terms;
        order.payment_method.as_ref().and_then(|m| terms.get(m)).or_else(|| terms.get("default")).cloned()
    }
}

enum Done {
    Synced { target_id: String, detail: String, payload: String, check: Check },
    Skipped { target_id: String, why: String },
    SkippedByOwner { why: String },
}

pub(crate) fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Quote => "quote",
        DocumentKind::Order => "order",
        DocumentKind::InvoiceDraft => "invoice draft",
        DocumentKind::Invoice => "invoice",
    }
}

/// What was sent, for the activity log: the document's shape, not a dump.
fn payload(d: &SalesDocument) -> String {
    let lines: Vec<serde_json::Value> = d
        .order
        .lines
        .iter()
        .zip(&d.bookings)
        .map(|(l, b)| {
            serde_json::json!({
                "sku": l.sku, "name": l.name, "quantity": l.quantity, "unit_price": l.unit_price,
                "prices_include_vat": l.prices_include_vat, "discount": l.discount, "vat_rate": l.vat_rate,
                "article": b.article_id, "vat_code": b.vat_code, "revenue_account": b.revenue_account,
            })
        })
        .collect();
    serde_json::json!({
        "kind": kind_name(d.kind), "reference": d.reference, "customer_id": d.customer_id,
        "currency": d.order.currency, "total_incl_vat": d.order.total_incl_vat,
        "terms_of_payment_id": d.terms_of_payment_id, "delivery_method_id": d.delivery_method_id,
        "lines": lines, "custom_fields": d.order.custom_fields,
    })
    .to_string()
}

pub(crate) fn report_payment(order: &Order, outcome: Outcome, target_id: Option<String>, detail: String) {
    report_as("payment", order, outcome, target_id, detail, None);
}

fn report(order: &Order, outcome: Outcome, target_id: Option<String>, detail: String, payload: Option<String>) {
    report_as("order", order, outcome, target_id, detail, payload);
}

/// One activity record about `order`, under its number.
pub(crate) fn report_as(
    record_kind: &str,
    order: &Order,
    outcome: Outcome,
    target_id: Option<String>,
    detail: String,
    payload: Option<String>,
) {
    log::report(&RecordEvent {
        record_kind: record_kind.into(),
        source_system: "shop".into(),
        source_id: order.source_id.clone(),
        target_system: "books".into(),
        target_id,
        outcome,
        detail: format!("{}: {detail}", order.order_number),
        payload,
    });
}
