//! Is the shop's stock what the calculation says? Every level the books
//! hold that a run would push is compared with what the shop shows under
//! its SKU now. Reads only. See docs/2026-12-02-reconcile.md.

use trestle::sync::stock_sink;
use trestle_guest::Error;
use trestle_guest::flow::pages::Step;

use crate::exports::trestle::sync::flow_run::{Drift, DriftKind, Reconciliation};
use crate::settings::Settings;
use crate::{each_level, ledger, quantity, trestle};

pub fn reconcile(settings: &Settings) -> Result<Reconciliation, Error> {
    if !settings.manage_stock {
        // The shop keeps its own stock: nothing is meant to be the same.
        return Ok(Reconciliation { compared: Vec::new(), drift: Vec::new() });
    }
    let mut drift = Vec::new();
    let mut compared = 0;
    each_level(|level| {
        // Left out by the settings, or the books' copy of the shop's own figure.
        if settings.skip.contains(&level.sku) || level.origin.is_some() {
            return Ok(Step::Continue);
        }
        // One the run would park (its mapping refuses it) is not drift.
        let target = match quantity::target(&level, settings.calculation) {
            Ok(target) => target,
            Err(e @ Error::Fatal(_)) => return Err(e),
            Err(_) => return Ok(Step::Continue),
        };
        match stock_sink::get_stock(&target.sku) {
            Ok(shown) => {
                compared += 1;
                if ledger::spelled(shown) != ledger::spelled(target.quantity) {
                    drift.push(Drift {
                        record_kind: "stock".into(),
                        key: target.sku.clone(),
                        kind: DriftKind::Differs,
                        field: Some("quantity".into()),
                        source_value: Some(ledger::spelled(target.quantity)),
                        target_value: Some(ledger::spelled(shown)),
                        detail: format!(
                            "SKU {}: the shop shows {}, the books say {} ({}: on hand {}, reserved {})",
                            target.sku,
                            ledger::spelled(shown),
                            ledger::spelled(target.quantity),
                            settings.calculation.name(),
                            level.on_hand,
                            level.reserved
                        ),
                    });
                }
            }
            // The shop keeps no stock under it: a run skips it too.
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(Step::Continue)
    })?;
    Ok(Reconciliation { compared: vec![format!("{compared} stock levels in the books")], drift })
}
