//! The CCV Shop connector component, loaded by the real host and run against
//! the CCV Shop emulator over real sockets: what a shop owner and a flow see
//! when they sync orders, customers, products, categories and stock, and
//! when the shop, the network or the settings misbehave.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use ccvshop_emulator::{
    Config, DEMO_PUBLIC_KEY, DEMO_SECRET_KEY, ExtraCostsShape, FaultConfig, Handle, NewOrder, NewOrderRow,
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha512;
use trestle_e2e::any_order;
use trestle_e2e::{connection, host, load};
use trestle_host::bindings::ContractError;
use trestle_host::bindings::exports::trestle::sync::customer_source::CustomerPage;
use trestle_host::bindings::exports::trestle::sync::order_source::{OrderDetail, OrderFilter, OrderPage};
use trestle_host::bindings::exports::trestle::sync::product_sink::{UpdateMask, UpsertOutcome, UpsertResult};
use trestle_host::bindings::exports::trestle::sync::product_source::{ProductFilter, ProductPage};
use trestle_host::bindings::exports::trestle::sync::reference_data::ReferenceItem;
use trestle_host::bindings::types::{Category, CustomerKind, LineKind, Order, OrderLine, Product};
use trestle_host::connection::{ConnectionSetup, Session};
use trestle_host::{ComponentKind, Host};

// ---------------------------------------------------------------------------
// Set-up: a connector session configured the way a tenant config would.

const TENANT: &str = "tenant";

struct Connector {
    host: Host,
    setup: ConnectionSetup,
    session: Session,
}

impl Connector {
    fn new(base_url: &str, secret_key: &str, page_size: u32) -> Self {
        let host = host();
        let component = load(&host, "ccvshop", ComponentKind::Connector, trestle_artifacts::CCVSHOP_CONNECTOR);
        let settings = [
            ("base_url", base_url.to_string()),
            ("public_key", DEMO_PUBLIC_KEY.to_string()),
            ("secret_key", secret_key.to_string()),
            ("page_size", page_size.to_string()),
            ("language", "nl".to_string()),
        ];
        let setup = connection(component, "shop", &settings, &["secret_key"], &[base_url]);
        let session = setup.session(&host, TENANT).expect("session starts");
        Self { host, setup, session }
    }

    /// To the emulator with the right keys and pages of ten.
    fn to(shop: &Handle) -> Self {
        Self::new(&shop.base_url(), DEMO_SECRET_KEY, 10)
    }

    fn check(&self) -> Result<String, ContractError> {
        self.setup.check(&self.host, TENANT).expect("check runs without trapping")
    }

    fn list_orders(&mut self, filter: &OrderFilter, cursor: Option<&str>) -> Result<OrderPage, ContractError> {
        let role = self.session.order_source().unwrap();
        role.call_list_orders(&mut self.session.store, filter, cursor).expect("no trap")
    }

    /// Every page, in order; panics on an error.
    fn all_orders(&mut self, filter: &OrderFilter) -> Vec<Order> {
        let mut orders = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list_orders(filter, cursor.as_deref()).unwrap_or_else(|e| panic!("listing orders: {e:?}"));
            orders.extend(page.orders);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return orders,
            }
        }
    }

    fn get_order(&mut self, id: &str) -> Result<Order, ContractError> {
        let role = self.session.order_source().unwrap();
        role.call_get_order(&mut self.session.store, id).expect("no trap")
    }

    fn list_customers(&mut self, cursor: Option<&str>) -> Result<CustomerPage, ContractError> {
        let role = self.session.customer_source().unwrap();
        role.call_list_customers(&mut self.session.store, cursor).expect("no trap")
    }

    fn list_products(&mut self, filter: &ProductFilter, cursor: Option<&str>) -> Result<ProductPage, ContractError> {
        let role = self.session.product_source().unwrap();
        role.call_list_products(&mut self.session.store, filter, cursor).expect("no trap")
    }

    fn all_products(&mut self, filter: &ProductFilter) -> Result<Vec<Product>, ContractError> {
        let mut products = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list_products(filter, cursor.as_deref())?;
            products.extend(page.products);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(products),
            }
        }
    }

    fn get_product(&mut self, sku: &str) -> Result<Option<Product>, ContractError> {
        let role = self.session.product_source().unwrap();
        role.call_get_product(&mut self.session.store, sku).expect("no trap")
    }

    fn upsert(&mut self, product: &Product, mask: UpdateMask) -> Result<UpsertResult, ContractError> {
        let role = self.session.product_sink().unwrap();
        role.call_upsert_product(&mut self.session.store, product, mask).expect("no trap")
    }

    fn ensure_category(&mut self, path: &[&str], visible: bool) -> Result<String, ContractError> {
        let category = Category {
            path: path.iter().map(|s| s.to_string()).collect(),
            description: Some("Made by the sync".into()),
            visible,
            custom_fields: Vec::new(),
        };
        let role = self.session.category_sink().unwrap();
        role.call_ensure_category(&mut self.session.store, &category).expect("no trap")
    }

    fn link_product(&mut self, sku: &str, category_id: &str) -> Result<(), ContractError> {
        let role = self.session.category_sink().unwrap();
        role.call_link_product(&mut self.session.store, sku, category_id).expect("no trap")
    }

    fn set_stock(&mut self, sku: &str, quantity: f64) -> Result<(), ContractError> {
        let role = self.session.stock_sink().unwrap();
        role.call_set_stock(&mut self.session.store, sku, quantity).expect("no trap")
    }

    fn lookup(&mut self, kind: &str) -> Result<Vec<ReferenceItem>, ContractError> {
        let role = self.session.reference_data().unwrap();
        role.call_lookup(&mut self.session.store, kind).expect("no trap")
    }
}

/// The emulator without rate limits, for tests that are not about them.
fn quiet_shop() -> Handle {
    ccvshop_emulator::start(Config { rate_limits: None, ..Config::default() }).expect("emulator starts")
}

fn any_product() -> ProductFilter {
    ProductFilter { active_only: false, sku_prefix: None, expression: None }
}

// ---------------------------------------------------------------------------
// The emulator's own view, to compare against.

