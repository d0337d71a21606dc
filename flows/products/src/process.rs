//! One product, start to finish, and the run's tally. Errors that concern
//! the product (bad data, a VAT rate the target has no coding for, the API
//! refusing it, a network failure the host could not ride out) park it;
//! errors that concern the connection (credentials, a broken connector) stop
//! the run, since every product behind would fail the same way.

use std::collections::{HashMap, HashSet};

use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::log::{self, Outcome, RecordEvent};
use trestle_guest::flow::notes::Notes;
use trestle_guest::flow::parking;
use trestle_guest::types::{Category, Product};

use crate::exports::trestle::sync::flow_run::Summary;
use crate::ledger::{self, Pending, Written};
use crate::outgoing;
use crate::settings::{Direction, Settings};
use crate::trestle::sync::category_sink;
use crate::trestle::sync::product_sink::{self, UpsertOutcome, UpsertResult};
use crate::trestle::sync::stock_sink;

/// The custom field in which the eAccounting connector hands over an
/// article's available stock.
const AVAILABLE_STOCK_FIELD: &str = "StockBalanceAvailable";

pub struct Run {
    pub settings: Settings,
    /// Category path -> the target's id, for this run.
    categories: HashMap<Vec<String>, String>,
    synced: u32,
    skipped: u32,
    /// Skipped without a call: handled before (written, or found to be a
    /// variant) and unchanged since.
    unchanged: u32,
    parked: u32,
    /// Copies of the target's own records (see `copy`), reported or not.
    copies: u32,
    /// Those already reported on an earlier run.
    known_copies: HashSet<String>,
    notes: Notes,
}

enum Done {
    Written {
        target_id: String,
        detail: String,
        payload: String,
    },
    Unchanged {
        target_id: String,
    },
    /// The SKU is a variant in the target, which only the stock flow writes.
    Variant {
        target_id: String,
        reason: String,
    },
    /// The source's record was created from the target's own and is
    /// unchanged since: first sighting, reported.
    Copy {
        reason: String,
    },
    /// Likewise, seen before: only counted.
    KnownCopy,
    /// A service the books bill (shipping, a fee, a discount), which the
    /// shop does not sell as a product.
    Service {
        reason: String,
    },
}

impl Run {
    pub fn new(settings: Settings) -> Self {
        Run {
            settings,
            categories: HashMap::new(),
            synced: 0,
            skipped: 0,
            unchanged: 0,
            parked: 0,
            copies: 0,
            known_copies: ledger::origins(),
            notes: Notes::default(),
        }
    }

    pub fn summary(self) -> Summary {
        let (source, target) = self.systems();
        let mut notes = self.notes.into_vec();
        if self.unchanged > 0 {
            notes.insert(0, format!("{} products unchanged since they were last handled", self.unchanged));
        }
        if self.copies > 0 {
            notes.insert(
                0,
                format!(
                    "{} products the {source} created from the {target}'s own records and nobody changed since: \
                     left alone in the {target}",
                    self.copies
                ),
            );
        }
        let skipped = self.skipped + self.unchanged + self.copies;
        Summary { synced: self.synced, skipped, parked: self.parked, failed: 0, notes }
    }

