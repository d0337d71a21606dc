//! product-source and product-sink: CCV products found and written by their
//! SKU (`productnumber`); a variant's SKU is never written (see `variants`).
//! CCV prices are incl. VAT; read and write names differ (`is_active` /
//! `active`, spec §7).

use serde_json::{Map, Value, json};
use trestle_guest::Error;
use trestle_guest::types::Product;

use crate::categories::Tree;
use crate::client::{Client, api, query};
use crate::exports::trestle::sync::product_sink::{UpdateMask, UpsertOutcome, UpsertResult};
use crate::exports::trestle::sync::product_source::{ProductFilter, ProductPage};
use crate::json::Node;
use crate::money::round2;
use trestle_guest::custom_fields;

use crate::{creates, paging, variants};

/// CCV products carry no currency; the shop prices everything in euro.
const CURRENCY: &str = "EUR";
/// Required on create; shops start with package 1. A mapping can choose
/// another through the custom field `package_id`.
const DEFAULT_PACKAGE_ID: u64 = 1;
/// CCV's tax tariffs, as the official PHP SDK names them (`TAX_TARIF_*`),
/// with the rate where it does not depend on the shop's country. Which
/// reduced rate "low a", "low b" and "extra low" stand for does (a Dutch
/// shop has one reduced rate, a Belgian two), so those are read from the
/// product's `vatrate` and written as `vatrate`.
const TARIFFS: &[(&str, Option<f64>)] =
    &[("normal", Some(21.0)), ("low a", None), ("low b", None), ("extra low", None), ("zero", Some(0.0))];
/// Query parameters the connector sets itself; an expression may not.
const RESERVED: &[&str] = &["start", "size", "expand"];

thread_local! {
    /// SKU -> id of the products this instance (= one run) created: a flow
    /// links a product it just created to its category, and that needs
    /// neither a look-up by SKU nor a look at its (still empty) links.
    static CREATED: std::cell::RefCell<std::collections::HashMap<String, u64>> = Default::default();
}

/// The id of a product created in this run, taken out of the memo: only
/// the first link after the create may assume the product has no links.
pub fn take_created(sku: &str) -> Option<u64> {
    CREATED.with(|created| created.borrow_mut().remove(sku))
}

pub fn list(filter: ProductFilter, cursor: Option<String>) -> Result<ProductPage, Error> {
    let client = Client::from_config()?;
    let uri = match cursor {
        Some(cursor) => paging::resume(&cursor)?,
        None => {
            let mut pairs =
                vec![("expand", "producttocategories".to_string()), ("size", client.settings.page_size.to_string())];
            if filter.active_only {
                pairs.push(("active", "true".into()));
            }
            let expression = filter.expression.as_deref().map(expression_pairs).transpose()?.unwrap_or_default();
            pairs.extend(expression.iter().map(|(k, v)| (k.as_str(), v.clone())));
            api(&format!("/products{}", query(&pairs)))
        }
    };
    let page = paging::read(&client, &uri)?;
    let mut tree = None;
    let mut products = Vec::new();
    for item in &page.items {
        let product = product(&client, item, &mut tree)?;
        // No prefix filter in the API: a prefix is matched here.
        if filter.sku_prefix.as_deref().is_none_or(|prefix| product.sku.starts_with(prefix)) {
            products.push(product);
        }
    }
    Ok(ProductPage { products, next: page.next })
}

/// "minstock=1&productname=shirt": CCV's own product filters (spec §5),
/// values unencoded.
fn expression_pairs(expression: &str) -> Result<Vec<(String, String)>, Error> {
    expression
        .split('&')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || RESERVED.contains(&name) {
                return Err(Error::Invalid(format!(
                    "product filter expression `{expression}`: `{name}` is not a filter name (write e.g. minstock=1&productname=shirt)"
                )));
            }
            Ok((name.to_string(), value.trim().to_string()))
        })
        .collect()
}

pub fn get(sku: &str) -> Result<Option<Product>, Error> {
    let client = Client::from_config()?;
    find_by_sku(&client, sku)?.map(|item| product(&client, &item, &mut None)).transpose()
}

/// The product an order line with this SKU sold: the product itself, or for
/// a variant its parent's data under the variant's own SKU (the variant's
/// EAN is not in the index, so it stays unknown rather than the parent's).
pub fn sold(sku: &str) -> Result<Option<Product>, Error> {
    let client = Client::from_config()?;
    if let Some(item) = find_by_sku(&client, sku)? {
        return product(&client, &item, &mut None).map(Some);
    }
    let Some(variant) = variants::find(&client, sku)? else { return Ok(None) };
    let Some(parent) = find_by_sku(&client, &variant.product_sku)? else { return Ok(None) };
    let parent = product(&client, &parent, &mut None)?;
    Ok(Some(Product {
        sku: sku.to_string(),
        name: format!("{} ({})", parent.name, variant.options),
        ean: None,
        ..parent
    }))
}

