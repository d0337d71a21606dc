//! `/invoices`, `/invoices/{id}` and `/invoices/{id}/invoicerows` (read):
//! an order's debit invoice (every order with an invoice number, under the
//! order's id) and the credit invoices of refunds, oldest id first.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveTime, Utc};
use serde_json::{Value, json};

use super::{Id, personalinfo};
use crate::config::CreditAmounts;
use crate::errors::{ApiError, ApiResult};
use crate::links::Links;
use crate::model::{Order, OrderRow, Shop, find};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

const INVOICE_FILTERS: &[&str] = &[
    "invoicenumber",
    "invoicenumber_full",
    "ordernumber",
    "ordernumber_full",
    "status",
    "min_create_date",
    "max_create_date",
];

const ORDER_BY: &[&str] = &[
    "id",
    "create_date",
    "invoicenumber",
    "invoicenumber_full",
    "ordernumber",
    "ordernumber_full",
    "status",
    "total_price",
];

/// One invoice as the API shows it, whichever kind.
struct Invoice<'a> {
    id: u64,
    number: u64,
    order: &'a Order,
    credit: bool,
    status: &'static str,
    create_date: DateTime<Utc>,
    rows: &'a [OrderRow],
    total_price: f64,
    total_tax: f64,
    total_shipping: f64,
    total_discounts: f64,
}

fn invoices(shop: &Shop) -> Vec<Invoice<'_>> {
    let debit = shop.orders.values().filter_map(|order| {
        let totals = order.totals();
        Some(Invoice {
            id: order.id,
            number: order.invoicenumber?,
            order,
            credit: false,
            status: if order.paid { "paid" } else { "unpaid" },
            create_date: order.create_date,
            rows: &order.rows,
            total_price: totals.total_price,
            total_tax: totals.total_tax,
            total_shipping: order.total_shipping,
            total_discounts: totals.total_discounts,
        })
    });
    let credit = shop.credit_invoices.values().filter_map(|c| {
        Some(Invoice {
            id: c.id,
            number: c.invoicenumber,
            order: shop.orders.get(&c.order_id)?,
            credit: true,
            status: if c.reimbursed { "reimbursed" } else { "unpaid" },
            create_date: c.create_date,
            rows: &c.rows,
            total_price: c.total_price,
            total_tax: c.total_tax,
            total_shipping: c.total_shipping,
            total_discounts: c.total_discounts,
        })
    });
    let mut all: Vec<Invoice> = debit.chain(credit).collect();
    all.sort_by_key(|i| i.id);
    all
}

fn full_number(prefix: &str, number: Option<u64>) -> Option<String> {
    number.map(|n| format!("{prefix}-{n}"))
}

/// A credit's money is rendered negative unless the shop is configured to
/// show it positive (the documents do not say).
fn sign(app: &AppState, invoice: &Invoice) -> f64 {
    if invoice.credit && app.config.credit_invoice_amounts == CreditAmounts::Negative { -1.0 } else { 1.0 }
}

fn render(app: &AppState, links: &Links, invoice: &Invoice) -> Value {
    let s = sign(app, invoice);
    let money = |x: f64| emulator_kit::seed::round2(x * s);
    let path = format!("/invoices/{}", invoice.id);
    json!({
        "href": links.api(&path),
        "id": invoice.id,
        "invoicenumber_prefix": "INV",
        "invoicenumber": invoice.number,
        "invoicenumber_full": full_number("INV", Some(invoice.number)),
        "ordernumber": invoice.order.ordernumber,
        "ordernumber_full": full_number("ORD", invoice.order.ordernumber),
        "create_date": invoice.create_date.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "status": invoice.status,
        "type": if invoice.credit { "credit" } else { "debit" },
        "total_price_inc_tax": money(invoice.total_price),
        "total_price_exc_tax": money(invoice.total_price - invoice.total_tax),
        "total_tax": money(invoice.total_tax),
        "total_shipping": money(invoice.total_shipping),
        "total_discounts": money(invoice.total_discounts),
        "currency": "EUR",
        "external_reference": Value::Null,
        "deeplink": format!("{}/invoice/{}.pdf", links.origin, invoice.id),
        "customer": personalinfo::render(&invoice.order.customer),
        "invoicerows": links.link(&format!("{path}/invoicerows")),
        "order": links.link(&format!("/orders/{}", invoice.order.id)),
    })
}

