//! The flow's settings (`[flows.customers.settings]`), read once per run.
//! A bad value, or a key the flow does not know (a typo would otherwise be
//! ignored without a word), is refused with the key and what is allowed.

use std::collections::BTreeMap;

use trestle_guest::config;
use trestle_guest::flow::countries::{ByCountry, is_iso_code};

#[derive(Debug, Clone)]
pub struct Settings {
    /// Terms of payment id per country; none: the books' own default.
    pub terms_of_payment: ByCountry<String>,
    /// VAT code per country; when any is set, every country needs one.
    pub vat_codes: ByCountry<String>,
    /// Revenue account per country; when any is set, every country needs one.
    pub revenue_accounts: ByCountry<u32>,
    /// The shop's own country, to tell domestic from EU and export customers.
    pub home_country: String,
}

const BY_COUNTRY: &[&str] = &["terms_of_payment", "vat_code", "revenue_account"];
const HOME_COUNTRY: &str = "home_country";

fn text(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

impl Settings {
    pub fn from_config() -> Result<Self, String> {
        Self::parse(&config::entries().into_iter().collect())
    }

    pub fn parse(e: &BTreeMap<String, String>) -> Result<Self, String> {
        let known = |key: &str| {
            key == HOME_COUNTRY
                || BY_COUNTRY
                    .iter()
                    .any(|name| key == *name || key.strip_prefix(name).is_some_and(|r| r.starts_with('.')))
        };
        if let Some(unknown) = e.keys().find(|k| !known(k)) {
            return Err(format!(
                "setting `{unknown}` is not a setting of the customers flow; allowed: terms_of_payment[.<country>], \
                 vat_code[.<country>], revenue_account[.<country>], home_country"
            ));
        }
        let home_country = match e.get(HOME_COUNTRY) {
            None => "NL".to_string(),
            Some(v) if is_iso_code(v.trim()) => v.trim().to_ascii_uppercase(),
            Some(v) => {
                return Err(format!("setting `{HOME_COUNTRY}` must be a two-letter ISO code such as NL, got {v:?}"));
            }
        };
        Ok(Settings {
            terms_of_payment: ByCountry::parse(
                e,
                "terms_of_payment",
                "the id of a terms of payment in the books",
                text,
            )?,
            vat_codes: ByCountry::parse(e, "vat_code", "a VAT code of the books", text)?,
            revenue_accounts: ByCountry::parse(e, "revenue_account", "an account number such as 3001", |v| {
                v.parse().ok()
            })?,
            home_country,
        })
    }
}