/// The product whose `productnumber` is exactly `sku`, as CCV renders it,
/// with its category links and variants inline.
pub fn find_by_sku(client: &Client, sku: &str) -> Result<Option<Value>, Error> {
    let uri = api(&format!(
        "/products{}",
        query(&[("productnumber", sku.to_string()), ("expand", "producttocategories,attributecombinations".into())])
    ));
    let page = paging::read(client, &uri)?;
    Ok(page.items.into_iter().find(|item| item.get("productnumber").and_then(Value::as_str) == Some(sku)))
}

fn product(client: &Client, item: &Value, tree: &mut Option<Tree>) -> Result<Product, Error> {
    let what = match item.get("id").and_then(Value::as_u64) {
        Some(id) => format!("CCV Shop product {id}"),
        None => "CCV Shop product".into(),
    };
    let p = Node::root(item, &what);
    let vat_rate = vat_rate(&p)?;
    let price = p.f64("price")?;
    let discount = p.f64_or_zero("discount")?;
    let custom_fields = if discount == 0.0 { Vec::new() } else { vec![("discount".to_string(), discount.to_string())] };
    Ok(Product {
        sku: p.str("productnumber")?,
        name: p.str("name")?,
        short_description: p.opt_str("shortdescription")?,
        long_description: p.opt_str("description")?,
        price_excl_vat: round2(price / (1.0 + vat_rate / 100.0)),
        price_incl_vat: price,
        vat_rate,
        ean: p.opt_str("eannumber")?,
        currency: CURRENCY.into(),
        unit: p.opt_str("unit")?,
        category: category_path(client, &p, tree)?,
        active: p.bool("is_active")?,
        stock_managed: p.bool_or_false("stockenabled")?,
        service: false,
        origin: None,
        custom_fields,
    })
}

/// `vatrate` (a percentage) when the shop sends it, else the tariff's rate
/// where that is the same in every shop.
fn vat_rate(p: &Node) -> Result<f64, Error> {
    if p.value().get("vatrate").is_some_and(|v| !v.is_null()) {
        return p.f64("vatrate");
    }
    let tariff = p.str("taxtariff")?;
    match TARIFFS.iter().find(|(name, _)| *name == tariff) {
        Some((_, Some(rate))) => Ok(*rate),
        Some((_, None)) => Err(p.needed(
            "vatrate",
            &format!("the tax tariff `{tariff}` stands for a rate that depends on the shop's country, so it must come as `vatrate`"),
        )),
        None => {
            let names: Vec<&str> = TARIFFS.iter().map(|(name, _)| *name).collect();
            Err(p.invalid("taxtariff", &names.join(", ")))
        }
    }
}

/// The path of the product's oldest category link (lowest id): its main
/// category. A link's `position` orders products within the category, so it
/// says nothing about which category comes first. The category tree is
/// loaded once per call and only when needed.
fn category_path(client: &Client, p: &Node, tree: &mut Option<Tree>) -> Result<Vec<String>, Error> {
    let fetched;
    let links_node = p.object("producttocategories")?;
    let links = match links_node.opt_array("collection")? {
        Some(links) => links,
        None => {
            fetched =
                json!({ "producttocategories": paging::all(client, &paging::path_of(&links_node.str("href")?)?)? });
            Node::root(&fetched, "CCV Shop product categories").array("producttocategories")?
        }
    };
    let mut main: Option<(u64, u64)> = None;
    for link in &links {
        let (id, category) = (link.u64("id")?, link.u64("category_id")?);
        if main.is_none_or(|(oldest, _)| id < oldest) {
            main = Some((id, category));
        }
    }
    let Some((_, category)) = main else { return Ok(Vec::new()) };
    if tree.is_none() {
        *tree = Some(Tree::load(client)?);
    }
    Ok(tree.as_ref().map(|t| t.path(category)).unwrap_or_default())
}

pub fn upsert(product: Product, mask: UpdateMask) -> Result<UpsertResult, Error> {
    if product.sku.trim().is_empty() {
        return Err(Error::Invalid(format!("product `{}` has no SKU; CCV Shop finds products by SKU", product.name)));
    }
    let client = Client::from_config()?;
    if let Some(current) = find_by_sku(&client, &product.sku)? {
        let result = update(&client, &product, mask, &current)?;
        let ours = creates::was_interrupted(&product.sku) && result.outcome != UpsertOutcome::IsVariant;
        return Ok(if ours { UpsertResult { outcome: UpsertOutcome::Created, ..result } } else { result });
    }
    // Not a product, but it may be a variant's SKU: creating a product
    // for it would duplicate that variant.
    if let Some(variant) = variants::find(&client, &product.sku)? {
        let note = format!("a variant ({}) of product {}", variant.options, variant.product_sku);
        return Ok(UpsertResult { id: variant.id.to_string(), outcome: UpsertOutcome::IsVariant, note: Some(note) });
    }
    create(&client, &product)
}

