//! Every flow, run twice against a shop and books that already hold data
//! (products in categories, variants, shop-only products, customers on both
//! sides), changes nothing the source did not change: field by field for
//! shop products, category links, stock levels, books customers and
//! articles. Then one change at each source reaches exactly its target.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::Host;
use trestle_host::bindings::Trigger;
use trestle_host::tenant::{PreparedTenant, TenantConfig};

const FLOWS: &[&str] = &["orders", "customers", "stock", "products"];

/// 100 catalogue items: two of them only in the shop (the generator leaves
/// one in fifty out of the books), eight with variants.
fn emulators() -> Emulators {
    Emulators::start(Options { orders: 60, products: 100, rate_limits: false, ..Options::default() }).unwrap()
}

/// The demo's flows plus the products flow, books -> shop: every flow a
/// tenant would switch on, missing articles created from the shop's data.
fn tenant(host: &Host, e: &Emulators) -> PreparedTenant {
    let config = format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\
         [flows.orders]\nroles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n\
         [flows.orders.settings.article]\nshipping = {{ 21 = \"SHIPPING-21\", 9 = \"SHIPPING-9\", default = \"SHIPPING-21\" }}\n\
         payment-fee = {{ 21 = \"PAYMENT-FEE-21\", default = \"PAYMENT-FEE-21\" }}\n\
         discount = {{ 21 = \"DISCOUNT-21\", 9 = \"DISCOUNT-9\", default = \"DISCOUNT-21\" }}\n\
         coupon = {{ 21 = \"DISCOUNT-21\", 9 = \"DISCOUNT-9\", default = \"DISCOUNT-21\" }}\n\
         extra-cost = {{ 21 = \"EXTRA-COST-21\", default = \"EXTRA-COST-21\" }}\n\
         [flows.customers]\nroles = {{ customer-source = \"shop\", customer-sink = \"books\" }}\n\
         [flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n\
         [flows.products]\nroles = {{ product-source = \"books\", product-sink = \"shop\", category-sink = \"shop\", \
         stock-sink = \"shop\" }}\n[flows.products.settings]\ndirection = \"books-to-shop\"\ncategory = \"Imported/New\"\n",
        e.connection_settings().tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|err| panic!("{err:#}"))
}

fn run_every_flow(host: &Host, tenant: &PreparedTenant) {
    for flow in FLOWS {
        let run = tenant.flow_run(host, &Builtins, flow, Trigger::Scheduled).unwrap();
        let report = host.run_flow(run).unwrap_or_else(|err| panic!("the {flow} run failed: {err:#}"));
        assert_eq!(report.summary.failed, 0, "{flow}: {:?}", report.summary.notes);
    }
}

/// What a shop owner and a bookkeeper would look at.
#[derive(Debug, Clone, PartialEq)]
struct Picture {
    /// SKU -> the product as the shop keeps it (without its modify date).
    products: BTreeMap<String, Value>,
    /// SKU -> the names of the categories it is linked to.
    links: BTreeMap<String, BTreeSet<String>>,
    /// Variant SKU -> its combination as the shop keeps it.
    variants: BTreeMap<String, Value>,
    /// Category name -> the category.
    categories: BTreeMap<String, Value>,
    /// Customer number -> the books' customer (without its change date).
    customers: BTreeMap<String, Value>,
    /// Article number -> the books' article (without its change date).
    articles: BTreeMap<String, Value>,
}

fn without(mut v: Value, fields: &[&str]) -> Value {
    if let Some(o) = v.as_object_mut() {
        for f in fields {
            o.remove(*f);
        }
    }
    v
}

fn picture(e: &Emulators) -> Picture {
    let shop = e.ccvshop.state()["shop"].clone();
    let by_id = |kind: &str| -> Vec<Value> {
        shop[kind].as_object().unwrap_or_else(|| panic!("the shop dump lists {kind}")).values().cloned().collect()
    };
    let products: Vec<Value> = by_id("products");
    let sku_of: BTreeMap<u64, String> = products
        .iter()
        .map(|p| (p["id"].as_u64().unwrap(), p["productnumber"].as_str().unwrap().to_string()))
        .collect();
    let categories = by_id("categories");
    let category_name: BTreeMap<u64, String> =
        categories.iter().map(|c| (c["id"].as_u64().unwrap(), c["name"].as_str().unwrap().to_string())).collect();
    let mut links: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for link in by_id("product_to_categories") {
        let sku = sku_of[&link["product_id"].as_u64().unwrap()].clone();
        links.entry(sku).or_default().insert(category_name[&link["category_id"].as_u64().unwrap()].clone());
    }
    let books = e.eaccounting.state()["books"].clone();
    let books_list = |kind: &str, key: &str| -> BTreeMap<String, Value> {
        books[kind]
            .as_array()
            .unwrap_or_else(|| panic!("the books dump lists {kind}"))
            .iter()
            .map(|item| (item[key].as_str().unwrap().to_string(), without(item.clone(), &["ChangedUtc"])))
            .collect()
    };
    Picture {
        products: products
            .iter()
            .map(|p| (p["productnumber"].as_str().unwrap().to_string(), without(p.clone(), &["modifydate"])))
            .collect(),
        links,
        variants: by_id("attribute_combinations")
            .into_iter()
            .map(|v| (v["sku_number"].as_str().unwrap().to_string(), v))
            .collect(),
        categories: categories.into_iter().map(|c| (c["name"].as_str().unwrap().to_string(), c)).collect(),
        customers: books_list("customers", "CustomerNumber"),
        articles: books_list("articles", "Number"),
    }
}

/// Field-by-field differences between two maps of records, for messages
/// that name what changed.
fn differences(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, old) in before {
        let Some(new) = after.get(key) else {
            out.push(format!("{key}: removed"));
            continue;
        };
        for (field, value) in old.as_object().into_iter().flatten() {
            if new.get(field) != Some(value) {
                out.push(format!("{key}.{field}: {value} -> {}", new.get(field).unwrap_or(&Value::Null)));
            }
        }
        for field in new.as_object().into_iter().flatten().map(|(f, _)| f).filter(|f| old.get(f.as_str()).is_none()) {
            out.push(format!("{key}.{field}: added {}", new[field]));
        }
    }
    out.extend(after.keys().filter(|k| !before.contains_key(*k)).map(|k| format!("{k}: added")));
    out
}

