//! Quotes: currency and addresses come from the customer (read-only here).

use serde_json::{Map, Value, json};

use super::documents::{CUSTOMER_FIELDS, copy_from_customer, customer, includes_vat, price_rows};
use super::{merge, stamp_times};
use crate::books::{Books, Kind};
use crate::errors::ApiError;

pub fn prepare(books: &mut Books, input: &Map<String, Value>, existing: Option<&Value>) -> Result<Value, ApiError> {
    let mut quote = merge(Kind::Quotes.schema(), input, existing);
    let customer = customer(books, &quote)?;
    let gross = includes_vat(books, &customer);
    copy_from_customer(&mut quote, &customer, CUSTOMER_FIELDS);
    quote["CurrencyCode"] = customer["CurrencyCode"].clone();
    quote["IncludesVat"] = json!(gross);
    let totals = price_rows(books, &mut quote, "QuoteRowApi", gross)?;
    quote["TotalAmount"] = json!(totals.gross());
    quote["VatAmount"] = json!(totals.vat);
    quote["RoundingsAmount"] = json!(0.0);
    quote["Number"] = match existing {
        Some(existing) => existing["Number"].clone(),
        None => json!(books.take_number("NextQuoteNumber")),
    };
    stamp_times(&mut quote, existing, "ModifiedUtc");
    Ok(quote)
}
