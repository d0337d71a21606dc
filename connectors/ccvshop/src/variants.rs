//! Which SKUs are variants in the shop. A CCV variant (an attribute
//! combination, e.g. size M of SKU-00050) has a SKU of its own but is no
//! product: `GET /products?productnumber=` does not find it, so a sink that
//! created a product for every SKU it could not find would duplicate each
//! variant as a simple product.
//!
//! Cost: one index per instance (= one run), built lazily before the first
//! create, by paging the shop's products once with their combinations
//! expanded inline: ⌈products / page_size⌉ GETs under the 150-a-minute GET
//! budget (10,000 products: 200 GETs at the default size of 50, 40 at 250),
//! plus one GET per product with variants whose page did not inline them.
//! The alternative, `GET /productqueries?skunumber=` before each create,
//! costs a call per new product under a budget of 30 a minute: a first sync
//! of 10,000 new products would wait 5.5 hours for it alone, twice as long as
//! the creates themselves (100 a minute). Updates need no index: a SKU found
//! as a product is a product. The flow remembers a variant's SKU in its state,
//! so a later run asks again only when that article changed.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::Value;
use trestle_guest::Error;

use crate::client::{Client, api, query};
use crate::json::Node;
use crate::paging;

#[derive(Debug, Clone)]
pub struct Variant {
    /// The attribute combination's id.
    pub id: u64,
    /// The SKU (`productnumber`) of the product it is a variant of.
    pub product_sku: String,
    /// "Size: M", or "Size: M, Colour: red".
    pub options: String,
}

thread_local! {
    /// Variant SKU -> variant, loaded on first use. Products this run creates
    /// have no variants, so the index stays true for the run.
    static INDEX: RefCell<Option<HashMap<String, Variant>>> = const { RefCell::new(None) };
}

/// The shop's variant whose SKU is `sku`, if any. A failed load is not
/// kept, so the next create tries again.
pub fn find(client: &Client, sku: &str) -> Result<Option<Variant>, Error> {
    INDEX.with(|index| {
        let mut index = index.borrow_mut();
        if index.is_none() {
            *index = Some(load(client)?);
        }
        Ok(index.as_ref().and_then(|variants| variants.get(sku)).cloned())
    })
}

fn load(client: &Client) -> Result<HashMap<String, Variant>, Error> {
    let mut index = HashMap::new();
    let pairs = [("expand", "attributecombinations".to_string()), ("size", client.settings.page_size.to_string())];
    let mut uri = Some(api(&format!("/products{}", query(&pairs))));
    while let Some(current) = uri {
        let page = read_page(client, &current)?;
        for item in &page.items {
            let p = Node::root(item, "CCV Shop product");
            let product_sku = p.str("productnumber")?;
            for combination in combinations(client, &p)? {
                let c = Node::root(&combination, "CCV Shop attribute combination");
                let Some(sku) = c.opt_str("sku_number")?.filter(|sku| !sku.is_empty()) else { continue };
                let variant = Variant { id: c.u64("id")?, product_sku: product_sku.clone(), options: options(&c)? };
                index.insert(sku, variant);
            }
        }
        uri = page.next;
    }
    Ok(index)
}

/// One page of the index, asked up to three times: it is read inside a
/// write call (the create it guards), where the host does not retry, and a
/// read is safe to repeat.
fn read_page(client: &Client, uri: &str) -> Result<paging::Page, Error> {
    const ATTEMPTS: u32 = 3;
    let mut attempt = 1;
    loop {
        match paging::read(client, uri) {
            Err(Error::Transient(_)) if attempt < ATTEMPTS => attempt += 1,
            answer => return answer,
        }
    }
}

/// The product's combinations: inline when the shop expanded them, else
/// fetched, but only for a product that keeps stock per combination.
fn combinations(client: &Client, p: &Node) -> Result<Vec<Value>, Error> {
    if let Some(inline) = inline(p)? {
        return Ok(inline);
    }
    if p.opt_str("stocktype")?.as_deref() != Some("combination") {
        return Ok(Vec::new());
    }
    fetch(client, p)
}

/// Every combination of the product, whatever its `stocktype` says (the
/// values it takes are not documented): inline, else fetched.
pub fn of_product(client: &Client, p: &Node) -> Result<Vec<Value>, Error> {
    match inline(p)? {
        Some(inline) => Ok(inline),
        None => fetch(client, p),
    }
}

fn inline(p: &Node) -> Result<Option<Vec<Value>>, Error> {
    let link = p.object("attributecombinations")?;
    Ok(link.opt_array("collection")?.map(|items| items.into_iter().map(|c| c.value().clone()).collect()))
}

fn fetch(client: &Client, p: &Node) -> Result<Vec<Value>, Error> {
    paging::all(client, &paging::path_of(&p.object("attributecombinations")?.str("href")?)?)
}

/// "Size: M" from `combination[]{attribute{name}, attribute_value{name}}`.
/// The spec leaves open whether the names come as objects or plain strings,
/// so both are read.
fn options(c: &Node) -> Result<String, Error> {
    let name = |value: &Value| match value {
        Value::String(name) => Some(name.clone()),
        other => other.get("name").and_then(Value::as_str).map(str::to_string),
    };
    let mut options = Vec::new();
    for option in c.opt_array("combination")?.unwrap_or_default() {
        let option = option.value();
        match (option.get("attribute").and_then(name), option.get("attribute_value").and_then(name)) {
            (Some(attribute), Some(value)) => options.push(format!("{attribute}: {value}")),
            (None, Some(value)) => options.push(value),
            _ => {}
        }
    }
    Ok(options.join(", "))
}
