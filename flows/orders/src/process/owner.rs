//! What the owner asks of one order by hand: send a synced order again,
//! try a parked (or skipped) one now, leave a parked one out for good.

use trestle::sync::sales_document_sink;
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::Outcome;
use trestle_guest::bindings::trestle::sync::transforms;

use super::{Run, kind_name, report};
use trestle::sync::order_source;

use crate::{changes, ledger, selected_order, trestle};

impl Run {
    /// Syncs the order again although it is recorded as synced, and never
    /// gives it a second document: the one the books hold under our
    /// reference is compared with what the order would be written as now.
    /// The flow never edits a document it wrote (a booked invoice cannot be
    /// edited at all), so a difference is reported for the bookkeeper. With
    /// no document under our reference (deleted in the books) the order is
    /// written anew.
    pub fn resync(&mut self, id: &str) -> Result<(), Error> {
        let Some(source) = selected_order(self, id)? else { return Ok(()) };
        let Some(target_id) = self.existing_document(&changes::current_reference(&source))? else {
            ledger::forget_synced(&source.source_id);
            ledger::unskip(&source.source_id);
            self.handle_batch(vec![source])?;
            return Ok(());
        };
        let order = transforms::map_order(&source).map_err(Error::Invalid)?;
        let (document, _) = self.document_for(order, source.order_number.clone())?;
        let differences = sales_document_sink::find_differences(&target_id, &document)?;
        ledger::record_synced(&source.source_id, &target_id);
        ledger::unskip(&source.source_id);
        let booked = format!("{} {target_id}", kind_name(self.settings.document));
        let why = if differences.is_empty() {
            format!("sent again: {booked} in the books matches the order; nothing written")
        } else {
            let why = format!(
                "sent again: {booked} in the books differs from the order ({}); the flow does not edit a document it \
                 wrote (a booked invoice cannot be), so correct it in the books, e.g. by crediting it",
                differences
                    .iter()
                    .map(|d| format!("{} {} in the books, {} now", d.field, d.stored, d.wanted))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            self.notes.push(format!("order {} {why}", source.order_number));
            why
        };
        self.skipped += 1;
        report(&source, Outcome::Skipped, Some(target_id), why, None);
        self.settle(&source)
    }

    /// Tries a parked or skipped order again now, as a record run would.
    pub fn unpark(&mut self, id: &str) -> Result<(), Error> {
        if ledger::parked_reason(id).is_none() && ledger::skipped(id).is_none() {
            return Err(Error::NotFound(format!(
                "order {id} is neither parked nor skipped; `trestle run --flow NAME --record {id}` syncs it, \
                 `--force` sends a synced one again"
            )));
        }
        ledger::unpark(id);
        ledger::unskip(id);
        if let Some(order) = selected_order(self, id)? {
            self.handle_batch(vec![order])?;
        }
        Ok(())
    }

    /// Leaves a parked order out for good, for the owner's reason: never
    /// retried, never synced by a listing that shows it again (until it is
    /// unparked).
    pub fn skip(&mut self, id: &str, reason: &str) -> Result<(), Error> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::Invalid("skipping an order needs a reason, for the activity log".into()));
        }
        if ledger::parked_reason(id).is_none() {
            return Err(Error::NotFound(match ledger::skipped(id) {
                Some(earlier) => format!("order {id} is skipped already: {earlier}"),
                None => format!("order {id} is not parked; only a parked order can be skipped"),
            }));
        }
        let order = order_source::get_order(id)?;
        ledger::skip(id, reason);
        self.skipped += 1;
        report(&order, Outcome::Skipped, None, format!("skipped by the owner: {reason}"), None);
        Ok(())
    }
}
