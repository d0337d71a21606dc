//! Refunds the shop made on booked invoices (CCV Shop: credit invoices).
//! Each becomes one credit invoice with the refunded lines (quantities
//! turned, so goods come back into stock), under our reference
//! `<order number>-REFUND-<refund number>`, looked up before it is created;
//! when the books hold the original's payment, the refund payment goes on
//! it through `settle-document` (a negative paid total: only what is not
//! paid back yet is registered). A refund is marked handled only once both
//! are in the books, so a run that dies between them finishes on the next.
//!
//! Refunds are read over the same window as `recheck_days` (created in the
//! last days, or since `created_since`); one whose order is not booked yet
//! is looked at again by later runs while it is in the window.

use trestle::sync::order_source::{self, Refund};
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::Outcome;
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::flow::pages::{Step, read_all};
use trestle_guest::flow::parking;
use trestle_guest::types::Order;

use crate::process::{Run, report_as, report_payment};
use crate::settings::{Payments, Refunds, Settings};
use crate::totals::Check;
use crate::{cancellations, ledger, payments, recheck, trestle};

pub fn credit_refunds(run: &mut Run) -> Result<(), Error> {
    if run.settings.refunds != Refunds::Credit {
        return Ok(());
    }
    let since = recheck::window_start(run.settings.recheck_days, run.settings.created_since.as_deref());
    let read = |cursor: Option<&str>| order_source::list_refunds(since.as_deref(), cursor);
    read_all(None, read, |page| {
        for refund in page.refunds {
            credit_refund(run, &refund)?;
        }
        Ok(Step::Continue)
    })?;
    Ok(())
}

/// How a refund is marked that a cancellation's credit took in.
const BY_CANCELLATION: &str = "credited by the cancellation";

pub enum Credited {
    /// The order's refunds this flow credited.
    All(Vec<Refund>),
    /// A refund of the order (its number) is being credited and is not in
    /// the books yet.
    Waiting(String),
}

/// The refunds of `order` that are credited in the books by this flow:
/// what a cancellation must not credit again. Read from the order's
/// creation on (a refund is never older than its order).
pub fn credited_refunds(order: &Order, settings: &Settings) -> Result<Credited, Error> {
    let mut credited = Vec::new();
    let mut waiting = None;
    let read = |cursor: Option<&str>| order_source::list_refunds(Some(&order.created_at), cursor);
    read_all(None, read, |page| {
        for refund in page.refunds.into_iter().filter(|r| r.order_id == order.source_id) {
            match ledger::refund(&refund.source_id) {
                Some(outcome) if outcome == BY_CANCELLATION => {}
                Some(_) => credited.push(refund),
                None if settings.refunds == Refunds::Credit => {
                    waiting = Some(refund.number);
                    return Ok(Step::Stop);
                }
                // Left to the owner.
                None => {}
            }
        }
        Ok(Step::Continue)
    })?;
    Ok(waiting.map_or(Credited::All(credited), Credited::Waiting))
}

pub fn reference(order_number: &str, refund_number: &str) -> String {
    format!("{order_number}{REFUND}{refund_number}")
}

const REFUND: &str = "-REFUND-";

/// The order a refund's reference names; any other reference as it is.
pub fn order_number_of(reference: &str) -> &str {
    reference.rsplit_once(REFUND).map_or(reference, |(order, _)| order)
}

fn credit_refund(run: &mut Run, refund: &Refund) -> Result<(), Error> {
    if ledger::refund(&refund.source_id).is_some() {
        return Ok(());
    }
    // Not booked (yet): parked, not selected, or booked by a later run.
    let Some(invoice) = ledger::synced(&refund.order_id) else { return Ok(()) };
    let source = match order_source::get_order(&refund.order_id) {
        Ok(order) => order,
        Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
        Err(e) => {
            run.notes.push(format!("refund {} not handled yet: {}", refund.number, parking::cause(&e)));
            return Ok(());
        }
    };
    if ledger::cancellation(&refund.order_id).is_some_and(|c| c != "parked") {
        ledger::record_refund(&refund.source_id, BY_CANCELLATION);
        let why = format!("refund {} not booked: the order's cancellation was credited in full already", refund.number);
        report_as("refund", &source, Outcome::Skipped, Some(invoice), why, None);
        return Ok(());
    }
    ledger::record_refunded(&refund.order_id, &refund.number);
    let what = format!("refund {} of {:.2} {}", refund.number, refund.total_incl_vat, refund.currency);
    match book(run, &source, refund) {
        Ok(Booked::Done { credit, repaid, check }) => {
            ledger::record_refund(&refund.source_id, &credit);
            run.synced += 1;
            let repaid = match repaid {
                Some(amount) => format!(", {amount:.2} paid back"),
                None => String::new(),
            };
            let mut detail = format!("{what}: credit invoice {credit} credits invoice {invoice}{repaid}");
            if let Some(said) = check.detail(&refund.currency, run.settings.totals_threshold) {
                detail = format!("{detail}; {said}");
            }
            report_as("refund", &source, check.outcome(), Some(credit), detail, None);
        }
        Ok(Booked::PaymentAwaited(credit)) => run.notes.push(format!(
            "order {} {what}: credit invoice {credit} is booked; its refund payment waits until the books hold the \
             order's own payment",
            source.order_number
        )),
        Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
        Err(e) => {
            let reason = format!("{what} not booked, tried again on the next run: {}", parking::cause(&e));
            run.notes.push(format!("order {} {reason}", source.order_number));
            report_as("refund", &source, Outcome::Parked, Some(invoice), reason, None);
        }
    }
    Ok(())
}

enum Booked {
    /// The credit, what this call paid back if the order was paid, and the
    /// check of the credit's booked total.
    Done { credit: String, repaid: Option<f64>, check: Check },
    /// The original's payment is not in the books yet.
    PaymentAwaited(String),
}

/// The credit invoice (found by its reference, else created) and its
/// refund payment.
fn book(run: &mut Run, source: &Order, refund: &Refund) -> Result<Booked, Error> {
    let reference = reference(&source.order_number, &refund.number);
    let (credit, check) = match run.existing_document(&reference)? {
        Some(id) => (id, Check::Unchecked),
        None => {
            // Dated on the refund, not the order.
            let refunded = Order {
                created_at: refund.created_at.clone(),
                lines: refund.lines.clone(),
                total_excl_vat: refund.total_excl_vat,
                total_vat: refund.total_vat,
                total_incl_vat: refund.total_incl_vat,
                ..source.clone()
            };
            let order = cancellations::credit_of(transforms::map_order(&refunded).map_err(Error::Invalid)?);
            let (document, _) = run.document_for(order, reference.clone())?;
            run.create(source, &document)?
        }
    };
    if !source.paid || run.settings.payments != Payments::Register {
        return Ok(Booked::Done { credit, repaid: None, check });
    }
    if ledger::awaited_payment(&source.source_id).is_some() {
        return Ok(Booked::PaymentAwaited(credit));
    }
    let settled = payments::refund(source, &credit, &reference, refund.total_incl_vat, &run.settings)?;
    if settled.registered != 0.0 {
        run.payments += 1;
        let detail = format!(
            "refund payment of {:.2} {} registered on credit invoice {credit} ({:.2} remains)",
            -settled.registered, source.currency, settled.remaining
        );
        report_payment(source, Outcome::Synced, Some(credit.clone()), detail);
    }
    Ok(Booked::Done { credit, repaid: Some(-settled.registered), check })
}
