//! The stock flow end to end: the eAccounting connector reads the books'
//! stock levels, the stock flow works out what the shop should show, and the
//! CCV Shop connector writes it, run by the host against both emulators over
//! real sockets. The seeded books reserve nothing, so the tests reserve stock
//! the way the books do: with an open sales order, through the books' API.

use std::collections::BTreeMap;

use eaccounting_emulator::ArticleChange;
use serde_json::{Value, json};
use trestle_artifacts::Builtins;
use trestle_e2e::{stock_article, write_product};
use trestle_emulators::{Emulators, Options};
use trestle_host::bindings::Trigger;
use trestle_host::bindings::exports::trestle::sync::product_sink::UpdateMask;
use trestle_host::bindings::types::Product;
use trestle_host::run::RunReport;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ActivityEntry, ActivityQuery, Host};

/// A simple product of the seed, and a variant of a product with sizes.
const SIMPLE: &str = "SKU-00001";
const VARIANT: &str = "SKU-00005-M";
/// A simple product on the last page of the books' stock levels.
const LATER_PAGE: &str = "SKU-00038";

/// 40 catalogue items: 32 simple products and 8 with four sizes each, so
/// 64 stock articles.
fn emulators() -> Emulators {
    Emulators::start(Options { orders: 5, products: 40, rate_limits: false, ..Options::default() }).unwrap()
}

/// A tenant pushing the emulated books' stock into the emulated shop, 25
/// levels a page; `settings` are lines for `[flows.stock.settings]`.
fn tenant(host: &Host, emulators: &Emulators, settings: &str) -> PreparedTenant {
    tenant_with(host, emulators, settings, "")
}

