//! stock-sink (spec §6.5): a simple product keeps its stock on the product;
//! a product with variants keeps it per attribute combination, found by the
//! variant's SKU.

use serde_json::json;
use trestle_guest::Error;

use crate::client::{Client, api, query};
use crate::json::Node;
use crate::products;

pub fn set(sku: &str, quantity: f64) -> Result<(), Error> {
    if !quantity.is_finite() {
        return Err(Error::Invalid(format!("stock for `{sku}` must be a number, got {quantity}")));
    }
    let client = Client::from_config()?;
    if let Some(product) = products::find_by_sku(&client, sku)? {
        let p = Node::root(&product, "CCV Shop product");
        if p.opt_str("stocktype")?.as_deref() == Some("combination") {
            return Err(Error::Invalid(format!(
                "`{sku}` is a product with variants: CCV Shop keeps its stock per variant, so send the variants' SKUs"
            )));
        }
        return client.patch(&api(&format!("/products/{}", p.u64("id")?)), &json!({ "stock": quantity }));
    }
    // Not a product number: look for a variant. `/productqueries` searches
    // attribute combinations by SKU but has a lower rate limit, so it comes second.
    let hits = client.get(&api(&format!("/productqueries{}", query(&[("skunumber", sku.to_string())]))))?;
    let hits = Node::root(&hits, "CCV Shop product query");
    for hit in hits.array("items")? {
        if let Some(combination) = hit.opt_object("attributecombination")?
            && combination.opt_str("sku_number")?.as_deref() == Some(sku)
        {
            return client.patch(
                &api(&format!("/attributecombinations/{}", combination.u64("id")?)),
                &json!({ "stock": quantity }),
            );
        }
    }
    Err(Error::NotFound(format!("CCV Shop has no product or variant with SKU `{sku}`")))
}
