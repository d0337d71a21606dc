//! One stock level, start to finish, and the run's tally. A level the books
//! hold as a copy of the shop's (`origin`), or whose SKU the shop keeps no
//! stock under, is skipped with a notice; one the shop or the
//! mapping refused, or that hit a network failure the host could not ride
//! out, is parked: its push is not recorded, so the next run tries again.
//! Errors about the connection itself (credentials, a broken connector, no
//! mapping where one is needed) stop the run, since every SKU would fail alike.

use std::collections::HashSet;

use trestle::sync::stock_sink;
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::{self, Outcome, RecordEvent};
use trestle_guest::flow::notes::Notes;
use trestle_guest::flow::parking;
use trestle_guest::types::StockLevel;

use crate::exports::trestle::sync::flow_run::Summary;
use crate::quantity::{self, Target};
use crate::settings::Settings;
use crate::{ledger, trestle};

pub struct Run {
    settings: Settings,
    synced: u32,
    skipped: u32,
    parked: u32,
    unchanged: u32,
    still_absent: u32,
    skipped_by_setting: u32,
    /// Levels the books hold as created from the shop's copy.
    copies: u32,
    /// Those already reported on an earlier run.
    known_copies: HashSet<String>,
    pub notes: Notes,
}

impl Run {
    pub fn new(settings: Settings) -> Self {
        Run {
            settings,
            synced: 0,
            skipped: 0,
            parked: 0,
            unchanged: 0,
            still_absent: 0,
            skipped_by_setting: 0,
            copies: 0,
            known_copies: ledger::copies(),
            notes: Notes::default(),
        }
    }

    pub fn handle(&mut self, level: &StockLevel) -> Result<(), Error> {
        if self.settings.skip.contains(&level.sku) {
            self.skipped_by_setting += 1;
            return Ok(());
        }
        if let Some(origin) = &level.origin {
            // Not the books' own figure: the article was created from the
            // shop's copy and its stock is as it was made (0, say), so
            // pushing it would overwrite what the shop counted.
            self.copies += 1;
            if !self.known_copies.contains(&level.sku) {
                ledger::record_copy(&level.sku);
                let why = format!(
                    "SKU {} not written: its level in the books is still the one its article was created with from \
                     the {origin}'s record, not a count of the books' own; it is pushed once the books' stock of it \
                     changes",
                    level.sku
                );
                report(level, None, Outcome::Skipped, why, None);
            }
            return Ok(());
        }
        if self.known_copies.remove(&level.sku) {
            ledger::forget_copy(&level.sku);
        }
        let target = match quantity::target(level, self.settings.calculation) {
            Ok(target) => target,
            Err(e @ Error::Fatal(_)) => return Err(e),
            Err(e) => {
                self.park(level, None, &e);
                return Ok(());
            }
        };
        if ledger::known_absent(&target.sku, target.quantity) {
            self.still_absent += 1;
            return Ok(());
        }
        let previous = ledger::last_pushed(&target.sku);
        if previous.as_deref() == Some(ledger::spelled(target.quantity).as_str()) {
            self.unchanged += 1;
            return Ok(());
        }
        match stock_sink::set_stock(&target.sku, target.quantity) {
            Ok(()) => {
                ledger::record_pushed(&target.sku, target.quantity);
                self.synced += 1;
                let was = previous.map_or("first push".into(), |p| format!("was {p}"));
                let detail = format!(
                    "stock set to {} ({}: on hand {}, reserved {}; {was})",
                    target.quantity,
                    self.settings.calculation.name(),
                    level.on_hand,
                    level.reserved
                );
                let payload = serde_json::json!({ "sku": target.sku, "quantity": target.quantity }).to_string();
                report(level, Some(&target), Outcome::Synced, detail, Some(payload));
            }
            Err(Error::NotFound(because)) => {
                // No such SKU in the shop, or one whose stock lives elsewhere
                // (a product with variants): the shop's message says which.
                ledger::record_absent(&target.sku, target.quantity);
                self.skipped += 1;
                let why = format!("SKU {} is in the books but not written to the shop: {because}", target.sku);
                self.notes.push(format!("{why} (add it to skip_skus to leave it out)"));
                report(level, Some(&target), Outcome::Skipped, why, None);
            }
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
            Err(e) => self.park(level, Some(&target), &e),
        }
        Ok(())
    }

    fn park(&mut self, level: &StockLevel, target: Option<&Target>, e: &Error) {
        // The note says that it is retried; the activity log gets the cause.
        let reason = parking::cause(e);
        self.parked += 1;
        self.notes.push(format!("stock of SKU {} not written, retried on the next run: {reason}", level.sku));
        report(level, target, Outcome::Parked, reason, None);
    }

    /// The tallies come last and always, past the notes' limit too.
    pub fn summary(self) -> Summary {
        let mut notes = self.notes.into_vec();
        if self.unchanged > 0 {
            notes.push(format!("{} stock levels unchanged since they were last pushed", self.unchanged));
        }
        if self.still_absent > 0 {
            notes.push(format!(
                "{} SKUs the shop kept no stock under last time, level unchanged: not asked again until it changes",
                self.still_absent
            ));
        }
        if self.copies > 0 {
            notes.push(format!(
                "{} levels the books still hold as created from the shop's record: left alone in the shop",
                self.copies
            ));
        }
        if self.skipped_by_setting > 0 {
            notes.push(format!("{} SKUs left out by the setting `skip_skus`", self.skipped_by_setting));
        }
        Summary {
            synced: self.synced,
            skipped: self.skipped + self.still_absent + self.skipped_by_setting + self.copies,
            parked: self.parked,
            failed: 0,
            notes,
        }
    }
}

fn report(level: &StockLevel, target: Option<&Target>, outcome: Outcome, detail: String, payload: Option<String>) {
    log::report(&RecordEvent {
        record_kind: "stock".into(),
        source_system: "books".into(),
        source_id: level.sku.clone(),
        target_system: "shop".into(),
        target_id: target.map(|t| t.sku.clone()),
        outcome,
        detail,
        payload,
    });
}