    pub fn handle(&mut self, source: &Product) -> Result<(), Error> {
        let (source_system, target_system) = self.systems();
        // `detail` is a full sentence about the product.
        let event = |outcome, target_id, detail: String, payload| RecordEvent {
            record_kind: "product".into(),
            source_system: source_system.into(),
            source_id: source.sku.clone(),
            target_system: target_system.into(),
            target_id,
            outcome,
            detail,
            payload,
        };
        let sku = &source.sku;
        match self.sync(source) {
            Ok(Some(Done::Written { target_id, detail, payload })) => {
                self.synced += 1;
                log::report(&event(Outcome::Synced, Some(target_id), format!("{sku}: {detail}"), Some(payload)));
            }
            Ok(Some(Done::Unchanged { target_id })) => {
                self.skipped += 1;
                let detail = format!("{sku}: the target already had these values; nothing written");
                log::report(&event(Outcome::Skipped, Some(target_id), detail, None));
            }
            Ok(Some(Done::Variant { target_id, reason })) => {
                self.skip(reason.clone());
                log::report(&event(Outcome::Skipped, Some(target_id), reason, None));
            }
            Ok(Some(Done::Copy { reason } | Done::Service { reason })) => {
                log::report(&event(Outcome::Skipped, None, format!("{sku}: {reason}"), None));
            }
            Ok(Some(Done::KnownCopy)) => {}
            Ok(None) => self.unchanged += 1,
            Err(e @ (Error::Auth(_) | Error::Fatal(_))) => return Err(e),
            Err(e) => {
                let reason = parking::reason(&e);
                ledger::park(&source.sku, &reason);
                self.parked += 1;
                self.note(format!("product {} parked: {reason}", source.sku));
                log::report(&event(Outcome::Parked, None, format!("{sku}: {reason}"), None));
            }
        }
        Ok(())
    }

    /// `None` when the product is as it was last written.
    fn sync(&mut self, source: &Product) -> Result<Option<Done>, Error> {
        if source.sku.trim().is_empty() {
            return Err(Error::Invalid(format!("product `{}` has no SKU; products are matched by SKU", source.name)));
        }
        if source.service && self.settings.direction == Direction::BooksToShop {
            let reason =
                "a service in the books (shipping, a fee, a discount), not a product the shop sells: not written";
            return Ok(Some(Done::Service { reason: reason.into() }));
        }
        if let Some(origin) = &source.origin {
            return Ok(Some(self.copy(&source.sku, origin)));
        }
        if self.known_copies.remove(&source.sku) {
            ledger::forget_origin(&source.sku);
        }
        let product = outgoing::build(source, &self.settings)?;
        let mask = self.settings.update;
        let fingerprint = outgoing::fingerprint(&product, mask);
        let before = ledger::written(&source.sku);
        if before.as_ref().is_some_and(|w| w.fingerprint == fingerprint) && !ledger::is_parked(&source.sku) {
            return Ok(None);
        }
        // A category the source (or the mapping) names is the product's,
        // new or not; it is ensured before the product is written.
        let named = self.category_id(&product.category)?;
        let result = product_sink::upsert_product(&product, mask)?;
        let mut detail = match result.outcome {
            UpsertOutcome::Created => format!("created as {}", result.id),
            UpsertOutcome::Updated => format!("updated {}", result.id),
            UpsertOutcome::Unchanged => format!("{} already had these values", result.id),
            UpsertOutcome::IsVariant => return Ok(Some(self.variant(&product.sku, result, fingerprint))),
        };
        // Stock and the category link are writes too, even when the product
        // itself was unchanged.
        let mut extra_writes = false;
        let mut initial_stock = None;
        if result.outcome == UpsertOutcome::Created {
            ledger::mark_pending(Pending::Stock, &product.sku);
            if product.category.is_empty() && !self.settings.default_category.is_empty() {
                ledger::mark_pending(Pending::Category, &product.sku);
            }
        }
        if ledger::is_pending(Pending::Stock, &product.sku)
            && let Some(quantity) = self.initial_stock(source)
        {
            stock_sink::set_stock(&product.sku, quantity)?;
            detail += &format!(", stock set to {quantity}");
            extra_writes = true;
            initial_stock = Some(quantity);
        }
        ledger::clear_pending(Pending::Stock, &product.sku);
        // The default category is for products the flow creates: an existing
        // product keeps the categories the shop gave it.
        let (path, category) = if named.is_some() {
            (product.category.clone(), named)
        } else if ledger::is_pending(Pending::Category, &product.sku) {
            let path = self.settings.default_category.clone();
            let id = self.category_id(&path)?;
            (path, id)
        } else {
            (Vec::new(), None)
        };
        let linked_before = before.and_then(|w| w.category_id);
        if let Some(category_id) = &category
            && linked_before.as_ref() != Some(category_id)
        {
            if let Err(e) = category_sink::link_product(&product.sku, category_id) {
                // The shop may have lost the category since we cached it.
                ledger::forget_category(&path);
                return Err(e);
            }
            detail += &format!(", linked to category {}", path.join(" / "));
            extra_writes = true;
        }
        ledger::clear_pending(Pending::Category, &product.sku);
        ledger::record(
            &product.sku,
            &Written { target_id: result.id.clone(), fingerprint, category_id: category.or(linked_before) },
        );
        let mut sent = match result.outcome {
            UpsertOutcome::Created => outgoing::payload(&product, None),
            UpsertOutcome::Updated => outgoing::payload(&product, Some(mask)),
            UpsertOutcome::Unchanged if extra_writes => serde_json::json!({}),
            // Unchanged (a variant returned above).
            _ => return Ok(Some(Done::Unchanged { target_id: result.id })),
        };
        if !path.is_empty() {
            sent["category"] = serde_json::json!(path);
        }
        if let Some(quantity) = initial_stock {
            sent["stock"] = serde_json::json!(quantity);
        }
        Ok(Some(Done::Written { target_id: result.id, detail, payload: sent.to_string() }))
    }

