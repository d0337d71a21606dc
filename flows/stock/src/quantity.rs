//! The quantity the shop gets for one of the books' stock levels, by the
//! `calculation` setting, never below zero.

use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::types::StockLevel;

use crate::settings::Calculation;

/// Where a level goes: the shop's SKU (a mapping may rename it) and how many.
pub struct Target {
    pub sku: String,
    pub quantity: f64,
}

/// `Err(Invalid)` when the mapping refused this level (the SKU is parked);
/// `Err(Fatal)` when no mapping sets the quantity at all, which would fail
/// every SKU alike, so the run stops.
pub fn target(level: &StockLevel, calculation: Calculation) -> Result<Target, Error> {
    let (sku, quantity) = match calculation {
        Calculation::Available => (level.sku.clone(), level.on_hand - level.reserved),
        Calculation::OnHand => (level.sku.clone(), level.on_hand),
        Calculation::Mapping => {
            // Handed over unset: without a mapping module the host passes the
            // level back unchanged, and an unset quantity then shows it.
            let unset = StockLevel { available: f64::NAN, ..level.clone() };
            let mapped = transforms::map_stock(&unset).map_err(Error::Invalid)?;
            if !mapped.available.is_finite() {
                return Err(Error::Fatal(format!(
                    "setting `calculation` = \"mapping\" needs a mapping module whose map-stock sets `available`, \
                     but for SKU {} none did: configure one under [mapping] module = ... in the tenant config, \
                     or choose calculation = \"available\" or \"on-hand\"",
                    level.sku
                )));
            }
            if mapped.sku.trim().is_empty() {
                return Err(Error::Invalid(format!(
                    "the mapping module gave SKU {} an empty SKU for the shop",
                    level.sku
                )));
            }
            (mapped.sku, mapped.available)
        }
    };
    // The shop sells what it shows: a negative figure (more reserved than on
    // hand) means none left. Written this way so -0.0 becomes 0 too.
    Ok(Target { sku, quantity: if quantity > 0.0 { quantity } else { 0.0 } })
}
