//! The feed's orders, generated from the shared catalogue so that every SKU
//! sold is an article in the books emulator seeded the same way.

use emulator_kit::seed::{self, CatalogueItem, round2};
use serde_json::{Value, json};

use crate::Config;

/// Orders a page of `GET /feed/orders`.
pub const PAGE_SIZE: usize = 25;

/// Shipping on every order, incl. 21 % VAT.
const SHIPPING: f64 = 4.95;

/// Dutch private buyers only: the feed knows no VAT numbers, so every order
/// is booked at the catalogue's own rates.
pub fn orders(config: &Config) -> (Vec<Value>, Vec<CatalogueItem>) {
    let catalogue: Vec<CatalogueItem> = seed::catalogue(config.seed, config.products);
    let sold: Vec<&CatalogueItem> =
        catalogue.iter().filter(|i| i.in_books && i.active && i.variants.is_empty()).collect();
    let buyers: Vec<_> = seed::people(config.seed, config.orders * 4 + 3)
        .into_iter()
        .filter(|p| p.country_code == "NL" && p.company.is_none())
        .collect();
    let orders = (0..config.orders)
        .map(|i| {
            let buyer = &buyers[i % buyers.len()];
            let lines: Vec<Value> = (0..1 + i % 3)
                .map(|l| {
                    let item = sold[(i * 7 + l * 3) % sold.len()];
                    json!({
                        "sku": item.sku,
                        "name": item.name,
                        "quantity": 1 + (i + l) % 3,
                        "price": item.price_incl_vat(),
                        "vat_rate": item.vat_rate,
                    })
                })
                .collect();
            let goods: f64 = lines.iter().map(|l| l["price"].as_f64().unwrap() * l["quantity"].as_f64().unwrap()).sum();
            // Every fifth order waits for its bank transfer, every eleventh was cancelled.
            let status = if i % 11 == 10 {
                "cancelled"
            } else if i % 5 == 4 {
                "pending"
            } else {
                "paid"
            };
            json!({
                "id": format!("{}", 9001 + i),
                "number": format!("FEED-{}", 9001 + i),
                "created_at": format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + i % 28, 8 + i % 12, i % 60),
                "status": status,
                "currency": "EUR",
                "buyer": {
                    "email": buyer.email,
                    "first_name": buyer.first_name,
                    "last_name": buyer.last_name,
                    "phone": buyer.phone,
                },
                "address": {
                    "street": format!("{} {}", buyer.street, buyer.house_number),
                    "postal_code": buyer.postal_code,
                    "city": buyer.city,
                    "country": buyer.country_code,
                },
                "lines": lines,
                "shipping": { "price": SHIPPING, "vat_rate": 21.0 },
                "total": round2(goods + SHIPPING),
            })
        })
        .collect();
    (orders, catalogue)
}

/// A catalogue item as `GET /feed/products/{sku}` shows it.
pub fn product(item: &CatalogueItem) -> Value {
    json!({
        "sku": item.sku,
        "name": item.name,
        "price": item.price_incl_vat(),
        "vat_rate": item.vat_rate,
        "ean": item.ean,
        "active": item.active,
    })
}
