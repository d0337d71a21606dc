//! Products, their variants (attribute combinations) and categories.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// VAT class of a product. The API writes it as a string; only `normal` is
/// seen in real payloads, `reduced` and `zero` are the emulator's guess.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaxTariff {
    Normal,
    Reduced,
    Zero,
}

impl TaxTariff {
    pub fn rate(self) -> f64 {
        match self {
            TaxTariff::Normal => 21.0,
            TaxTariff::Reduced => 9.0,
            TaxTariff::Zero => 0.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TaxTariff::Normal => "normal",
            TaxTariff::Reduced => "reduced",
            TaxTariff::Zero => "zero",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [TaxTariff::Normal, TaxTariff::Reduced, TaxTariff::Zero].into_iter().find(|t| t.name() == name)
    }

    pub fn from_rate(rate: f64) -> Option<Self> {
        [TaxTariff::Normal, TaxTariff::Reduced, TaxTariff::Zero].into_iter().find(|t| t.rate() == rate)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: u64,
    /// The SKU.
    pub productnumber: String,
    pub eannumber: Option<String>,
    pub mpnnumber: Option<String>,
    pub name: String,
    pub shortdescription: String,
    pub description: String,
    pub active: bool,
    pub createdate: DateTime<Utc>,
    pub modifydate: DateTime<Utc>,
    /// Price incl. VAT before discount.
    pub price: f64,
    /// Per unit; sell price = price − discount.
    pub discount: f64,
    /// Excl. VAT.
    pub purchaseprice: f64,
    pub taxtariff: TaxTariff,
    pub stock: f64,
    pub unit: String,
    pub weight: f64,
    pub package_id: u64,
    /// Emulator-only fact, not rendered by the API: whether the books know this SKU.
    pub in_books: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeCombination {
    pub id: u64,
    pub product_id: u64,
    pub product_number: Option<String>,
    pub sku_number: String,
    pub ean_number: Option<String>,
    pub stock: f64,
    pub active: bool,
    /// (attribute, value), e.g. ("Size", "M").
    pub combination: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub position: u64,
    pub parent_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductToCategory {
    pub id: u64,
    pub product_id: u64,
    pub category_id: u64,
    pub position: u64,
}
