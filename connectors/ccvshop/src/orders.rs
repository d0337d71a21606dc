//! order-source: CCV orders with their rows, buyer, addresses and costs as
//! the contract's orders. Shipping, payment costs, extra costs, coupons and
//! discounts become lines of their own so the order adds up line by line.
//!
//! An order's rows come inline when the listing expands them, else with a
//! request of their own per order. So a listing can be read for headers
//! (no rows read) and then, for the same page, for the lines of a few
//! orders only: the page itself is kept between the two calls, so the
//! second costs nothing but the rows of those few.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use trestle_guest::Error;
use trestle_guest::types::{LineKind, Order, OrderLine};

use crate::client::{Client, api, query};
use crate::exports::trestle::sync::order_source::{OrderDetail, OrderFilter, OrderPage};
use crate::json::{Node, parse_timestamp, rfc3339};
use crate::money::round2;
use crate::{paging, personalinfo, reference};

thread_local! {
    /// The last page a `headers` listing read, by its URI, for the `only`
    /// listing of the same page that follows it in the run (= instance).
    static LAST_PAGE: RefCell<Option<(String, paging::Page)>> = const { RefCell::new(None) };
}

pub fn list(filter: OrderFilter, cursor: Option<String>) -> Result<OrderPage, Error> {
    let client = Client::from_config()?;
    let wanted = Wanted::from_filter(&filter)?;
    let uri = match cursor {
        Some(cursor) => paging::resume(&cursor)?,
        None => wanted.first_page(client.settings.page_size),
    };
    let page = match &filter.detail {
        OrderDetail::Only(_) => match LAST_PAGE.with(|last| last.borrow_mut().take_if(|(seen, _)| *seen == uri)) {
            Some((_, page)) => page,
            None => paging::read(&client, &uri)?,
        },
        OrderDetail::Full | OrderDetail::Headers => paging::read(&client, &uri)?,
    };
    let mut orders = Vec::new();
    for item in &page.items {
        let what = describe(item);
        if !wanted.keeps(&Node::root(item, &what))? {
            continue;
        }
        let rows = match &filter.detail {
            OrderDetail::Full => true,
            OrderDetail::Headers => false,
            OrderDetail::Only(ids) => {
                let id = Node::root(item, &what).id("id")?;
                if !ids.contains(&id) {
                    continue;
                }
                true
            }
        };
        orders.push(order(&client, item, rows)?);
    }
    let next = page.next.clone();
    if matches!(filter.detail, OrderDetail::Headers) {
        LAST_PAGE.with(|last| *last.borrow_mut() = Some((uri, page)));
    }
    Ok(OrderPage { orders, next })
}

pub fn get(source_id: &str) -> Result<Order, Error> {
    let id = whole_number(source_id)
        .ok_or_else(|| Error::Invalid(format!("`{source_id}` is not a CCV Shop order id (ids are whole numbers)")))?;
    let client = Client::from_config()?;
    let item = client.get(&api(&format!("/orders/{id}?expand=orderrows")))?;
    order(&client, &item, true)
}

fn whole_number(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) { None } else { text.parse().ok() }
}

fn describe(item: &Value) -> String {
    match item.get("id").and_then(Value::as_u64) {
        Some(id) => format!("CCV Shop order {id}"),
        None => "CCV Shop order".into(),
    }
}

/// The filter as the API can apply it, plus what only we can check: CCV
/// filters one status at a time and creation dates by whole days.
struct Wanted {
    statuses: Vec<u8>,
    paid_only: bool,
    since: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    order_number: Option<u64>,
}

impl Wanted {
    fn from_filter(filter: &OrderFilter) -> Result<Self, Error> {
        let statuses = filter.statuses.iter().map(|s| reference::status_number(s)).collect::<Result<_, _>>()?;
        let since = instant("created-since", filter.created_since.as_deref())?;
        let before = instant("created-before", filter.created_before.as_deref())?;
        let order_number = filter.order_number.as_deref().map(order_number).transpose()?;
        Ok(Self { statuses, paid_only: filter.paid_only, since, before, order_number })
    }

    fn first_page(&self, page_size: u32) -> String {
        let mut pairs = vec![("expand", "orderrows".to_string()), ("size", page_size.to_string())];
        if let [only] = self.statuses[..] {
            pairs.push(("status", only.to_string()));
        }
        if self.paid_only {
            pairs.push(("is_paid", "true".into()));
        }
        if let Some(since) = self.since {
            pairs.push(("min_create_date", since.format("%Y-%m-%d").to_string()));
        }
        if let Some(before) = self.before {
            // The API's bound takes the whole day; `keeps` cuts at the instant.
            let last = before - chrono::Duration::seconds(1);
            pairs.push(("max_create_date", last.format("%Y-%m-%d").to_string()));
        }
        if let Some(number) = self.order_number {
            pairs.push(("ordernumber", number.to_string()));
        }
        api(&format!("/orders{}", query(&pairs)))
    }

