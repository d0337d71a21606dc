//! The shop's payment of a booked invoice, registered in the books. An
//! invoice is marked as awaiting its payment when it is booked; the mark
//! goes once the books hold what the shop received, so an order paid later
//! (bank transfer), or a run that died between the payment and its record,
//! is settled by a later run. The sink registers only what is not paid yet
//! (see `settle-document`), so settling twice never pays twice.
//!
//! The shop tells whether an order is paid, not when nor how much: a paid
//! order is paid in full (its total incl. VAT); the payment date is the
//! order's date when it was paid by the time it was booked (paid at
//! checkout), else the day a run first sees it paid.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use trestle::sync::sales_document_sink::{self, DocumentKind, Settled, Settlement};
use trestle_guest::Error;
use trestle_guest::bindings::wasi::clocks::wall_clock;
use trestle_guest::types::Order;

use crate::settings::{Payments, Settings};
use crate::{ledger, trestle};

/// What is kept while a payment is awaited.
pub struct Awaited {
    pub document_id: String,
    pub payment_method: Option<String>,
    /// Known when the order was paid as it was booked.
    pub paid_on: Option<String>,
}

impl Awaited {
    pub fn read(source_id: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(&ledger::awaited_payment(source_id)?).ok()?;
        Some(Awaited {
            document_id: v["document"].as_str()?.to_string(),
            payment_method: v["method"].as_str().map(str::to_string),
            paid_on: v["paid_on"].as_str().map(str::to_string),
        })
    }
}

/// Marks a just booked (or just found) invoice as awaiting its payment,
/// unless payments are left alone or one is awaited already.
pub fn expect(order: &Order, document_id: &str, settings: &Settings) {
    if settings.payments != Payments::Register || ledger::awaited_payment(&order.source_id).is_some() {
        return;
    }
    let paid_on = order.paid.then(|| order.created_at.get(..10).map(str::to_string)).flatten();
    let value = json!({ "document": document_id, "method": order.payment_method, "paid_on": paid_on });
    ledger::await_payment(&order.source_id, &value.to_string());
}

pub enum Outcome {
    Registered(Settled),
    /// The books held it already (an earlier run's answer was lost).
    AlreadyPaid,
    /// The shop has not been paid yet.
    Unpaid,
    /// The settings name no account for this payment method.
    NoAccount,
}

/// Registers what the shop received for `order`, if its payment is awaited.
pub fn settle(order: &Order, awaited: &Awaited, settings: &Settings) -> Result<Outcome, Error> {
    if !order.paid {
        return Ok(Outcome::Unpaid);
    }
    let Some(account) = settings.bank_account(order.payment_method.as_deref()) else {
        return Ok(Outcome::NoAccount);
    };
    let paid_on = awaited.paid_on.clone().unwrap_or_else(today);
    let settlement = Settlement {
        document_id: awaited.document_id.clone(),
        reference: order.order_number.clone(),
        paid_total: order.total_incl_vat,
        currency: order.currency.clone(),
        paid_on,
        account_id: account.clone(),
    };
    let settled = sales_document_sink::settle_document(DocumentKind::Invoice, &settlement)?;
    ledger::payment_settled(&order.source_id);
    Ok(if settled.registered == 0.0 { Outcome::AlreadyPaid } else { Outcome::Registered(settled) })
}

/// Pays back `amount` of what the shop received for `order` on a credit
/// invoice (only what is not paid back yet).
pub fn refund(
    order: &Order,
    credit_id: &str,
    reference: &str,
    amount: f64,
    settings: &Settings,
) -> Result<Settled, Error> {
    let account = settings.bank_account(order.payment_method.as_deref()).ok_or_else(|| {
        Error::Invalid(format!(
            "no bank account for the payment method {:?} to pay the refund from: set bank_account.<method> or \
             bank_account.default",
            order.payment_method.as_deref().unwrap_or("(none)")
        ))
    })?;
    let settlement = Settlement {
        document_id: credit_id.to_string(),
        reference: reference.to_string(),
        paid_total: -amount,
        currency: order.currency.clone(),
        paid_on: today(),
        account_id: account.clone(),
    };
    sales_document_sink::settle_document(DocumentKind::Invoice, &settlement)
}

/// The payment methods whose payments wait for an account, for the run's
/// note.
#[derive(Default)]
pub struct Unaccounted(BTreeSet<String>);

impl Unaccounted {
    pub fn add(&mut self, method: Option<&str>) {
        self.0.insert(method.unwrap_or("(none)").to_string());
    }

    pub fn note(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let methods: Vec<&str> = self.0.iter().map(String::as_str).collect();
        Some(format!(
            "payments not registered: no bank account for the payment method(s) {}; set bank_account.<method> or \
             bank_account.default to the id of one of the books' bank accounts, or payments = \"leave\" to \
             leave payments to the books; they are registered on the next run once set",
            methods.join(", ")
        ))
    }
}

/// Today in UTC, YYYY-MM-DD.
pub fn today() -> String {
    let now = wall_clock::now();
    DateTime::<Utc>::from_timestamp(now.seconds as i64, 0).unwrap_or_default().format("%Y-%m-%d").to_string()
}