    /// A product the source created from the target's own record, unchanged
    /// since (its connector says so with `origin`): writing it back could
    /// only overwrite what the target knows better, with a copy that may lack
    /// some of it. It is written again once the source's copy changes.
    fn copy(&mut self, sku: &str, origin: &str) -> Done {
        self.copies += 1;
        if self.known_copies.contains(sku) {
            return Done::KnownCopy;
        }
        ledger::unpark(sku);
        ledger::record_origin(sku);
        let (source, target) = self.systems();
        Done::Copy {
            reason: format!(
                "the {source} created it from the {origin}'s record and nobody has changed it there since, so the \
                 {target} is not written; it is once its copy in the {source} changes"
            ),
        }
    }

    /// A SKU the target keeps as a variant is not written. It is remembered
    /// with its fingerprint, so the target is asked again only when the
    /// source product changes.
    fn variant(&self, sku: &str, result: UpsertResult, fingerprint: String) -> Done {
        ledger::record(sku, &Written { target_id: result.id.clone(), fingerprint, category_id: None });
        ledger::record_variant(sku);
        let (_, target) = self.systems();
        let what = result.note.unwrap_or_else(|| format!("variant {}", result.id));
        let reason = format!(
            "{sku} is {what} in the {target}; the products flow writes simple products only; its stock is kept by \
             the stock flow"
        );
        Done::Variant { target_id: result.id, reason }
    }

    /// The target's id of a category path, asked of the category sink at most
    /// once per path: cached for the run and in state.
    fn category_id(&mut self, path: &[String]) -> Result<Option<String>, Error> {
        if path.is_empty() || self.settings.direction == Direction::ShopToBooks {
            // The books keep no categories.
            return Ok(None);
        }
        if let Some(id) = self.categories.get(path) {
            return Ok(Some(id.clone()));
        }
        let id = match ledger::category(path) {
            Some(id) => id,
            None => {
                let category = Category {
                    path: path.to_vec(),
                    description: None,
                    visible: self.settings.category_visible,
                    custom_fields: Vec::new(),
                };
                let id = category_sink::ensure_category(&category)?;
                ledger::remember_category(path, &id);
                id
            }
        };
        self.categories.insert(path.to_vec(), id.clone());
        Ok(Some(id))
    }

    /// The books' available stock, for a product just created in the shop.
    fn initial_stock(&self, source: &Product) -> Option<f64> {
        if self.settings.direction != Direction::BooksToShop || !self.settings.initial_stock || !source.stock_managed {
            return None;
        }
        source
            .custom_fields
            .iter()
            .find(|(name, _)| name == AVAILABLE_STOCK_FIELD)
            .and_then(|(_, value)| value.parse::<f64>().ok())
    }

    pub fn systems(&self) -> (&'static str, &'static str) {
        self.settings.systems()
    }

    pub fn skip(&mut self, note: String) {
        self.skipped += 1;
        self.note(note);
    }

    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }
}