    fn keeps(&self, order: &Node) -> Result<bool, Error> {
        let status_ok = self.statuses.is_empty()
            || order.opt_u64("status")?.is_some_and(|s| self.statuses.iter().any(|w| u64::from(*w) == s));
        let in_range = match (self.since, self.before) {
            (None, None) => true,
            (since, before) => {
                let created = order.timestamp("create_date")?;
                since.is_none_or(|s| created >= s) && before.is_none_or(|b| created < b)
            }
        };
        Ok(status_ok && in_range)
    }
}

/// A filter's RFC 3339 bound named `name`, if set.
fn instant(name: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, Error> {
    text.map(|text| {
        parse_timestamp(text).ok_or_else(|| {
            Error::Invalid(format!("{name} `{text}` is not an RFC 3339 timestamp like 2025-01-31T00:00:00Z"))
        })
    })
    .transpose()
}

/// "ORD-1001" or "1001": the API filters on the number without its prefix.
fn order_number(text: &str) -> Result<u64, Error> {
    let digits = text.trim().rsplit(['-', ' ']).next().unwrap_or_default();
    whole_number(digits).ok_or_else(|| {
        Error::Invalid(format!(
            "`{text}` is not a CCV Shop order number (digits, optionally after a prefix such as ORD-)"
        ))
    })
}

/// The order in `item`; with `rows` false, without its lines (no rows are
/// read, and costs and discounts, which are split over the rows, are left
/// out too).
fn order(client: &Client, item: &Value, rows: bool) -> Result<Order, Error> {
    let what = describe(item);
    let o = Node::root(item, &what);
    let source_id = o.id("id")?;
    let order_number = match (o.opt_str("ordernumber_full")?, o.opt_u64("ordernumber")?) {
        (Some(full), _) => full,
        (None, Some(n)) => n.to_string(),
        // Abandoned baskets have no number yet.
        (None, None) => source_id.clone(),
    };
    let info = o.object("customer")?;
    let user_id = match o.opt_object("user")? {
        Some(user) => user.opt_u64("id")?.map(|id| id.to_string()).unwrap_or_default(),
        None => String::new(),
    };
    let customer = personalinfo::customer(&info, user_id)?;
    let billing_address = customer.billing_address.clone();
    let delivery_address = customer.delivery_address.clone().unwrap_or_else(|| billing_address.clone());

    let lines = if rows { lines(client, &o, &what)? } else { Vec::new() };

    let coupon_code = o.opt_object("discountcoupon")?.map(|c| c.opt_str("code")).transpose()?.flatten();
    let total_incl_vat = o.f64("total_price")?;
    let total_vat = o.f64("total_tax")?;
    let custom_fields = [
        ("transaction_id", o.opt_str("transaction_id")?),
        ("track_and_trace_code", o.opt_str("track_and_trace_code")?),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), Value::String(v).to_string())))
    .collect();
    Ok(Order {
        source_id,
        order_number,
        created_at: rfc3339(o.timestamp("create_date")?),
        status: o.opt_u64("status")?.map(|s| s.to_string()).unwrap_or_default(),
        paid: o.bool_or_false("paid")?,
        currency: o.str("currency")?.to_ascii_uppercase(),
        customer,
        billing_address,
        delivery_address,
        lines,
        payment_method: o.opt_str("paymethod")?.or(o.opt_str("paymethod_label")?),
        shipping_method: o.opt_str("deliver_method")?,
        coupon_code,
        vat_exempt: o.bool_or_false("is_intra_community_order")? || o.bool_or_false("is_platform_sale")?,
        total_excl_vat: round2(total_incl_vat - total_vat),
        total_vat,
        total_incl_vat,
        note: info.object("billingaddress")?.opt_str("comment")?,
        custom_fields,
    })
}

/// The order's rows (inline when the listing expanded them, else read),
/// then its costs and discounts.
fn lines(client: &Client, o: &Node, what: &str) -> Result<Vec<OrderLine>, Error> {
    let fetched_rows;
    let rows_link = o.object("orderrows")?;
    let rows = match rows_link.opt_array("collection")? {
        Some(rows) => rows,
        None => {
            fetched_rows = json!({ "orderrows": paging::all(client, &paging::path_of(&rows_link.str("href")?)?)? });
            Node::root(&fetched_rows, what).array("orderrows")?
        }
    };
    let rows_incl = o.bool_or_false("order_row_taxes_included")?;
    let mut lines = rows.iter().map(|row| article_line(row, rows_incl)).collect::<Result<Vec<_>, _>>()?;
    lines.extend(cost_lines(o)?);
    lines.extend(discount_lines(o, &lines)?);
    Ok(lines)
}

