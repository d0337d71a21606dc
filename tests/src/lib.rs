//! Shared set-up for the end-to-end tests: a host with a warm component
//! cache, and connections to the emulators configured the way a tenant
//! config would configure them.

pub mod contract;
pub mod postgres;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use trestle_host::bindings::exports::trestle::sync::order_source::{OrderDetail, OrderFilter};
use trestle_host::bindings::exports::trestle::sync::product_sink::UpdateMask;
use trestle_host::bindings::types::Product;
use trestle_host::capabilities::network::NetworkScope;
use trestle_host::connection::ConnectionSetup;
use trestle_host::tenant::PreparedTenant;
use trestle_host::{ComponentConfig, ComponentKind, Host, HostOptions, HttpPolicy, LoadedComponent};

/// A host with an in-memory database and the shared on-disk component cache
/// (so each test binary compiles each component at most once).
pub fn host() -> Host {
    Host::new(HostOptions { database: None, cache_dir: Some(cache_dir()) }).expect("host starts")
}

pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/trestle-test-cache")
}

pub fn load(host: &Host, name: &str, kind: ComponentKind, path: &str) -> Arc<LoadedComponent> {
    host.load_file(name, kind, path.as_ref()).unwrap_or_else(|e| panic!("loading {name}: {e:#}"))
}

/// A connection named `name` with these settings; `secrets` names the keys
/// that are secret; HTTP is allowed to the origins of `base_urls`, on this
/// machine's loopback (where the emulators listen) too.
pub fn connection(
    component: Arc<LoadedComponent>,
    name: &str,
    settings: &[(&str, String)],
    secrets: &[&str],
    base_urls: &[&str],
) -> ConnectionSetup {
    let values: BTreeMap<String, String> = settings.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ConnectionSetup {
        name: name.to_string(),
        component,
        config: ComponentConfig::new(values, secrets.iter().map(|s| s.to_string())),
        http: HttpPolicy::from_base_urls(base_urls.iter().copied(), NetworkScope::WithPrivate)
            .expect("valid base URLs"),
        limits: None,
    }
}

/// Books seeded with `catalogue` items (one article per simple item and per
/// variant) and a shop with no products yet: a first sync creates them all.
pub fn books_and_empty_shop(catalogue: usize) -> trestle_emulators::Emulators {
    let ccvshop = ccvshop_emulator::start(ccvshop_emulator::Config {
        products: 0,
        orders: 0,
        rate_limits: None,
        ..ccvshop_emulator::Config::default()
    })
    .unwrap();
    let eaccounting = eaccounting_emulator::start(eaccounting_emulator::Config {
        catalogue_size: catalogue,
        rate_limit_per_minute: None,
        ..eaccounting_emulator::Config::default()
    })
    .unwrap();
    trestle_emulators::Emulators { ccvshop, eaccounting }
}

/// Writes `product` through the tenant's connection `name` with `mask`, as
/// another tool sharing that connection (and its state) would: the orders
/// flow creating an article from a shop order, a script adding one.
pub fn write_product(host: &Host, tenant: &PreparedTenant, name: &str, product: &Product, mask: UpdateMask) {
    let mut session = tenant.connections[name].session(host, &tenant.config.tenant).unwrap();
    let sink = session.product_sink().unwrap();
    let answer = sink.call_upsert_product(&mut session.store, product, mask).expect("no trap");
    answer.unwrap_or_else(|e| panic!("writing {} through {name}: {e:?}", product.sku));
}

/// A plain stock article of the books' own, 2.00 excl. 21 % VAT.
pub fn stock_article(sku: &str, name: &str) -> Product {
    Product {
        sku: sku.into(),
        name: name.into(),
        short_description: None,
        long_description: None,
        price_excl_vat: 2.0,
        price_incl_vat: 2.42,
        vat_rate: 21.0,
        ean: None,
        currency: "EUR".into(),
        unit: Some("pcs".into()),
        category: Vec::new(),
        active: true,
        stock_managed: true,
        service: false,
        origin: None,
        custom_fields: Vec::new(),
    }
}

/// Order numbers of the shop's paid orders, as the shop shows them.
pub fn paid_order_numbers(emulators: &trestle_emulators::Emulators) -> BTreeSet<String> {
    emulators.ccvshop.state()["shop"]["orders"]
        .as_object()
        .expect("the shop dump lists orders by id")
        .values()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter_map(|o| o["ordernumber"].as_u64().map(|n| format!("ORD-{n}")))
        .collect()
}

/// A buyer for the shop to register: a private person, or with `company` a
/// business with a VAT number of `country`.
pub fn person(email: &str, company: Option<&str>, country: &str) -> emulator_kit::seed::Person {
    emulator_kit::seed::Person {
        first_name: "Fenna".into(),
        last_name: "Visser".into(),
        email: email.into(),
        company: company.map(str::to_string),
        vat_number: company.map(|_| format!("{country}123456789B01")),
        street: "Damrak".into(),
        house_number: 7,
        house_number_suffix: None,
        postal_code: "1012 LG".into(),
        city: "Amsterdam".into(),
        country_code: country.into(),
        country_name: country.into(),
        phone: "+31 6 12345678".into(),
    }
}

/// A filter every order passes, with full detail; tests change one field.
pub fn any_order() -> OrderFilter {
    OrderFilter {
        statuses: Vec::new(),
        paid_only: false,
        created_since: None,
        created_before: None,
        order_number: None,
        detail: OrderDetail::Full,
    }
}

/// The shop's simple products (no variants), as (id, SKU), lowest id first.
pub fn simple_products(emulators: &trestle_emulators::Emulators) -> Vec<(u64, String)> {
    let shop = emulators.ccvshop.state()["shop"].clone();
    let parents: BTreeSet<u64> =
        shop["attribute_combinations"].as_object().unwrap().values().filter_map(|c| c["product_id"].as_u64()).collect();
    shop["products"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|p| Some((p["id"].as_u64()?, p["productnumber"].as_str()?.to_string())))
        .filter(|(id, _)| !parents.contains(id))
        .collect()
}

/// Makes the shop's simple product `id` one the books lack: SKU `sku`,
/// inactive, with an EAN, 24.95 at 21 % in the shop.
pub fn shop_only_product(emulators: &trestle_emulators::Emulators, id: u64, sku: &str) {
    let product = serde_json::json!({"productnumber": sku, "name": "Linen apron", "active": false,
                                     "eannumber": "8712345678906", "vatrate": 21, "price": 24.95, "discount": 0});
    emulators.ccvshop.update_product(id, product).unwrap();
}
