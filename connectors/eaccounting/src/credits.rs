//! A booked invoice undone by a credit invoice of all its rows, as the books
//! hold them (article, text, price, discount, VAT-free flag; quantities
//! turned), not as the flow would write the order now: an order changed in
//! the shop since it was booked no longer says what the invoice holds. The
//! header keeps the customer, terms, delivery address and VAT treatment of
//! the original; the credit gets our reference and its own date.
//!
//! eAccounting decides the price basis of the credit's rows from the
//! customer as it is now; when that differs from the original's, the
//! credit's total does not match, which the flow's check of booked totals
//! reports.

use serde_json::{Map, Value, json};
use trestle_guest::Error;
use trestle_guest::log::{self, Level};

use crate::exports::trestle::sync::sales_document_sink::{CreatedDocument, DocumentKind};
use crate::{client, documents, json, percent};

/// Header fields of a booked invoice that its credit keeps.
const KEPT_HEADER: [&str; 10] = [
    "CustomerId",
    "EuThirdParty",
    "RotReducedInvoicingType",
    "TermsOfPaymentId",
    "DeliveryCustomerName",
    "DeliveryAddress1",
    "DeliveryAddress2",
    "DeliveryPostalCode",
    "DeliveryCity",
    "DeliveryCountryCode",
];

/// Row fields a credit's rows keep (what `documents` writes on an invoice
/// row); the quantity is turned.
const KEPT_ROW: [&str; 5] = ["ArticleId", "Text", "UnitPrice", "DiscountPercentage", "IsVatFree"];

pub fn create(kind: DocumentKind, id: &str, reference: &str, dated: &str) -> Result<CreatedDocument, Error> {
    if kind != DocumentKind::Invoice {
        return Err(Error::Invalid(format!(
            "{reference}: only a booked invoice is credited in eAccounting; a quote, an order or an invoice draft is \
             not booked and can be changed in place"
        )));
    }
    if let Some((_, existing)) = documents::find_by_references(kind, &[reference.to_string()])?.into_iter().next() {
        log::log(
            Level::Info,
            &format!("credit invoice {reference} already exists in eAccounting; not created again"),
            &[("id".into(), existing.clone())],
        );
        return Ok(CreatedDocument { id: existing, booked_total: None, rounding: 0.0 });
    }
    let target = documents::Target::of(kind);
    let what = format!("eAccounting invoice {id}");
    let original = client::get(&format!("{}/{}", target.collection, percent::encode(id)))?;
    if json::flag(&original, "IsCreditInvoice", &what)? {
        return Err(Error::Invalid(format!("{what} is a credit invoice itself; only a debit invoice is credited")));
    }
    let body = body(&original, reference, dated, &what)?;
    let created = client::post(target.collection, &body)?;
    let what = format!("eAccounting credit invoice {reference} just created");
    Ok(CreatedDocument {
        id: json::string(&created, "Id", &what)?,
        booked_total: Some(json::number(&created, target.total_field, &what)?),
        rounding: 0.0,
    })
}

fn body(original: &Value, reference: &str, dated: &str, what: &str) -> Result<Value, Error> {
    let mut body = Map::new();
    for field in KEPT_HEADER {
        if let Some(value) = original.get(field).filter(|v| !v.is_null()) {
            body.insert(field.into(), value.clone());
        }
    }
    body.insert("OurReference".into(), json!(reference));
    body.insert("InvoiceDate".into(), json!(format!("{dated}T00:00:00Z")));
    body.insert("IsCreditInvoice".into(), json!(true));
    let mut rows = Vec::new();
    for row in json::array(original, "Rows", what)? {
        let mut credit = Map::new();
        for field in KEPT_ROW {
            if let Some(value) = row.get(field).filter(|v| !v.is_null()) {
                credit.insert(field.into(), value.clone());
            }
        }
        // Text rows carry no quantity.
        if let Some(quantity) = row["Quantity"].as_f64() {
            credit.insert("Quantity".into(), json!(-quantity));
        }
        rows.push(Value::Object(credit));
    }
    body.insert("Rows".into(), json!(rows));
    Ok(Value::Object(body))
}
