//! The deterministic starting shop: the kit's catalogue and people turned into
//! products, variants, categories, users and orders of every kind a connector
//! must handle.

use chrono::{DateTime, Duration, TimeZone, Utc};
use emulator_kit::seed::{self, CatalogueItem, round2};

use crate::config::Config;
use crate::model::people::is_other_eu_country;
use crate::model::{
    AttributeCombination, Category, Coupon, Customer, Order, OrderRow, Paymethod, Product, ProductToCategory, Shop,
    StockType, Stored, TaxTariff, User,
};

/// Package every seeded product ships in (`/packages` is not emulated).
pub const DEFAULT_PACKAGE_ID: u64 = 1;

/// Statuses seeded orders cycle through: new, in process, waiting for
/// payment, sent, delivered, completed, cancelled, backorder.
const STATUSES: &[u8] = &[1, 2, 4, 5, 6, 7, 8, 13];

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 8, 0, 0).single().expect("valid seed epoch")
}

pub fn shop(config: &Config) -> Shop {
    let mut shop = Shop { next_ordernumber: 1000, next_invoicenumber: 2025000, ..Shop::default() };
    let catalogue = seed::catalogue(config.seed, config.products);
    add_paymethods(&mut shop);
    add_catalogue(&mut shop, &catalogue);
    let people = seed::people(config.seed, config.users.max(1));
    for (i, person) in people.iter().enumerate() {
        let id = shop.new_id();
        let user = User {
            id,
            username: person.email.clone(),
            group_id: person.company.as_ref().map(|_| 2),
            status: true,
            approval_status: if i % 10 == 9 { "pending" } else { "accepted" }.to_string(),
            customer: Customer::from_person(person.clone()),
        };
        shop.users.insert(id, user);
    }
    for i in 0..config.orders {
        let order = seeded_order(&mut shop, i);
        shop.orders.insert(order.id, order);
    }
    shop
}

fn add_paymethods(shop: &mut Shop) {
    for (psp, method, label, costs) in [
        ("ccvpay", "ideal", "iDEAL", 0.0),
        ("paypal", "paypal", "PayPal", 0.35),
        ("manual", "banktransfer", "Bank transfer", 0.0),
        ("manual", "invoice", "Pay by invoice", 1.95),
    ] {
        let id = shop.new_id();
        let paymethod =
            Paymethod { id, psp: psp.into(), method: method.into(), label: label.into(), extra_costs_fixed: costs };
        shop.paymethods.insert(id, paymethod);
    }
}

fn add_catalogue(shop: &mut Shop, catalogue: &[CatalogueItem]) {
    for (i, item) in catalogue.iter().enumerate() {
        let id = shop.new_id();
        let created = epoch() - Duration::days(200 - i as i64);
        let product = Product {
            id,
            productnumber: item.sku.clone(),
            eannumber: item.ean.clone(),
            mpnnumber: (i % 4 == 0).then(|| format!("MPN-{:04}", i + 1)),
            name: item.name.clone(),
            shortdescription: item.short_description.clone(),
            description: item.description.clone(),
            active: item.active,
            createdate: created,
            modifydate: created + Duration::days(3),
            price: item.price_incl_vat(),
            discount: if i % 6 == 2 { round2(item.price_incl_vat() * 0.1) } else { 0.0 },
            purchaseprice: round2(item.price_excl_vat * 0.55),
            taxtariff: TaxTariff::from_rate(item.vat_rate).expect("kit rates are 21, 9 or 0"),
            stockenabled: true,
            stocktype: if item.variants.is_empty() { StockType::Product } else { StockType::Combination },
            stock: item.stock,
            unit: item.unit.clone(),
            weight: 0.5,
            package_id: DEFAULT_PACKAGE_ID,
            stored: Stored::new(),
            in_books: item.in_books,
        };
        shop.products.insert(id, product);
        for variant in &item.variants {
            let combination_id = shop.new_id();
            let combination = AttributeCombination {
                id: combination_id,
                product_id: id,
                product_number: Some(item.sku.clone()),
                sku_number: variant.sku.clone(),
                ean_number: Some(variant.ean.clone()),
                stock: variant.stock,
                active: true,
                combination: variant.attributes.clone(),
            };
            shop.attribute_combinations.insert(combination_id, combination);
        }
        let category_id = category_path(shop, &item.category);
        let link_id = shop.new_id();
        let link = ProductToCategory { id: link_id, product_id: id, category_id, position: i as u64 + 1 };
        shop.product_to_categories.insert(link_id, link);
    }
}

/// The id of the leaf category of `path`, creating the path as needed.
fn category_path(shop: &mut Shop, path: &[String]) -> u64 {
    let mut parent = None;
    for name in path {
        let existing = shop.categories.values().find(|c| &c.name == name && c.parent_id == parent).map(|c| c.id);
        let id = existing.unwrap_or_else(|| {
            let id = shop.new_id();
            let position = shop.categories.values().filter(|c| c.parent_id == parent).count() as u64 + 1;
            let category = Category {
                id,
                name: name.clone(),
                description: format!("All {name}"),
                position,
                parent_id: parent,
                show_on_website: true,
                stored: Stored::new(),
            };
            shop.categories.insert(id, category);
            id
        });
        parent = Some(id);
    }
    parent.expect("catalogue categories are never empty")
}