pub fn article_line(row: &Node, prices_include_vat: bool) -> Result<OrderLine, Error> {
    // A variant's own SKU; the product's number for a simple product.
    let sku = row.opt_str("sub_sku_number")?.or(row.opt_str("product_number")?).unwrap_or_default();
    let mut name = row.str("product_name")?;
    let options = row
        .opt_array("attributes")?
        .unwrap_or_default()
        .iter()
        .map(|a| Ok(format!("{}: {}", a.str("option_name")?, a.str("value_name")?)))
        .collect::<Result<Vec<_>, Error>>()?;
    if !options.is_empty() {
        name = format!("{name} ({})", options.join(", "));
    }
    Ok(OrderLine {
        kind: LineKind::Article,
        sku,
        name,
        quantity: row.f64("count")?,
        unit_price: row.f64("price")?,
        prices_include_vat,
        discount: row.f64_or_zero("discount")?,
        vat_rate: row.f64("tax")?,
        custom_fields: Vec::new(),
    })
}

fn single_line(kind: LineKind, name: String, amount: f64, vat_rate: f64, prices_include_vat: bool) -> OrderLine {
    OrderLine {
        kind,
        sku: String::new(),
        name,
        quantity: 1.0,
        unit_price: amount,
        prices_include_vat,
        discount: 0.0,
        vat_rate,
        custom_fields: Vec::new(),
    }
}

/// Shipping, payment costs and extra costs: taxed at the shipping rate
/// (the API gives no rate of their own).
fn cost_lines(o: &Node) -> Result<Vec<OrderLine>, Error> {
    let rate = o.f64_or_zero("shipping_tax_percentage")?;
    let shipping_incl = o.bool_or_false("shipping_taxes_included")?;
    let costs_incl = o.bool_or_false("taxes_included")?;
    let payment = o.opt_str("paymethod_label")?.or(o.opt_str("paymethod")?);
    let candidates = [
        (LineKind::Shipping, "Shipping".to_string(), o.f64_or_zero("total_shipping")?, shipping_incl),
        (
            LineKind::PaymentFee,
            payment.map_or_else(|| "Payment costs".into(), |p| format!("Payment costs ({p})")),
            o.f64_or_zero("paymethod_costs")?,
            costs_incl,
        ),
        (
            LineKind::ExtraCost,
            o.opt_str("extra_costs_description")?.unwrap_or_else(|| "Extra costs".into()),
            o.f64_or_zero("extra_costs")?,
            costs_incl,
        ),
    ];
    Ok(candidates
        .into_iter()
        .filter(|(_, _, amount, _)| *amount != 0.0)
        .map(|(kind, name, amount, incl)| single_line(kind, name, amount, rate, incl))
        .collect())
}

/// The order's discounts (coupon or otherwise, and credit points) as
/// negative lines. One discount spans rows of several VAT rates, so it is
/// split over the rates in proportion to the rows, as the shop books its VAT.
fn discount_lines(o: &Node, articles: &[OrderLine]) -> Result<Vec<OrderLine>, Error> {
    let coupon = o.opt_object("discountcoupon")?.map(|c| c.opt_str("code")).transpose()?.flatten();
    let (kind, name) = match coupon {
        Some(code) => (LineKind::Coupon, format!("Coupon {code}")),
        None => (LineKind::Discount, "Discount".to_string()),
    };
    let incl = o.bool_or_false("order_row_taxes_included")?;
    let mut lines = split_by_rate(kind, &name, o.f64_or_zero("total_discounts")?, incl, articles);
    lines.extend(split_by_rate(
        LineKind::Discount,
        "Credit points",
        o.f64_or_zero("credit_point_discount")?,
        incl,
        articles,
    ));
    Ok(lines)
}

fn split_by_rate(kind: LineKind, name: &str, discount: f64, incl: bool, articles: &[OrderLine]) -> Vec<OrderLine> {
    if discount == 0.0 {
        return Vec::new();
    }
    let mut by_rate: Vec<(f64, f64)> = Vec::new();
    for line in articles.iter().filter(|l| l.kind == LineKind::Article) {
        let amount = (line.unit_price - line.discount) * line.quantity;
        match by_rate.iter_mut().find(|(rate, _)| *rate == line.vat_rate) {
            Some((_, total)) => *total += amount,
            None => by_rate.push((line.vat_rate, amount)),
        }
    }
    let total: f64 = by_rate.iter().map(|(_, amount)| amount).sum();
    if by_rate.len() <= 1 || total == 0.0 {
        let rate = by_rate.first().map_or(0.0, |(rate, _)| *rate);
        return vec![single_line(kind, name.to_string(), -discount, rate, incl)];
    }
    let mut left = discount;
    let last = by_rate.len() - 1;
    by_rate
        .iter()
        .enumerate()
        .map(|(i, (rate, amount))| {
            // The last share takes the rounding remainder, so the parts add up.
            let share = if i == last { round2(left) } else { round2(discount * amount / total) };
            left -= share;
            single_line(kind, format!("{name} ({rate}% VAT)"), -share, *rate, incl)
        })
        .collect()
}
