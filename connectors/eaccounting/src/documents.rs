//! Sales documents: a shop order written as an eAccounting quote, order,
//! invoice draft or invoice. Our reference (the shop order number) goes into
//! the document's "our reference" field, and `create` looks it up first
//! (unless `find_by_references` just found it absent), so writing the same
//! order twice gives back the first document.
//!
//! eAccounting takes each row's VAT rate and revenue account from the
//! article's coding; rows cannot override them (a row can only be VAT free
//! on quotes and invoices). So a booking contributes its article id; the
//! order's VAT exemption marks the document EU third party, and on quotes
//! and invoices every row the shop charged no VAT on is VAT free. Orders and
//! invoice drafts cannot say so per row: the flow's check of the booked
//! total catches the difference. Where the rows come to within the flow's
//! limit of the shop's total but not to it, a rounding row on the article
//! the flow names takes up the difference (see `rounding`).
//! Unit prices are converted to the document's price basis, which the API
//! decides from the customer and the company (see `company`).

use serde_json::{Map, Value, json};
use trestle_guest::Error;
use trestle_guest::log::{self, Level};
use trestle_guest::types::{Address, LineKind, Order, OrderLine};

use crate::client::{self, literal};
use crate::exports::trestle::sync::sales_document_sink::{
    CreatedDocument, Difference, DocumentKind, LineBooking, RoundingRow, SalesDocument, StoredDocument,
    StoredDocumentPage,
};
use crate::json;
use crate::reference::{self, Kind};
use crate::{company, custom_fields, customers, remembered, rounding, row_amounts};

/// An order is "ongoing" once the shop accepted it (1 would be a draft).
const ORDER_STATUS_ONGOING: i64 = 2;
/// No ROT/RUT household-work deduction: normal sales.
const ROT_RUT_NONE: i64 = 0;
/// Totals further apart than this differ for a resync (closer is rounding).
const TOTAL_TOLERANCE: f64 = 0.05;

/// Where and how each kind of document is kept.
pub(crate) struct Target {
    kind: DocumentKind,
    pub(crate) collection: &'static str,
    noun: &'static str,
    /// The field holding our reference (quotes call it CompanyReference).
    reference_field: &'static str,
    /// The field holding the document's total incl. VAT in its currency.
    pub(crate) total_field: &'static str,
    /// The field holding the document's date.
    date_field: &'static str,
    /// The schema components of the document and of its rows.
    component: &'static str,
    row_component: &'static str,
}

impl Target {
    pub(crate) fn of(kind: DocumentKind) -> Target {
        let (collection, noun, reference_field, total_field, date_field, component, row_component) = match kind {
            DocumentKind::Quote => {
                ("/quotes", "quote", "CompanyReference", "TotalAmount", "QuoteDate", "QuoteApi", "QuoteRowApi")
            }
            DocumentKind::Order => {
                ("/orders", "order", "OurReference", "Amount", "OrderDate", "OrderApi", "OrderRowApi")
            }
            DocumentKind::InvoiceDraft => (
                "/customerinvoicedrafts",
                "invoice draft",
                "OurReference",
                "TotalAmount",
                "InvoiceDate",
                "CustomerInvoiceDraftApi",
                "CustomerInvoiceDraftRowApi",
            ),
            DocumentKind::Invoice => (
                "/customerinvoices",
                "invoice",
                "OurReference",
                // TotalAmount is in the company's currency.
                "TotalAmountInvoiceCurrency",
                "InvoiceDate",
                "CustomerInvoiceApi",
                "CustomerInvoiceRowApi",
            ),
        };
        Target { kind, collection, noun, reference_field, total_field, date_field, component, row_component }
    }

    /// Where the order's custom fields go, and what they may not replace.
    fn header_fields(&self) -> custom_fields::Target {
        custom_fields::Target::new(
            self.component,
            self.noun,
            &[
                (self.reference_field, "it holds our reference, by which Trestle finds the document again"),
                ("Id", custom_fields::ID),
                ("Rows", "the rows are the order's lines"),
                ("CustomerId", "the customer is the one the flow found or created for the buyer"),
                ("EuThirdParty", "the VAT treatment follows the order"),
            ],
        )
    }

