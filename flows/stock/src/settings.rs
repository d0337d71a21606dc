//! The flow's settings (`[flows.stock.settings]`), read once per run. A bad
//! value, or a key the flow does not know (a typo would otherwise be ignored
//! silently), is refused with the key and what is allowed.
//!
//! ```toml
//! [flows.stock.settings]
//! manage_stock = true              # false: the flow writes nothing to the shop
//! calculation = "available"        # available (on-hand minus reserved), on-hand, or mapping
//! skip_skus = "GIFT-*, SKU-00007"  # SKUs never written; `*` at the end makes a prefix
//! ```

use std::collections::BTreeMap;

use trestle_guest::config;
use trestle_guest::flow::settings::flag;

const KEYS: &[&str] = &["manage_stock", "calculation", "skip_skus"];

/// How the quantity the shop gets is worked out from the books' level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calculation {
    /// On hand minus reserved on open orders.
    Available,
    OnHand,
    /// The tenant's mapping module sets `available` in `map-stock`.
    Mapping,
}

impl Calculation {
    pub fn name(self) -> &'static str {
        match self {
            Calculation::Available => "available",
            Calculation::OnHand => "on-hand",
            Calculation::Mapping => "mapping",
        }
    }
}

/// SKUs the flow leaves alone: exact SKUs and prefixes.
#[derive(Debug, Clone, Default)]
pub struct SkipList {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

impl SkipList {
    fn parse(value: &str) -> Result<Self, String> {
        let mut list = SkipList::default();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.strip_suffix('*') {
                Some(prefix) if !prefix.contains('*') => list.prefixes.push(prefix.to_string()),
                _ if !entry.contains('*') => list.exact.push(entry.to_string()),
                _ => {
                    return Err(format!(
                        "setting `skip_skus`: {entry:?} has a `*` that is not at the end; allowed: comma-separated \
                         SKUs, each either exact or a prefix ending in `*`"
                    ));
                }
            }
        }
        Ok(list)
    }

    pub fn contains(&self, sku: &str) -> bool {
        self.exact.iter().any(|s| s == sku) || self.prefixes.iter().any(|p| sku.starts_with(p.as_str()))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub manage_stock: bool,
    pub calculation: Calculation,
    pub skip: SkipList,
}

impl Settings {
    pub fn from_config() -> Result<Self, String> {
        Self::parse(&config::entries().into_iter().collect())
    }

    pub fn parse(e: &BTreeMap<String, String>) -> Result<Self, String> {
        if let Some(unknown) = e.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("the stock flow has no setting `{unknown}`; known: {}", KEYS.join(", ")));
        }
        let manage_stock = flag(e, "manage_stock", true)?;
        let calculation = match e.get("calculation").map(String::as_str).unwrap_or("available") {
            "available" => Calculation::Available,
            "on-hand" => Calculation::OnHand,
            "mapping" => Calculation::Mapping,
            other => {
                return Err(format!(
                    "setting `calculation` = {other:?}; allowed: available (on-hand minus reserved), on-hand, mapping"
                ));
            }
        };
        let skip = SkipList::parse(e.get("skip_skus").map(String::as_str).unwrap_or_default())?;
        Ok(Settings { manage_stock, calculation, skip })
    }
}
