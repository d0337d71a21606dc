//! Customer invoice drafts: not bookkept, so no invoice number yet.

use serde_json::{Map, Value, json};

use super::documents::{CUSTOMER_FIELDS, copy_from_customer, customer, includes_vat, price_rows};
use super::{merge, stamp_times};
use crate::books::{Books, Kind};
use crate::errors::ApiError;

pub fn prepare(books: &mut Books, input: &Map<String, Value>, existing: Option<&Value>) -> Result<Value, ApiError> {
    let mut draft = merge(Kind::CustomerInvoiceDrafts.schema(), input, existing);
    let customer = customer(books, &draft)?;
    let gross = includes_vat(books, &customer);
    copy_from_customer(&mut draft, &customer, CUSTOMER_FIELDS);
    draft["InvoiceCurrencyCode"] = customer["CurrencyCode"].clone();
    draft["IncludesVat"] = json!(gross);
    let totals = price_rows(books, &mut draft, "CustomerInvoiceDraftRowApi", gross)?;
    draft["TotalAmount"] = json!(totals.gross());
    draft["TotalVatAmount"] = json!(totals.vat);
    draft["TotalAmountBaseCurrency"] = json!(totals.gross());
    draft["TotalVatAmountBaseCurrency"] = json!(totals.vat);
    draft["TotalRoundings"] = json!(0.0);
    stamp_times(&mut draft, existing, "CreatedUtc");
    Ok(draft)
}
