//! Feed orders as the contract's orders: the filter applied here (the feed
//! has none of its own), one feed page per contract page.

use chrono::DateTime;
use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::errors::malformed;
use trestle_guest::http::encode;
use trestle_guest::types::{Address, Customer, CustomerKind, LineKind, Order, OrderLine, Product};

use crate::client::Client;
use crate::exports::trestle::sync::order_source::{OrderDetail, OrderFilter, OrderPage};

pub fn list(filter: &OrderFilter, cursor: Option<String>) -> Result<OrderPage, Error> {
    let page: u32 = match cursor.as_deref() {
        None => 1,
        Some(text) => text.parse().map_err(|_| Error::Invalid(format!("`{text}` is not a feed shop page cursor")))?,
    };
    let client = Client::from_config()?;
    let path = format!("/feed/orders?page={page}");
    let body = client.get(&path)?;
    let listed = body["orders"].as_array().ok_or_else(|| malformed(&path, "orders", "not a list"))?;
    let mut orders = Vec::new();
    for json in listed {
        let mut order = order(json, &path)?;
        if !matches(&order, filter)? {
            continue;
        }
        match &filter.detail {
            OrderDetail::Full => {}
            OrderDetail::Headers => order.lines.clear(),
            OrderDetail::Only(ids) if ids.contains(&order.source_id) => {}
            OrderDetail::Only(_) => continue,
        }
        orders.push(order);
    }
    let next = match &body["next_page"] {
        Value::Null => None,
        next => Some(next.as_u64().ok_or_else(|| malformed(&path, "next_page", "not a page number"))?.to_string()),
    };
    Ok(OrderPage { orders, next })
}

pub fn get(source_id: &str) -> Result<Order, Error> {
    let path = format!("/feed/orders/{}", encode(source_id));
    order(&Client::from_config()?.get(&path)?, &path)
}

pub fn sold_product(sku: &str) -> Result<Option<Product>, Error> {
    let path = format!("/feed/products/{}", encode(sku));
    let Some(json) = Client::from_config()?.find(&path)? else { return Ok(None) };
    let price_incl_vat = number(&json, "price", &path)?;
    let vat_rate = number(&json, "vat_rate", &path)?;
    Ok(Some(Product {
        sku: text(&json, "sku", &path)?,
        name: text(&json, "name", &path)?,
        short_description: None,
        long_description: None,
        price_excl_vat: round2(price_incl_vat * 100.0 / (100.0 + vat_rate)),
        price_incl_vat,
        vat_rate,
        ean: json["ean"].as_str().map(str::to_string),
        currency: "EUR".into(),
        unit: None,
        category: vec![],
        active: json["active"].as_bool().unwrap_or(true),
        stock_managed: false,
        service: false,
        origin: None,
        custom_fields: vec![],
    }))
}

fn matches(order: &Order, filter: &OrderFilter) -> Result<bool, Error> {
    let created = instant(&order.created_at)?;
    Ok((filter.statuses.is_empty() || filter.statuses.contains(&order.status))
        && (!filter.paid_only || order.paid)
        && filter.order_number.as_ref().is_none_or(|n| *n == order.order_number)
        && filter.created_since.as_deref().map(instant).transpose()?.is_none_or(|since| created >= since)
        && filter.created_before.as_deref().map(instant).transpose()?.is_none_or(|before| created < before))
}

fn instant(text: &str) -> Result<i64, Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|e| Error::Invalid(format!("`{text}` is not an RFC 3339 time: {e}")))
}

/// A feed order; prices in the feed include VAT.
fn order(json: &Value, what: &str) -> Result<Order, Error> {
    let buyer = &json["buyer"];
    let first_name = text(buyer, "first_name", what)?;
    let last_name = text(buyer, "last_name", what)?;
    let phone = buyer["phone"].as_str().map(str::to_string);
    let place = &json["address"];
    let address = Address {
        name: format!("{first_name} {last_name}"),
        company: None,
        street: text(place, "street", what)?,
        house_number: None,
        house_number_suffix: None,
        extra_line: None,
        postal_code: text(place, "postal_code", what)?,
        city: text(place, "city", what)?,
        region: None,
        country_code: text(place, "country", what)?.to_ascii_uppercase(),
        phone: phone.clone(),
        custom_fields: vec![],
    };
    let mut lines = Vec::new();
    for line in json["lines"].as_array().ok_or_else(|| malformed(what, "lines", "not a list"))? {
        lines.push(OrderLine {
            kind: LineKind::Article,
            sku: text(line, "sku", what)?,
            name: text(line, "name", what)?,
            quantity: number(line, "quantity", what)?,
            unit_price: number(line, "price", what)?,
            prices_include_vat: true,
            discount: 0.0,
            vat_rate: number(line, "vat_rate", what)?,
            custom_fields: vec![],
        });
    }
    let shipping = &json["shipping"];
    if !shipping.is_null() {
        lines.push(OrderLine {
            kind: LineKind::Shipping,
            sku: String::new(),
            name: "Shipping".into(),
            quantity: 1.0,
            unit_price: number(shipping, "price", what)?,
            prices_include_vat: true,
            discount: 0.0,
            vat_rate: number(shipping, "vat_rate", what)?,
            custom_fields: vec![],
        });
    }
    let total_incl_vat = number(json, "total", what)?;
    let total_vat = round2(lines.iter().map(|l| l.quantity * l.unit_price * l.vat_rate / (100.0 + l.vat_rate)).sum());
    let status = text(json, "status", what)?;
    Ok(Order {
        source_id: text(json, "id", what)?,
        order_number: text(json, "number", what)?,
        created_at: text(json, "created_at", what)?,
        paid: status == "paid",
        status,
        currency: text(json, "currency", what)?,
        customer: Customer {
            source_id: String::new(),
            kind: CustomerKind::Private,
            email: text(buyer, "email", what)?,
            first_name,
            last_name,
            company_name: None,
            contact: None,
            vat_number: None,
            registration_number: None,
            phone,
            billing_address: address.clone(),
            delivery_address: None,
            custom_fields: vec![],
        },
        billing_address: address.clone(),
        delivery_address: address,
        lines,
        payment_method: None,
        shipping_method: None,
        coupon_code: None,
        vat_exempt: false,
        total_excl_vat: round2(total_incl_vat - total_vat),
        total_vat,
        total_incl_vat,
        note: None,
        custom_fields: vec![],
    })
}

fn text(json: &Value, field: &str, what: &str) -> Result<String, Error> {
    json[field].as_str().map(str::to_string).ok_or_else(|| malformed(what, field, "not a text"))
}

fn number(json: &Value, field: &str, what: &str) -> Result<f64, Error> {
    json[field].as_f64().ok_or_else(|| malformed(what, field, "not a number"))
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
