//! Are the catalogues the same? Every product the flow would write is in
//! the target with the price, VAT rate, EAN and active flag the flow would
//! write now, as far as the update mask lets the flow keep them the same
//! (a field an update leaves alone is the target's own). Reads only. See
//! docs/2026-12-02-reconcile.md.

use trestle::sync::product_sink::{self, UpdateMask};
use trestle::sync::product_source::{self, ProductFilter};
use trestle_guest::Error;
use trestle_guest::flow::pages::{Step, read_all};
use trestle_guest::types::Product;

use crate::exports::trestle::sync::flow_run::{Drift, DriftKind, Reconciliation};
use crate::settings::{Direction, PriceBasis, Settings};
use crate::{ledger, outgoing, trestle};

/// Prices and rates this close are the same (a cent's rounding).
const TOLERANCE: f64 = 0.005;

pub fn reconcile(settings: &Settings) -> Result<Reconciliation, Error> {
    let (source_side, target_side) = settings.systems();
    let filter = ProductFilter {
        active_only: settings.active_only,
        sku_prefix: settings.sku_prefix.clone(),
        expression: settings.expression.clone(),
    };
    let mut drift = Vec::new();
    let mut compared = 0;
    read_all(
        None,
        |cursor| product_source::list_products(&filter, cursor),
        |page| {
            for source in page.products.iter().filter(|p| written_by_the_flow(p, settings)) {
                // One the run would park (its mapping refuses it) is not drift.
                let Ok(wanted) = outgoing::build(source, settings) else { continue };
                let stored = product_sink::get_stored_product(&wanted.sku)?;
                // Kept as a variant of another product: a run writes nothing either.
                if stored.is_none() && ledger::is_variant(&wanted.sku) {
                    continue;
                }
                compared += 1;
                match stored {
                    None => drift.push(Drift {
                        record_kind: "product".into(),
                        key: wanted.sku.clone(),
                        kind: DriftKind::MissingInTarget,
                        field: None,
                        source_value: Some(wanted.name.clone()),
                        target_value: None,
                        detail: format!("product {} is in the {source_side}, not in the {target_side}", wanted.sku),
                    }),
                    Some(stored) => drift.extend(differences(&wanted, &stored, settings, target_side)),
                }
            }
            Ok(Step::Continue)
        },
    )?;
    Ok(Reconciliation { compared: vec![format!("{compared} products in the {source_side}")], drift })
}

/// What a run would write at all: not a service going to the shop, not
/// the target's own record coming back as a copy.
fn written_by_the_flow(product: &Product, settings: &Settings) -> bool {
    !product.sku.trim().is_empty()
        && product.origin.is_none()
        && !(product.service && settings.direction == Direction::BooksToShop)
}

fn differences(wanted: &Product, stored: &Product, settings: &Settings, target_side: &str) -> Vec<Drift> {
    let mask = settings.update;
    let mut found = Vec::new();
    let mut compare = |bit: UpdateMask, field: &str, wanted_value: String, stored_value: String| {
        if mask.contains(bit) && wanted_value != stored_value {
            found.push(Drift {
                record_kind: "product".into(),
                key: wanted.sku.clone(),
                kind: DriftKind::Differs,
                field: Some(field.into()),
                detail: format!(
                    "product {}: {field} {stored_value} in the {target_side}, {wanted_value} as the flow writes it",
                    wanted.sku
                ),
                source_value: Some(wanted_value),
                target_value: Some(stored_value),
            });
        }
    };
    let (price_field, wanted_price, stored_price) = match settings.price_basis {
        PriceBasis::InclVat => ("price-incl-vat", wanted.price_incl_vat, stored.price_incl_vat),
        PriceBasis::ExclVat => ("price-excl-vat", wanted.price_excl_vat, stored.price_excl_vat),
    };
    let same = |a: f64, b: f64| (a - b).abs() < TOLERANCE;
    compare(UpdateMask::PRICE, price_field, money(wanted_price), money(stored_price));
    if !same(wanted.vat_rate, stored.vat_rate) {
        compare(UpdateMask::VAT, "vat-rate", wanted.vat_rate.to_string(), stored.vat_rate.to_string());
    }
    // Sinks never blank a field: no EAN in the source is no EAN to keep.
    if let Some(ean) = &wanted.ean {
        compare(UpdateMask::EAN, "ean", ean.clone(), stored.ean.clone().unwrap_or_default());
    }
    compare(UpdateMask::ACTIVE, "active", wanted.active.to_string(), stored.active.to_string());
    found
}

fn money(amount: f64) -> String {
    format!("{amount:.2}")
}
