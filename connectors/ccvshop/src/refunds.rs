//! order-source `list-refunds`: CCV credit invoices (`/invoices` of type
//! credit) as refunds. The listing has no type filter, so the orders' debit
//! invoices are listed too and passed over. A credit invoice does not say
//! its price basis, so each credit's order is read for it (one request), and
//! its rows (one more). Whether a credit's amounts are negative is not
//! documented: both signs are read as what is given back.

use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::types::{LineKind, OrderLine};

use crate::client::{Client, api, query};
use crate::exports::trestle::sync::order_source::{Refund, RefundPage};
use crate::json::{Node, parse_timestamp, rfc3339};
use crate::money::round2;
use crate::orders::article_line;
use crate::paging;

pub fn list(created_since: Option<String>, cursor: Option<String>) -> Result<RefundPage, Error> {
    let client = Client::from_config()?;
    let since = created_since
        .as_deref()
        .map(|text| {
            parse_timestamp(text).ok_or_else(|| {
                Error::Invalid(format!("created-since `{text}` is not an RFC 3339 timestamp like 2025-01-31T00:00:00Z"))
            })
        })
        .transpose()?;
    let uri = match cursor {
        Some(cursor) => paging::resume(&cursor)?,
        None => {
            let mut pairs = vec![("orderby", "id".to_string()), ("size", client.settings.page_size.to_string())];
            if let Some(since) = since {
                pairs.push(("min_create_date", since.format("%Y-%m-%d").to_string()));
            }
            api(&format!("/invoices{}", query(&pairs)))
        }
    };
    let page = paging::read(&client, &uri)?;
    let mut refunds = Vec::new();
    for item in &page.items {
        let what = match item.get("id").and_then(Value::as_u64) {
            Some(id) => format!("CCV Shop invoice {id}"),
            None => "CCV Shop invoice".into(),
        };
        let invoice = Node::root(item, &what);
        // The API filters by whole days.
        let recent = since.is_none_or(|s| invoice.timestamp("create_date").is_ok_and(|t| t >= s));
        if invoice.str("type")? == "credit" && recent {
            refunds.push(refund(&client, &invoice, &what)?);
        }
    }
    Ok(RefundPage { refunds, next: page.next })
}

fn refund(client: &Client, invoice: &Node, what: &str) -> Result<Refund, Error> {
    let total = invoice.f64("total_price_inc_tax")?;
    // What is given back, whichever sign the shop writes it with.
    let sign = if total < 0.0 { -1.0 } else { 1.0 };
    let order = client.get(&paging::path_of(&invoice.object("order")?.str("href")?)?)?;
    let order_what = format!("the order of {what}");
    let order = Node::root(&order, &order_what);
    let rows_incl = order.bool_or_false("order_row_taxes_included")?;
    let rows = paging::all(client, &paging::path_of(&invoice.object("invoicerows")?.str("href")?)?)?;
    let lines = rows.iter().map(|row| line(&Node::root(row, what), rows_incl, sign)).collect::<Result<Vec<_>, _>>()?;
    let number = match invoice.opt_str("invoicenumber_full")? {
        Some(full) => full,
        None => invoice.u64("invoicenumber")?.to_string(),
    };
    let total_vat = invoice.f64("total_tax")? * sign;
    Ok(Refund {
        source_id: invoice.id("id")?,
        number,
        order_id: order.id("id")?,
        created_at: rfc3339(invoice.timestamp("create_date")?),
        currency: invoice.str("currency")?.to_ascii_uppercase(),
        lines,
        total_excl_vat: round2(total * sign - total_vat),
        total_vat,
        total_incl_vat: total * sign,
    })
}

/// A credited row: a product's (by its SKU), or a cost or amount without
/// one, or a discount given back (below zero once the sign is turned).
fn line(row: &Node, prices_include_vat: bool, sign: f64) -> Result<OrderLine, Error> {
    let mut line = article_line(row, prices_include_vat)?;
    line.unit_price *= sign;
    line.discount *= sign;
    if line.sku.is_empty() {
        line.kind = if line.unit_price < 0.0 { LineKind::Discount } else { LineKind::ExtraCost };
    }
    Ok(line)
}
