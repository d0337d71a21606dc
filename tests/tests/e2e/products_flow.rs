//! The products flow end to end: the eAccounting and CCV Shop connectors and
//! the products flow, run by the host against both emulators over real
//! sockets, in both directions.

use std::collections::{BTreeMap, BTreeSet};

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
use trestle_host::{ActivityQuery, Host};

const BOOKS_TO_SHOP: &str =
    "product-source = \"books\", product-sink = \"shop\", category-sink = \"shop\", stock-sink = \"shop\"";
/// The host wants every role the flow imports bound (see the last test), so
/// the two the shop -> books direction never calls are bound to the shop.
const SHOP_TO_BOOKS: &str =
    "product-source = \"shop\", product-sink = \"books\", category-sink = \"shop\", stock-sink = \"shop\"";

/// A tenant with the products flow bound by `roles`; `settings` are lines
/// for `[flows.products.settings]`.
fn tenant(host: &Host, emulators: &Emulators, roles: &str, settings: &str) -> anyhow::Result<PreparedTenant> {
    let config = format!(
        "tenant = \"e2e\"\n{}\n[flows.products]\nroles = {{ {roles} }}\n[flows.products.settings]\n{settings}\n",
        emulators.connection_settings().tenant_connections(),
    );
    PreparedTenant::prepare(host, &Builtins, TenantConfig::parse(&config)?)
}

