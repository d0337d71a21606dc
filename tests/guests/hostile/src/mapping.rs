//! A mapping module whose `map-order` misbehaves as its feature says; the
//! other transforms behave, so only the hostile path is exercised.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "trestle:sync/mapping",
    generate_all,
});

#[cfg(any(feature = "endless-loop", feature = "memory-bomb", feature = "deep-recursion"))]
use std::hint::black_box;

use exports::trestle::sync::transforms::Guest;
use trestle::sync::types::{Customer, Order, Product, StockLevel};

struct Hostile;

impl Guest for Hostile {
    fn map_order(order: Order) -> Result<Order, String> {
        misbehave(&order);
        Ok(rewrite(order))
    }

    fn map_customer(customer: Customer) -> Result<Customer, String> {
        Ok(customer)
    }

    fn map_product(product: Product) -> Result<Product, String> {
        Ok(product)
    }

    fn map_stock(level: StockLevel) -> Result<StockLevel, String> {
        Ok(level)
    }
}

#[cfg(feature = "endless-loop")]
fn misbehave(_: &Order) {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

#[cfg(feature = "memory-bomb")]
fn misbehave(_: &Order) {
    // 4 GiB in 64 MiB steps, touching each so none is optimised away.
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    for _ in 0..64 {
        let mut block = vec![0u8; 64 << 20];
        block[0] = 1;
        hoard.push(black_box(block));
    }
    black_box(hoard);
}

#[cfg(feature = "trap")]
fn misbehave(order: &Order) {
    panic!("hostile module refuses order {}", order.order_number);
}

#[cfg(feature = "deep-recursion")]
fn misbehave(_: &Order) {
    fn dive(n: u64) -> u64 {
        if n == 0 { 0 } else { 1 + dive(black_box(n - 1)) }
    }
    black_box(dive(black_box(u64::MAX)));
}

#[cfg(feature = "huge-output")]
fn misbehave(_: &Order) {
    // 100 MB of log output, 1 MB at a time.
    let line = "x".repeat(1 << 20);
    for _ in 0..100 {
        trestle::sync::log::log(trestle::sync::log::Level::Info, &line, &[]);
    }
}

#[cfg(feature = "http-from-mapping")]
fn misbehave(_: &Order) {
    let _ = trestle_guest::http::Request::new("GET", "http://127.0.0.1:9/").send();
}

/// One owned field per order, by the last digit of its number, so a run
/// shows each being refused: 0, 3, 6, 9 our reference; 1, 4, 7 the rows;
/// 2, 5, 8 the customer.
#[cfg(feature = "owned-custom-fields")]
fn rewrite(mut order: Order) -> Order {
    let digit = order.order_number.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
    let (field, value) = match digit % 3 {
        0 => ("OurReference", "\"HIJACKED-1\"".to_string()),
        1 => ("Rows", "[]".to_string()),
        _ => ("CustomerId", "\"00000000-0000-0000-0000-000000000001\"".to_string()),
    };
    order.custom_fields.push((field.to_string(), value));
    order
}

#[cfg(not(feature = "owned-custom-fields"))]
fn rewrite(order: Order) -> Order {
    order
}

#[cfg(not(any(
    feature = "endless-loop",
    feature = "memory-bomb",
    feature = "trap",
    feature = "deep-recursion",
    feature = "huge-output",
    feature = "http-from-mapping"
)))]
fn misbehave(_: &Order) {}

export!(Hostile);
