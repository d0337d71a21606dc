//! Products, their variants (attribute combinations) and categories.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// VAT class of a product: the five names of the official PHP SDK
/// (`Product::TAX_TARIF_*`). Which rate each stands for depends on the
/// shop's country and is not documented; the emulated shop's rates are a
/// guess (see UNCONFIRMED.md), and it renders the rate as `vatrate` too.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum TaxTariff {
    #[serde(rename = "normal")]
    Normal,
    #[serde(rename = "low a")]
    LowA,
    #[serde(rename = "low b")]
    LowB,
    #[serde(rename = "extra low")]
    ExtraLow,
    #[serde(rename = "zero")]
    Zero,
}

impl TaxTariff {
    pub const ALL: [TaxTariff; 5] =
        [TaxTariff::Normal, TaxTariff::LowA, TaxTariff::LowB, TaxTariff::ExtraLow, TaxTariff::Zero];

    pub fn rate(self) -> f64 {
        match self {
            TaxTariff::Normal => 21.0,
            TaxTariff::LowA => 9.0,
            TaxTariff::LowB => 6.0,
            TaxTariff::ExtraLow => 3.0,
            TaxTariff::Zero => 0.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TaxTariff::Normal => "normal",
            TaxTariff::LowA => "low a",
            TaxTariff::LowB => "low b",
            TaxTariff::ExtraLow => "extra low",
            TaxTariff::Zero => "zero",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn from_rate(rate: f64) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.rate() == rate)
    }

    /// "normal, low a, low b, extra low, zero".
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

/// Where a product keeps its stock: on itself, or per attribute combination
/// (its variants). The API writes it as a string; the values are the
/// emulator's guess.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StockType {
    Product,
    Combination,
}

impl StockType {
    pub fn name(self) -> &'static str {
        match self {
            StockType::Product => "product",
            StockType::Combination => "combination",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [StockType::Product, StockType::Combination].into_iter().find(|t| t.name() == name)
    }
}

/// Writable properties the emulator keeps as written and renders back,
/// without acting on them (SEO texts, export categories, ...).
pub type Stored = std::collections::BTreeMap<String, serde_json::Value>;

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
    pub stockenabled: bool,
    pub stocktype: StockType,
    pub stock: f64,
    pub unit: String,
    pub weight: f64,
    pub package_id: u64,
    pub stored: Stored,
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
    /// Whether shoppers see it in the web shop's menu.
    pub show_on_website: bool,
    pub stored: Stored,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductToCategory {
    pub id: u64,
    pub product_id: u64,
    pub category_id: u64,
    pub position: u64,
}