    /// Where a line's custom fields go.
    fn row_fields(&self) -> custom_fields::Target {
        const LINE: &str = "article, quantity, price and VAT of a row are the order line's";
        custom_fields::Target::new(
            self.row_component,
            "document row",
            &[
                ("ArticleId", LINE),
                ("Quantity", LINE),
                ("UnitPrice", LINE),
                ("DiscountPercentage", LINE),
                ("IsVatFree", LINE),
                ("IsTextRow", LINE),
                ("LineNumber", "the connector numbers the rows"),
            ],
        )
    }
}

/// References per look-up: 25 `or`-ed comparisons keep the URL short and
/// fit one page.
const REFERENCES_PER_LOOKUP: usize = 25;

thread_local! {
    /// References `find_by_references` found absent in this run (= this
    /// instance) and not created since: `create` need not ask again.
    static VERIFIED_ABSENT: std::cell::RefCell<std::collections::HashSet<(String, String)>> = Default::default();
}

pub fn find_by_references(kind: DocumentKind, references: &[String]) -> Result<Vec<(String, String)>, Error> {
    let target = Target::of(kind);
    let mut found = Vec::new();
    for chunk in references.chunks(REFERENCES_PER_LOOKUP) {
        let filter: Vec<String> =
            chunk.iter().map(|r| format!("{} eq {}", target.reference_field, literal(r))).collect();
        let what = format!("eAccounting {}", target.noun);
        for item in client::list_all(target.collection, &[("$filter", filter.join(" or "))])? {
            let reference = json::string(&item, target.reference_field, &what)?;
            found.push((reference, json::string(&item, "Id", &what)?));
        }
        VERIFIED_ABSENT.with(|absent| {
            let mut absent = absent.borrow_mut();
            for reference in chunk.iter().filter(|r| !found.iter().any(|(f, _)| f == *r)) {
                absent.insert((target.collection.to_string(), reference.clone()));
            }
        });
    }
    Ok(found)
}

pub fn create(document: &SalesDocument) -> Result<CreatedDocument, Error> {
    let target = Target::of(document.kind);
    let key = (target.collection.to_string(), document.reference.clone());
    let verified = VERIFIED_ABSENT.with(|absent| absent.borrow().contains(&key));
    if !verified
        && let Some((_, existing)) =
            find_by_references(document.kind, std::slice::from_ref(&document.reference))?.into_iter().next()
    {
        log::log(
            Level::Info,
            &format!("{} {} already exists in eAccounting; not created again", target.noun, document.reference),
            &[("id".into(), existing.clone())],
        );
        return Ok(CreatedDocument { id: existing, booked_total: None, rounding: 0.0 });
    }
    // Used up: a second create of this reference in the run asks again.
    VERIFIED_ABSENT.with(|absent| absent.borrow_mut().remove(&key));
    let (body, gross, rounding) = body(&target, document)?;
    let created = client::post(target.collection, &body).inspect_err(|e| {
        if matches!(e, Error::Invalid(_) | Error::NotFound(_)) {
            remembered::forget_inputs_of(document);
        }
    })?;
    let what = format!("eAccounting {} just created", target.noun);
    let id = json::string(&created, "Id", &what)?;
    check_price_basis(&target, document, &created, gross, &what)?;
    let booked_total = Some(json::number(&created, target.total_field, &what)?);
    Ok(CreatedDocument { id, booked_total, rounding })
}