/// Order `i`: the index decides each trait, so every kind recurs regularly
/// (guest every 4th, abandoned basket every 20th, coupon every 7th, …).
fn seeded_order(shop: &mut Shop, i: usize) -> Order {
    let user_ids: Vec<u64> = shop.users.keys().copied().collect();
    let user_id = user_ids[i % user_ids.len()];
    let customer = shop.users[&user_id].customer.clone();
    let country = customer.person.country_code.clone();
    let is_company = customer.person.company.is_some();
    let is_intra_community_order = is_company && is_other_eu_country(&country);
    // Outside the EU the sale is an export: no Dutch VAT either.
    let zero_vat = is_intra_community_order || !(country == "NL" || is_other_eu_country(&country));
    let prices_include_tax = !is_company && !zero_vat;
    let paymethod_ids: Vec<u64> = shop.paymethods.keys().copied().collect();
    let paymethod = shop.paymethods[&paymethod_ids[i % paymethod_ids.len()]].clone();
    let is_completed = i % 20 != 19;
    let status = is_completed.then(|| STATUSES[i % STATUSES.len()]);
    let paid = matches!(status, Some(s) if s != 4 && s != 8) && i % 11 != 10;
    let rows = seeded_rows(shop, i, prices_include_tax, zero_vat);
    let id = shop.new_id();
    let abroad = country != "NL";
    let mut order = Order {
        id,
        ordernumber: None,
        invoicenumber: None,
        create_date: epoch() + Duration::hours(7 * i as i64) + Duration::minutes((i * 13 % 60) as i64),
        status,
        is_completed,
        paid,
        user_id: (i % 4 != 3).then_some(user_id),
        customer,
        paymethod_id: paymethod.id,
        transaction_id: paid.then(|| format!("TR{:08}", 40_000 + i)),
        deliver_method: if i % 9 == 8 { "pickup" } else { "shipping" }.to_string(),
        prices_include_tax,
        is_intra_community_order,
        shipping_tax_percentage: if zero_vat { 0.0 } else { 21.0 },
        total_shipping: match (i % 9 == 8, abroad) {
            (true, _) => 0.0,
            (false, false) => 4.95,
            (false, true) => 12.5,
        },
        paymethod_costs: paymethod.extra_costs_fixed,
        extra_costs: if i % 13 == 5 { 2.5 } else { 0.0 },
        coupon: (i % 7 == 3).then(|| Coupon { code: format!("WELCOME{}", i % 3 + 5), discount: 5.0 }),
        track_and_trace_code: matches!(status, Some(5..=7)).then(|| format!("3SABCD{:07}", i)),
        track_and_trace_carrier: matches!(status, Some(5..=7)).then(|| "postnl".to_string()),
        rows,
    };
    shop.number_order(&mut order);
    order
}

/// One to four rows from the catalogue (variants via their combination);
/// every 10th order also buys an item the books do not know.
fn seeded_rows(shop: &mut Shop, i: usize, prices_include_tax: bool, zero_vat: bool) -> Vec<OrderRow> {
    let sellable: Vec<u64> = shop.products.values().filter(|p| p.active && p.in_books).map(|p| p.id).collect();
    let mut picks: Vec<u64> = (0..1 + i % 4).map(|k| sellable[(i * 7 + k * 5) % sellable.len()]).collect();
    picks.dedup();
    if i.is_multiple_of(10)
        && let Some(unknown) = shop.products.values().find(|p| !p.in_books)
    {
        picks.push(unknown.id);
    }
    picks
        .into_iter()
        .enumerate()
        .map(|(k, product_id)| {
            let combination_id = shop
                .attribute_combinations
                .values()
                .filter(|c| c.product_id == product_id)
                .nth((i + k) % 4)
                .map(|c| c.id);
            let mut row =
                row_for_product(shop, product_id, combination_id, (1 + (i + k) % 3) as f64, prices_include_tax);
            if zero_vat {
                row.tax = 0.0;
            }
            if (i + k) % 5 == 2 && row.discount == 0.0 {
                row.discount = round2(row.price * 0.1);
            }
            row
        })
        .collect()
}

/// A row filled from a product (and optionally one of its combinations), as
/// the shop does for `product_id` in an order POST.
pub fn row_for_product(
    shop: &mut Shop,
    product_id: u64,
    combination_id: Option<u64>,
    count: f64,
    prices_include_tax: bool,
) -> OrderRow {
    let id = shop.new_id();
    let product = &shop.products[&product_id];
    let combination = combination_id.map(|c| &shop.attribute_combinations[&c]);
    let rate = product.taxtariff.rate();
    // Catalogue prices include VAT; excl.-VAT orders carry them net.
    let to_basis = |v: f64| {
        if prices_include_tax { v } else { round2(v / (1.0 + rate / 100.0)) }
    };
    OrderRow {
        id,
        product_id: Some(product_id),
        attribute_combination_id: combination_id,
        product_name: product.name.clone(),
        product_number: product.productnumber.clone(),
        sub_sku_number: combination.map(|c| c.sku_number.clone()),
        sub_ean_number: combination.and_then(|c| c.ean_number.clone()),
        count,
        price: to_basis(product.price),
        discount: to_basis(product.discount),
        tax: rate,
        unit: product.unit.clone(),
        weight: product.weight,
        package_id: product.package_id,
        attributes: combination.map(|c| c.combination.clone()).unwrap_or_default(),
        purchase_price: Some(product.purchaseprice),
        custom_price: false,
    }
}
