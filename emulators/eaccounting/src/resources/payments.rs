//! `POST /v2/customerinvoices/{invoiceId}/payments` (InvoicePaymentApi): a
//! payment on a booked invoice lowers its remaining amount; at zero the
//! invoice is paid. The API answers with the payment but gives it no id and
//! lists no payments, so a client can only tell what was paid from the
//! invoice's remaining amount.
//!
//! Refused with a 400 naming the problem: an amount above what remains
//! (overpayment), a payment on an invoice draft, an unknown bank account, a
//! currency other than the invoice's, a future payment date, and a complete
//! payment that does not settle the rest (see UNCONFIRMED.md).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Map, Value, json};

use super::{check_key, read_body, reference};
use crate::app::App;
use crate::bearer::require_scopes;
use crate::books::{Books, Kind, now_utc, round2};
use crate::errors::{ApiError, FieldError, code};
use crate::schema::schemas;
use crate::tokens::Grant;

const SCHEMA: &str = "InvoicePaymentApi";
const PARTIAL: i64 = 1;
const COMPLETE: i64 = 2;
const PAID: i64 = 0;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route(
        "/v2/customerinvoices/{id}/payments",
        post(
            |State(app): State<Arc<App>>,
             Extension(grant): Extension<Grant>,
             Path(id): Path<String>,
             headers: HeaderMap,
             body: Bytes| async move { create(app, grant, id, headers, body).await },
        ),
    )
}

async fn create(app: Arc<App>, grant: Grant, id: String, headers: HeaderMap, body: Bytes) -> Response {
    let taken = (|| {
        require_scopes(&grant, "POST /customerinvoices/{id}/payments")?;
        check_key(Kind::CustomerInvoices, &id)?;
        let input = read_body(&headers, &body, SCHEMA, app.config.read_only_fields)?;
        pay(&mut app.books(), &id, &input)
    })();
    match taken {
        Ok(payment) => {
            // Taken and stored: the test may have the answer lost.
            match app.payment_answers.deliver() {
                Some(lost) => lost,
                None => (StatusCode::CREATED, Json(payment)).into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

fn pay(books: &mut Books, id: &str, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let Some(invoice) = books.find(Kind::CustomerInvoices, id).cloned() else {
        if books.find(Kind::CustomerInvoiceDrafts, id).is_some() {
            return Err(refused(
                "",
                format!("'{id}' is an invoice draft: a draft takes no payments; book it as an invoice first."),
            ));
        }
        return Err(ApiError::not_found(Kind::CustomerInvoices.noun(), id));
    };
    let payment = Value::Object(input.clone());
    reference(books, Kind::BankAccounts, &payment, "CompanyBankAccountId")?;
    let currency = payment["PaymentCurrency"].as_str().unwrap_or_default();
    if !invoice["CurrencyCode"].as_str().is_some_and(|c| c.eq_ignore_ascii_case(currency)) {
        return Err(refused(
            "PaymentCurrency",
            format!("PaymentCurrency '{currency}' is not the invoice's currency {}.", invoice["CurrencyCode"]),
        ));
    }
    let today = &now_utc()[..10];
    let date = match payment["PaymentDate"].as_str() {
        Some(d) if d.get(..10).is_some_and(|day| day > today) => {
            return Err(refused("PaymentDate", format!("PaymentDate {d}: future dates cannot be set.")));
        }
        Some(d) => d.get(..10).unwrap_or(today).to_string(),
        None => today.to_string(),
    };
    let amount = round2(payment["PaymentAmount"].as_f64().unwrap_or_default());
    let remaining = round2(invoice["RemainingAmountInvoiceCurrency"].as_f64().unwrap_or_default());
    check_amount(amount, remaining, invoice["InvoiceNumber"].as_i64().unwrap_or_default())?;
    let left = round2(remaining - amount);
    match payment["PaymentType"].as_i64() {
        Some(COMPLETE) if left.abs() >= 0.005 => {
            return Err(refused(
                "PaymentType",
                format!(
                    "PaymentType 2 (CompletePayment) must settle the remaining amount {remaining:.2}; {amount:.2} \
                     leaves {left:.2}: send it as PaymentType 1 (PartialPayment)."
                ),
            ));
        }
        Some(PARTIAL | COMPLETE) => {}
        other => {
            return Err(refused(
                "PaymentType",
                format!("PaymentType {other:?} is not emulated; allowed: 1 (PartialPayment), 2 (CompletePayment)."),
            ));
        }
    }
    let mut updated = invoice;
    for field in ["RemainingAmount", "RemainingAmountInvoiceCurrency"] {
        updated[field] = json!(left);
    }
    if left.abs() < 0.005 {
        updated["PaymentStatus"] = json!(PAID);
    }
    updated["PaymentDate"] = json!(format!("{date}T00:00:00Z"));
    updated["ModifiedUtc"] = json!(now_utc());
    books.put(Kind::CustomerInvoices, updated);
    let stored = schemas().complete(SCHEMA, payment);
    let mut record = stored.clone();
    record["InvoiceId"] = json!(id);
    books.payments.push(record);
    Ok(stored)
}

/// A payment has the sign of what remains (a credit invoice's is negative)
/// and is at most that much.
fn check_amount(amount: f64, remaining: f64, number: i64) -> Result<(), ApiError> {
    if remaining.abs() < 0.005 {
        return Err(refused("PaymentAmount", format!("Invoice {number} is already paid: nothing remains to pay.")));
    }
    if amount.abs() < 0.005 || amount.signum() != remaining.signum() {
        return Err(refused(
            "PaymentAmount",
            format!("PaymentAmount {amount:.2}: a payment on invoice {number} must be between 0 and {remaining:.2}."),
        ));
    }
    if amount.abs() > remaining.abs() + 0.005 {
        return Err(refused(
            "PaymentAmount",
            format!(
                "PaymentAmount {amount:.2} exceeds the remaining amount {remaining:.2} of invoice {number}: \
                 overpayment is not allowed."
            ),
        ));
    }
    Ok(())
}

fn refused(field: &str, message: String) -> ApiError {
    ApiError::field(code::VALIDATION, FieldError::new(field, "Invalid", message))
}
