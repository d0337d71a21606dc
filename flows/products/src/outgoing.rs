//! The product as the target receives it: the source's record, through the
//! tenant's mapping, with the settings applied; its JSON form (for the
//! activity log) and its fingerprint (to skip what was already written).

use serde_json::{Value, json};
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::flow::fingerprint;
use trestle_guest::types::Product;

use crate::settings::{Direction, PriceBasis, Settings};
use crate::trestle::sync::product_sink::UpdateMask;

pub fn build(source: &Product, settings: &Settings) -> Result<Product, Error> {
    let mut product = transforms::map_product(source)
        .map_err(|reason| Error::Invalid(format!("the mapping module refused it: {reason}")))?;
    // A source connector hands over fields of its own API (eAccounting's
    // stock balances, CCV's discount); written as they are they would be
    // unknown fields in the other API. Only what the mapping set goes on.
    product.custom_fields.retain(|field| !source.custom_fields.contains(field));
    if let Some(currency) = &settings.currency
        && !product.currency.eq_ignore_ascii_case(currency)
    {
        return Err(Error::Invalid(format!(
            "priced in {}, but the target prices in {currency} (setting `currency`); convert it in the mapping module",
            product.currency
        )));
    }
    product.vat_rate = settings.vat_rate(product.vat_rate);
    // Each connector keeps the non-zero price exact and derives the other.
    match settings.price_basis {
        PriceBasis::InclVat if product.price_incl_vat > 0.0 => product.price_excl_vat = 0.0,
        PriceBasis::ExclVat if product.price_excl_vat > 0.0 => product.price_incl_vat = 0.0,
        _ => {}
    }
    if settings.direction == Direction::ShopToBooks {
        // Remembered by the books as a copy of the shop's record, so flows
        // going back to the shop leave the shop's own data alone until a
        // bookkeeper changes it. A non-stock article: the shop keeps the
        // stock, and the books' balance of a stock article (0 at first, then
        // lowered by every invoice) would be a figure of the books' own.
        product.origin = Some("shop".into());
        product.stock_managed = false;
    }
    Ok(product)
}

/// The fields a write with `mask` sends (`None`: a create, everything).
pub fn payload(p: &Product, mask: Option<UpdateMask>) -> Value {
    let sends = |bit: UpdateMask| mask.is_none_or(|m| m.contains(bit));
    let mut v = json!({ "sku": p.sku, "currency": p.currency, "category": p.category });
    let fields: [(UpdateMask, &[(&str, Value)]); 7] = [
        (UpdateMask::NAME, &[("name", json!(p.name))]),
        (
            UpdateMask::DESCRIPTIONS,
            &[("short_description", json!(p.short_description)), ("long_description", json!(p.long_description))],
        ),
        (
            UpdateMask::PRICE,
            &[("price_excl_vat", json!(p.price_excl_vat)), ("price_incl_vat", json!(p.price_incl_vat))],
        ),
        (UpdateMask::VAT, &[("vat_rate", json!(p.vat_rate))]),
        (UpdateMask::EAN, &[("ean", json!(p.ean))]),
        (UpdateMask::UNIT, &[("unit", json!(p.unit))]),
        (UpdateMask::ACTIVE, &[("active", json!(p.active))]),
    ];
    for (bit, pairs) in fields {
        if sends(bit) {
            for (name, value) in pairs {
                v[*name] = value.clone();
            }
        }
    }
    if mask.is_none() {
        v["stock_managed"] = json!(p.stock_managed);
    }
    if !p.custom_fields.is_empty() {
        v["custom_fields"] = json!(p.custom_fields);
    }
    v
}

/// Of the full product and the update mask: a change to either (say
/// `update.descriptions` switched on) means the product is written again.
pub fn fingerprint(p: &Product, mask: UpdateMask) -> String {
    fingerprint::of(&format!("{}|{}", payload(p, None), mask.bits()))
}