fn writes(counts: BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts
        .into_iter()
        .map(|(k, n)| {
            let since = n - before.get(&k).copied().unwrap_or(0);
            (k, since)
        })
        .filter(|(k, n)| !k.starts_with("GET ") && *n > 0)
        .collect()
}

#[test]
fn every_flow_twice_changes_nothing_the_source_did_not_change() {
    let e = emulators();
    let host = trestle_e2e::host();
    let t = tenant(&host, &e);
    let shop_only: Vec<String> = e.ccvshop.state()["shop"]["products"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| p["in_books"] == false)
        .map(|p| p["productnumber"].as_str().unwrap().to_string())
        .collect();
    assert!(!shop_only.is_empty(), "the seed has products only the shop knows");
    // Each is sold once, so the orders flow has to create its article.
    for sku in &shop_only {
        let rows = vec![ccvshop_emulator::NewOrderRow { sku: sku.clone(), count: 1.0 }];
        e.ccvshop.place_order(&ccvshop_emulator::NewOrder { rows, paid: true, ..Default::default() }).unwrap();
    }
    let before = picture(&e);
    let parents: BTreeSet<u64> =
        before.variants.values().map(|v| v["product_id"].as_u64().unwrap()).collect::<BTreeSet<_>>();

    run_every_flow(&host, &t);
    let first = picture(&e);

    // Products only the shop knows (some sold, so created in the books from
    // the order) are exactly as they were: active, EAN, stock, categories.
    for sku in &shop_only {
        assert_eq!(first.products[sku], before.products[sku], "shop-only product {sku} changed");
        assert_eq!(first.links.get(sku), before.links.get(sku), "shop-only product {sku}'s categories changed");
        // Its article in the books copies what the shop knows.
        let (article, product) = (&first.articles[sku], &before.products[sku]);
        assert_eq!(article["Name"], product["name"], "{sku}");
        assert_eq!(article["IsActive"], product["active"], "{sku}");
        assert_eq!(article["Barcodes"][0]["Barcode"], product["eannumber"], "{sku}");
    }
    // Products that were in the shop before keep their categories; the
    // default category is for products the flow creates.
    for (sku, categories) in &before.links {
        assert_eq!(first.links.get(sku), Some(categories), "{sku} was linked to another category");
    }
    // A product with variants keeps its own stock: stock goes to variants.
    for (sku, product) in &before.products {
        if parents.contains(&product["id"].as_u64().unwrap()) {
            assert_eq!(first.products[sku]["stock"], product["stock"], "stock written onto {sku}, which has variants");
        }
    }
    // Customers the books held keep their names, addresses and contacts
    // (both sides were seeded from the same people: the source did not
    // change them).
    let kept = ["Name", "EmailAddress", "InvoiceAddress1", "InvoiceAddress2", "ContactPersonName", "Telephone"];
    for (number, customer) in &before.customers {
        for field in kept {
            assert_eq!(
                first.customers[number].get(field),
                customer.get(field),
                "books customer {number}'s {field} was rewritten"
            );
        }
    }
    // The cost articles the orders flow created are services the books
    // bill, never products in the shop.
    let services: Vec<&String> = first
        .articles
        .keys()
        .filter(|n| !before.articles.contains_key(*n) && !before.products.contains_key(*n))
        .collect();
    assert!(!services.is_empty(), "the orders flow created cost articles");
    for number in services {
        assert!(!first.products.contains_key(number), "cost article {number} became a shop product");
    }
    // Existing categories are left as they were.
    for (name, category) in &before.categories {
        assert_eq!(first.categories.get(name), Some(category), "category {name} changed");
    }

    // The second round finds nothing to do: no write to either side, and
    // every record reads exactly as after the first.
    let shop_counts = e.ccvshop.request_counts();
    let books_counts = e.eaccounting.request_counts();
    run_every_flow(&host, &t);
    let second = picture(&e);
    assert_eq!(writes(e.ccvshop.request_counts(), &shop_counts), BTreeMap::new(), "the shop was written to again");
    assert_eq!(
        writes(e.eaccounting.request_counts(), &books_counts),
        BTreeMap::new(),
        "the books were written to again"
    );
    assert_eq!(differences(&first.products, &second.products), Vec::<String>::new());
    assert_eq!(differences(&first.variants, &second.variants), Vec::<String>::new());
    assert_eq!(differences(&first.customers, &second.customers), Vec::<String>::new());
    assert_eq!(differences(&first.articles, &second.articles), Vec::<String>::new());
    assert_eq!(first.links, second.links);

    // One change at each source reaches its target, and nothing else moves.
    let sku = before
        .articles
        .keys()
        .find(|n| before.products.contains_key(*n) && !parents.contains(&before.products[*n]["id"].as_u64().unwrap()))
        .expect("a simple product both sides know")
        .clone();
    let net = first.articles[&sku]["NetPrice"].as_f64().unwrap() + 1.0;
    e.eaccounting
        .change_article(&sku, &eaccounting_emulator::ArticleChange { net_price: Some(net), ..Default::default() })
        .unwrap();
    run_every_flow(&host, &t);
    let third = picture(&e);
    let changed = differences(&second.products, &third.products);
    assert!(
        !changed.is_empty() && changed.iter().all(|d| d.starts_with(&format!("{sku}.price"))),
        "only {sku}'s price should change in the shop: {changed:?}"
    );
    assert_eq!(differences(&second.customers, &third.customers), Vec::<String>::new());
    assert_eq!(second.links, third.links);
}
