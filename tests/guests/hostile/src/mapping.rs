//! A mapping module whose `map-order` misbehaves as its feature says, or
//! returns records `reshape` spoils; the other transforms behave unless
//! `reshape` spoils them too.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "trestle:sync/mapping",
    generate_all,
});

#[cfg(any(
    feature = "endless-loop",
    feature = "memory-bomb",
    feature = "deep-recursion",
    feature = "filesystem-from-mapping",
    feature = "sockets-from-mapping"
))]
use std::hint::black_box;

mod reshape;

use exports::trestle::sync::transforms::Guest;
use trestle::sync::types::{Customer, Order, Product, StockLevel};

struct Hostile;

impl Guest for Hostile {
    fn map_order(order: Order) -> Result<Order, String> {
        misbehave(&order);
        reshape::order(order)
    }

    fn map_customer(customer: Customer) -> Result<Customer, String> {
        Ok(reshape::customer(customer))
    }

    fn map_product(product: Product) -> Result<Product, String> {
        Ok(reshape::product(product))
    }

    fn map_stock(level: StockLevel) -> Result<StockLevel, String> {
        Ok(reshape::stock(level))
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

#[cfg(feature = "empty-logs")]
fn misbehave(_: &Order) {
    for _ in 0..40_000 {
        trestle::sync::log::log(trestle::sync::log::Level::Info, "", &[]);
    }
}

#[cfg(feature = "forges-outcomes")]
fn misbehave(order: &Order) {
    use trestle::sync::log::{Outcome, RecordEvent, report};
    report(&RecordEvent {
        record_kind: "order".into(),
        source_system: "shop".into(),
        source_id: order.source_id.clone(),
        target_system: "books".into(),
        target_id: Some("forged".into()),
        outcome: Outcome::Synced,
        detail: "invoice forged".into(),
        payload: None,
    });
}

#[cfg(feature = "sleeps")]
fn misbehave(_: &Order) {
    std::thread::sleep(std::time::Duration::from_secs(24 * 3600));
}

#[cfg(feature = "filesystem-from-mapping")]
fn misbehave(_: &Order) {
    black_box(std::fs::read("/etc/passwd").ok());
}

#[cfg(feature = "sockets-from-mapping")]
fn misbehave(_: &Order) {
    black_box(std::net::TcpStream::connect("127.0.0.1:9").ok());
}

#[cfg(not(any(
    feature = "endless-loop",
    feature = "memory-bomb",
    feature = "trap",
    feature = "deep-recursion",
    feature = "huge-output",
    feature = "http-from-mapping",
    feature = "empty-logs",
    feature = "forges-outcomes",
    feature = "sleeps",
    feature = "filesystem-from-mapping",
    feature = "sockets-from-mapping"
)))]
fn misbehave(_: &Order) {}

export!(Hostile);
