//! What the books get with each customer besides its data: terms of payment,
//! VAT code and revenue account, by the country of its billing address. A
//! tenant that maps VAT codes or revenue accounts must map every country it
//! has customers in: an unmapped one parks the customer rather than writing
//! it on a guess.

use trestle::sync::customer_sink::CustomerDefaults;
use trestle_guest::Error;
use trestle_guest::flow::countries::{ByCountry, is_iso_code};
use trestle_guest::types::Customer;

use crate::settings::Settings;
use crate::trestle;

pub fn for_customer(customer: &Customer, settings: &Settings) -> Result<CustomerDefaults, Error> {
    let country = customer.billing_address.country_code.trim().to_ascii_uppercase();
    if !is_iso_code(&country) {
        return Err(Error::Invalid(format!(
            "the billing country {:?} is not a two-letter ISO code (a mapping module can normalise it)",
            customer.billing_address.country_code
        )));
    }
    let home = &settings.home_country;
    Ok(CustomerDefaults {
        terms_of_payment_id: settings.terms_of_payment.get(&country, home).cloned(),
        vat_code: required(&settings.vat_codes, "VAT code", &country, home)?.cloned(),
        revenue_account: required(&settings.revenue_accounts, "revenue account", &country, home)?.copied(),
    })
}

/// The value for `country`; none when the tenant maps no country at all.
fn required<'a, T>(map: &'a ByCountry<T>, what: &str, country: &str, home: &str) -> Result<Option<&'a T>, Error> {
    match map.get(country, home) {
        None if !map.is_empty() => Err(Error::Invalid(format!(
            "no {what} for customers in {country}: set {} in the flow's settings",
            map.setting_to_add(country, home)
        ))),
        found => Ok(found),
    }
}
