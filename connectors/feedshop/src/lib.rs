//! The feed shop connector: a shop that publishes its orders as a JSON feed
//! (emulators/feedshop documents the API). It plays the order source, so the
//! unchanged orders flow books its orders; everything it needs is declared
//! here, in its spec.

trestle_guest::connector_world!(
    "../../wit",
    "package trestle:feedshop;
     world feedshop {
         include trestle:sync/connector-base@0.1.0;
         export trestle:sync/order-source@0.1.0;
     }"
);

mod client;
mod orders;

use exports::trestle::sync::connection::{self as connection_role, Auth, ConnectorSpec, RateLimit};
use exports::trestle::sync::order_source;
use trestle_guest::Error;
use trestle_guest::types::{Order, Product};

struct FeedShop;

impl connection_role::Guest for FeedShop {
    fn spec() -> ConnectorSpec {
        ConnectorSpec {
            name: "feedshop".into(),
            title: "Feed shop".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            settings: client::declared(),
            auth: Auth::Settings,
            // The feed states no limit; one request a second keeps it polite.
            rate_limits: vec![RateLimit { methods: vec![], path_suffixes: vec![], per_method: false, per_minute: 60 }],
        }
    }

    fn check() -> Result<String, Error> {
        let client = client::Client::from_config()?;
        let first = client.get("/feed/orders?page=1")?;
        let orders = first["orders"].as_array().map_or(0, Vec::len);
        Ok(format!("Feed shop {}: API key accepted, {orders} orders on the first page", client.origin()))
    }
}

impl order_source::Guest for FeedShop {
    fn list_orders(
        filter: order_source::OrderFilter,
        cursor: Option<String>,
    ) -> Result<order_source::OrderPage, Error> {
        orders::list(&filter, cursor)
    }

    fn get_order(source_id: String) -> Result<Order, Error> {
        orders::get(&source_id)
    }

    fn get_sold_product(sku: String) -> Result<Option<Product>, Error> {
        orders::sold_product(&sku)
    }

    /// The feed publishes no refunds: there are none to give.
    fn list_refunds(
        _created_since: Option<String>,
        _cursor: Option<String>,
    ) -> Result<order_source::RefundPage, Error> {
        Ok(order_source::RefundPage { refunds: vec![], next: None })
    }
}

export!(FeedShop);
