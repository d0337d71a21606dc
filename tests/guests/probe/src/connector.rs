//! Serves `pages` pages of one synthetic order each. The first
//! `rate_limited_calls` calls answer rate-limited, so tests can watch the
//! host wait and retry.

trestle_guest::connector_world!(
    "../../../wit",
    "package trestle:probe; world probe-connector {
        include trestle:sync/connector-base@0.1.0;
        export trestle:sync/order-source@0.1.0;
    }"
);

use std::sync::atomic::{AtomicU32, Ordering};

use exports::trestle::sync::connection::{Auth, ConnectorSpec, Guest as Connection};
use exports::trestle::sync::order_source::{Guest as OrderSource, OrderFilter, OrderPage, RefundPage};
use trestle_guest::types::{Address, Customer, CustomerKind, LineKind, Order, OrderLine, Product};
use trestle_guest::{Error, RateLimit, config};

static CALLS: AtomicU32 = AtomicU32::new(0);

struct Probe;

fn setting(key: &str, default: u32) -> u32 {
    config::get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn refuse_if_limited() -> Result<(), Error> {
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    if n < setting("rate_limited_calls", 0) {
        return Err(Error::RateLimited(RateLimit { retry_after_ms: 20, message: format!("call {n} refused") }));
    }
    Ok(())
}

impl Connection for Probe {
    fn spec() -> ConnectorSpec {
        ConnectorSpec {
            name: "probe".into(),
            title: "Probe".into(),
            version: "0".into(),
            settings: Vec::new(),
            auth: Auth::Settings,
            rate_limits: Vec::new(),
        }
    }

    fn check() -> Result<String, Error> {
        Ok("probe ready".into())
    }
}

impl OrderSource for Probe {
    fn list_orders(_filter: OrderFilter, cursor: Option<String>) -> Result<OrderPage, Error> {
        refuse_if_limited()?;
        let page: u32 = cursor.as_deref().unwrap_or("0").parse().map_err(|_| Error::Invalid("bad cursor".into()))?;
        let next = (page + 1 < setting("pages", 3)).then(|| (page + 1).to_string());
        Ok(OrderPage { orders: vec![order(page)], next })
    }

    fn get_order(source_id: String) -> Result<Order, Error> {
        refuse_if_limited()?;
        let n = source_id.parse().map_err(|_| Error::NotFound(format!("no order {source_id}")))?;
        Ok(order(n))
    }

    fn get_sold_product(_sku: String) -> Result<Option<Product>, Error> {
        Ok(None)
    }

    fn list_refunds(_created_since: Option<String>, _cursor: Option<String>) -> Result<RefundPage, Error> {
        Ok(RefundPage { refunds: Vec::new(), next: None })
    }
}

fn order(n: u32) -> Order {
    let address = Address {
        name: "Sven Andersson".into(),
        company: None,
        street: "Drottninggatan".into(),
        house_number: Some("12".into()),
        house_number_suffix: None,
        extra_line: None,
        postal_code: "111 22".into(),
        city: "Stockholm".into(),
        region: None,
        country_code: "sweden".into(),
        phone: None,
        custom_fields: Vec::new(),
    };
    Order {
        source_id: n.to_string(),
        order_number: format!("P-{n}"),
        created_at: "2026-11-27T10:00:00Z".into(),
        status: "1".into(),
        paid: true,
        currency: "EUR".into(),
        customer: Customer {
            source_id: String::new(),
            kind: CustomerKind::Private,
            email: format!("buyer{n}@example.se"),
            first_name: "Sven".into(),
            last_name: "Andersson".into(),
            company_name: None,
            contact: None,
            vat_number: None,
            registration_number: None,
            phone: None,
            billing_address: address.clone(),
            delivery_address: None,
            custom_fields: Vec::new(),
        },
        billing_address: address.clone(),
        delivery_address: address,
        lines: vec![OrderLine {
            kind: LineKind::Article,
            sku: "SKU-00001".into(),
            name: "Classic T-shirt 1".into(),
            quantity: 1.0,
            unit_price: 24.95,
            prices_include_vat: true,
            discount: 0.0,
            vat_rate: 21.0,
            custom_fields: Vec::new(),
        }],
        payment_method: None,
        shipping_method: None,
        coupon_code: None,
        vat_exempt: false,
        total_excl_vat: 20.62,
        total_vat: 4.33,
        total_incl_vat: 24.95,
        note: None,
        custom_fields: Vec::new(),
    }
}

export!(Probe);