fn records(shop: &Handle, kind: &str) -> Vec<Value> {
    shop.state()["shop"][kind].as_object().expect("state lists the kind").values().cloned().collect()
}

fn completed_orders(shop: &Handle) -> Vec<Value> {
    records(shop, "orders").into_iter().filter(|o| o["is_completed"] == true).collect()
}

fn ids_of(orders: &[Order]) -> Vec<u64> {
    orders.iter().map(|o| o.source_id.parse().expect("ids are numbers")).collect()
}

/// Whether the contract's id (text) is the emulator's id (a number).
fn same_id(id: &str, state_id: &Value) -> bool {
    id.parse::<u64>().ok() == state_id.as_u64()
}

fn state_ids(orders: &[Value]) -> Vec<u64> {
    orders.iter().map(|o| o["id"].as_u64().unwrap()).collect()
}

fn product_in_state(shop: &Handle, sku: &str) -> Value {
    records(shop, "products")
        .into_iter()
        .find(|p| p["productnumber"] == sku)
        .unwrap_or_else(|| panic!("no product {sku}"))
}

/// What a line costs incl. VAT.
fn incl_vat(line: &OrderLine) -> f64 {
    let net = (line.unit_price - line.discount) * line.quantity;
    if line.prices_include_vat { net } else { net * (1.0 + line.vat_rate / 100.0) }
}

/// The order's lines add up to its total, within rounding of its parts.
fn assert_adds_up(order: &Order) {
    let sum: f64 = order.lines.iter().map(incl_vat).sum();
    assert!(
        (sum - order.total_incl_vat).abs() < 0.05,
        "order {} lines add up to {sum:.2}, its total is {:.2}: {:#?}",
        order.order_number,
        order.total_incl_vat,
        order.lines
    );
    assert!((order.total_excl_vat + order.total_vat - order.total_incl_vat).abs() < 0.005);
}

fn expect_err<T: std::fmt::Debug>(result: Result<T, ContractError>) -> ContractError {
    result.expect_err("the call should fail")
}

// ---------------------------------------------------------------------------
// connection

#[test]
fn check_says_what_it_reached_and_spec_lists_the_settings() {
    let shop = quiet_shop();
    let connector = Connector::to(&shop);
    let answer = connector.check().expect("the demo keys work");
    assert!(answer.contains("API key accepted") && answer.contains("4 payment methods"), "{answer}");

    let spec = connector.setup.spec(&connector.host, TENANT).unwrap();
    assert_eq!(spec.name, "ccvshop");
    let names: Vec<&str> = spec.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["base_url", "public_key", "secret_key", "page_size", "language"]);
    assert!(spec.settings.iter().find(|s| s.name == "secret_key").unwrap().secret);
    // Roles come from the component's exports, through its manifest.
    assert!(connector.setup.component.manifest.plays("stock-sink"), "{:?}", connector.setup.component.manifest.roles);
}

/// The docs give `/paymethods` `extra_costs` no type; a real shop sent a
/// boolean, and `check` refused a working shop over it.
#[test]
fn check_and_the_payment_methods_accept_fields_the_docs_do_not_type() {
    let shop = ccvshop_emulator::start(Config {
        rate_limits: None,
        paymethod_extra_costs: ExtraCostsShape::Boolean,
        ..Config::default()
    })
    .unwrap();
    let mut connector = Connector::to(&shop);
    let answer = connector.check().expect("a boolean extra_costs is no reason to fail the check");
    assert!(answer.contains("API key accepted") && answer.contains("4 payment methods"), "{answer}");
    let methods = connector.lookup("payment-methods").unwrap();
    let extra_costs: BTreeSet<&str> = methods
        .iter()
        .flat_map(|m| m.attributes.iter().filter(|(k, _)| k == "extra_costs").map(|(_, v)| v.as_str()))
        .collect();
    assert_eq!(extra_costs, BTreeSet::from(["false", "true"]), "shown as the shop sent it: {methods:?}");
}

#[test]
fn a_wrong_secret_is_an_auth_error_that_says_which_keys_to_check() {
    let shop = quiet_shop();
    let mut connector = Connector::new(&shop.base_url(), "not-the-secret", 10);
    let ContractError::Auth(message) = expect_err(connector.check()) else { panic!("expected auth") };
    assert!(message.contains("did not accept the API key") && message.contains("secret key"), "{message}");
    assert!(matches!(connector.list_orders(&any_order(), None), Err(ContractError::Auth(_))));
}

#[test]
fn a_shop_clock_far_off_is_an_auth_error_that_names_the_skew() {
    let three_hours_ago = chrono::Utc::now() - chrono::Duration::hours(3);
    let shop = ccvshop_emulator::start(Config { server_time: Some(three_hours_ago), ..Config::default() }).unwrap();
    let mut connector = Connector::to(&shop);
    let ContractError::Auth(message) = expect_err(connector.check()) else { panic!("expected auth") };
    assert!(message.contains("clock is 3 hours ahead of the shop's"), "{message}");
    assert!(matches!(connector.list_orders(&any_order(), None), Err(ContractError::Auth(m)) if m.contains("clock")));
}

#[test]
fn a_small_clock_difference_still_works_but_check_mentions_it() {
    let two_minutes_ago = chrono::Utc::now() - chrono::Duration::minutes(2);
    let shop = ccvshop_emulator::start(Config { server_time: Some(two_minutes_ago), ..Config::default() }).unwrap();
    let answer = Connector::to(&shop).check().expect("within the five minutes CCV allows");
    assert!(answer.contains("clock is 2 minutes ahead of the shop's"), "{answer}");
}

#[test]
fn settings_a_shop_owner_got_wrong_are_named() {
    let shop = quiet_shop();
    let bad_page = Connector::new(&shop.base_url(), DEMO_SECRET_KEY, 0);
    let ContractError::Invalid(message) = expect_err(bad_page.check()) else { panic!("expected invalid") };
    assert!(message.contains("page_size"), "{message}");
    // The API path in the address is tolerated.
    let with_api_path = Connector::new(&shop.api_url(), DEMO_SECRET_KEY, 10);
    with_api_path.check().expect("base_url may include /api/rest/v1");
}