/// The same, with `extra` tables (a `[mapping]`, say) in the config.
fn tenant_with(host: &Host, emulators: &Emulators, settings: &str, extra: &str) -> PreparedTenant {
    let mut connections = emulators.connection_settings();
    connections.eaccounting.insert("page_size".into(), "25".into());
    let config = format!(
        "tenant = \"e2e\"\n{}\n{extra}\n[flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n\
         [flows.stock.settings]\n{settings}\n",
        connections.tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn try_run(host: &Host, tenant: &PreparedTenant, trigger: Trigger) -> anyhow::Result<RunReport> {
    host.run_flow(tenant.flow_run(host, &Builtins, "stock", trigger)?)
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    try_run(host, tenant, Trigger::Scheduled).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

/// Stock writes the shop received since the counts were last reset.
fn shop_writes(emulators: &Emulators) -> u64 {
    let counts = emulators.ccvshop.request_counts();
    counts
        .iter()
        .filter(|(k, _)| {
            k.starts_with("PATCH /api/rest/v1/products/") || k.starts_with("PATCH /api/rest/v1/attributecombinations/")
        })
        .map(|(_, n)| n)
        .sum()
}

/// The shop's stock by SKU: simple products, and variants by their own SKU.
fn shop_stock(emulators: &Emulators) -> BTreeMap<String, f64> {
    let shop = emulators.ccvshop.state();
    let of = |kind: &str, sku_field: &str| -> Vec<(String, f64)> {
        shop["shop"][kind]
            .as_object()
            .unwrap_or_else(|| panic!("the shop dump lists {kind} by id"))
            .values()
            .filter_map(|r| Some((r[sku_field].as_str()?.to_string(), r["stock"].as_f64()?)))
            .collect()
    };
    of("products", "productnumber").into_iter().chain(of("attribute_combinations", "sku_number")).collect()
}

/// The books' stock articles: SKU -> (on hand, reserved).
fn books_stock(emulators: &Emulators) -> BTreeMap<String, (f64, f64)> {
    emulators.eaccounting.state()["books"]["articles"]
        .as_array()
        .expect("the books dump lists articles")
        .iter()
        .filter(|a| a["IsStock"] == true)
        .map(|a| {
            let number = a["Number"].as_str().unwrap().to_string();
            (number, (a["StockBalance"].as_f64().unwrap(), a["StockBalanceReserved"].as_f64().unwrap()))
        })
        .collect()
}

/// Every SKU both systems know shows `expected(on hand, reserved)` in the
/// shop; returns how many were compared.
fn assert_shop_shows(emulators: &Emulators, expected: impl Fn(f64, f64) -> f64) -> usize {
    let shop = shop_stock(emulators);
    let mut compared = 0;
    for (sku, (on_hand, reserved)) in books_stock(emulators) {
        if let Some(actual) = shop.get(&sku) {
            assert_eq!(*actual, expected(on_hand, reserved), "{sku}: on hand {on_hand}, reserved {reserved}");
            compared += 1;
        }
    }
    compared
}

fn available(on_hand: f64, reserved: f64) -> f64 {
    (on_hand - reserved).max(0.0)
}

fn set_on_hand(emulators: &Emulators, sku: &str, on_hand: f64) {
    emulators
        .eaccounting
        .change_article(sku, &ArticleChange { stock_balance: Some(on_hand), ..Default::default() })
        .unwrap();
}

fn stock_records(host: &Host, report: &RunReport) -> Vec<ActivityEntry> {
    host.activity(&ActivityQuery {
        run_id: Some(report.run_id.clone()),
        record_kind: Some("stock".into()),
        ..Default::default()
    })
    .unwrap()
}

/// The books' API, called the way a bookkeeper's other tools would: with a
/// consent of its own.
struct BooksApi {
    http: reqwest::blocking::Client,
    base: String,
    token: String,
}

impl BooksApi {
    fn connect(emulators: &Emulators) -> Self {
        let books = &emulators.eaccounting;
        let http = reqwest::blocking::Client::new();
        let answer: Value = http
            .post(format!("{}/connect/token", books.identity_base_url()))
            .basic_auth(&books.config().client_id, Some(&books.config().client_secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", books.new_refresh_token().as_str())])
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .expect("a token for the books");
        let token = answer["access_token"].as_str().expect("an access token").to_string();
        Self { http, base: books.api_base_url(), token }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let answer =
            self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body).send().unwrap();
        let status = answer.status();
        let body: Value = answer.json().unwrap();
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// An ongoing sales order for `quantity` of each article: the books
    /// reserve it until it is delivered.
    fn reserve(&self, emulators: &Emulators, rows: &[(&str, f64)]) {
        let books = emulators.eaccounting.state()["books"].clone();
        let article_id = |sku: &str| {
            books["articles"].as_array().unwrap().iter().find(|a| a["Number"] == sku).unwrap()["Id"].clone()
        };
        let rows: Vec<Value> = rows
            .iter()
            .enumerate()
            .map(|(i, (sku, quantity))| {
                json!({"ArticleId": article_id(sku), "Quantity": quantity, "LineNumber": i, "IsTextRow": false,
                       "IsWorkCost": false, "EligibleForReverseChargeOnVat": false})
            })
            .collect();
        self.post(
            "/orders",
            json!({"CustomerId": books["customers"][0]["Id"], "CurrencyCode": "EUR", "Status": 2, "EuThirdParty": false,
                   "ReverseChargeOnConstructionServices": false, "RotReducedInvoicingType": 0, "Rows": rows}),
        );
    }

    /// A stock article the shop does not sell; returns its number.
    fn add_article(&self, emulators: &Emulators, number: &str) -> String {
        let books = emulators.eaccounting.state()["books"].clone();
        let template = books["articles"].as_array().unwrap().iter().find(|a| a["Number"] == SIMPLE).unwrap().clone();
        self.post(
            "/articles",
            json!({"Number": number, "Name": "Packing material", "IsActive": true, "IsStock": true,
                   "CodingId": template["CodingId"], "UnitId": template["UnitId"], "NetPrice": 1.0}),
        );
        set_on_hand(emulators, number, 40.0);
        number.to_string()
    }
}

#[test]
fn first_run_pushes_available_stock_to_products_and_variants_and_only_changes_after() {
    let emulators = emulators();
    set_on_hand(&emulators, SIMPLE, 10.0);
    set_on_hand(&emulators, VARIANT, 8.0);
    BooksApi::connect(&emulators).reserve(&emulators, &[(SIMPLE, 3.0), (VARIANT, 3.0)]);
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators, "");

    let first = run(&host, &tenant);
    assert_eq!((first.summary.parked, first.summary.skipped), (0, 0), "{:?}", first.summary.notes);
    let shop = shop_stock(&emulators);
    assert_eq!((shop[SIMPLE], shop[VARIANT]), (7.0, 5.0), "on hand minus reserved, on a product and on a variant");
    let compared = assert_shop_shows(&emulators, available);
    assert_eq!(first.summary.synced as usize, compared, "every SKU both systems know, once");
    assert_eq!(shop_writes(&emulators), u64::from(first.summary.synced));
    let records = stock_records(&host, &first);
    assert_eq!(records.len(), compared, "one activity record per SKU written");
    let simple = records.iter().find(|r| r.source_id.as_deref() == Some(SIMPLE)).expect("a record for the product");
    assert_eq!((simple.target_id.as_deref(), simple.outcome.as_deref()), (Some(SIMPLE), Some("synced")));
    let sent: Value = serde_json::from_str(simple.payload.as_deref().unwrap()).unwrap();
    assert_eq!(sent["quantity"], 7.0);

    emulators.ccvshop.reset_request_counts();
    let rerun = run(&host, &tenant);
    assert_eq!(rerun.summary.synced, 0, "{:?}", rerun.summary);
    assert_eq!(shop_writes(&emulators), 0, "a rerun without changes writes nothing");
    assert!(stock_records(&host, &rerun).is_empty());

    set_on_hand(&emulators, VARIANT, 20.0);
    let changed = run(&host, &tenant);
    assert_eq!(changed.summary.synced, 1, "{:?}", changed.summary);
    assert_eq!(shop_writes(&emulators), 1, "one changed article, one write");
    assert_eq!(shop_stock(&emulators)[VARIANT], 17.0);
    let records = stock_records(&host, &changed);
    assert_eq!(records.iter().map(|r| r.source_id.as_deref()).collect::<Vec<_>>(), [Some(VARIANT)]);
}

#[test]
fn negative_availability_shows_as_zero_and_on_hand_counting_ignores_reservations() {
    let emulators = emulators();
    set_on_hand(&emulators, SIMPLE, 2.0);
    BooksApi::connect(&emulators).reserve(&emulators, &[(SIMPLE, 5.0)]);
    let host = trestle_e2e::host();

    run(&host, &tenant(&host, &emulators, ""));
    assert_eq!(shop_stock(&emulators)[SIMPLE], 0.0, "2 on hand, 5 reserved: none to sell");
    assert_shop_shows(&emulators, available);

    // Only the one SKU with a reservation differs between the two ways of counting.
    emulators.ccvshop.reset_request_counts();
    let on_hand = run(&host, &tenant(&host, &emulators, "calculation = \"on-hand\""));
    assert_eq!(on_hand.summary.synced, 1, "{:?}", on_hand.summary);
    assert_eq!(shop_writes(&emulators), 1);
    assert_eq!(shop_stock(&emulators)[SIMPLE], 2.0);
    assert_shop_shows(&emulators, |on_hand, _| on_hand.max(0.0));
}

#[test]
fn a_sku_the_shop_lacks_is_reported_and_the_others_still_land() {
    let emulators = emulators();
    let missing = BooksApi::connect(&emulators).add_article(&emulators, "PACKING-1");
    let host = trestle_e2e::host();

    let report = run(&host, &tenant(&host, &emulators, ""));
    assert_eq!((report.summary.skipped, report.summary.parked), (1, 0), "{:?}", report.summary);
    let notice = format!(
        "SKU {missing} is in the books but not written to the shop: CCV Shop has no product or variant with SKU \
         `{missing}`"
    );
    assert!(report.summary.notes.iter().any(|n| n.contains(&notice)), "{:?}", report.summary.notes);
    let record = stock_records(&host, &report).into_iter().find(|r| r.source_id.as_deref() == Some(&missing)).unwrap();
    assert_eq!(record.outcome.as_deref(), Some("skipped"));
    assert!(record.message.contains(&notice), "{}", record.message);
    let compared = assert_shop_shows(&emulators, available);
    assert_eq!(report.summary.synced as usize, compared, "every other SKU landed");

    // The next run does not ask the shop again while the level is the same.
    emulators.ccvshop.reset_request_counts();
    let again = run(&host, &tenant(&host, &emulators, ""));
    assert_eq!((again.summary.synced, again.summary.skipped), (0, 1), "{:?}", again.summary);
    assert!(again.summary.notes.iter().any(|n| n.contains("not asked again")), "{:?}", again.summary.notes);
    assert_eq!(emulators.ccvshop.request_counts().values().sum::<u64>(), 0, "the shop was not asked");

    // Left out on purpose: no notice, no lookup in the shop.
    emulators.ccvshop.reset_request_counts();
    let quiet = run(&host, &tenant(&host, &emulators, "skip_skus = \"PACKING-*, SKU-00002\""));
    assert_eq!((quiet.summary.synced, quiet.summary.skipped), (0, 2), "{:?}", quiet.summary);
    assert!(!quiet.summary.notes.iter().any(|n| n.contains(&notice)), "{:?}", quiet.summary.notes);
    assert_eq!(emulators.ccvshop.request_counts().values().sum::<u64>(), 0, "the shop was not asked");
}

#[test]
fn with_manage_stock_false_nothing_is_written_and_switching_back_pushes_all() {
    let emulators = emulators();
    let host = trestle_e2e::host();
    let first = run(&host, &tenant(&host, &emulators, ""));
    assert!(first.summary.synced > 50, "{:?}", first.summary);

    set_on_hand(&emulators, SIMPLE, 99.0);
    emulators.ccvshop.reset_request_counts();
    let off = run(&host, &tenant(&host, &emulators, "manage_stock = false"));
    assert_eq!(off.summary.synced, 0);
    assert!(off.summary.notes.iter().any(|n| n.contains("manage_stock = false")), "{:?}", off.summary.notes);
    assert_eq!(shop_writes(&emulators), 0);
    assert_ne!(shop_stock(&emulators)[SIMPLE], 99.0);

    // Meanwhile the shop kept its own figures: every level is pushed again.
    let on = run(&host, &tenant(&host, &emulators, "manage_stock = true"));
    assert_eq!(on.summary.synced, first.summary.synced, "{:?}", on.summary);
    assert_eq!(shop_stock(&emulators)[SIMPLE], 99.0);
}

#[test]
fn a_bad_setting_is_refused_naming_the_key_and_what_is_allowed() {
    let emulators = emulators();
    let host = trestle_e2e::host();
    let cases = [
        ("calculation = \"reserved\"", ["`calculation`", "available", "on-hand", "mapping"]),
        ("manage_stock = \"yes\"", ["`manage_stock`", "true", "false", "\"yes\""]),
        ("skip_skus = \"SKU-*-M\"", ["`skip_skus`", "SKU-*-M", "prefix", "*"]),
        ("manage_stok = false", ["`manage_stok`", "manage_stock", "calculation", "skip_skus"]),
        // Without a [mapping] module nobody computes the quantity.
        ("calculation = \"mapping\"", ["`calculation` = \"mapping\"", "[mapping]", "map-stock", "available"]),
    ];
    for (setting, expected) in cases {
        let error = try_run(&host, &tenant(&host, &emulators, setting), Trigger::Scheduled)
            .expect_err(&format!("{setting} is refused"));
        let message = format!("{error:#}");
        for part in expected {
            assert!(message.contains(part), "{setting}: {part:?} not in {message}");
        }
    }
    assert_eq!(shop_writes(&emulators), 0, "nothing was written");
}

#[test]
fn a_webhook_for_one_sku_pushes_just_that_sku() {
    let emulators = emulators();
    set_on_hand(&emulators, LATER_PAGE, 12.0);
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators, "");
    let report = try_run(&host, &tenant, Trigger::RecordId(LATER_PAGE.into())).unwrap();
    assert_eq!(report.summary.synced, 1, "{:?}", report.summary);
    assert_eq!(shop_writes(&emulators), 1);
    assert_eq!(shop_stock(&emulators)[LATER_PAGE], 12.0);

    let unknown = try_run(&host, &tenant, Trigger::RecordId("NO-SUCH-SKU".into())).expect_err("no such article");
    assert!(format!("{unknown:#}").contains("NO-SUCH-SKU"), "{unknown:#}");
    assert_eq!(shop_writes(&emulators), 1);
}

#[test]
fn skus_that_hit_shop_failures_are_retried_until_the_shop_matches_the_books() {
    let emulators = emulators();
    emulators
        .ccvshop
        .set_faults(emulator_kit::FaultConfig { error_rate: 0.2, drop_rate: 0.02, seed: 11, ..Default::default() })
        .unwrap();
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators, "");
    // The host repeats a set-stock that failed in transit (it sets an
    // absolute level); what still fails is parked and retried next run.
    let mut runs = 1;
    let first = run(&host, &tenant);
    let failed_calls = host
        .activity(&ActivityQuery {
            run_id: Some(first.run_id.clone()),
            kind: Some("call".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|c| c.level == "warn" && c.message.contains("set-stock"))
        .count();
    assert!(failed_calls > 0, "the faults hit some writes");
    let mut parked = first.summary.parked;
    while parked > 0 {
        parked = run(&host, &tenant).summary.parked;
        runs += 1;
        assert!(runs < 15, "no convergence after {runs} runs");
    }
    emulators.ccvshop.set_faults(Default::default()).unwrap();
    assert_shop_shows(&emulators, available);
    emulators.ccvshop.reset_request_counts();
    assert_eq!(run(&host, &tenant).summary.synced, 0, "nothing was left behind");
}

#[test]
fn with_calculation_mapping_the_tenants_module_decides_what_the_shop_may_sell() {
    let emulators = emulators();
    let host = trestle_e2e::host();
    // The example module keeps a safety buffer of 2 units of every article.
    let tenant = tenant_with(&host, &emulators, "calculation = \"mapping\"", "[mapping]\nmodule = \"safety-stock\"\n");
    let report = run(&host, &tenant);
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    let compared = assert_shop_shows(&emulators, |on_hand, reserved| (on_hand - reserved - 2.0).max(0.0));
    assert_eq!(report.summary.synced as usize, compared);
}

/// A product that exists only in the shop (18 in stock), copied into the
/// books by another flow as a stock article from the shop's data: its
/// balance there (0) is what the article was created with, not a count of
/// the books' own, so it is not pushed, and the run says why. Once the
/// books' stock of it changes, it is theirs and is pushed.
#[test]
fn a_level_the_books_hold_as_created_from_the_shops_copy_is_not_pushed() {
    let emulators = emulators();
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators, "");
    let shop_own = Product { active: false, ean: Some("8712345999993".into()), ..stock_article("CANDLE", "Candle") };
    write_product(&host, &tenant, "shop", &shop_own, UpdateMask::all());
    let id = emulators.ccvshop.state()["shop"]["products"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["productnumber"] == "CANDLE")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    emulators.ccvshop.update_product(id, json!({ "stock": 18 })).unwrap();
    let copy = Product { ean: None, origin: Some("shop".into()), ..shop_own };
    write_product(&host, &tenant, "books", &copy, UpdateMask::all());
    assert_eq!(books_stock(&emulators)["CANDLE"], (0.0, 0.0), "created with no stock in the books");

    let first = run(&host, &tenant);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    assert_eq!(shop_stock(&emulators)["CANDLE"], 18.0, "the shop's own count stays");
    let record = stock_records(&host, &first).into_iter().find(|r| r.source_id.as_deref() == Some("CANDLE")).unwrap();
    assert_eq!(record.outcome.as_deref(), Some("skipped"));
    assert!(record.message.contains("created with from the shop's record"), "{}", record.message);
    assert!(first.summary.notes.iter().any(|n| n.contains("1 levels the books still hold")), "{:?}", first.summary);

    // Reported once; the rerun only counts it.
    let again = run(&host, &tenant);
    assert!(stock_records(&host, &again).is_empty());
    assert_eq!(shop_stock(&emulators)["CANDLE"], 18.0);

    // The books count it: their figure from now on.
    set_on_hand(&emulators, "CANDLE", 7.0);
    let counted = run(&host, &tenant);
    assert_eq!(counted.summary.synced, 1, "{:?}", counted.summary);
    assert_eq!(shop_stock(&emulators)["CANDLE"], 7.0);
}

/// The books hold articles with the SKUs of two products that have
/// variants in the shop (the parents of attribute combinations), one of
/// which the shop would even take stock for. Stock goes to the variants
/// only; each parent is reported, never written, and not asked again while
/// its level stays.
#[test]
fn a_product_with_variants_is_reported_and_never_gets_stock_under_its_own_sku() {
    let emulators = Emulators {
        ccvshop: ccvshop_emulator::start(ccvshop_emulator::Config {
            products: 40,
            orders: 5,
            rate_limits: None,
            combination_stock: ccvshop_emulator::CombinationStock::Store,
            ..Default::default()
        })
        .unwrap(),
        eaccounting: eaccounting_emulator::start(eaccounting_emulator::Config {
            catalogue_size: 40,
            rate_limit_per_minute: None,
            ..Default::default()
        })
        .unwrap(),
    };
    let host = trestle_e2e::host();
    let tenant = tenant(&host, &emulators, "");
    let products = emulators.ccvshop.state()["shop"]["products"].clone();
    let product =
        |sku: &str| products.as_object().unwrap().values().find(|p| p["productnumber"] == sku).unwrap().clone();
    // One parent keeps stock per combination; the other says it keeps it on
    // the product (the back office allows both).
    let parents = ["SKU-00005", "SKU-00010"];
    emulators
        .ccvshop
        .update_product(product(parents[1])["id"].as_u64().unwrap(), json!({ "stocktype": "product" }))
        .unwrap();
    for parent in parents {
        write_product(&host, &tenant, "books", &stock_article(parent, "Parent article"), UpdateMask::all());
        set_on_hand(&emulators, parent, 30.0);
    }
    let before = shop_stock(&emulators);

    let first = run(&host, &tenant);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    let after = shop_stock(&emulators);
    for parent in parents {
        assert_eq!(after[parent], before[parent], "{parent} got stock");
        let record = stock_records(&host, &first).into_iter().find(|r| r.source_id.as_deref() == Some(parent)).unwrap();
        assert_eq!(record.outcome.as_deref(), Some("skipped"), "{parent}");
        assert!(record.message.contains("is a product with 4 variants"), "{}", record.message);
    }
    // Every other SKU, the parents' variants among them, got the books' level.
    let books = books_stock(&emulators);
    let others: Vec<&String> = books.keys().filter(|sku| !parents.contains(&sku.as_str())).collect();
    assert!(others.iter().any(|sku| sku.starts_with("SKU-00010-")));
    for sku in others {
        assert_eq!(after.get(sku.as_str()), Some(&available(books[sku].0, books[sku].1)), "{sku}");
    }

    emulators.ccvshop.reset_request_counts();
    let again = run(&host, &tenant);
    assert_eq!((again.summary.synced, again.summary.parked), (0, 0), "{:?}", again.summary);
    assert_eq!(emulators.ccvshop.request_counts().values().sum::<u64>(), 0, "not asked again");
}
