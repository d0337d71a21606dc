//! The flow's settings, read once per run from `[flows.products.settings]`.
//! A bad value or an unknown key is refused with the key and what is allowed,
//! so a typo (`update.description`) cannot silently fall back to a default.

use std::collections::BTreeMap;

use trestle_guest::config;
use trestle_guest::flow::settings::flag;

use crate::trestle::sync::product_sink::UpdateMask;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    BooksToShop,
    ShopToBooks,
}

/// Which of the source's two prices is kept exact; the target derives the
/// other at the product's VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceBasis {
    InclVat,
    ExclVat,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub direction: Direction,
    pub active_only: bool,
    pub sku_prefix: Option<String>,
    pub expression: Option<String>,
    /// Fields an update may overwrite; a create always sends everything.
    pub update: UpdateMask,
    pub price_basis: PriceBasis,
    /// Source VAT rate -> the rate to write (e.g. Dutch 21 -> Swedish 25).
    pub vat_rates: BTreeMap<String, f64>,
    /// Products priced in another currency are parked (none: no check).
    pub currency: Option<String>,
    /// Category path for products the flow creates whose source names none.
    pub default_category: Vec<String>,
    /// Whether categories the flow creates are shown on the web site.
    pub category_visible: bool,
    /// Books to shop: a created product gets the books' available stock.
    pub initial_stock: bool,
}

/// (key, what it means) for every `update.*` switch, with its default.
const UPDATE_FIELDS: &[(&str, UpdateMask, bool)] = &[
    ("name", UpdateMask::NAME, true),
    ("descriptions", UpdateMask::DESCRIPTIONS, false),
    ("price", UpdateMask::PRICE, true),
    ("vat", UpdateMask::VAT, true),
    ("ean", UpdateMask::EAN, true),
    ("unit", UpdateMask::UNIT, true),
    ("active", UpdateMask::ACTIVE, true),
];

const PLAIN_KEYS: &[&str] = &[
    "direction",
    "filter.active_only",
    "filter.sku_prefix",
    "filter.expression",
    "price_basis",
    "currency",
    "category",
    "category_visible",
    "initial_stock",
];

fn text(entries: &BTreeMap<String, String>, key: &str) -> Option<String> {
    entries.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn rate(key: &str, value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && (0.0..100.0).contains(r))
        .ok_or_else(|| format!("setting `{key}` must be a VAT percentage from 0 to 100 (e.g. 21), got {value:?}"))
}

impl Settings {
    /// The source's and the target's side, for people.
    pub fn systems(&self) -> (&'static str, &'static str) {
        match self.direction {
            Direction::BooksToShop => ("books", "shop"),
            Direction::ShopToBooks => ("shop", "books"),
        }
    }

    pub fn from_config() -> Result<Self, String> {
        Self::parse(&config::entries().into_iter().collect())
    }

    pub fn parse(e: &BTreeMap<String, String>) -> Result<Self, String> {
        check_keys(e)?;
        let direction = match e.get("direction").map(String::as_str).unwrap_or("books-to-shop") {
            "books-to-shop" => Direction::BooksToShop,
            "shop-to-books" => Direction::ShopToBooks,
            other => return Err(format!("setting `direction` = {other:?}; allowed: books-to-shop, shop-to-books")),
        };
        let price_basis = match e.get("price_basis").map(String::as_str).unwrap_or("incl-vat") {
            "incl-vat" => PriceBasis::InclVat,
            "excl-vat" => PriceBasis::ExclVat,
            other => return Err(format!("setting `price_basis` = {other:?}; allowed: incl-vat, excl-vat")),
        };
        let mut update = UpdateMask::empty();
        for (name, bit, default) in UPDATE_FIELDS {
            if flag(e, &format!("update.{name}"), *default)? {
                update |= *bit;
            }
        }
        let mut vat_rates = BTreeMap::new();
        for (key, value) in e.iter().filter(|(k, _)| k.starts_with("vat_rate.")) {
            let from = rate(key, &key["vat_rate.".len()..])
                .map_err(|_| format!("setting `{key}` must name a source VAT rate after the dot (e.g. vat_rate.21)"))?;
            vat_rates.insert(rate_key(from), rate(key, value)?);
        }
        let default_category = match text(e, "category") {
            Some(path) => {
                let names: Vec<String> = path.split('/').map(|n| n.trim().to_string()).collect();
                if names.iter().any(String::is_empty) {
                    return Err(format!(
                        "setting `category` = {path:?} has an empty name in it; write the path as e.g. \"Clothing/Shirts\""
                    ));
                }
                names
            }
            None => Vec::new(),
        };
        Ok(Settings {
            direction,
            active_only: flag(e, "filter.active_only", false)?,
            sku_prefix: text(e, "filter.sku_prefix"),
            expression: text(e, "filter.expression"),
            update,
            price_basis,
            vat_rates,
            currency: text(e, "currency").map(|c| c.to_uppercase()),
            default_category,
            category_visible: flag(e, "category_visible", false)?,
            initial_stock: flag(e, "initial_stock", true)?,
        })
    }

    /// The rate to write for a source rate: mapped, else unchanged.
    pub fn vat_rate(&self, source: f64) -> f64 {
        self.vat_rates.get(&rate_key(source)).copied().unwrap_or(source)
    }
}

/// "21", "9", "5.5": how a rate is looked up in `vat_rate.*`.
fn rate_key(rate: f64) -> String {
    format!("{}", (rate * 100.0).round() / 100.0)
}

fn check_keys(e: &BTreeMap<String, String>) -> Result<(), String> {
    for key in e.keys() {
        let known = PLAIN_KEYS.contains(&key.as_str())
            || key.starts_with("vat_rate.")
            || key.strip_prefix("update.").is_some_and(|f| UPDATE_FIELDS.iter().any(|(name, _, _)| *name == f));
        if known {
            continue;
        }
        if key == "filter.label" {
            return Err("setting `filter.label` is not supported: eAccounting's article filter cannot select by \
                        label, and CCV Shop products have none; use `filter.sku_prefix` or `filter.expression`"
                .into());
        }
        let updates: Vec<String> = UPDATE_FIELDS.iter().map(|(name, _, _)| format!("update.{name}")).collect();
        return Err(format!(
            "setting `{key}` is not a products flow setting; allowed: {}, {}, vat_rate.<rate>",
            PLAIN_KEYS.join(", "),
            updates.join(", ")
        ));
    }
    Ok(())
}