fn create(client: &Client, product: &Product) -> Result<UpsertResult, Error> {
    let mut body = Value::Object(
        [
            ("productnumber", json!(product.sku)),
            ("name", json!(product.name)),
            ("shortdescription", json!(product.short_description.clone().unwrap_or_default())),
            ("description", json!(product.long_description.clone().unwrap_or_default())),
            ("price", json!(price_incl_vat(product))),
            ("discount", json!(0.0)),
            ("package_id", json!(DEFAULT_PACKAGE_ID)),
            ("active", json!(product.active)),
            ("stockenabled", json!(product.stock_managed)),
            vat_field(product.vat_rate),
        ]
        .into_iter()
        .chain(product.ean.as_ref().map(|ean| ("eannumber", json!(ean))))
        .chain(product.unit.as_ref().map(|unit| ("unit", json!(unit))))
        .map(|(k, v)| (k.to_string(), v))
        .collect::<Map<_, _>>(),
    );
    custom_fields::merge(&mut body, custom_fields::parse(&product.custom_fields, &format!("product {}", product.sku))?);
    creates::mark(&product.sku);
    let created = client.post(&api("/products"), &body)?;
    // The spec says the shop sometimes answers without the new resource.
    let created = if created.is_null() {
        find_by_sku(client, &product.sku)?.ok_or_else(|| {
            Error::Transient(format!("CCV Shop accepted product `{}` but cannot find it yet", product.sku))
        })?
    } else {
        created
    };
    let id = Node::root(&created, "the product CCV Shop created").u64("id")?;
    creates::done(&product.sku);
    CREATED.with(|created| created.borrow_mut().insert(product.sku.clone(), id));
    Ok(UpsertResult { id: id.to_string(), outcome: UpsertOutcome::Created, note: None })
}

/// PATCHes only the fields the mask allows and that differ, so an update
/// that leaves descriptions out of the mask never touches them. A value the
/// source does not have (no EAN, no description, no unit, a zero price) is
/// unknown, not "clear it": it is never sent over what the shop has.
fn update(client: &Client, product: &Product, mask: UpdateMask, current: &Value) -> Result<UpsertResult, Error> {
    let c = Node::root(current, "CCV Shop product");
    let id = c.id("id")?;
    let mut changes = Map::new();
    let mut set_if_changed = |field: &str, new: Value, old: Value| {
        if new != old {
            changes.insert(field.to_string(), new);
        }
    };
    let text = |field: &str| -> Result<Value, Error> { Ok(json!(c.opt_str(field)?.unwrap_or_default())) };
    let known = |value: Option<&str>| value.filter(|v| !v.trim().is_empty()).map(|v| json!(v));
    let texts = [
        (UpdateMask::NAME, "name", known(Some(&product.name))),
        (UpdateMask::DESCRIPTIONS, "shortdescription", known(product.short_description.as_deref())),
        (UpdateMask::DESCRIPTIONS, "description", known(product.long_description.as_deref())),
        (UpdateMask::EAN, "eannumber", known(product.ean.as_deref())),
        (UpdateMask::UNIT, "unit", known(product.unit.as_deref())),
    ];
    for (bit, field, value) in texts {
        if let Some(value) = value.filter(|_| mask.contains(bit)) {
            set_if_changed(field, value, text(field)?);
        }
    }
    let price = price_incl_vat(product);
    if mask.contains(UpdateMask::PRICE) && price > 0.0 {
        set_if_changed("price", json!(price), json!(round2(c.f64("price")?)));
    }
    if mask.contains(UpdateMask::VAT) && vat_rate(&c)? != product.vat_rate {
        let (field, value) = vat_field(product.vat_rate);
        set_if_changed(field, value, Value::Null);
    }
    if mask.contains(UpdateMask::ACTIVE) {
        set_if_changed("active", json!(product.active), json!(c.bool("is_active")?));
    }
    for (field, value) in custom_fields::parse(&product.custom_fields, &format!("product {}", product.sku))? {
        let old = current.get(&field).cloned().unwrap_or(Value::Null);
        set_if_changed(&field, value, old);
    }
    if changes.is_empty() {
        return Ok(UpsertResult { id, outcome: UpsertOutcome::Unchanged, note: None });
    }
    client.patch(&api(&format!("/products/{id}")), &Value::Object(changes))?;
    Ok(UpsertResult { id, outcome: UpsertOutcome::Updated, note: None })
}

/// CCV keeps prices incl. VAT, to the cent.
fn price_incl_vat(product: &Product) -> f64 {
    if product.price_incl_vat != 0.0 || product.price_excl_vat == 0.0 {
        round2(product.price_incl_vat)
    } else {
        round2(product.price_excl_vat * (1.0 + product.vat_rate / 100.0))
    }
}

/// The tariff for a rate whose tariff is the same in every shop; any other
/// rate goes as `vatrate`, and the shop picks its tariff for that rate (or
/// refuses a rate it does not know).
fn vat_field(rate: f64) -> (&'static str, Value) {
    match TARIFFS.iter().find(|(_, r)| *r == Some(rate)) {
        Some((name, _)) => ("taxtariff", json!(name)),
        None => ("vatrate", json!(rate)),
    }
}