// ---------------------------------------------------------------------------
// order-source

#[test]
fn orders_page_through_more_than_three_pages_and_every_order_adds_up() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let mut pages = 0;
    let mut orders = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = connector.list_orders(&any_order(), cursor.as_deref()).unwrap();
        pages += 1;
        assert!(page.orders.len() <= 10);
        orders.extend(page.orders);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(pages > 3, "only {pages} pages");
    assert_eq!(ids_of(&orders), state_ids(&completed_orders(&shop)));
    // Rows come inline (expand), not one request per order.
    assert_eq!(shop.request_counts().get("GET /api/rest/v1/orders/{id}/orderrows"), None);
    orders.iter().for_each(assert_adds_up);
}

#[test]
fn a_page_read_for_headers_then_for_a_few_orders_reads_only_their_rows_and_the_listing_once() {
    // A listing that does not inline rows: every order's rows cost a request.
    let shop = ccvshop_emulator::start(Config { rate_limits: None, expand_rows_in_lists: false, ..Config::default() })
        .expect("emulator starts");
    let mut connector = Connector::to(&shop);
    let headers = connector.list_orders(&OrderFilter { detail: OrderDetail::Headers, ..any_order() }, None).unwrap();
    assert!(headers.orders.len() > 3, "a page of orders");
    assert!(headers.orders.iter().all(|o| o.lines.is_empty()), "headers carry no lines");
    assert_eq!(shop.request_counts().get("GET /api/rest/v1/orders/{id}/orderrows"), None, "no rows read");

    let wanted: Vec<String> = headers.orders.iter().skip(1).step_by(2).map(|o| o.source_id.clone()).collect();
    let only = OrderFilter { detail: OrderDetail::Only(wanted.clone()), ..any_order() };
    let full = connector.list_orders(&only, None).unwrap();
    assert_eq!(full.orders.iter().map(|o| o.source_id.clone()).collect::<Vec<_>>(), wanted);
    assert_eq!(full.next, headers.next);
    full.orders.iter().for_each(assert_adds_up);
    let counts = shop.request_counts();
    assert_eq!(counts.get("GET /api/rest/v1/orders/{id}/orderrows"), Some(&(wanted.len() as u64)));
    assert_eq!(counts.get("GET /api/rest/v1/orders"), Some(&1), "the page is listed once: {counts:?}");
}

#[test]
fn order_filters_select_what_the_flow_asked_for() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let state = completed_orders(&shop);
    let expected =
        |keep: &dyn Fn(&Value) -> bool| state_ids(&state.iter().filter(|o| keep(o)).cloned().collect::<Vec<_>>());

    let completed = connector.all_orders(&OrderFilter { statuses: vec!["7".into()], ..any_order() });
    assert!(!completed.is_empty() && completed.iter().all(|o| o.status == "7"));
    assert_eq!(ids_of(&completed), expected(&|o| o["status"] == 7));

    // Several statuses, by number or by name: CCV filters one at a time.
    let shipped = connector.all_orders(&OrderFilter { statuses: vec!["5".into(), "delivered".into()], ..any_order() });
    assert_eq!(ids_of(&shipped), expected(&|o| o["status"] == 5 || o["status"] == 6));

    let paid = connector.all_orders(&OrderFilter { paid_only: true, ..any_order() });
    assert!(paid.iter().all(|o| o.paid));
    assert_eq!(ids_of(&paid), expected(&|o| o["paid"] == true));

    // Mid-day: the API filters whole days, the connector the exact instant.
    let since = chrono::DateTime::parse_from_rfc3339(state[30]["create_date"].as_str().unwrap()).unwrap()
        + chrono::Duration::minutes(1);
    let recent = connector.all_orders(&OrderFilter { created_since: Some(since.to_rfc3339()), ..any_order() });
    let is_recent =
        |o: &Value| chrono::DateTime::parse_from_rfc3339(o["create_date"].as_str().unwrap()).unwrap() >= since;
    assert_eq!(ids_of(&recent), expected(&is_recent));
    assert!(recent.len() < state.len() - 30);

    let number = state[12]["ordernumber"].as_u64().unwrap();
    for given in [format!("ORD-{number}"), number.to_string()] {
        let found = connector.all_orders(&OrderFilter { order_number: Some(given.clone()), ..any_order() });
        assert_eq!(ids_of(&found), [state[12]["id"].as_u64().unwrap()], "order number {given}");
        assert_eq!(found[0].order_number, format!("ORD-{number}"));
    }

    let ContractError::Invalid(message) =
        expect_err(connector.list_orders(&OrderFilter { statuses: vec!["shipped-ish".into()], ..any_order() }, None))
    else {
        panic!("expected invalid")
    };
    assert!(message.contains("shipped-ish") && message.contains("5 Sent"), "{message}");
}

/// A user of the seeded shop matching `keep`, with their id.
fn buyer(shop: &Handle, keep: impl Fn(&Value) -> bool) -> (u64, Value) {
    let user =
        records(shop, "users").into_iter().find(|u| keep(&u["customer"]["person"])).expect("such a buyer is seeded");
    (user["id"].as_u64().unwrap(), user["customer"]["person"].clone())
}

/// A simple product and a variant SKU that are on sale.
fn sellable_skus(shop: &Handle) -> (String, String) {
    let combinations = records(shop, "attribute_combinations");
    let with_variants: BTreeSet<u64> = combinations.iter().map(|c| c["product_id"].as_u64().unwrap()).collect();
    let simple = records(shop, "products")
        .into_iter()
        .find(|p| {
            p["active"] == true && p["taxtariff"] == "normal" && !with_variants.contains(&p["id"].as_u64().unwrap())
        })
        .unwrap();
    (simple["productnumber"].as_str().unwrap().into(), combinations[0]["sku_number"].as_str().unwrap().into())
}

fn place(shop: &Handle, user_id: u64, simple: &str, variant: &str) -> u64 {
    let rows = vec![NewOrderRow { sku: simple.into(), count: 2.0 }, NewOrderRow { sku: variant.into(), count: 1.0 }];
    shop.place_order(&NewOrder { rows, user_id: Some(user_id), paid: true }).unwrap()
}