/// How the document `id` differs from what `create` would write for
/// `document` now: its total (beyond a few cents of rounding),
/// its customer, its number of rows.
pub fn differences(id: &str, document: &SalesDocument) -> Result<Vec<Difference>, Error> {
    let target = Target::of(document.kind);
    let stored = client::get(&format!("{}/{id}", target.collection))?;
    let what = format!("eAccounting {} {id}", target.noun);
    let (body, _, _) = body(&target, document)?;
    let mut found = Vec::new();
    let mut differs = |field: &str, stored: String, wanted: String| {
        found.push(Difference { field: field.into(), stored, wanted });
    };
    let total = json::number(&stored, target.total_field, &what)?;
    let expected = document.order.total_incl_vat;
    if (total - expected).abs() > TOTAL_TOLERANCE {
        differs("total", format!("{total:.2}"), format!("{expected:.2}"));
    }
    let customer = json::string(&stored, "CustomerId", &what)?;
    if customer != document.customer_id {
        differs("customer", customer, document.customer_id.clone());
    }
    let rows = json::array(&stored, "Rows", &what)?.len();
    let expected_rows = body["Rows"].as_array().map_or(0, Vec::len);
    if rows != expected_rows {
        differs("rows", rows.to_string(), expected_rows.to_string());
    }
    Ok(found)
}

