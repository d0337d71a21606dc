//! How each line is booked: VAT code and revenue account by the delivery
//! country (exact country, then EU or export, then default), from settings.
//! A tenant that maps revenue accounts must map every country it sells to:
//! an unmapped one parks the order rather than booking it on a guess.

use trestle::sync::sales_document_sink::LineBooking;
use trestle_guest::Error;
use trestle_guest::types::Order;

use crate::settings::Settings;
use crate::trestle;

const EU: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The keys to try for a country, most specific first.
fn keys(country: &str, home: &str) -> [&'static str; 2] {
    let region = if country == home {
        "domestic"
    } else if EU.contains(&country) {
        "eu"
    } else {
        "export"
    };
    [region, "default"]
}

fn lookup<T: Clone>(map: &std::collections::BTreeMap<String, T>, country: &str, home: &str) -> Option<T> {
    map.get(country).or_else(|| keys(country, home).iter().find_map(|k| map.get(*k))).cloned()
}

pub fn for_order(order: &Order, articles: Vec<Option<String>>, settings: &Settings) -> Result<Vec<LineBooking>, Error> {
    let country = order.delivery_address.country_code.trim().to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(Error::Invalid(format!(
            "the delivery country {:?} is not a two-letter ISO code (a mapping module can normalise it)",
            order.delivery_address.country_code
        )));
    }
    let vat_code = lookup(&settings.vat_codes, &country, &settings.home_country);
    let revenue_account = lookup(&settings.revenue_accounts, &country, &settings.home_country);
    if !settings.revenue_accounts.is_empty() && revenue_account.is_none() {
        let [region, _] = keys(&country, &settings.home_country);
        return Err(Error::Invalid(format!(
            "no revenue account for deliveries to {country}: set revenue_account.{country} (or revenue_account.{region}) \
             in the flow's settings"
        )));
    }
    Ok(articles
        .into_iter()
        .map(|article_id| LineBooking { article_id, vat_code: vat_code.clone(), revenue_account })
        .collect())
}