#[test]
fn a_foreign_company_order_comes_with_its_buyer_vat_number_and_zero_vat() {
    let shop = quiet_shop();
    let (simple, variant) = sellable_skus(&shop);
    let (user_id, person) =
        buyer(&shop, |p| !p["company"].is_null() && ["BE", "DE", "SE"].contains(&p["country_code"].as_str().unwrap()));
    let id = place(&shop, user_id, &simple, &variant);

    let order = Connector::to(&shop).get_order(&id.to_string()).unwrap();
    let c = &order.customer;
    assert_eq!(c.kind, CustomerKind::Company);
    assert_eq!(c.source_id, user_id.to_string());
    assert_eq!(c.company_name.as_deref(), person["company"].as_str());
    assert_eq!(c.vat_number.as_deref(), person["vat_number"].as_str());
    let contact = c.contact.as_ref().expect("a company has a contact");
    assert_eq!(
        contact.name,
        format!("{} {}", person["first_name"].as_str().unwrap(), person["last_name"].as_str().unwrap())
    );
    assert_eq!(contact.email.as_deref(), person["email"].as_str());
    let a = &order.billing_address;
    assert_eq!(a.country_code, person["country_code"].as_str().unwrap());
    // The street line as the shop wrote it (address_line_1).
    let line = format!("{} {}", person["street"].as_str().unwrap(), person["house_number"]);
    assert!(a.street.starts_with(&line), "{} is not {line}…", a.street);
    assert_eq!(a.city, person["city"].as_str().unwrap());
    assert_eq!(a.postal_code, person["postal_code"].as_str().unwrap());
    assert_eq!(order.delivery_address.country_code, a.country_code);

    assert!(order.vat_exempt, "an intra-community sale is VAT exempt");
    assert!(order.paid && order.order_number.starts_with("ORD-") && order.currency == "EUR");
    let articles: Vec<&OrderLine> = order.lines.iter().filter(|l| l.kind == LineKind::Article).collect();
    assert_eq!(articles.len(), 2);
    assert!(articles.iter().all(|l| l.vat_rate == 0.0 && !l.prices_include_vat));
    assert_eq!(articles[0].sku, simple);
    assert_eq!(articles[1].sku, variant, "a variant row carries the variant's own SKU");
    assert!(articles[1].name.contains("Size: "), "{}", articles[1].name);
    let shipping = order.lines.iter().find(|l| l.kind == LineKind::Shipping).expect("shipping is a line");
    assert_eq!((shipping.unit_price, shipping.vat_rate), (12.5, 0.0));
    assert_eq!(order.payment_method.as_deref(), Some("ccvpay_ideal"));
    assert_eq!(order.shipping_method.as_deref(), Some("shipping"));
    assert_adds_up(&order);
}

#[test]
fn a_private_order_keeps_the_street_line_as_the_shop_wrote_it_and_vat_per_row() {
    let shop = quiet_shop();
    let (simple, variant) = sellable_skus(&shop);
    let (user_id, person) =
        buyer(&shop, |p| p["company"].is_null() && !p["house_number_suffix"].is_null() && p["country_code"] == "NL");
    let id = place(&shop, user_id, &simple, &variant);

    let order = Connector::to(&shop).get_order(&id.to_string()).unwrap();
    assert_eq!(order.customer.kind, CustomerKind::Private);
    assert!(order.customer.company_name.is_none() && order.customer.contact.is_none());
    // address_line_1 as the shop wrote it, number and suffix included.
    let suffix = person["house_number_suffix"].as_str().unwrap();
    for address in [&order.billing_address, &order.delivery_address] {
        let line = &address.street;
        assert!(line.starts_with(person["street"].as_str().unwrap()), "{line}");
        assert!(line.contains(&person["house_number"].to_string()) && line.ends_with(suffix), "{line}");
        assert_eq!((&address.house_number, &address.house_number_suffix), (&None, &None), "not split again");
    }
    assert!(!order.vat_exempt);
    let state_order = records(&shop, "orders").into_iter().find(|o| o["id"] == id).unwrap();
    let articles: Vec<&OrderLine> = order.lines.iter().filter(|l| l.kind == LineKind::Article).collect();
    for (line, row) in articles.iter().zip(state_order["rows"].as_array().unwrap()) {
        assert_eq!(line.vat_rate, row["tax"].as_f64().unwrap());
        assert_eq!(
            (line.unit_price, line.discount, line.quantity),
            (row["price"].as_f64().unwrap(), row["discount"].as_f64().unwrap(), row["count"].as_f64().unwrap())
        );
        assert!(line.prices_include_vat, "a Dutch consumer's prices include VAT");
    }
    assert_adds_up(&order);
}

#[test]
fn coupons_payment_costs_and_extra_costs_are_lines_of_their_own() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let orders = connector.all_orders(&any_order());
    let state = completed_orders(&shop);

    let with_coupon = state.iter().find(|o| !o["coupon"].is_null()).unwrap();
    let order = orders.iter().find(|o| same_id(&o.source_id, &with_coupon["id"])).unwrap();
    assert_eq!(order.coupon_code.as_deref(), with_coupon["coupon"]["code"].as_str());
    let coupon: f64 = order.lines.iter().filter(|l| l.kind == LineKind::Coupon).map(|l| l.unit_price).sum();
    assert!((coupon + 5.0).abs() < 0.001, "the coupon's lines take 5.00 off, got {coupon}");

    let with_extra = state.iter().find(|o| o["extra_costs"].as_f64() != Some(0.0)).unwrap();
    let order = orders.iter().find(|o| same_id(&o.source_id, &with_extra["id"])).unwrap();
    let extra = order.lines.iter().find(|l| l.kind == LineKind::ExtraCost).expect("extra costs line");
    assert_eq!((extra.name.as_str(), extra.unit_price), ("Gift wrapping", 2.5));

    let with_fee = state.iter().find(|o| o["paymethod_costs"].as_f64() != Some(0.0)).unwrap();
    let order = orders.iter().find(|o| same_id(&o.source_id, &with_fee["id"])).unwrap();
    let fee = order.lines.iter().find(|l| l.kind == LineKind::PaymentFee).expect("payment fee line");
    assert_eq!(fee.unit_price, with_fee["paymethod_costs"].as_f64().unwrap());
}

