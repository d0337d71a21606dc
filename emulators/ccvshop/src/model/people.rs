//! Customers: registered users and the buyer data copied into each order.

use emulator_kit::seed::Person;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub person: Person,
    pub customertype: CustomerType,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerType {
    B2c,
    B2b,
}

impl Customer {
    pub fn from_person(person: Person) -> Self {
        let customertype = if person.company.is_some() { CustomerType::B2b } else { CustomerType::B2c };
        Self { person, customertype }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub group_id: Option<u64>,
    pub status: bool,
    /// `pending` or `accepted`.
    pub approval_status: String,
    pub customer: Customer,
}

/// Full English country name for an ISO alpha-2 code, as the API reads it
/// back; unknown codes are echoed.
pub fn country_name(code: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("NL", "Netherlands"),
        ("BE", "Belgium"),
        ("DE", "Germany"),
        ("FR", "France"),
        ("SE", "Sweden"),
        ("GB", "United Kingdom"),
        ("US", "United States"),
    ];
    NAMES.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, n)| n.to_string())
}

/// EU member states other than the shop's own (NL): buyers there with a VAT
/// number get intra-community (0 %) orders.
pub fn is_other_eu_country(code: &str) -> bool {
    const EU: &[&str] = &[
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
        "LV", "MT", "PL", "PT", "RO", "SE", "SI", "SK",
    ];
    EU.contains(&code)
}