/// One page of the documents of this kind with a reference, dated on or
/// after `dated_since`.
pub fn list(kind: DocumentKind, dated_since: Option<&str>, cursor: Option<&str>) -> Result<StoredDocumentPage, Error> {
    let target = Target::of(kind);
    // Documents without a reference are left out here rather than by the
    // filter: the API documents no comparison with null.
    let filter: Vec<(&str, String)> =
        dated_since.map(|day| ("$filter", format!("{} ge {day}", target.date_field))).into_iter().collect();
    let page = client::list_page(target.collection, &filter, cursor)?;
    let what = format!("eAccounting {}", target.noun);
    let documents = page
        .items
        .iter()
        .filter(|d| d[target.reference_field].as_str().is_some_and(|r| !r.trim().is_empty()))
        .map(|d| {
            Ok(StoredDocument {
                id: json::string(d, "Id", &what)?,
                reference: json::string(d, target.reference_field, &what)?,
                customer_id: json::string(d, "CustomerId", &what)?,
                total: json::number(d, target.total_field, &what)?,
                date: json::string(d, target.date_field, &what)?.chars().take(10).collect(),
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(StoredDocumentPage { documents, next: page.next })
}

/// What `create` posts for `document`, whether its unit prices include
/// VAT, and the amount of the rounding row it holds (0 for none).
fn body(target: &Target, document: &SalesDocument) -> Result<(Value, bool, f64), Error> {
    let order = &document.order;
    if document.bookings.len() != order.lines.len() {
        return Err(Error::Invalid(format!(
            "{} {}: {} bookings for {} order lines; the flow must send one per line",
            target.noun,
            document.reference,
            document.bookings.len(),
            order.lines.len()
        )));
    }
    let gross = company::prices_include_vat_for(remembered::customer_is_private(&document.customer_id)?)?;

    let mut body = header(target, document)?;
    let mut rows = Vec::with_capacity(order.lines.len());
    let mut booked = 0.0;
    for (index, (line, booking)) in order.lines.iter().zip(&document.bookings).enumerate() {
        let line_rows = line_rows(target, order, index, line, booking, gross)?;
        booked += rounding::booked(&line_rows, if order.vat_exempt { 0.0 } else { line.vat_rate }, gross);
        rows.extend(line_rows);
    }
    let mut rounded = 0.0;
    if let Some(rounding) = &document.rounding
        && let Some(difference) = rounding::difference(order.total_incl_vat, booked, rounding.up_to)
    {
        rows.extend(rounding_row(target, order, rounding, difference, gross)?);
        rounded = difference;
    }
    if target.kind == DocumentKind::Order {
        for (number, row) in rows.iter_mut().enumerate() {
            row["LineNumber"] = json!(number);
        }
    }
    body["Rows"] = json!(rows);
    let what = format!("{} {}", target.noun, document.reference);
    custom_fields::merge(&mut body, &order.custom_fields, &target.header_fields(), &what)?;
    Ok((body, gross, rounded))
}

/// One VAT-free row of `difference` on the rounding article, shaped as any
/// cost row of the document.
fn rounding_row(
    target: &Target,
    order: &Order,
    rounding: &RoundingRow,
    difference: f64,
    gross: bool,
) -> Result<Vec<Value>, Error> {
    let line = OrderLine {
        kind: LineKind::ExtraCost,
        sku: String::new(),
        name: "Rounding".into(),
        quantity: 1.0,
        unit_price: difference,
        prices_include_vat: gross,
        discount: 0.0,
        vat_rate: 0.0,
        custom_fields: Vec::new(),
    };
    let booking = LineBooking { article_id: Some(rounding.article_id.clone()), vat_code: None, revenue_account: None };
    line_rows(target, order, order.lines.len(), &line, &booking, gross)
}

fn header(target: &Target, document: &SalesDocument) -> Result<Value, Error> {
    let order = &document.order;
    let date = order.created_at.get(..10).filter(|d| d.len() == 10).map(str::to_string);
    let mut body = json!({
        "CustomerId": document.customer_id,
        "EuThirdParty": order.vat_exempt,
        "RotReducedInvoicingType": ROT_RUT_NONE,
        target.reference_field: document.reference,
    });
    let mut set = |field: &str, value: Value| {
        if !value.is_null() {
            body[field] = value;
        }
    };
    match target.kind {
        DocumentKind::Quote => set("QuoteDate", json!(date)),
        DocumentKind::Order => {
            set("OrderDate", json!(date));
            set("CurrencyCode", json!(order.currency));
            set("Status", json!(ORDER_STATUS_ONGOING));
            set("ReverseChargeOnConstructionServices", json!(false));
        }
        // Typed date-time without the "YYYY-MM-DD" note of order and quote dates.
        DocumentKind::InvoiceDraft | DocumentKind::Invoice => {
            set("InvoiceDate", json!(date.map(|d| format!("{d}T00:00:00Z"))))
        }
    }
    if target.kind == DocumentKind::Invoice {
        // An order with negative quantities credits the buyer.
        set("IsCreditInvoice", json!(order.total_incl_vat < 0.0));
    }
    if target.kind != DocumentKind::Quote {
        // Quotes take their terms and addresses from the customer.
        set("TermsOfPaymentId", json!(document.terms_of_payment_id));
        for (field, value) in delivery_address(&order.delivery_address) {
            set(field, value);
        }
    }
    if matches!(target.kind, DocumentKind::Order | DocumentKind::InvoiceDraft)
        && let Some(id) = &document.delivery_method_id
    {
        let (name, code) = delivery_method(id)?;
        set("DeliveryMethodName", json!(name));
        set("DeliveryMethodCode", json!(code));
    }
    Ok(body)
}

fn delivery_address(address: &Address) -> [(&'static str, Value); 6] {
    [
        ("DeliveryCustomerName", json!(address.company.clone().unwrap_or_else(|| address.name.clone()))),
        ("DeliveryAddress1", json!(customers::street_line(address))),
        ("DeliveryAddress2", json!(address.extra_line)),
        ("DeliveryPostalCode", json!(address.postal_code)),
        ("DeliveryCity", json!(address.city)),
        ("DeliveryCountryCode", json!(customers::country(address))),
    ]
}

/// Documents carry the delivery method as text; the id names one of
/// eAccounting's delivery methods.
fn delivery_method(id: &str) -> Result<(Value, Value), Error> {
    let methods = reference::items(Kind::DeliveryMethods)?;
    let method = methods
        .iter()
        .find(|m| m["Id"].as_str().is_some_and(|m| m.eq_ignore_ascii_case(id)))
        .ok_or_else(|| Error::Invalid(format!("delivery method {id} is not one of eAccounting's delivery methods")))?;
    Ok((method["Name"].clone(), method["Code"].clone()))
}

/// The document rows of one order line: one, or two where the amount needs
/// them (see `row_amounts`).
fn line_rows(
    target: &Target,
    order: &Order,
    index: usize,
    line: &OrderLine,
    booking: &LineBooking,
    gross: bool,
) -> Result<Vec<Value>, Error> {
    let mut row = Map::new();
    // Required flags of the row schemas that have them writable (an order's
    // LineNumber is set once all rows are known).
    match target.kind {
        DocumentKind::Order => {
            row.insert("IsWorkCost".into(), json!(false));
            row.insert("EligibleForReverseChargeOnVat".into(), json!(false));
        }
        DocumentKind::InvoiceDraft => {
            row.insert("IsWorkCost".into(), json!(false));
            row.insert("ReversedConstructionServicesVatFree".into(), json!(false));
        }
        DocumentKind::Quote | DocumentKind::Invoice => {
            // The article's coding would add VAT the shop did not charge
            // (intra-community and export sales).
            let vat_free = order.vat_exempt || (booking.article_id.is_some() && line.vat_rate == 0.0);
            row.insert("IsVatFree".into(), json!(vat_free));
        }
    }
    let has_text_flag = matches!(target.kind, DocumentKind::Order | DocumentKind::InvoiceDraft);
    row.insert("Text".into(), json!(line.name));
    let priced = match &booking.article_id {
        Some(article) => {
            if has_text_flag {
                row.insert("IsTextRow".into(), json!(false));
            }
            row.insert("ArticleId".into(), json!(remembered::article_id(article)?));
            row_amounts::rows(line, gross, index)?
        }
        None => {
            let amount = (line.unit_price - line.discount) * line.quantity;
            if amount.abs() >= 0.005 {
                return Err(Error::Invalid(format!(
                    "order {} line {} ({} \"{}\") comes to {amount:.2} but has no article: eAccounting books \
                     amounts only on article rows, so map this line to an article",
                    order.order_number,
                    index + 1,
                    line_kind(line.kind),
                    line.name
                )));
            }
            if has_text_flag {
                row.insert("IsTextRow".into(), json!(true));
            }
            Vec::new()
        }
    };
    let base = Value::Object(row);
    let mut rows: Vec<Value> = match priced.as_slice() {
        [] => vec![base],
        _ => priced
            .iter()
            .map(|p| {
                let mut row = base.clone();
                row["UnitPrice"] = json!(p.unit_price);
                row["Quantity"] = json!(p.quantity);
                row["DiscountPercentage"] = json!(p.discount);
                row
            })
            .collect(),
    };
    let what = format!("order {} line {}", order.order_number, index + 1);
    for row in &mut rows {
        custom_fields::merge(row, &line.custom_fields, &target.row_fields(), &what)?;
    }
    Ok(rows)
}

fn line_kind(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Article => "article",
        LineKind::Shipping => "shipping",
        LineKind::PaymentFee => "payment fee",
        LineKind::Discount => "discount",
        LineKind::Coupon => "coupon",
        LineKind::ExtraCost => "extra cost",
    }
}

/// The API decides the price basis itself (from the customer and the
/// company); one other than the one the rows were priced for is worth the
/// user's attention. The flow compares the totals.
fn check_price_basis(
    target: &Target,
    document: &SalesDocument,
    created: &Value,
    gross: bool,
    what: &str,
) -> Result<(), Error> {
    let includes_vat = json::flag(created, "IncludesVat", what)?;
    if includes_vat != gross {
        // The customer's kind changed in the books since we remembered it.
        remembered::forget_customer(&document.customer_id);
        log::log(
            Level::Warn,
            &format!(
                "{} {}: eAccounting chose {} unit prices, we sent {}",
                target.noun,
                document.reference,
                if includes_vat { "gross" } else { "net" },
                if gross { "gross" } else { "net" }
            ),
            &[("id".into(), created["Id"].as_str().unwrap_or_default().to_string())],
        );
    }
    Ok(())
}