fn render_row(links: &Links, invoice_id: u64, row: &OrderRow, sign: f64) -> Value {
    let money = |x: f64| emulator_kit::seed::round2(x * sign);
    json!({
        "id": row.id,
        "invoice_id": invoice_id,
        "product_id": row.product_id,
        "product_name": row.product_name,
        "product_number": row.product_number,
        "sub_sku_number": row.sub_sku_number,
        "count": row.count,
        "price": money(row.price),
        "discount": money(row.discount),
        "total_price": money(row.total_price()),
        "tax": row.tax,
        "unit": row.unit,
        "parent": { "href": links.api(&format!("/invoices/{invoice_id}")) },
    })
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("invoices", INVOICE_FILTERS)?;
    let number: Option<u64> = query.parse("invoicenumber", "an integer")?;
    let number_full = query.str("invoicenumber_full");
    let order_number: Option<u64> = query.parse("ordernumber", "an integer")?;
    let order_number_full = query.str("ordernumber_full");
    let status = query.str("status");
    if let Some(s) = status
        && !["paid", "unpaid", "reimbursed"].contains(&s)
    {
        return Err(ApiError::validation(format!(
            "query parameter 'status' must be paid, unpaid or reimbursed, got '{s}'"
        )));
    }
    let min = query.date("min_create_date")?.map(|d| d.and_time(NaiveTime::MIN).and_utc());
    let max = query.date("max_create_date")?.map(|d| (d + chrono::Days::new(1)).and_time(NaiveTime::MIN).and_utc());
    let order_by = query.order_by(ORDER_BY)?;
    let shop = app.shop();
    let mut selected: Vec<Invoice> = invoices(&shop)
        .into_iter()
        .filter(|i| number.is_none_or(|n| i.number == n))
        .filter(|i| number_full.is_none_or(|n| full_number("INV", Some(i.number)).as_deref() == Some(n)))
        .filter(|i| order_number.is_none_or(|n| i.order.ordernumber == Some(n)))
        .filter(|i| order_number_full.is_none_or(|n| full_number("ORD", i.order.ordernumber).as_deref() == Some(n)))
        .filter(|i| status.is_none_or(|s| i.status == s))
        .filter(|i| min.is_none_or(|m| i.create_date >= m))
        .filter(|i| max.is_none_or(|m| i.create_date < m))
        .collect();
    if let Some((field, desc)) = order_by {
        match field.as_str() {
            "create_date" => selected.sort_by_key(|i| i.create_date),
            "invoicenumber" | "invoicenumber_full" => selected.sort_by_key(|i| i.number),
            "ordernumber" | "ordernumber_full" => selected.sort_by_key(|i| i.order.ordernumber),
            "status" => selected.sort_by_key(|i| i.status),
            "total_price" => selected.sort_by(|a, b| a.total_price.total_cmp(&b.total_price)),
            _ => selected.sort_by_key(|i| i.id),
        }
        if desc {
            selected.reverse();
        }
    }
    let items = selected.iter().map(|i| render(&app, &links, i)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

fn one<'a>(shop: &'a Shop, id: u64) -> ApiResult<Invoice<'a>> {
    invoices(shop).into_iter().find(|i| i.id == id).ok_or_else(|| ApiError::not_found("invoice", id))
}

pub async fn get(State(app): State<AppState>, links: Links, query: QueryParams, Id(id): Id) -> ApiResult<Json<Value>> {
    query.allow("invoices/{id}", &[])?;
    let shop = app.shop();
    Ok(Json(render(&app, &links, &one(&shop, id)?)))
}

pub async fn rows(State(app): State<AppState>, links: Links, query: QueryParams, Id(id): Id) -> ApiResult<Json<Value>> {
    query.allow("invoicerows", &[])?;
    let shop = app.shop();
    let invoice = one(&shop, id)?;
    let s = sign(&app, &invoice);
    let items = invoice.rows.iter().map(|r| render_row(&links, id, r, s)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

/// Books a refund on `order_id` as the back office would: a numbered
/// credit invoice, dated now.
pub fn refund(app: &AppState, order_id: u64, new: &crate::model::NewRefund) -> ApiResult<u64> {
    let mut shop = app.shop();
    let order = find(&shop.orders, "order", order_id)?.clone();
    if order.ordernumber.is_none() {
        return Err(ApiError::validation(format!("order {order_id} is not completed; it has nothing to refund")));
    }
    let credit = crate::model::CreditRows::for_order(&order, &new.refund, || shop.new_id())?;
    let id = shop.new_id();
    shop.next_invoicenumber += 1;
    let invoice = crate::model::CreditInvoice {
        id,
        invoicenumber: shop.next_invoicenumber,
        order_id,
        create_date: app.config.now(),
        reimbursed: new.reimbursed,
        rows: credit.rows,
        total_shipping: credit.total_shipping,
        total_discounts: credit.total_discounts,
        total_price: credit.total_price,
        total_tax: credit.total_tax,
    };
    shop.credit_invoices.insert(id, invoice);
    Ok(id)
}
