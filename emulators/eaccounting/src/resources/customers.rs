//! Customers: terms of payment must exist, numbers are unique and assigned
//! from the company counter when left out.

use serde_json::{Map, Value, json};

use super::{merge, reference, required_reference, stamp_times};
use crate::books::{Books, Kind};
use crate::errors::{ApiError, FieldError, code};

pub fn prepare(books: &mut Books, input: &Map<String, Value>, existing: Option<&Value>) -> Result<Value, ApiError> {
    let mut customer = merge(Kind::Customers.schema(), input, existing);
    let terms = required_reference(books, Kind::TermsOfPayments, &customer, "TermsOfPaymentId")?.clone();
    reference(books, Kind::DeliveryMethods, &customer, "DeliveryMethodId")?;
    customer["TermsOfPayment"] = terms;
    let given = customer["CustomerNumber"].as_str().filter(|n| !n.trim().is_empty()).map(str::to_string);
    let number = match (given, existing) {
        (Some(number), _) => number,
        (None, Some(existing)) => existing["CustomerNumber"].as_str().unwrap_or_default().to_string(),
        (None, None) => books.take_number("NextCustomerNumber").to_string(),
    };
    let id = customer["Id"].clone();
    if books.all(Kind::Customers).iter().any(|c| c["CustomerNumber"] == number.as_str() && c["Id"] != id) {
        return Err(ApiError::field(
            code::CONFLICT,
            FieldError::new(
                "CustomerNumber",
                "Duplicate",
                format!("A customer with number '{number}' already exists."),
            ),
        ));
    }
    customer["CustomerNumber"] = json!(number);
    if customer["CurrencyCode"].is_null() {
        customer["CurrencyCode"] = books.company["CurrencyCode"].clone();
    }
    stamp_times(&mut customer, existing, "ChangedUtc");
    Ok(customer)
}

/// Customers with documents cannot be deleted (set IsActive=false instead).
pub fn check_delete(books: &Books, customer: &Value) -> Result<(), ApiError> {
    let documents = [Kind::Orders, Kind::Quotes, Kind::CustomerInvoiceDrafts, Kind::CustomerInvoices];
    if documents.iter().any(|kind| books.all(*kind).iter().any(|d| d["CustomerId"] == customer["Id"])) {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            code::CANNOT_BE_DELETED,
            "The customer has documents and cannot be deleted; set IsActive to false instead.",
        ));
    }
    Ok(())
}
