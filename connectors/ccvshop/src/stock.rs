//! stock-sink (spec §6.5): a simple product keeps its stock on the product;
//! a product with variants keeps it per attribute combination, found by the
//! variant's SKU. A product with variants never gets stock under its own
//! SKU, whatever its `stocktype`: the books may hold an article with the
//! parent's SKU, and its figure is not what any variant has.

use serde_json::json;
use trestle_guest::Error;

use crate::client::{Client, api};
use crate::json::Node;
use crate::{products, variants};

pub fn set(sku: &str, quantity: f64) -> Result<(), Error> {
    if !quantity.is_finite() {
        return Err(Error::Invalid(format!("stock for `{sku}` must be a number, got {quantity}")));
    }
    let client = Client::from_config()?;
    let resource = kept_at(&client, sku)?;
    client.patch(&api(&resource), &json!({ "stock": quantity }))
}

/// The stock the shop keeps under this SKU now.
pub fn get(sku: &str) -> Result<f64, Error> {
    let client = Client::from_config()?;
    let resource = kept_at(&client, sku)?;
    let kept = client.get(&api(&resource))?;
    Node::root(&kept, "CCV Shop stock").f64("stock")
}

/// The resource (a product or a variant) whose `stock` is the SKU's.
fn kept_at(client: &Client, sku: &str) -> Result<String, Error> {
    if let Some(product) = products::find_by_sku(client, sku)? {
        let p = Node::root(&product, "CCV Shop product");
        let variants = variants::of_product(client, &p)?;
        if !variants.is_empty() {
            // Not-found in the contract's sense: no stock is kept under this SKU.
            return Err(Error::NotFound(format!(
                "CCV Shop keeps no stock under `{sku}`: it is a product with {} variants, each with stock of its own \
                 under its own SKU",
                variants.len()
            )));
        }
        return Ok(format!("/products/{}", p.u64("id")?));
    }
    // Not a product number: a variant's, found in the run's index of the
    // shop's variants (a few paged GETs once, where `/productqueries` would
    // cost one call per SKU at 30 a minute).
    if let Some(variant) = variants::find(client, sku)? {
        return Ok(format!("/attributecombinations/{}", variant.id));
    }
    Err(Error::NotFound(format!("CCV Shop has no product or variant with SKU `{sku}`")))
}