#[test]
fn an_unknown_order_is_not_found_and_a_bad_id_is_invalid() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    assert!(matches!(connector.get_order("999999"), Err(ContractError::NotFound(m)) if m.contains("999999")));
    assert!(matches!(connector.get_order("../users"), Err(ContractError::Invalid(_))));
}

// ---------------------------------------------------------------------------
// customer-source

#[test]
fn customers_page_through_all_registered_users() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let mut customers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = connector.list_customers(cursor.as_deref()).unwrap();
        customers.extend(page.customers);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let users = records(&shop, "users");
    assert_eq!(customers.len(), users.len());
    for (customer, user) in customers.iter().zip(&users) {
        let person = &user["customer"]["person"];
        assert_eq!(customer.source_id, user["id"].to_string());
        assert_eq!(customer.email, person["email"].as_str().unwrap());
        assert_eq!(customer.kind == CustomerKind::Company, !person["company"].is_null());
        assert_eq!(customer.billing_address.country_code, person["country_code"].as_str().unwrap());
    }
}

// ---------------------------------------------------------------------------
// product-source

#[test]
fn products_are_listed_with_every_filter() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let state = records(&shop, "products");

    let all = connector.all_products(&any_product()).unwrap();
    assert_eq!(all.len(), state.len());
    let first = &all[0];
    assert_eq!(first.currency, "EUR");
    assert!((first.price_excl_vat * (1.0 + first.vat_rate / 100.0) - first.price_incl_vat).abs() < 0.01);

    let active = connector.all_products(&ProductFilter { active_only: true, ..any_product() }).unwrap();
    assert!(active.iter().all(|p| p.active));
    assert_eq!(active.len(), state.iter().filter(|p| p["active"] == true).count());

    let prefixed =
        connector.all_products(&ProductFilter { sku_prefix: Some("SKU-0001".into()), ..any_product() }).unwrap();
    let skus: Vec<&str> = prefixed.iter().map(|p| p.sku.as_str()).collect();
    assert_eq!(skus, (10..=19).map(|n| format!("SKU-000{n}")).collect::<Vec<_>>());

    let pricey =
        connector.all_products(&ProductFilter { expression: Some("minprice=100".into()), ..any_product() }).unwrap();
    assert!(!pricey.is_empty() && pricey.iter().all(|p| p.price_incl_vat >= 100.0));
    assert_eq!(pricey.len(), state.iter().filter(|p| p["price"].as_f64().unwrap() >= 100.0).count());

    let bad = connector.list_products(&ProductFilter { expression: Some("size=500".into()), ..any_product() }, None);
    assert!(matches!(bad, Err(ContractError::Invalid(m)) if m.contains("`size`")));
}

#[test]
fn a_product_is_found_by_sku_with_its_category_path() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let product = connector.get_product("SKU-00001").unwrap().expect("seeded");
    let state = product_in_state(&shop, "SKU-00001");
    assert_eq!(product.name, state["name"].as_str().unwrap());
    assert_eq!(product.category, ["Clothing", "Shirts"]);
    assert_eq!(product.short_description.as_deref(), state["shortdescription"].as_str());
    assert_eq!(product.ean.as_deref(), state["eannumber"].as_str());
    assert!(connector.get_product("NO-SUCH-SKU").unwrap().is_none());
}

// ---------------------------------------------------------------------------
// product-sink

fn new_product(sku: &str) -> Product {
    Product {
        short_description: Some("An apron.".into()),
        long_description: Some("<p>A sturdy linen apron.</p>".into()),
        price_excl_vat: 20.0,
        price_incl_vat: 24.2,
        ean: Some("8712345999993".into()),
        custom_fields: vec![("mpnnumber".into(), "\"MPN-APRON\"".into())],
        ..trestle_e2e::stock_article(sku, "Linen apron")
    }
}

#[test]
fn a_product_is_created_then_updated_only_where_the_mask_allows() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let created = connector.upsert(&new_product("APRON-1"), UpdateMask::all()).unwrap();
    assert_eq!(created.outcome, UpsertOutcome::Created);
    let state = product_in_state(&shop, "APRON-1");
    assert_eq!(created.id, state["id"].to_string());
    assert_eq!((state["price"].as_f64(), state["taxtariff"].as_str()), (Some(24.2), Some("normal")));
    assert_eq!(state["mpnnumber"], "MPN-APRON", "custom fields reach the payload");
    assert_eq!(state["description"], "<p>A sturdy linen apron.</p>");

    let changed = Product {
        name: "Linen apron, blue".into(),
        short_description: Some("Changed elsewhere".into()),
        long_description: None,
        price_incl_vat: 26.62,
        price_excl_vat: 22.0,
        ..new_product("APRON-1")
    };
    let updated = connector.upsert(&changed, UpdateMask::NAME | UpdateMask::PRICE).unwrap();
    assert_eq!((updated.outcome, updated.id), (UpsertOutcome::Updated, created.id.clone()));
    let state = product_in_state(&shop, "APRON-1");
    assert_eq!((state["name"].as_str(), state["price"].as_f64()), (Some("Linen apron, blue"), Some(26.62)));
    assert_eq!(state["shortdescription"], "An apron.", "descriptions are left alone");
    assert_eq!(state["description"], "<p>A sturdy linen apron.</p>");

    shop.reset_request_counts();
    let again = connector.upsert(&changed, UpdateMask::NAME | UpdateMask::PRICE).unwrap();
    assert_eq!(again.outcome, UpsertOutcome::Unchanged);
    assert_eq!(shop.request_counts().get("PATCH /api/rest/v1/products/{id}"), None, "nothing to send");

    let descriptions = connector.upsert(&changed, UpdateMask::DESCRIPTIONS).unwrap();
    assert_eq!(descriptions.outcome, UpsertOutcome::Updated);
    let state = product_in_state(&shop, "APRON-1");
    assert_eq!(state["shortdescription"], "Changed elsewhere");
    assert_eq!(state["description"], "<p>A sturdy linen apron.</p>", "no description is not an empty one");

    // What the source lacks is unknown, not "clear it": nothing is sent.
    let lacking = Product {
        ean: None,
        unit: Some(" ".into()),
        short_description: None,
        price_incl_vat: 0.0,
        price_excl_vat: 0.0,
        ..changed
    };
    shop.reset_request_counts();
    assert_eq!(connector.upsert(&lacking, UpdateMask::all()).unwrap().outcome, UpsertOutcome::Unchanged);
    assert_eq!(shop.request_counts().get("PATCH /api/rest/v1/products/{id}"), None);
    let kept = product_in_state(&shop, "APRON-1");
    assert_eq!(
        (kept["eannumber"].as_str(), kept["unit"].as_str(), kept["price"].as_f64()),
        (Some("8712345999993"), Some("pcs"), Some(26.62))
    );
    assert_eq!(kept["shortdescription"], "Changed elsewhere");
}

