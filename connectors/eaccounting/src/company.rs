//! The company the token belongs to: its settings (cached per instance) and
//! `check()`, which says what is missing for this connector to work.

use std::rc::Rc;

use serde_json::Value;
use trestle_guest::Error;

use crate::api_error::RECONNECT;
use crate::{client, json, settings};

thread_local! {
    static SETTINGS: std::cell::OnceCell<Rc<Value>> = const { std::cell::OnceCell::new() };
}

/// `GET /companysettings`, once per instance.
pub fn settings() -> Result<Rc<Value>, Error> {
    if let Some(cached) = SETTINGS.with(|cell| cell.get().cloned()) {
        return Ok(cached);
    }
    let company = client::get("/companysettings")?;
    json::object(&company, "eAccounting company settings")?;
    let company = Rc::new(company);
    SETTINGS.with(|cell| cell.set(company.clone()).ok());
    Ok(company)
}

/// Tells this company apart from others the same connection may later be
/// pointed at (a sandbox, then the live company): its identifier, else its
/// registration number, else its name.
pub fn identity() -> Result<String, Error> {
    let company = settings()?;
    let what = "eAccounting company settings";
    for field in ["CompanyIdentifier", "CorporateIdentityNumber", "Name"] {
        if let Some(value) = json::optional_string(&company, field, what)?.filter(|v| !v.trim().is_empty()) {
            return Ok(value);
        }
    }
    Err(trestle_guest::errors::malformed(what, "Name", "empty"))
}

/// The company's base currency (ISO 4217).
pub fn currency() -> Result<String, Error> {
    json::string(&*settings()?, "CurrencyCode", "eAccounting company settings")
}

/// Whether sales documents for private customers carry gross unit prices:
/// `IncludesVat = IsPrivatePerson && !ShowPricesExclVatPC` (the rule the API
/// documentation implies; `documents` checks the answer against it).
pub fn prices_include_vat_for(private_customer: bool) -> Result<bool, Error> {
    let excl = json::flag(&*settings()?, "ShowPricesExclVatPC", "eAccounting company settings")?;
    Ok(private_customer && !excl)
}

/// Modules this connector uses, with what is lost without them.
const MODULES: &[(&str, &str)] =
    &[("QuoteAndOrder", "quotes and orders cannot be created"), ("Stock", "stock levels are not kept")];

pub fn check() -> Result<String, Error> {
    let what = "eAccounting company settings";
    let company = settings()?;
    let name = json::string(&company, "Name", what)?;
    let number = json::optional_string(&company, "CorporateIdentityNumber", what)?.unwrap_or_default();
    if let Some(expected) = &settings::get()?.company
        && !expected.eq_ignore_ascii_case(&name)
        && *expected != number
    {
        return Err(Error::Auth(format!(
            "the token reaches the company {name} ({number}), not {expected} as the `company` setting says; \
             {RECONNECT} and pick {expected}"
        )));
    }
    if json::number(&company, "CompanyStatus", what)? as i64 != 1 {
        return Err(Error::Fatal(format!(
            "the eAccounting company {name} is not active (CompanyStatus {}); activate it in eAccounting",
            company["CompanyStatus"]
        )));
    }
    // VAT codes need an accounting scope that company settings do not.
    client::list_page("/vatcodes", &[], None)?;
    let active: Vec<&str> = json::array(&company, "ActivatedModules", what)?.iter().filter_map(Value::as_str).collect();
    let missing: Vec<String> = MODULES
        .iter()
        .filter(|(module, _)| !active.contains(module))
        .map(|(module, lost)| format!("module {module} is not activated, so {lost}"))
        .collect();
    let currency = json::optional_string(&company, "CurrencyCode", what)?.unwrap_or_default();
    let country = json::optional_string(&company, "CountryCode", what)?.unwrap_or_default();
    let mut text = format!("Visma eAccounting company {name} ({country}, {currency})");
    if !missing.is_empty() {
        text += &format!("; note: {}", missing.join("; "));
    }
    Ok(text)
}
