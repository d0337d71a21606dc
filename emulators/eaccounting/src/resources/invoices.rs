//! Customer invoices, created bookkept: numbered from the company counter,
//! at least one article row, and stock leaves the warehouse (a credit
//! invoice's negative quantities bring it back).

use serde_json::{Map, Value, json};

use super::documents::{CUSTOMER_FIELDS, copy_from_customer, customer, includes_vat, price_rows};
use super::{merge, stamp_times};
use crate::books::{Books, Kind, now_utc, round2};
use crate::errors::{ApiError, FieldError};

const UNPAID: i64 = 1;

pub fn prepare(books: &mut Books, input: &Map<String, Value>, existing: Option<&Value>) -> Result<Value, ApiError> {
    let mut invoice = merge(Kind::CustomerInvoices.schema(), input, existing);
    let customer = customer(books, &invoice)?;
    let gross = includes_vat(books, &customer);
    copy_from_customer(&mut invoice, &customer, CUSTOMER_FIELDS);
    invoice["CurrencyCode"] = customer["CurrencyCode"].clone();
    invoice["CustomerEmail"] = customer["EmailAddress"].clone();
    invoice["IncludesVat"] = json!(gross);
    let totals = price_rows(books, &mut invoice, "CustomerInvoiceRowApi", gross)?;
    let rows = invoice["Rows"].as_array().cloned().unwrap_or_default();
    if !rows.iter().any(|r| r["IsTextRow"] == false) {
        let message = "An invoice must contain at least one article row.".to_string();
        return Err(ApiError::validation(message.clone(), vec![FieldError::new("Rows", "Required", message)]));
    }
    check_sign(&invoice, totals.gross())?;
    for field in ["TotalAmount", "TotalAmountInvoiceCurrency", "RemainingAmount", "RemainingAmountInvoiceCurrency"] {
        invoice[field] = json!(totals.gross());
    }
    invoice["TotalVatAmount"] = json!(totals.vat);
    invoice["TotalVatAmountInvoiceCurrency"] = json!(totals.vat);
    invoice["VatSpecification"] = totals.vat_specification();
    invoice["PaymentStatus"] = json!(UNPAID);
    invoice["InvoiceNumber"] = json!(books.take_number("NextCustomerInvoiceNumber"));
    if invoice["InvoiceDate"].is_null() {
        invoice["InvoiceDate"] = json!(format!("{}T00:00:00Z", &now_utc()[..10]));
    }
    stamp_times(&mut invoice, existing, "ModifiedUtc");
    take_from_stock(books, &rows);
    Ok(invoice)
}

/// A credit invoice (`IsCreditInvoice`) gives money back: its rows carry
/// negative quantities, so its total is below zero; a debit invoice's is
/// not (see UNCONFIRMED.md).
fn check_sign(invoice: &Value, total: f64) -> Result<(), ApiError> {
    let credit = invoice["IsCreditInvoice"] == true;
    let message = match (credit, total) {
        (true, t) if t >= 0.0 => format!(
            "A credit invoice (IsCreditInvoice = true) must have a negative total, got {t:.2}: give its rows \
             negative quantities."
        ),
        (false, t) if t < 0.0 => {
            format!("An invoice total of {t:.2} is negative: set IsCreditInvoice = true to credit a customer.")
        }
        _ => return Ok(()),
    };
    Err(ApiError::validation(message.clone(), vec![FieldError::new("IsCreditInvoice", "Invalid", message)]))
}

/// Invoiced quantities of stock articles leave the stock balance.
fn take_from_stock(books: &mut Books, rows: &[Value]) {
    for row in rows {
        let Some(id) = row["ArticleId"].as_str() else {
            continue;
        };
        let quantity = row["Quantity"].as_f64().unwrap_or_default();
        if let Some(article) = books
            .all_mut(Kind::Articles)
            .iter_mut()
            .find(|a| a["Id"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(id)) && a["IsStock"] == true)
        {
            let balance = article["StockBalance"].as_f64().unwrap_or_default();
            article["StockBalance"] = json!(round2(balance - quantity));
        }
    }
}