#[test]
fn a_product_the_shop_refuses_is_invalid_with_the_shops_reason() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let odd_rate = Product { vat_rate: 7.0, ..new_product("APRON-7") };
    let ContractError::Invalid(message) = expect_err(connector.upsert(&odd_rate, UpdateMask::all())) else {
        panic!("expected invalid")
    };
    assert!(message.contains("vatrate") && message.contains("21, 9, 6, 3, 0"), "{message}");
}

/// The official PHP SDK knows five tariffs: `normal`, `low a`, `low b`,
/// `extra low`, `zero`. The connector writes the two whose rate is the same
/// in every shop by name and the reduced rates as `vatrate` (which tariff a
/// reduced rate is depends on the shop's country), and reads all five.
#[test]
fn tax_tariffs_are_written_and_read_as_the_official_sdk_names_them() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    for (sku, rate, tariff) in [("TAX-21", 21.0, "normal"), ("TAX-9", 9.0, "low a"), ("TAX-0", 0.0, "zero")] {
        let product = Product { vat_rate: rate, price_incl_vat: 10.0, price_excl_vat: 0.0, ..new_product(sku) };
        let created = connector.upsert(&product, UpdateMask::all());
        assert!(created.is_ok(), "{sku}: {created:?}");
        assert_eq!(product_in_state(&shop, sku)["taxtariff"], tariff, "{sku}");
    }
    let changed = Product { vat_rate: 9.0, ..new_product("TAX-21") };
    assert_eq!(connector.upsert(&changed, UpdateMask::VAT).unwrap().outcome, UpsertOutcome::Updated);
    assert_eq!(product_in_state(&shop, "TAX-21")["taxtariff"], "low a");

    // Each of the five is read with the rate the shop gives it, and that
    // rate written back lands on the same tariff.
    let id = product_in_state(&shop, "TAX-0")["id"].as_u64().unwrap();
    let mut rates = Vec::new();
    for tariff in ["normal", "low a", "low b", "extra low", "zero"] {
        shop.update_product(id, json!({ "taxtariff": tariff })).unwrap();
        let read = connector.get_product("TAX-0").unwrap().unwrap();
        let copy = Product { sku: "TAX-COPY".into(), ..read.clone() };
        connector.upsert(&copy, UpdateMask::all()).unwrap();
        assert_eq!(product_in_state(&shop, "TAX-COPY")["taxtariff"], tariff, "{tariff} read as {}", read.vat_rate);
        rates.push(read.vat_rate);
    }
    assert_eq!((rates[0], rates[4]), (21.0, 0.0));

    // A shop that sends no `vatrate`: the tariff alone says 21 or 0, and a
    // reduced tariff is refused naming what is missing, never guessed.
    let without_rate = Proxy::start_resigning(
        &shop,
        Box::new(|b: &mut Value| {
            for item in b["items"].as_array_mut().into_iter().flatten() {
                item.as_object_mut().unwrap().remove("vatrate");
            }
        }),
    );
    let mut blind = Connector::new(&without_rate.base_url, DEMO_SECRET_KEY, 10);
    for (tariff, rate) in [("normal", 21.0), ("zero", 0.0)] {
        shop.update_product(id, json!({ "taxtariff": tariff })).unwrap();
        assert_eq!(blind.get_product("TAX-0").unwrap().unwrap().vat_rate, rate, "{tariff}");
    }
    shop.update_product(id, json!({ "taxtariff": "low b" })).unwrap();
    let ContractError::Invalid(message) = expect_err(blind.get_product("TAX-0")) else { panic!("expected invalid") };
    assert!(message.contains("`vatrate`") && message.contains("low b"), "{message}");
}

// ---------------------------------------------------------------------------
// stock-sink

#[test]
fn stock_is_set_on_simple_products_and_on_variants_by_sku() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let (simple, variant) = sellable_skus(&shop);

    connector.set_stock(&simple, 17.0).unwrap();
    assert_eq!(product_in_state(&shop, &simple)["stock"], 17.0);

    connector.set_stock(&variant, 4.0).unwrap();
    let combination =
        records(&shop, "attribute_combinations").into_iter().find(|c| c["sku_number"] == variant.as_str()).unwrap();
    assert_eq!(combination["stock"], 4.0);

    // A product with variants keeps no stock under its own SKU, whatever
    // its `stocktype` says: not found, saying why, and nothing written.
    let parent = product_in_state(&shop, combination["product_number"].as_str().unwrap());
    let parent_sku = parent["productnumber"].as_str().unwrap();
    for stocktype in ["combination", "product"] {
        shop.update_product(parent["id"].as_u64().unwrap(), json!({ "stocktype": stocktype })).unwrap();
        shop.reset_request_counts();
        let on_parent = connector.set_stock(parent_sku, 3.0);
        assert!(
            matches!(&on_parent, Err(ContractError::NotFound(m)) if m.contains("product with 4 variants")),
            "{stocktype}: {on_parent:?}"
        );
        let writes: u64 = shop.request_counts().iter().filter(|(k, _)| !k.starts_with("GET ")).map(|(_, n)| n).sum();
        assert_eq!(writes, 0, "{stocktype}: {:?}", shop.request_counts());
        assert_eq!(product_in_state(&shop, parent_sku)["stock"], parent["stock"]);
    }

    let unknown = connector.set_stock("NO-SUCH-SKU", 1.0);
    assert!(matches!(unknown, Err(ContractError::NotFound(m)) if m.contains("NO-SUCH-SKU")));
}

