//! The products flow's cost, books -> shop, printed as a table:
//!
//!   cargo bench -p trestle-e2e --bench products            # a 10,000-item catalogue
//!   cargo bench -p trestle-e2e --bench products -- quick   # 1,000 items
//!
//! The books are seeded with the catalogue (one article per simple item and
//! per size variant, about 1.5 per item) and the shop starts empty, so the
//! first sync creates every product with its category, stock and link. Then
//! 10 articles change in the books and a delta sync runs. Aim: the delta costs
//! the books' pages plus about 10 writes. No rate limits, no latency.

use std::collections::BTreeMap;
use std::time::Instant;

use eaccounting_emulator::ArticleChange;
use trestle_artifacts::Builtins;
use trestle_emulators::Emulators;
use trestle_host::bindings::Trigger;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{Host, HostOptions};

fn tenant(host: &Host, emulators: &Emulators) -> PreparedTenant {
    let config = format!(
        "tenant = \"bench\"\n{}\n[flows.products]\n\
         roles = {{ product-source = \"books\", product-sink = \"shop\", category-sink = \"shop\", stock-sink = \"shop\" }}\n\
         [flows.products.settings]\ncategory = \"Imported/From the books\"\n",
        emulators.connection_settings().tenant_connections(),
    );
    PreparedTenant::prepare(host, &Builtins, TenantConfig::parse(&config).unwrap()).unwrap()
}

/// Reads and writes per emulator since `before`.
#[derive(Default)]
struct Calls {
    reads: u64,
    writes: u64,
}

fn calls(now: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> Calls {
    let mut c = Calls::default();
    for (key, n) in now {
        let n = n - before.get(key).copied().unwrap_or(0);
        if key.starts_with("GET ") { c.reads += n } else { c.writes += n }
    }
    c
}

struct Measured {
    synced: u32,
    skipped: u32,
    seconds: f64,
    books: Calls,
    shop: Calls,
}

fn run_once(host: &Host, tenant: &PreparedTenant, e: &Emulators) -> Measured {
    let (books_before, shop_before) = (e.eaccounting.request_counts(), e.ccvshop.request_counts());
    let started = Instant::now();
    let report = host.run_flow(tenant.flow_run(host, &Builtins, "products", Trigger::Scheduled).unwrap()).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    Measured {
        synced: report.summary.synced,
        skipped: report.summary.skipped,
        seconds,
        books: calls(&e.eaccounting.request_counts(), &books_before),
        shop: calls(&e.ccvshop.request_counts(), &shop_before),
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let catalogue = if quick { 1_000 } else { 10_000 };
    let host =
        Host::new(HostOptions { database: None, cache_dir: Some(std::env::temp_dir().join("trestle-bench-products")) })
            .unwrap();
    let e = trestle_e2e::books_and_empty_shop(catalogue);
    let t = tenant(&host, &e);
    let first = run_once(&host, &t, &e);

    let changed: Vec<String> = (1..=10).map(|i| format!("SKU-{:05}", i * 7)).collect();
    for (i, sku) in changed.iter().enumerate() {
        let change = ArticleChange { net_price: Some(50.0 + i as f64), ..Default::default() };
        // SKU-00035, -00070 have size variants: change a size's article instead.
        if e.eaccounting.change_article(sku, &change).is_err() {
            e.eaccounting.change_article(&format!("{sku}-M"), &change).unwrap();
        }
    }
    let delta = run_once(&host, &t, &e);

    println!("\nproducts flow, books -> shop, {catalogue}-item catalogue (no rate limits)\n");
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>11} {:>11} {:>11} {:>11}",
        "run", "written", "skipped", "seconds", "books GET", "books write", "shop GET", "shop write"
    );
    println!("{}", "-".repeat(122));
    for (name, m) in [("first sync (empty shop)", &first), ("delta sync (10 articles changed)", &delta)] {
        println!(
            "{name:<34} {:>9} {:>9} {:>9.1} {:>11} {:>11} {:>11} {:>11}",
            m.synced, m.skipped, m.seconds, m.books.reads, m.books.writes, m.shop.reads, m.shop.writes
        );
    }
    let per_product = |c: u64| c as f64 / f64::from(first.synced.max(1));
    println!(
        "\nfirst sync: {:.2} shop calls per product written, {:.0} products per second",
        per_product(first.shop.reads + first.shop.writes),
        f64::from(first.synced) / first.seconds
    );
    println!(
        "delta sync: {} shop calls ({} writes) for {} changed products; aim: the books' pages + about 10 writes",
        delta.shop.reads + delta.shop.writes,
        delta.shop.writes,
        delta.synced
    );
}