fn try_run(host: &Host, tenant: &PreparedTenant, trigger: Trigger) -> anyhow::Result<RunReport> {
    host.run_flow(tenant.flow_run(host, &Builtins, "products", trigger)?)
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    try_run(host, tenant, Trigger::Scheduled).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

fn articles(e: &Emulators) -> Vec<Value> {
    e.eaccounting.state()["books"]["articles"].as_array().cloned().expect("the books dump lists articles")
}

fn article_numbers(e: &Emulators) -> BTreeSet<String> {
    articles(e).iter().filter_map(|a| a["Number"].as_str().map(str::to_string)).collect()
}

/// The shop's products by SKU.
fn shop_products(e: &Emulators) -> BTreeMap<String, Value> {
    let shop = e.ccvshop.state()["shop"]["products"].clone();
    shop.as_object()
        .expect("the shop dump lists products by id")
        .values()
        .map(|p| (p["productnumber"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// The shop's categories and product links, as the dump has them.
fn shop_records(e: &Emulators, kind: &str) -> Vec<Value> {
    e.ccvshop.state()["shop"][kind].as_object().expect("the shop dump lists them by id").values().cloned().collect()
}

/// Requests that change something, per "METHOD path".
fn writes(counts: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts.into_iter().filter(|(k, n)| !k.starts_with("GET ") && *n > 0).collect()
}

/// The eAccounting handle keeps its counts (its reset also resets the
/// books), so its writes are counted from a snapshot.
fn books_writes_since(e: &Emulators, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let now = e.eaccounting.request_counts();
    writes(now.into_iter().map(|(k, n)| (k.clone(), n - before.get(&k).copied().unwrap_or(0))).collect())
}

#[test]
fn first_sync_creates_every_article_in_its_category_and_a_rerun_writes_nothing() {
    let e = trestle_e2e::books_and_empty_shop(60);
    let host = trestle_e2e::host();
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "category = \"Imported/From the books\"").unwrap();
    let first = run(&host, &t);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);

    let books = articles(&e);
    let shop = shop_products(&e);
    assert_eq!(shop.keys().cloned().collect::<BTreeSet<_>>(), article_numbers(&e), "every article became a product");
    assert_eq!(first.summary.synced as usize, books.len());
    for article in &books {
        let product = &shop[article["Number"].as_str().unwrap()];
        assert_eq!(product["name"], article["Name"]);
        assert_eq!(product["price"], article["GrossPrice"], "{product}");
        assert_eq!(product["active"], article["IsActive"]);
        assert_eq!(product["eannumber"], article["Barcodes"][0]["Barcode"]);
        assert_eq!(product["stock"], article["StockBalanceAvailable"], "initial stock from the books");
    }

    // One category path, created once, and every product linked to its leaf.
    let state = e.ccvshop.state();
    let categories: Vec<&Value> = state["shop"]["categories"].as_object().unwrap().values().collect();
    assert_eq!(categories.len(), 2, "{categories:?}");
    let root = categories.iter().find(|c| c["name"] == "Imported").expect("the root was created");
    let leaf = categories.iter().find(|c| c["name"] == "From the books").expect("the leaf was created");
    assert_eq!(leaf["parent_id"], root["id"]);
    let links: Vec<&Value> = state["shop"]["product_to_categories"].as_object().unwrap().values().collect();
    assert_eq!(links.len(), shop.len());
    assert!(links.iter().all(|l| l["category_id"] == leaf["id"]));
    let category_posts = e.ccvshop.request_counts().get("POST /api/rest/v1/categories").copied();
    assert_eq!(category_posts, Some(2), "each category once");
    assert!(categories.iter().all(|c| c["show_on_website"] == false), "created hidden: {categories:?}");

    // The activity log says, per product, where it went and what was sent.
    let q = ActivityQuery { record_kind: Some("product".into()), outcome: Some("synced".into()), ..Default::default() };
    let records = host.activity(&q).unwrap();
    assert_eq!(records.len(), books.len());
    let one = records.iter().find(|r| r.source_id.as_deref() == Some("SKU-00001")).unwrap();
    assert_eq!(one.target_id.as_deref(), Some(shop["SKU-00001"]["id"].to_string().as_str()));
    let sent: Value = serde_json::from_str(one.payload.as_deref().unwrap()).unwrap();
    assert_eq!(sent["name"], shop["SKU-00001"]["name"]);
    assert_eq!(sent["category"], json!(["Imported", "From the books"]));

    // Nothing changed: nothing is written, and the shop is not even asked.
    e.ccvshop.reset_request_counts();
    let books_before = e.eaccounting.request_counts();
    let second = run(&host, &t);
    assert_eq!((second.summary.synced, second.summary.parked), (0, 0), "{:?}", second.summary);
    assert_eq!(second.summary.skipped as usize, books.len());
    assert_eq!(e.ccvshop.request_counts().values().sum::<u64>(), 0, "{:?}", e.ccvshop.request_counts());
    assert!(books_writes_since(&e, &books_before).is_empty());
}

#[test]
fn a_changed_article_is_the_only_product_written() {
    let e = trestle_e2e::books_and_empty_shop(60);
    let host = trestle_e2e::host();
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap();
    run(&host, &t);
    let before = shop_products(&e);

    let changed =
        e.eaccounting.change_article("SKU-00003", &ArticleChange { net_price: Some(99.0), ..Default::default() });
    let gross = changed.unwrap()["GrossPrice"].clone();
    e.ccvshop.reset_request_counts();
    let report = run(&host, &t);
    assert_eq!(report.summary.synced, 1, "{:?}", report.summary);
    let id = &before["SKU-00003"]["id"];
    assert_eq!(
        writes(e.ccvshop.request_counts()),
        BTreeMap::from([("PATCH /api/rest/v1/products/{id}".to_string(), 1)])
    );
    let after = shop_products(&e);
    assert_eq!(after["SKU-00003"]["id"], *id);
    assert_eq!(after["SKU-00003"]["price"], gross);
    let others_unchanged = before.iter().filter(|(sku, _)| *sku != "SKU-00003").all(|(sku, p)| after[sku] == *p);
    assert!(others_unchanged, "only SKU-00003 changed in the shop");
}

#[test]
fn a_shop_enriched_description_survives_updates_unless_descriptions_are_switched_on() {
    let e = trestle_e2e::books_and_empty_shop(60);
    let host = trestle_e2e::host();
    run(&host, &tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap());
    let id = shop_products(&e)["SKU-00001"]["id"].as_u64().unwrap();
    let enriched = "<p>Hand-written in the shop: soft, organic cotton.</p>";
    e.ccvshop.update_product(id, json!({ "description": enriched })).unwrap();

    // The price changes in the books; the description is left alone.
    e.eaccounting.change_article("SKU-00001", &ArticleChange { net_price: Some(10.0), ..Default::default() }).unwrap();
    let kept = run(&host, &tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap());
    assert_eq!(kept.summary.synced, 1, "{:?}", kept.summary);
    let product = &shop_products(&e)["SKU-00001"];
    assert_eq!(product["price"], json!(12.1));
    assert_eq!(product["description"], enriched);

    // With `update.descriptions` on, the books' empty note is no reason to
    // blank it; a note written in the books wins.
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "update.descriptions = true").unwrap();
    let kept = run(&host, &t);
    assert_eq!(kept.summary.parked, 0, "{:?}", kept.summary);
    assert_eq!(shop_products(&e)["SKU-00001"]["description"], enriched);
    let books_note = Product {
        long_description: Some("Organic cotton, from the books".into()),
        ..stock_article("SKU-00001", "ignored")
    };
    write_product(&host, &t, "books", &books_note, UpdateMask::DESCRIPTIONS);
    let overwritten = run(&host, &t);
    assert_eq!(overwritten.summary.synced, 1, "only the article with a note: {:?}", overwritten.summary);
    assert_eq!(shop_products(&e)["SKU-00001"]["description"], "Organic cotton, from the books");
}

#[test]
fn filters_select_by_sku_prefix_and_active_only() {
    let e = trestle_e2e::books_and_empty_shop(60);
    let host = trestle_e2e::host();
    let settings = "filter.sku_prefix = \"SKU-0002\"\nfilter.active_only = true";
    let report = run(&host, &tenant(&host, &e, BOOKS_TO_SHOP, settings).unwrap());
    let expected: BTreeSet<String> = articles(&e)
        .iter()
        .filter(|a| a["IsActive"] == true)
        .filter_map(|a| a["Number"].as_str().filter(|n| n.starts_with("SKU-0002")).map(str::to_string))
        .collect();
    let inactive = |a: &Value| a["IsActive"] == false && a["Number"].as_str().unwrap().starts_with("SKU-0002");
    assert!(articles(&e).iter().any(inactive), "the seed has inactive articles in the range (SKU-00025's sizes)");
    assert!(expected.len() > 5);
    assert_eq!(shop_products(&e).keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(report.summary.synced as usize, expected.len());
}

#[test]
fn a_webhook_syncs_just_the_named_product() {
    let e = trestle_e2e::books_and_empty_shop(60);
    let host = trestle_e2e::host();
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap();
    let one = try_run(&host, &t, Trigger::RecordId("SKU-00007".into())).unwrap();
    assert_eq!(one.summary.synced, 1);
    assert_eq!(shop_products(&e).keys().collect::<Vec<_>>(), ["SKU-00007"]);
    let unknown = try_run(&host, &t, Trigger::RecordId("NO-SUCH-SKU".into())).unwrap();
    assert_eq!((unknown.summary.synced, unknown.summary.skipped), (0, 1));
    assert!(unknown.summary.notes[0].contains("no product with SKU NO-SUCH-SKU"), "{:?}", unknown.summary.notes);
}

#[test]
fn shop_to_books_creates_the_articles_the_books_lack_and_a_rerun_writes_nothing() {
    let e = Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let shop = shop_products(&e);
    let missing: BTreeSet<String> = shop.keys().filter(|sku| !article_numbers(&e).contains(*sku)).cloned().collect();
    assert!(missing.contains("SKU-00050"), "the seed leaves SKU-00050 out of the books");

    let t = tenant(&host, &e, SHOP_TO_BOOKS, "direction = \"shop-to-books\"").unwrap();
    let first = run(&host, &t);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    assert!(article_numbers(&e).is_superset(&shop.keys().cloned().collect()), "every shop product is an article");
    let created = articles(&e).into_iter().find(|a| a["Number"] == "SKU-00050").unwrap();
    assert_eq!(created["Name"], shop["SKU-00050"]["name"]);
    assert_eq!(created["GrossPrice"], shop["SKU-00050"]["price"]);
    assert_eq!(created["Note"], shop["SKU-00050"]["description"], "a create sends the descriptions too");

    let before = e.eaccounting.request_counts();
    let second = run(&host, &t);
    assert_eq!(second.summary.synced, 0, "{:?}", second.summary);
    assert!(books_writes_since(&e, &before).is_empty());
}

#[test]
fn a_product_the_target_refuses_is_parked_with_the_reason_and_written_once_fixed() {
    let e = Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let reduced: BTreeSet<String> =
        shop_products(&e).into_iter().filter(|(_, p)| p["taxtariff"] == "low a").map(|(sku, _)| sku).collect();
    assert!(!reduced.is_empty());

    // The books have no 12 % coding: every 9 % product is refused, the rest go on.
    let wrong = "direction = \"shop-to-books\"\nvat_rate.9 = 12";
    let first = run(&host, &tenant(&host, &e, SHOP_TO_BOOKS, wrong).unwrap());
    assert_eq!(first.summary.parked as usize, reduced.len(), "{:?}", first.summary);
    assert!(first.summary.notes.iter().any(|n| n.contains("VAT rate of 12%")), "{:?}", first.summary.notes);
    assert!(first.summary.synced > 0, "the other products were written: {:?}", first.summary);

    let fixed = run(&host, &tenant(&host, &e, SHOP_TO_BOOKS, "direction = \"shop-to-books\"").unwrap());
    assert_eq!(fixed.summary.parked, 0, "{:?}", fixed.summary.notes);
    let q = ActivityQuery { record_kind: Some("product".into()), run_id: Some(fixed.run_id), ..Default::default() };
    let retried: BTreeSet<String> = host.activity(&q).unwrap().into_iter().filter_map(|r| r.source_id).collect();
    assert!(retried.is_superset(&reduced), "every parked product was tried again");
}

#[test]
fn bad_settings_are_refused_naming_the_key_and_what_is_allowed() {
    let e = trestle_e2e::books_and_empty_shop(10);
    let host = trestle_e2e::host();
    for (setting, expected) in [
        ("direction = \"sideways\"", ["`direction`", "books-to-shop, shop-to-books"]),
        ("update.description = true", ["`update.description`", "update.descriptions"]),
        ("update.price = \"yes\"", ["`update.price`", "true or false"]),
        ("vat_rate.21 = \"high\"", ["`vat_rate.21`", "VAT percentage"]),
        ("filter.label = \"webshop\"", ["`filter.label`", "filter.expression"]),
    ] {
        let t = tenant(&host, &e, BOOKS_TO_SHOP, setting).unwrap();
        let err = format!("{:#}", try_run(&host, &t, Trigger::Scheduled).unwrap_err());
        assert!(expected.iter().all(|x| err.contains(x)), "{setting}: {err}");
    }
    assert!(shop_products(&e).is_empty(), "nothing was written");
}

#[test]
fn an_unbound_role_is_named_before_anything_runs() {
    let e = trestle_e2e::books_and_empty_shop(10);
    let host = trestle_e2e::host();
    let roles = "product-source = \"shop\", product-sink = \"books\"";
    let t = tenant(&host, &e, roles, "direction = \"shop-to-books\"").unwrap();
    let err = format!("{:#}", try_run(&host, &t, Trigger::Scheduled).unwrap_err());
    assert!(err.contains("needs a connection for the role `category-sink`"), "{err}");
}

/// Books -> shop against a shop whose products have size variants: the
/// books keep each variant as an article of its own (SKU-00005-M), which
/// the shop must not get as a second, simple product.
#[test]
fn a_variants_sku_is_skipped_with_the_reason_never_created_as_a_product() {
    let e = Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let state = e.ccvshop.state();
    let products_before = state["shop"]["products"].as_object().unwrap().len();
    let sku_of = |c: &Value| c["sku_number"].as_str().unwrap().to_string();
    let variants: BTreeMap<String, Value> =
        state["shop"]["attribute_combinations"].as_object().unwrap().values().map(|c| (sku_of(c), c.clone())).collect();
    let in_books: BTreeSet<String> = article_numbers(&e).into_iter().filter(|sku| variants.contains_key(sku)).collect();
    assert!(in_books.contains("SKU-00005-M"), "the books keep variants as articles: {in_books:?}");

    let t = tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap();
    let first = run(&host, &t);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    let state = e.ccvshop.state();
    let numbers: Vec<&str> =
        state["shop"]["products"].as_object().unwrap().values().filter_map(|p| p["productnumber"].as_str()).collect();
    let duplicates: Vec<&&str> = numbers.iter().filter(|n| variants.contains_key(**n)).collect();
    assert!(duplicates.is_empty(), "variants duplicated as products: {duplicates:?}");
    assert_eq!(numbers.len(), products_before, "every article is a product or a variant in the shop already");
    let counts = e.ccvshop.request_counts();
    assert_eq!(counts.get("POST /api/rest/v1/products").copied().unwrap_or(0), 0, "{counts:?}");
    assert_eq!(counts.get("GET /api/rest/v1/productqueries").copied().unwrap_or(0), 0, "variants not asked one by one");

    // Each variant article is reported skipped, saying what it is in the shop.
    let q =
        ActivityQuery { record_kind: Some("product".into()), outcome: Some("skipped".into()), ..Default::default() };
    let skipped: BTreeMap<String, String> =
        host.activity(&q).unwrap().into_iter().filter_map(|r| Some((r.source_id?, r.message))).collect();
    for sku in &in_books {
        let reason = skipped.get(sku).unwrap_or_else(|| panic!("{sku} is not reported skipped: {skipped:?}"));
        let size = sku.rsplit('-').next().unwrap();
        let parent = &sku[..sku.len() - size.len() - 1];
        let expected = format!(
            "{sku} is a variant (Size: {size}) of product {parent} in the shop; the products flow writes simple \
             products only; its stock is kept by the stock flow"
        );
        assert!(reason.contains(&expected), "{reason}");
    }

    // Remembered: a rerun neither writes nor asks the shop anything.
    e.ccvshop.reset_request_counts();
    let second = run(&host, &t);
    assert_eq!((second.summary.synced, second.summary.parked), (0, 0), "{:?}", second.summary);
    assert_eq!(e.ccvshop.request_counts().values().sum::<u64>(), 0, "{:?}", e.ccvshop.request_counts());

    // A changed variant article is looked at again, and still not written.
    e.eaccounting
        .change_article("SKU-00005-M", &ArticleChange { net_price: Some(42.0), ..Default::default() })
        .unwrap();
    e.ccvshop.reset_request_counts();
    let third = run(&host, &t);
    assert_eq!((third.summary.synced, third.summary.parked), (0, 0), "{:?}", third.summary);
    assert!(third.summary.notes.iter().any(|n| n.starts_with("SKU-00005-M is a variant")), "{:?}", third.summary.notes);
    assert!(writes(e.ccvshop.request_counts()).is_empty(), "{:?}", e.ccvshop.request_counts());
}

#[test]
fn with_shop_failures_every_created_product_still_gets_its_initial_stock() {
    let e = trestle_e2e::books_and_empty_shop(40);
    e.ccvshop.set_faults(emulator_kit::FaultConfig { error_rate: 0.25, seed: 5, ..Default::default() }).unwrap();
    let host = trestle_e2e::host();
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap();
    // A product the shop created before a later write (its stock) failed is
    // parked; the next runs finish it.
    let mut runs = 0;
    let mut parked_any = false;
    loop {
        runs += 1;
        let report = run(&host, &t);
        parked_any |= report.summary.parked > 0;
        if report.summary.parked == 0 {
            break;
        }
        assert!(runs < 15, "no convergence after {runs} runs: {:?}", report.summary.notes);
    }
    assert!(parked_any, "the faults hit some writes");
    e.ccvshop.set_faults(Default::default()).unwrap();
    let shop = shop_products(&e);
    assert_eq!(shop.keys().cloned().collect::<BTreeSet<_>>(), article_numbers(&e), "every article, once");
    for article in articles(&e) {
        let product = &shop[article["Number"].as_str().unwrap()];
        assert_eq!(product["stock"], article["StockBalanceAvailable"], "initial stock of {}", article["Number"]);
    }
}

/// A shop that already has products, categories and variants before the
/// first products run, and books with articles under the same SKUs (the
/// seed gives both the same catalogue). The run changes only what the books
/// say otherwise: no category link is added to an existing product, what
/// the shop knows and the books do not (an EAN, descriptions) stays, stock
/// and activity stay, variant parents are not touched, and the default
/// category is for the one product the flow creates, made hidden.
#[test]
fn a_first_run_against_a_shop_with_its_own_catalogue_changes_only_what_the_books_changed() {
    let e = Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let settings = "category = \"Imported/New\"\nupdate.descriptions = true";
    let t = tenant(&host, &e, BOOKS_TO_SHOP, settings).unwrap();

    // The shop knows more of SKU-00004 than the books: an EAN, and it is
    // off sale with 18 in stock. The books agree it is off sale and change
    // its price.
    let own = shop_products(&e)["SKU-00004"].clone();
    assert!(own["eannumber"].is_null() && own["description"] != "", "the seed gives it no EAN but a text: {own}");
    let id = own["id"].as_u64().unwrap();
    e.ccvshop.update_product(id, json!({ "eannumber": "8712345999986", "active": false, "stock": 18 })).unwrap();
    let changed = ArticleChange { net_price: Some(50.0), is_active: Some(false), ..Default::default() };
    let gross = e.eaccounting.change_article("SKU-00004", &changed).unwrap()["GrossPrice"].clone();
    // And the books have one article the shop lacks.
    write_product(&host, &t, "books", &stock_article("GIFT-WRAP", "Gift wrap"), UpdateMask::all());
    e.eaccounting
        .change_article("GIFT-WRAP", &ArticleChange { stock_balance: Some(12.0), ..Default::default() })
        .unwrap();

    let before = shop_products(&e);
    let combinations_before = shop_records(&e, "attribute_combinations");
    let categories_before = shop_records(&e, "categories");
    let links_before = shop_records(&e, "product_to_categories");
    assert!(before.values().any(|p| p["active"] == false && p["eannumber"].is_string() && p["stock"] != 0.0));
    assert!(!combinations_before.is_empty() && !links_before.is_empty());
    e.ccvshop.reset_request_counts();

    let first = run(&host, &t);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    let after = shop_products(&e);

    // Written: SKU-00004's price, and the new product with its stock, its
    // category path and one link. Nothing else.
    let expected = BTreeMap::from([
        ("PATCH /api/rest/v1/products/{id}".to_string(), 2),
        ("POST /api/rest/v1/categories".to_string(), 2),
        ("POST /api/rest/v1/products".to_string(), 1),
        ("POST /api/rest/v1/producttocategories".to_string(), 1),
    ]);
    assert_eq!(writes(e.ccvshop.request_counts()), expected);
    let four = &after["SKU-00004"];
    assert_eq!(four["price"], gross);
    let kept = ["eannumber", "active", "stock", "shortdescription", "description", "unit", "name"];
    for field in kept {
        assert_eq!(four[field], before["SKU-00004"][field], "SKU-00004 `{field}`");
    }
    for (sku, product) in before.iter().filter(|(sku, _)| *sku != "SKU-00004") {
        assert_eq!(after[sku], *product, "{sku} changed though the books did not change it");
    }
    assert_eq!(shop_records(&e, "attribute_combinations"), combinations_before, "variants untouched");

    // No category link added to an existing product; the new one is in the
    // default category, created hidden.
    let links = shop_records(&e, "product_to_categories");
    let new_links: Vec<&Value> = links.iter().filter(|l| !links_before.contains(l)).collect();
    assert_eq!(new_links.len(), 1, "{new_links:?}");
    let gift = &after["GIFT-WRAP"];
    assert_eq!((new_links[0]["product_id"].clone(), gift["stock"].clone()), (gift["id"].clone(), json!(12.0)));
    let categories = shop_records(&e, "categories");
    let created: Vec<&Value> = categories.iter().filter(|c| !categories_before.contains(c)).collect();
    let names: BTreeSet<&str> = created.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Imported", "New"]));
    assert!(created.iter().all(|c| c["show_on_website"] == false), "{created:?}");
    let leaf = created.iter().find(|c| c["name"] == "New").unwrap();
    assert_eq!(new_links[0]["category_id"], leaf["id"]);

    // A rerun writes nothing.
    e.ccvshop.reset_request_counts();
    let second = run(&host, &t);
    assert_eq!((second.summary.synced, second.summary.parked), (0, 0), "{:?}", second.summary);
    assert!(writes(e.ccvshop.request_counts()).is_empty(), "{:?}", e.ccvshop.request_counts());
}

/// `category_visible = true` makes the categories the flow creates visible.
#[test]
fn with_category_visible_the_categories_the_flow_creates_are_shown() {
    let e = trestle_e2e::books_and_empty_shop(5);
    let host = trestle_e2e::host();
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "category = \"Imported/New\"\ncategory_visible = true").unwrap();
    run(&host, &t);
    let categories = shop_records(&e, "categories");
    assert_eq!(categories.len(), 2);
    assert!(categories.iter().all(|c| c["show_on_website"] == true), "{categories:?}");
}

/// A product that exists only in the shop (inactive, with an EAN and 18 in
/// stock) and that another flow copied into the books from the shop's data
/// (no EAN: a sold order row does not carry it): the books report the
/// article as shop-originated, so the products flow writes nothing back
/// and says why. Once a bookkeeper changes the article, it is the books'
/// own, and only what they changed reaches the shop.
#[test]
fn a_shop_originated_article_is_not_written_back_until_the_books_change_it() {
    let e = trestle_e2e::books_and_empty_shop(5);
    let host = trestle_e2e::host();
    let t = tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap();
    run(&host, &t);
    let shop_own = Product {
        ean: Some("8712345999993".into()),
        active: false,
        long_description: Some("<p>Written in the shop.</p>".into()),
        ..stock_article("SHOP-ONLY", "Candle")
    };
    write_product(&host, &t, "shop", &shop_own, UpdateMask::all());
    let id = shop_products(&e)["SHOP-ONLY"]["id"].as_u64().unwrap();
    e.ccvshop.update_product(id, json!({ "stock": 18 })).unwrap();
    let copy = Product { ean: None, long_description: None, origin: Some("shop".into()), ..shop_own.clone() };
    write_product(&host, &t, "books", &copy, UpdateMask::all());
    let before = shop_products(&e)["SHOP-ONLY"].clone();

    e.ccvshop.reset_request_counts();
    let first = run(&host, &t);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    assert_eq!(shop_products(&e)["SHOP-ONLY"], before, "the shop's record is left as it was");
    assert!(writes(e.ccvshop.request_counts()).is_empty(), "{:?}", e.ccvshop.request_counts());
    let q = ActivityQuery { record_kind: Some("product".into()), run_id: Some(first.run_id), ..Default::default() };
    let record = host.activity(&q).unwrap().into_iter().find(|r| r.source_id.as_deref() == Some("SHOP-ONLY")).unwrap();
    assert_eq!(record.outcome.as_deref(), Some("skipped"));
    assert!(record.message.contains("created it from the shop's record"), "{}", record.message);
    let summary = first.summary.notes.join("\n");
    assert!(summary.contains("1 products the books created from the shop's own records"), "{summary}");

    // Reported once; a rerun only counts it.
    let second = run(&host, &t);
    let q = ActivityQuery { record_kind: Some("product".into()), run_id: Some(second.run_id), ..Default::default() };
    assert!(host.activity(&q).unwrap().iter().all(|r| r.source_id.as_deref() != Some("SHOP-ONLY")));
    assert_eq!(second.summary.synced, 0);

    // A bookkeeper changes the price: now the books' own, and only the
    // price reaches the shop; the EAN, text and stock the books never had stay.
    let gross = e
        .eaccounting
        .change_article("SHOP-ONLY", &ArticleChange { net_price: Some(3.0), ..Default::default() })
        .unwrap()["GrossPrice"]
        .clone();
    let third = run(&host, &t);
    assert_eq!(third.summary.synced, 1, "{:?}", third.summary);
    let after = shop_products(&e)["SHOP-ONLY"].clone();
    assert_eq!(after["price"], gross);
    for field in ["eannumber", "description", "stock", "active", "name"] {
        assert_eq!(after[field], before[field], "`{field}`");
    }
}

/// Shop -> books: what the flow creates in the books is a non-stock
/// article remembered as the shop's copy, so the stock flow leaves the
/// shop's stock alone and the products flow going back does not write it.
#[test]
fn shop_to_books_creates_non_stock_articles_that_go_back_to_no_one() {
    let e = Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = trestle_e2e::host();
    let up = tenant(&host, &e, SHOP_TO_BOOKS, "direction = \"shop-to-books\"").unwrap();
    run(&host, &up);
    let created = articles(&e).into_iter().find(|a| a["Number"] == "SKU-00050").expect("created from the shop");
    assert_eq!(created["IsStock"], false, "the shop keeps the stock: {created}");

    let before = shop_products(&e);
    e.ccvshop.reset_request_counts();
    let down = run(&host, &tenant(&host, &e, BOOKS_TO_SHOP, "").unwrap());
    assert_eq!(down.summary.parked, 0, "{:?}", down.summary.notes);
    assert_eq!(shop_products(&e), before);
    assert!(writes(e.ccvshop.request_counts()).is_empty(), "{:?}", e.ccvshop.request_counts());
    let q = ActivityQuery { record_kind: Some("product".into()), run_id: Some(down.run_id), ..Default::default() };
    let record = host.activity(&q).unwrap().into_iter().find(|r| r.source_id.as_deref() == Some("SKU-00050")).unwrap();
    assert!(record.message.contains("created it from the shop's record"), "{}", record.message);
}