// ---------------------------------------------------------------------------
// category-sink

#[test]
fn a_category_path_is_ensured_once_and_products_are_linked_once() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let categories_before = records(&shop, "categories").len();

    let existing = connector.ensure_category(&["Clothing", "shirts"], false).unwrap();
    let shirts = records(&shop, "categories").into_iter().find(|c| c["name"] == "Shirts").unwrap();
    assert_eq!(existing, shirts["id"].to_string(), "names match regardless of case");
    assert_eq!(records(&shop, "categories").len(), categories_before);

    assert_eq!(shirts["show_on_website"], true, "an existing category keeps its visibility");

    let leaf = connector.ensure_category(&["Clothing", "Aprons", "Linen"], false).unwrap();
    let categories = records(&shop, "categories");
    assert_eq!(categories.len(), categories_before + 2);
    let linen = categories.iter().find(|c| same_id(&leaf, &c["id"])).unwrap();
    let aprons = categories.iter().find(|c| c["id"] == linen["parent_id"]).unwrap();
    assert_eq!((linen["name"].as_str(), aprons["name"].as_str()), (Some("Linen"), Some("Aprons")));
    assert_eq!(linen["description"], "Made by the sync");
    assert_eq!((linen["show_on_website"].as_bool(), aprons["show_on_website"].as_bool()), (Some(false), Some(false)));
    assert_eq!(connector.ensure_category(&["Clothing", "Aprons", "Linen"], true).unwrap(), leaf);
    assert_eq!(records(&shop, "categories").len(), categories_before + 2);
    let wool = connector.ensure_category(&["Clothing", "Aprons", "Wool"], true).unwrap();
    let wool = records(&shop, "categories").into_iter().find(|c| same_id(&wool, &c["id"])).unwrap();
    assert_eq!(wool["show_on_website"], true);

    let links = |shop: &Handle| {
        records(shop, "product_to_categories").into_iter().filter(|l| same_id(&leaf, &l["category_id"])).count()
    };
    connector.link_product("SKU-00002", &leaf).unwrap();
    connector.link_product("SKU-00002", &leaf).unwrap();
    assert_eq!(links(&shop), 1);
    let product = connector.get_product("SKU-00002").unwrap().unwrap();
    assert_eq!(product.category, ["Clothing", "Shirts"], "its main category is still the first one");
    assert!(matches!(connector.link_product("NO-SUCH-SKU", &leaf), Err(ContractError::NotFound(_))));
}

// ---------------------------------------------------------------------------
// reference-data

#[test]
fn payment_methods_and_order_statuses_can_be_looked_up() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    let methods = connector.lookup("payment-methods").unwrap();
    let codes: Vec<&str> = methods.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, ["ccvpay_ideal", "paypal_paypal", "manual_banktransfer", "manual_invoice"]);
    assert_eq!(methods[1].name, "PayPal");
    let statuses = connector.lookup("order-statuses").unwrap();
    assert_eq!(statuses.len(), 14);
    assert_eq!((statuses[6].id.as_str(), statuses[6].name.as_str()), ("7", "Completed"));
    assert!(matches!(connector.lookup("vat-codes"), Err(ContractError::Invalid(m)) if m.contains("payment-methods")));
}

// ---------------------------------------------------------------------------
// A misbehaving shop or network

#[test]
fn rate_limit_bursts_are_rate_limited_errors_and_paging_resumes_after_them() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    shop.set_faults(FaultConfig {
        burst_every: 2,
        burst_length: 2,
        burst_retry_after_secs: 60,
        ..FaultConfig::default()
    })
    .unwrap();
    let mut orders = Vec::new();
    let mut cursor: Option<String> = None;
    let mut refusals = 0;
    loop {
        match connector.list_orders(&any_order(), cursor.as_deref()) {
            Err(ContractError::RateLimited(limit)) => {
                refusals += 1;
                assert_eq!(limit.retry_after_ms, 60_000, "the shop's Retry-After");
                assert!(limit.message.contains("rate limit"), "{}", limit.message);
                // The host would wait; the emulator's burst is over after two refusals.
            }
            Err(other) => panic!("unexpected {other:?}"),
            Ok(page) => {
                orders.extend(page.orders);
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
    }
    assert!(refusals >= 4, "{refusals} refusals");
    assert_eq!(ids_of(&orders), state_ids(&completed_orders(&shop)), "no page lost or repeated");
}

#[test]
fn server_errors_and_dropped_connections_are_transient() {
    let shop = quiet_shop();
    let mut connector = Connector::to(&shop);
    shop.set_faults(FaultConfig { error_rate: 1.0, ..FaultConfig::default() }).unwrap();
    let error = expect_err(connector.list_orders(&any_order(), None));
    assert!(matches!(&error, ContractError::Transient(m) if m.contains("503")), "{error:?}");

    shop.set_faults(FaultConfig { drop_rate: 1.0, ..FaultConfig::default() }).unwrap();
    let error = expect_err(connector.set_stock("SKU-00001", 3.0));
    assert!(matches!(&error, ContractError::Transient(m) if m.contains("GET /api/rest/v1/products")), "{error:?}");

    shop.set_faults(FaultConfig::default()).unwrap();
    connector.list_orders(&any_order(), None).expect("works again once the shop recovers");
}

#[test]
fn a_tampered_answer_is_refused_and_never_used() {
    let shop = quiet_shop();
    // Changes one digit in transit, keeping the shop's signature.
    let proxy = Proxy::start(&shop, |answer| {
        if let Some(i) = answer.body.iter().position(u8::is_ascii_digit) {
            answer.body[i] = if answer.body[i] == b'9' { b'8' } else { answer.body[i] + 1 };
        }
    });
    let mut connector = Connector::new(&proxy.base_url, DEMO_SECRET_KEY, 10);
    let ContractError::Auth(message) = expect_err(connector.list_orders(&any_order(), None)) else {
        panic!("expected auth")
    };
    assert!(message.contains("failed its signature check") && message.contains("not used"), "{message}");
    assert!(matches!(connector.check(), Err(ContractError::Auth(_))));
}

#[test]
fn an_unsigned_answer_is_refused() {
    let shop = quiet_shop();
    let proxy = Proxy::start(&shop, |answer| answer.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("x-hash")));
    let mut connector = Connector::new(&proxy.base_url, DEMO_SECRET_KEY, 10);
    let result = connector.get_product("SKU-00001");
    assert!(matches!(result, Err(ContractError::Auth(m)) if m.contains("not signed")));
}

