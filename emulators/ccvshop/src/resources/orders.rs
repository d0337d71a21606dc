//! `/orders` and `/orders/{id}`: listing with filters, reading, placing and
//! changing orders, plus the webhook events those changes raise.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveTime;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Id, created, personalinfo};
use crate::errors::{ApiError, ApiResult};
use crate::input::{Input, Schema};
use crate::links::Links;
use crate::model::people::is_other_eu_country;
use crate::model::{Order, Shop, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::resources::orderrows::{self, ORDERROW_INPUT};
use crate::state::{AppState, Shared};

const ORDER_POST: Schema = Schema {
    name: "internal.resource.orders.post.v1",
    stored: &[],
    fields: &[
        "customer",
        "orderrows",
        "user_id",
        "status",
        "paid",
        "is_completed",
        "currency",
        "taxes_included",
        "order_row_taxes_included",
        "shipping_taxes_included",
        "total_shipping",
        "paymethod_id",
        "paymethod_costs",
        "extra_costs",
        "deliver_method",
        "deliver_date",
        "takeoutslot",
        "track_and_trace_code",
        "track_and_trace_carrier",
        "track_and_trace_deeplink",
        "is_intra_community_order",
    ],
    renamed: &[("ordernumber", "none: order numbers are assigned by the shop")],
};

const ORDER_PATCH: Schema = Schema {
    name: "internal.resource.orders.patch.v1",
    stored: &[],
    fields: &[
        "status",
        "paid",
        "note",
        "mail",
        "orderrows",
        "deliver_date",
        "deliver_method",
        "track_and_trace_code",
        "track_and_trace_carrier",
        "track_and_trace_deeplink",
        "total_shipping",
        "paymethod_costs",
        "extra_costs",
    ],
    renamed: &[("is_paid", "paid")],
};

const ORDER_FILTERS: &[&str] = &[
    "ordernumber",
    "status",
    "is_paid",
    "min_create_date",
    "max_create_date",
    "is_completed",
    "paymethod_id",
    "transaction_id",
];

pub fn render(shop: &Shop, links: &Links, order: &Order, expand_rows: bool) -> Value {
    let totals = order.totals();
    let paymethod = shop.paymethods.get(&order.paymethod_id);
    let path = format!("/orders/{}", order.id);
    let sub = |name: &str| links.link(&format!("{path}/{name}"));
    let mut rows = sub("orderrows");
    if expand_rows {
        rows["collection"] = order.rows.iter().map(|r| orderrows::render(links, order.id, r)).collect();
    }
    json!({
        "href": links.api(&path),
        "id": order.id,
        "ordernumber_prefix": order.ordernumber.map(|_| "ORD"),
        "ordernumber": order.ordernumber,
        "ordernumber_full": order.ordernumber.map(|n| format!("ORD-{n}")),
        "invoicenumber": order.invoicenumber,
        "transaction_id": order.transaction_id,
        "create_date": order.create_date.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "deliver_date": Value::Null,
        "status": order.status,
        "is_completed": order.is_completed,
        "paid": order.paid,
        "safety_deposit_returned": false,
        "basket_href": (!order.is_completed).then(|| format!("{}/basket/{}", links.origin, order.id)),
        "paymethod_id": order.paymethod_id,
        "paymethod": paymethod.map(|p| p.combined_name()),
        "paymethod_label": paymethod.map(|p| p.label.clone()),
        "paymethod_costs": order.paymethod_costs,
        "deliver_method": order.deliver_method,
        "track_and_trace_code": order.track_and_trace_code,
        "track_and_trace_carrier": order.track_and_trace_carrier,
        "track_and_trace_deeplink": Value::Null,
        "total_weight": (order.rows.iter().map(|r| r.weight * r.count).sum::<f64>() * 1000.0).round() / 1000.0,
        "total_orderrow_price": totals.total_orderrow_price,
        "total_shipping": order.total_shipping,
        "total_discounts": totals.total_discounts,
        "total_price": totals.total_price,
        "total_tax": totals.total_tax,
        "currency": "EUR",
        "extra_costs": order.extra_costs,
        "extra_costs_description": (order.extra_costs != 0.0).then_some("Gift wrapping"),
        "credit_point_discount": 0.0,
        "taxes_included": order.prices_include_tax,
        "order_row_taxes_included": order.prices_include_tax,
        "shipping_taxes_included": order.prices_include_tax,
        "shipping_tax_percentage": order.shipping_tax_percentage,
        "is_intra_community_order": order.is_intra_community_order,
        "is_platform_sale": false,
        "orderedinlng": "nl",
        "user": {
            "id": order.user_id,
            "discount_percentage": 0.0,
            "href": order.user_id.map(|u| links.api(&format!("/users/{u}"))),
        },
        "discountcoupon": order.coupon.as_ref().map(|c| json!({
            "code": c.code, "discount": c.discount, "type": "price", "enddate": Value::Null,
            "onetimeuse": false, "givesfreeshipping": false, "minimumprice": 0.0,
        })),
        "customer": personalinfo::render(&order.customer),
        "orderrows": rows,
        "ordernotes": sub("ordernotes"),
        "ordermessages": sub("ordermessages"),
        "ordernotifications": sub("ordernotifications"),
        "orderaffiliatenetworks": sub("orderaffiliatenetworks"),
        "orderlabels": sub("orderlabels"),
        "invoices": sub("invoices"),
    })
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("orders", ORDER_FILTERS)?;
    let ordernumber: Option<u64> = query.parse("ordernumber", "an integer")?;
    let status: Option<u8> = query.parse("status", "an integer status 1..14")?;
    let is_paid = query.bool("is_paid")?;
    let is_completed = query.bool("is_completed")?.unwrap_or(true);
    let paymethod_id: Option<u64> = query.parse("paymethod_id", "an integer")?;
    let transaction_id = query.str("transaction_id");
    let min = query.date("min_create_date")?.map(|d| d.and_time(NaiveTime::MIN).and_utc());
    // The maximum date includes that whole day.
    let max = query.date("max_create_date")?.map(|d| (d + chrono::Days::new(1)).and_time(NaiveTime::MIN).and_utc());
    let order_by = query.order_by(&["id", "ordernumber", "create_date", "deliver_date"])?;
    let expand_rows = query.expands("orderrows") && app.config.expand_rows_in_lists;
    let shop = app.shop();
    let mut orders: Vec<&Order> = shop
        .orders
        .values()
        .filter(|o| o.is_completed == is_completed)
        .filter(|o| ordernumber.is_none_or(|n| o.ordernumber == Some(n)))
        .filter(|o| status.is_none_or(|s| o.status == Some(s)))
        .filter(|o| is_paid.is_none_or(|p| o.paid == p))
        .filter(|o| paymethod_id.is_none_or(|p| o.paymethod_id == p))
        .filter(|o| transaction_id.is_none_or(|t| o.transaction_id.as_deref() == Some(t)))
        .filter(|o| min.is_none_or(|m| o.create_date >= m))
        .filter(|o| max.is_none_or(|m| o.create_date < m))
        .collect();
    if let Some((field, desc)) = order_by {
        orders.sort_by_key(|o| match field.as_str() {
            "ordernumber" => o.ordernumber.unwrap_or_default(),
            "create_date" | "deliver_date" => o.create_date.timestamp() as u64,
            _ => o.id,
        });
        if desc {
            orders.reverse();
        }
    }
    let items = orders.into_iter().map(|o| render(&shop, &links, o, expand_rows)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn get(State(app): State<AppState>, links: Links, query: QueryParams, Id(id): Id) -> ApiResult<Json<Value>> {
    query.allow("orders/{id}", &[])?;
    let shop = app.shop();
    let order = find(&shop.orders, "order", id)?;
    Ok(Json(render(&shop, &links, order, query.expands("orderrows"))))
}

pub async fn post(State(app): State<AppState>, links: Links, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = Input::parse(&body, &ORDER_POST)?;
    let id = place_from_input(&app, &input)?;
    let shop = app.shop();
    Ok(created(render(&shop, &links, &shop.orders[&id], false)))
}

fn status_of(input: &Input) -> ApiResult<Option<u8>> {
    match input.u64("status")? {
        Some(s @ 1..=14) => Ok(Some(s as u8)),
        Some(_) => Err(input.invalid("status", "must be 1..14 (1 new … 7 completed, 8 cancelled … 14 reserved)")),
        None => Ok(None),
    }
}

/// One price basis for rows, shipping and costs: the three flags must agree.
fn price_basis(input: &Input, default: bool) -> ApiResult<bool> {
    let flags = ["taxes_included", "order_row_taxes_included", "shipping_taxes_included"];
    let given: Vec<(&str, bool)> =
        flags.iter().filter_map(|f| input.bool(f).transpose().map(|v| v.map(|v| (*f, v)))).collect::<ApiResult<_>>()?;
    match given.first() {
        None => Ok(default),
        Some((_, first)) if given.iter().all(|(_, v)| v == first) => Ok(*first),
        Some(_) => Err(ApiError::validation(format!(
            "{}: the emulator models one price basis; {} must agree",
            ORDER_POST.name,
            flags.join(", ")
        ))),
    }
}

fn place_from_input(app: &Shared, input: &Input) -> ApiResult<u64> {
    let customer_input = input.object("customer", &personalinfo::PERSONALINFO_INPUT)?;
    let customer = personalinfo::parse(&input.required("customer", customer_input)?)?;
    let rows = input.required("orderrows", input.array("orderrows", &ORDERROW_INPUT)?)?;
    if let Some(currency) = input.str("currency")?
        && currency != "EUR"
    {
        return Err(input.invalid("currency", "must be EUR, the shop's currency"));
    }
    let country = customer.person.country_code.clone();
    let intra = input
        .bool("is_intra_community_order")?
        .unwrap_or(customer.person.vat_number.is_some() && is_other_eu_country(&country));
    let zero_vat = intra || !(country == "NL" || is_other_eu_country(&country));
    let incl = price_basis(input, !zero_vat)?;
    let mut shop = app.shop();
    let user_id = input.u64("user_id")?;
    if let Some(u) = user_id {
        find(&shop.users, "user", u)?;
    }
    let paymethod_id =
        input.u64("paymethod_id")?.unwrap_or_else(|| *shop.paymethods.keys().next().expect("seeded paymethods"));
    let paymethod = find(&shop.paymethods, "paymethod", paymethod_id)?.clone();
    let rows = orderrows::parse_rows(&mut shop, rows, incl, zero_vat)?;
    let is_completed = input.bool("is_completed")?.unwrap_or(true);
    let paid = input.bool("paid")?.unwrap_or(false);
    let order = Order {
        id: shop.new_id(),
        ordernumber: None,
        invoicenumber: None,
        create_date: app.config.now(),
        status: status_of(input)?.or(is_completed.then_some(1)),
        is_completed,
        paid,
        user_id,
        customer,
        paymethod_id,
        transaction_id: None,
        deliver_method: input.str("deliver_method")?.unwrap_or_else(|| "shipping".into()),
        prices_include_tax: incl,
        is_intra_community_order: intra,
        shipping_tax_percentage: if zero_vat { 0.0 } else { 21.0 },
        total_shipping: input.f64("total_shipping")?.unwrap_or(if country == "NL" { 4.95 } else { 12.5 }),
        paymethod_costs: input.f64("paymethod_costs")?.unwrap_or(paymethod.extra_costs_fixed),
        extra_costs: input.f64("extra_costs")?.unwrap_or_default(),
        coupon: None,
        track_and_trace_code: input.str("track_and_trace_code")?,
        track_and_trace_carrier: input.str("track_and_trace_carrier")?,
        rows,
    };
    Ok(insert_new(app, &mut shop, order))
}

/// Numbers, stores and announces a new order.
fn insert_new(app: &Shared, shop: &mut Shop, mut order: Order) -> u64 {
    shop.number_order(&mut order);
    let id = order.id;
    let payload = event_payload(app, &order);
    shop.orders.insert(id, order);
    app.hooks.notify(shop, "orders.created", payload);
    id
}

/// Webhook payloads are notifications: enough to re-fetch the order.
fn event_payload(app: &Shared, order: &Order) -> Value {
    json!({
        "id": order.id,
        "order_number": order.ordernumber,
        "href": app.hooks.api_url(&format!("/orders/{}", order.id)),
    })
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &ORDER_PATCH)?;
    let status = status_of(&input)?;
    let paid = input.bool("paid")?;
    let track_and_trace = input.str("track_and_trace_code")?;
    // Accepted for their types only: the emulator sends no e-mail and keeps no notes.
    input.str("note")?;
    input.bool("mail")?;
    let mut shop = app.shop();
    let mut order = find(&shop.orders, "order", id)?.clone();
    if let Some(rows) = input.array("orderrows", &ORDERROW_INPUT)? {
        order.rows =
            orderrows::parse_rows(&mut shop, rows, order.prices_include_tax, order.shipping_tax_percentage == 0.0)?;
    }
    for (field, target) in [
        ("total_shipping", &mut order.total_shipping),
        ("paymethod_costs", &mut order.paymethod_costs),
        ("extra_costs", &mut order.extra_costs),
    ] {
        if let Some(v) = input.f64(field)? {
            *target = v;
        }
    }
    if let Some(method) = input.str("deliver_method")? {
        order.deliver_method = method;
    }
    if let Some(carrier) = input.str("track_and_trace_carrier")? {
        order.track_and_trace_carrier = Some(carrier);
    }
    *find_mut(&mut shop.orders, "order", id)? = order;
    if let Some(code) = track_and_trace {
        set_track_and_trace(&app, &mut shop, id, code)?;
    }
    if let Some(status) = status {
        set_status(&app, &mut shop, id, status)?;
    }
    if let Some(paid) = paid {
        set_paid(&app, &mut shop, id, paid)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the status, announcing `orders.updated.status` when it differs.
pub fn set_status(app: &Shared, shop: &mut Shop, id: u64, status: u8) -> ApiResult<()> {
    let order = find_mut(&mut shop.orders, "order", id)?;
    let previous = order.status.replace(status);
    if previous == Some(status) {
        return Ok(());
    }
    let mut payload = event_payload(app, order);
    payload["status"] = status.into();
    payload["previous_status"] = previous.into();
    app.hooks.notify(shop, "orders.updated.status", payload);
    Ok(())
}

/// Marks an order (un)paid, numbering its invoice and announcing
/// `orders.updated.ispaid` when the flag changes.
pub fn set_paid(app: &Shared, shop: &mut Shop, id: u64, paid: bool) -> ApiResult<()> {
    let mut order = find(&shop.orders, "order", id)?.clone();
    if order.paid == paid {
        return Ok(());
    }
    order.paid = paid;
    shop.number_order(&mut order);
    let mut payload = event_payload(app, &order);
    payload["paid"] = paid.into();
    shop.orders.insert(id, order);
    app.hooks.notify(shop, "orders.updated.ispaid", payload);
    Ok(())
}

fn set_track_and_trace(app: &Shared, shop: &mut Shop, id: u64, code: String) -> ApiResult<()> {
    let order = find_mut(&mut shop.orders, "order", id)?;
    if order.track_and_trace_code.as_deref() == Some(code.as_str()) {
        return Ok(());
    }
    order.track_and_trace_code = Some(code.clone());
    let mut payload = event_payload(app, order);
    payload["track_and_trace_code"] = code.into();
    app.hooks.notify(shop, "orders.updated.trackandtrace", payload);
    Ok(())
}

/// A new order as a shop's checkout would create it, for tests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// Catalogue SKUs (product or variant) with counts.
    pub rows: Vec<NewOrderRow>,
    /// A registered buyer; without one this is a guest order for a seeded person.
    #[serde(default)]
    pub user_id: Option<u64>,
    #[serde(default)]
    pub paid: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrderRow {
    pub sku: String,
    pub count: f64,
}

/// Places `new` through the same path as `POST /orders`, so the result is
/// what the API would have made of it.
pub fn place(app: &Shared, new: &NewOrder) -> ApiResult<u64> {
    let (customer, rows) = {
        let shop = app.shop();
        let customer = match new.user_id {
            Some(u) => find(&shop.users, "user", u)?.customer.clone(),
            None => {
                let buyers: Vec<_> = shop.users.values().collect();
                buyers[shop.next_id as usize % buyers.len()].customer.clone()
            }
        };
        let rows: Vec<Value> = new.rows.iter().map(|r| row_for_sku(&shop, r)).collect::<ApiResult<_>>()?;
        (customer, rows)
    };
    let p = &customer.person;
    let body = json!({
        "customer": {
            "email": p.email,
            "btw": p.vat_number,
            "billingaddress": {
                "first_name": p.first_name, "last_name": p.last_name, "company": p.company, "street": p.street,
                "housenumber": p.house_number, "housenumber_suffix": p.house_number_suffix,
                "zipcode": p.postal_code, "city": p.city, "country_code": p.country_code, "telephone": p.phone,
            },
        },
        "orderrows": rows,
        "user_id": new.user_id,
        "paid": new.paid,
    });
    place_from_input(app, &Input::from_value(body, &ORDER_POST)?)
}

fn row_for_sku(shop: &Shop, row: &NewOrderRow) -> ApiResult<Value> {
    if let Some(p) = shop.products.values().find(|p| p.productnumber == row.sku) {
        return Ok(json!({ "product_id": p.id, "count": row.count }));
    }
    shop.attribute_combinations
        .values()
        .find(|c| c.sku_number == row.sku)
        .map(|c| json!({ "product_id": c.product_id, "attribute_combination_id": c.id, "count": row.count }))
        .ok_or_else(|| ApiError::validation(format!("no product or variant has SKU '{}'", row.sku)))
}
