//! Example tenant mapping module: normalises country names and three-letter
//! codes to ISO 3166-1 alpha-2 on every address, and tags each order with an
//! `YourReference` custom field that the eAccounting connector writes into
//! the document. Copy this crate to write your own mapping.

mod countries;

wit_bindgen::generate!({
    path: "../../../wit",
    world: "trestle:sync/mapping",
    generate_all,
});

use exports::trestle::sync::transforms::Guest;
use trestle::sync::log::{Level, log};
use trestle::sync::types::{Address, Customer, Order, Product, StockLevel};

struct CountryCodes;

impl Guest for CountryCodes {
    fn map_order(mut order: Order) -> Result<Order, String> {
        normalise(&mut order.billing_address)?;
        normalise(&mut order.delivery_address)?;
        order.customer = Self::map_customer(order.customer)?;
        let reference = format!("Webshop order {}", order.order_number);
        order.custom_fields.retain(|(name, _)| name != "YourReference");
        order.custom_fields.push(("YourReference".into(), json_string(&reference)));
        Ok(order)
    }

    fn map_customer(mut customer: Customer) -> Result<Customer, String> {
        normalise(&mut customer.billing_address)?;
        if let Some(delivery) = customer.delivery_address.as_mut() {
            normalise(delivery)?;
        }
        Ok(customer)
    }

    fn map_product(product: Product) -> Result<Product, String> {
        Ok(product)
    }

    fn map_stock(level: StockLevel) -> Result<StockLevel, String> {
        Ok(level)
    }
}

fn normalise(address: &mut Address) -> Result<(), String> {
    let Some(code) = countries::to_alpha2(&address.country_code) else {
        // Logged as well as returned: the activity log then shows the raw
        // value next to the parked record.
        log(Level::Warn, "unknown country", &[("country".into(), address.country_code.clone())]);
        return Err(format!(
            "unknown country `{}` in the address in {}: use a two-letter ISO code",
            address.country_code, address.city
        ));
    };
    address.country_code = code.to_string();
    Ok(())
}

/// A JSON string literal, escaped by hand: this module needs no JSON crate.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

export!(CountryCodes);
