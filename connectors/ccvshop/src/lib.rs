//! The CCV Shop connector component: CCV Shop's REST API v1 (HMAC-signed
//! both ways) behind the contract's roles. Each role's work lives in its own
//! module; this file only wires the exports to them.

trestle_guest::connector_world!(
    "../../wit",
    "package trestle:ccvshop;
     world ccvshop {
         include trestle:sync/connector-base@0.1.0;
         export trestle:sync/order-source@0.1.0;
         export trestle:sync/customer-source@0.1.0;
         export trestle:sync/product-source@0.1.0;
         export trestle:sync/product-sink@0.1.0;
         export trestle:sync/category-sink@0.1.0;
         export trestle:sync/stock-sink@0.1.0;
         export trestle:sync/reference-data@0.1.0;
         export trestle:sync/webhook-source@0.1.0;
     }"
);

mod categories;
mod client;
mod connection;
mod creates;
mod customers;
mod errors;
mod json;
mod money;
mod orders;
mod paging;
mod personalinfo;
mod products;
mod reference;
mod refunds;
mod settings;
mod signing;
mod stock;
mod variants;
mod webhooks;

use exports::trestle::sync::{
    category_sink, connection as connection_role, customer_source, order_source, product_sink, product_source,
    reference_data, stock_sink, webhook_source,
};
use trestle_guest::Error;
use trestle_guest::types::{Category, Order, Product};

struct CcvShop;

impl connection_role::Guest for CcvShop {
    fn spec() -> connection_role::ConnectorSpec {
        connection::spec()
    }

    fn check() -> Result<String, Error> {
        connection::check()
    }
}

impl order_source::Guest for CcvShop {
    fn list_orders(
        filter: order_source::OrderFilter,
        cursor: Option<String>,
    ) -> Result<order_source::OrderPage, Error> {
        orders::list(filter, cursor)
    }

    fn get_order(source_id: String) -> Result<Order, Error> {
        orders::get(&source_id)
    }

    fn get_sold_product(sku: String) -> Result<Option<Product>, Error> {
        products::sold(&sku)
    }

    fn list_refunds(created_since: Option<String>, cursor: Option<String>) -> Result<order_source::RefundPage, Error> {
        refunds::list(created_since, cursor)
    }
}

impl customer_source::Guest for CcvShop {
    fn list_customers(cursor: Option<String>) -> Result<customer_source::CustomerPage, Error> {
        customers::list(cursor)
    }
}

impl product_source::Guest for CcvShop {
    fn list_products(
        filter: product_source::ProductFilter,
        cursor: Option<String>,
    ) -> Result<product_source::ProductPage, Error> {
        products::list(filter, cursor)
    }

    fn get_product(sku: String) -> Result<Option<Product>, Error> {
        products::get(&sku)
    }
}

impl product_sink::Guest for CcvShop {
    fn upsert_product(product: Product, mask: product_sink::UpdateMask) -> Result<product_sink::UpsertResult, Error> {
        products::upsert(product, mask)
    }

    fn get_stored_product(sku: String) -> Result<Option<Product>, Error> {
        products::get(&sku)
    }
}

impl category_sink::Guest for CcvShop {
    fn ensure_category(category: Category) -> Result<String, Error> {
        categories::ensure(category)
    }

    fn link_product(sku: String, category_id: String) -> Result<(), Error> {
        categories::link(&sku, &category_id)
    }
}

impl stock_sink::Guest for CcvShop {
    fn set_stock(sku: String, quantity: f64) -> Result<(), Error> {
        stock::set(&sku, quantity)
    }

    fn get_stock(sku: String) -> Result<f64, Error> {
        stock::get(&sku)
    }
}

impl reference_data::Guest for CcvShop {
    fn kinds() -> Vec<String> {
        reference::kinds()
    }

    fn lookup(kind: String) -> Result<Vec<reference_data::ReferenceItem>, Error> {
        reference::lookup(&kind)
    }
}

impl webhook_source::Guest for CcvShop {
    fn receive(
        delivery: webhook_source::Delivery,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<webhook_source::Change>, Error> {
        webhooks::receive(delivery, keys)
    }
}

export!(CcvShop);
