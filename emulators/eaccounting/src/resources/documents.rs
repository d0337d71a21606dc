//! What sales documents (orders, quotes, invoice drafts, invoices) share:
//! the customer they are for, whether prices include VAT, and rows priced
//! from the articles with totals computed from them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::required_reference;
use crate::books::{Books, Kind, round2};
use crate::errors::{ApiError, FieldError, code};
use crate::schema::schemas;

/// The document's customer (required, must exist).
pub fn customer(books: &Books, document: &Value) -> Result<Value, ApiError> {
    required_reference(books, Kind::Customers, document, "CustomerId").cloned()
}

/// Private customers see gross prices unless the company shows them net
/// (the spec's inferred rule for `IncludesVat`).
pub fn includes_vat(books: &Books, customer: &Value) -> bool {
    customer["IsPrivatePerson"] == true && books.company["ShowPricesExclVatPC"] != true
}

/// Copies customer data onto the document where the document has the
/// property and the client left it empty: (document field, customer field).
pub fn copy_from_customer(document: &mut Value, customer: &Value, pairs: &[(&str, &str)]) {
    for (doc_field, customer_field) in pairs {
        let empty = document[*doc_field].is_null() || document[*doc_field] == "";
        if document.get(*doc_field).is_some() && empty {
            document[*doc_field] = customer[*customer_field].clone();
        }
    }
}

pub const CUSTOMER_FIELDS: &[(&str, &str)] = &[
    ("CustomerNumber", "CustomerNumber"),
    ("CustomerName", "Name"),
    ("InvoiceCustomerName", "Name"),
    ("CustomerIsPrivatePerson", "IsPrivatePerson"),
    ("InvoiceAddress1", "InvoiceAddress1"),
    ("InvoiceAddress2", "InvoiceAddress2"),
    ("InvoicePostalCode", "InvoicePostalCode"),
    ("InvoiceCity", "InvoiceCity"),
    ("InvoiceCountryCode", "InvoiceCountryCode"),
    ("TermsOfPaymentId", "TermsOfPaymentId"),
];

/// Document totals in document currency.
#[derive(Debug, Default)]
pub struct Totals {
    pub net: f64,
    pub vat: f64,
    /// VAT rate (fraction, as text) → (net amount, VAT amount).
    pub by_rate: BTreeMap<String, (f64, f64)>,
}

impl Totals {
    pub fn gross(&self) -> f64 {
        round2(self.net + self.vat)
    }

    /// `VatSpecification` of an invoice.
    pub fn vat_specification(&self) -> Value {
        json!(
            self.by_rate
                .iter()
                .map(|(rate, (net, vat))| json!({
                    "AmountInvoiceCurrency": round2(*net),
                    "VatAmountInvoiceCurrency": round2(*vat),
                    "VatPercent": rate.parse::<f64>().unwrap_or_default(),
                }))
                .collect::<Vec<_>>()
        )
    }
}

/// Prices `document["Rows"]` (schema `row_schema`) from the articles:
/// checks every article row names an existing article, fills article data
/// and amounts, numbers the rows, and returns the totals.
pub fn price_rows(
    books: &Books,
    document: &mut Value,
    row_schema: &str,
    includes_vat: bool,
) -> Result<Totals, ApiError> {
    let input_rows: Vec<Value> = document["Rows"].as_array().cloned().unwrap_or_default();
    let text_flag_writable = schemas().component(row_schema)["properties"]["IsTextRow"]["readOnly"] != true;
    let mut totals = Totals::default();
    let mut rows = Vec::with_capacity(input_rows.len());
    for (index, input) in input_rows.iter().enumerate() {
        let input = input.as_object().cloned().unwrap_or_default();
        let mut row = schemas().complete(row_schema, Value::Object(schemas().writable(row_schema, &input)));
        if row.get("Id").is_some() {
            row["Id"] = json!(uuid::Uuid::new_v4().to_string());
        }
        if !input.contains_key("LineNumber")
            || schemas().component(row_schema)["properties"]["LineNumber"]["readOnly"] == true
        {
            row["LineNumber"] = json!(index);
        }
        let is_text = if text_flag_writable { row["IsTextRow"] == true } else { row["ArticleId"].is_null() };
        set_if_present(&mut row, "IsTextRow", json!(is_text));
        if is_text {
            set_if_present(&mut row, "VatRate", Value::Null);
        } else {
            price_row(books, &mut row, &input, index, includes_vat, &mut totals)?;
        }
        rows.push(row);
    }
    document["Rows"] = json!(rows);
    totals.net = round2(totals.net);
    totals.vat = round2(totals.vat);
    Ok(totals)
}

fn price_row(
    books: &Books,
    row: &mut Value,
    input: &Map<String, Value>,
    index: usize,
    includes_vat: bool,
    totals: &mut Totals,
) -> Result<(), ApiError> {
    let field = format!("Rows[{index}].ArticleId");
    let Some(article_id) = row["ArticleId"].as_str().map(str::to_string) else {
        let message = format!("The {field} field is required on a row that is not a text row.");
        return Err(ApiError::validation(message.clone(), vec![FieldError::new(field, "Required", message)]));
    };
    let article = books.find(Kind::Articles, &article_id).ok_or_else(|| {
        ApiError::field(
            code::NOT_FOUND,
            FieldError::new(&field, "NotFound", format!("{field}: Article '{article_id}' does not exist.")),
        )
    })?;
    let coding = books.find(Kind::ArticleAccountCodings, article["CodingId"].as_str().unwrap_or_default());
    let vat_free = row["IsVatFree"] == true;
    let rate = if vat_free { 0.0 } else { coding.and_then(|c| c["VatRatePercent"].as_f64()).unwrap_or_default() };
    if input.get("UnitPrice").is_none_or(Value::is_null) {
        row["UnitPrice"] = if includes_vat { article["GrossPrice"].clone() } else { article["NetPrice"].clone() };
    }
    if row["Text"].is_null() || row["Text"] == "" {
        row["Text"] = article["Name"].clone();
    }
    let unit_price = row["UnitPrice"].as_f64().unwrap_or_default();
    let quantity = row["Quantity"].as_f64().unwrap_or_default();
    let discount = row["DiscountPercentage"].as_f64().unwrap_or_default();
    let amount = round2(unit_price * quantity * (1.0 - discount));
    let (net, vat) = if includes_vat {
        let net = round2(amount / (1.0 + rate));
        (net, round2(amount - net))
    } else {
        (amount, round2(amount * rate))
    };
    set_if_present(row, "ArticleNumber", article["Number"].clone());
    set_if_present(row, "IsServiceArticle", article["IsServiceArticle"].clone());
    set_if_present(row, "UnitId", article["UnitId"].clone());
    set_if_present(row, "VatRate", json!(rate));
    set_if_present(row, "PercentVat", json!(rate));
    set_if_present(row, "Amount", json!(amount));
    set_if_present(row, "AmountNoVat", json!(net));
    totals.net += net;
    totals.vat += vat;
    let entry = totals.by_rate.entry(rate.to_string()).or_default();
    entry.0 += net;
    entry.1 += vat;
    Ok(())
}

/// Sets `field` only where the row's schema has it.
pub fn set_if_present(item: &mut Value, field: &str, value: Value) {
    if item.get(field).is_some() {
        item[field] = value;
    }
}