#[test]
fn malformed_answers_are_invalid_errors_naming_the_field() {
    let shop = quiet_shop();
    let cases: Vec<(&str, Rewrite, &str)> = vec![
        (
            "no country code",
            Box::new(|b: &mut Value| {
                b["items"][0]["customer"]["billingaddress"].as_object_mut().unwrap().remove("country_code");
            }),
            "field `customer.billingaddress.country_code` is missing",
        ),
        (
            "rows not a list",
            Box::new(|b: &mut Value| b["items"][1]["orderrows"]["collection"] = "many".into()),
            "`orderrows.collection`",
        ),
        ("text for a price", Box::new(|b: &mut Value| b["items"][0]["total_price"] = "lots".into()), "`total_price`"),
        ("items missing", Box::new(|b: &mut Value| b["items"] = Value::Null), "`items`"),
    ];
    for (case, rewrite, expected) in cases {
        let proxy = Proxy::start_resigning(&shop, rewrite);
        let mut connector = Connector::new(&proxy.base_url, DEMO_SECRET_KEY, 10);
        let error = expect_err(connector.list_orders(&any_order(), None));
        let ContractError::Invalid(message) = &error else { panic!("{case}: expected invalid, got {error:?}") };
        assert!(message.contains(expected), "{case}: {message}");
    }
    let garbage = Proxy::start(&shop, |answer| {
        answer.body = b"<html>Bad gateway</html>".to_vec();
        resign(answer);
    });
    let mut connector = Connector::new(&garbage.base_url, DEMO_SECRET_KEY, 10);
    let error = expect_err(connector.list_orders(&any_order(), None));
    assert!(matches!(&error, ContractError::Invalid(m) if m.contains("not JSON") && m.contains("<html>")), "{error:?}");
}

// ---------------------------------------------------------------------------
// A man in the middle: forwards each request to the emulator and lets the
// test rewrite the answer on its way back.

type Rewrite = Box<dyn Fn(&mut Value) + Send + Sync>;

struct Answer {
    method: String,
    target: String,
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

struct Proxy {
    base_url: String,
}

impl Proxy {
    fn start(shop: &Handle, rewrite: impl Fn(&mut Answer) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = shop.base_url().trim_start_matches("http://").to_string();
        let rewrite = Arc::new(rewrite);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let (upstream, rewrite) = (upstream.clone(), rewrite.clone());
                std::thread::spawn(move || {
                    if let Ok(client) = stream {
                        forward(client, &upstream, &*rewrite);
                    }
                });
            }
        });
        Self { base_url }
    }

    /// Rewrites the JSON body and signs it again with the shop's secret, as
    /// a shop that answers something odd but genuine would.
    fn start_resigning(shop: &Handle, rewrite: Rewrite) -> Self {
        Self::start(shop, move |answer| {
            if answer.status_line.contains(" 200 ") {
                let mut body: Value = serde_json::from_slice(&answer.body).unwrap();
                rewrite(&mut body);
                answer.body = body.to_string().into_bytes();
                resign(answer);
            }
        })
    }
}

fn resign(answer: &mut Answer) {
    let date = header(&answer.headers, "x-date").unwrap_or_default();
    let mut signed = format!("{DEMO_PUBLIC_KEY}|{}|{}|", answer.method, answer.target).into_bytes();
    signed.extend_from_slice(&answer.body);
    signed.extend_from_slice(format!("|{date}").as_bytes());
    let mut mac = Hmac::<Sha512>::new_from_slice(DEMO_SECRET_KEY.as_bytes()).unwrap();
    mac.update(&signed);
    let hash = hex::encode(mac.finalize().into_bytes());
    answer.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("x-hash"));
    answer.headers.push(("x-hash".into(), hash));
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

/// Start line, headers, body.
type Message = (String, Vec<(String, String)>, Vec<u8>);

/// One HTTP/1.1 message, its body read by Content-Length.
fn read_message(reader: &mut impl BufRead) -> std::io::Result<Message> {
    let mut start = String::new();
    reader.read_line(&mut start)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header line");
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = header(&headers, "content-length").map_or(0, |l| l.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((start.trim_end().to_string(), headers, body))
}

fn write_message(
    stream: &mut TcpStream,
    start: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut out = format!("{start}\r\n");
    for (name, value) in headers {
        if !["content-length", "connection", "transfer-encoding"].iter().any(|h| name.eq_ignore_ascii_case(h)) {
            out += &format!("{name}: {value}\r\n");
        }
    }
    out += &format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len());
    stream.write_all(out.as_bytes())?;
    stream.write_all(body)
}

fn forward(client: TcpStream, upstream: &str, rewrite: &(dyn Fn(&mut Answer) + Send + Sync)) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Ok((request_line, headers, body)) = read_message(&mut reader) else { return };
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
    let mut shop = TcpStream::connect(upstream).unwrap();
    write_message(&mut shop, &request_line, &headers, &body).unwrap();
    let (status_line, headers, body) = read_message(&mut BufReader::new(shop)).unwrap();
    let mut answer = Answer { method, target, status_line, headers, body };
    rewrite(&mut answer);
    let mut client = client;
    let _ = write_message(&mut client, &answer.status_line, &answer.headers, &answer.body);
}
