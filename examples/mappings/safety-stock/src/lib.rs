//! Example tenant mapping for the stock flow's `calculation = "mapping"`:
//! the shop may sell what is on hand, less what is reserved, less a safety
//! buffer kept back for counting errors and breakage. Everything else passes
//! through unchanged. Copy this crate and change `BUFFER` (a mapping module
//! has no settings of its own: what it needs is in its code).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "trestle:sync/mapping",
    generate_all,
});

use exports::trestle::sync::transforms::Guest;
use trestle::sync::types::{Customer, Order, Product, StockLevel};

/// Units of every article the shop does not offer.
const BUFFER: f64 = 2.0;

struct SafetyStock;

impl Guest for SafetyStock {
    fn map_order(order: Order) -> Result<Order, String> {
        Ok(order)
    }

    fn map_customer(customer: Customer) -> Result<Customer, String> {
        Ok(customer)
    }

    fn map_product(product: Product) -> Result<Product, String> {
        Ok(product)
    }

    fn map_stock(mut level: StockLevel) -> Result<StockLevel, String> {
        if !level.on_hand.is_finite() || !level.reserved.is_finite() {
            return Err(format!(
                "stock of {} is not a number (on hand {}, reserved {})",
                level.sku, level.on_hand, level.reserved
            ));
        }
        level.available = (level.on_hand - level.reserved - BUFFER).max(0.0);
        Ok(level)
    }
}

export!(SafetyStock);
