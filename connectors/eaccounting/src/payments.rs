//! Payments on booked invoices (`POST /customerinvoices/{id}/payments`).
//! The API gives a payment no id and lists none, so what is paid already is
//! read from the invoice: total minus remaining amount. Only the difference
//! to what the shop says was paid is registered, capped at what remains: a
//! repeat after a lost answer finds nothing left to do.

use serde_json::json;
use trestle_guest::Error;
use trestle_guest::log::{self, Level};

use crate::exports::trestle::sync::sales_document_sink::{DocumentKind, Settled, Settlement};
use crate::json::{self, round2};
use crate::{client, percent};

const PARTIAL_PAYMENT: i64 = 1;
const COMPLETE_PAYMENT: i64 = 2;
/// eAccounting keeps a payment reference to 100 characters.
const REFERENCE_LENGTH: usize = 100;

pub fn settle(kind: DocumentKind, s: &Settlement) -> Result<Settled, Error> {
    if kind != DocumentKind::Invoice {
        return Err(Error::Invalid(format!(
            "{} {}: only a booked invoice takes payments in eAccounting (quotes, orders and invoice drafts do not); \
             book orders as invoices (document = \"invoice\") to have their payments registered",
            kind_name(kind),
            s.reference
        )));
    }
    let path = format!("/customerinvoices/{}", percent::encode(&s.document_id));
    let what = format!("eAccounting invoice {} ({})", s.reference, s.document_id);
    let invoice = client::get(&path)?;
    let total = json::number(&invoice, "TotalAmountInvoiceCurrency", &what)?;
    let remaining = json::number(&invoice, "RemainingAmountInvoiceCurrency", &what)?;
    let currency = json::string(&invoice, "CurrencyCode", &what)?;
    if !currency.eq_ignore_ascii_case(&s.currency) {
        return Err(Error::Invalid(format!(
            "{what} is in {currency}, the payment in {}: register it in eAccounting by hand",
            s.currency
        )));
    }
    let due = amount_due(total, remaining, s.paid_total);
    if due.abs() < 0.005 {
        return Ok(Settled { registered: 0.0, remaining });
    }
    let complete = (remaining - due).abs() < 0.005;
    let body = json!({
        "CompanyBankAccountId": s.account_id,
        "PaymentDate": format!("{}T00:00:00", s.paid_on),
        "PaymentAmount": due,
        "PaymentCurrency": currency,
        "PaymentType": if complete { COMPLETE_PAYMENT } else { PARTIAL_PAYMENT },
        "Reference": s.reference.chars().take(REFERENCE_LENGTH).collect::<String>(),
    });
    client::post(&format!("{path}/payments"), &body)?;
    log::log(
        Level::Info,
        &format!("payment of {due:.2} {currency} registered on {what}"),
        &[("id".into(), s.document_id.clone())],
    );
    Ok(Settled { registered: due, remaining: round2(remaining - due) })
}

/// What is still to register so that `paid_total` is paid, never beyond
/// what remains (and 0 when as much or more is paid already). Amounts of a
/// credit invoice are negative; the same rule holds with the sign turned.
fn amount_due(total: f64, remaining: f64, paid_total: f64) -> f64 {
    let sign = if total < 0.0 { -1.0 } else { 1.0 };
    let paid = (total - remaining) * sign;
    let wanted = (paid_total * sign).min(total * sign);
    let due = (wanted - paid).clamp(0.0, remaining * sign);
    round2(due * sign)
}

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Quote => "quote",
        DocumentKind::Order => "order",
        DocumentKind::InvoiceDraft => "invoice draft",
        DocumentKind::Invoice => "invoice",
    }
}

#[cfg(test)]
mod tests {
    use super::amount_due;

    #[test]
    fn only_the_difference_is_due_and_never_more_than_remains() {
        assert_eq!(amount_due(100.0, 100.0, 100.0), 100.0);
        assert_eq!(amount_due(100.0, 0.0, 100.0), 0.0);
        assert_eq!(amount_due(100.0, 40.0, 100.0), 40.0);
        assert_eq!(amount_due(100.0, 100.0, 30.0), 30.0);
        assert_eq!(amount_due(100.0, 70.0, 30.0), 0.0);
        assert_eq!(amount_due(100.0, 100.0, 130.0), 100.0);
        assert_eq!(amount_due(-50.0, -50.0, -50.0), -50.0);
        assert_eq!(amount_due(-50.0, 0.0, -50.0), 0.0);
    }
}
