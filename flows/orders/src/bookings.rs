//! How each line is booked: VAT code and revenue account by the delivery
//! country (exact country, then EU or export, then default), from settings.
//! A tenant that maps revenue accounts must map every country it sells to:
//! an unmapped one parks the order rather than booking it on a guess.

use trestle::sync::sales_document_sink::LineBooking;
use trestle_guest::Error;
use trestle_guest::flow::countries::is_iso_code;
use trestle_guest::types::Order;

use crate::settings::Settings;
use crate::trestle;

pub fn for_order(order: &Order, articles: Vec<Option<String>>, settings: &Settings) -> Result<Vec<LineBooking>, Error> {
    let country = order.delivery_address.country_code.trim().to_uppercase();
    if !is_iso_code(&country) {
        return Err(Error::Invalid(format!(
            "the delivery country {:?} is not a two-letter ISO code (a mapping module can normalise it)",
            order.delivery_address.country_code
        )));
    }
    let home = &settings.home_country;
    let vat_code = settings.vat_codes.get(&country, home).cloned();
    let revenue_account = settings.revenue_accounts.get(&country, home).copied();
    if !settings.revenue_accounts.is_empty() && revenue_account.is_none() {
        return Err(Error::Invalid(format!(
            "no revenue account for deliveries to {country}: set {} in the flow's settings",
            settings.revenue_accounts.setting_to_add(&country, home)
        )));
    }
    Ok(articles
        .into_iter()
        .map(|article_id| LineBooking { article_id, vat_code: vat_code.clone(), revenue_account })
        .collect())
}
