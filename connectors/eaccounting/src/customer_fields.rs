//! The fields of an eAccounting customer this connector manages, worked out
//! from the canonical customer, and which of them an update may write over
//! what the books hold. A field the source has no value for is left alone
//! (empty means "unknown", never "clear"); values that differ only in
//! spacing ("Spoorlaan 210-2" and "Spoorlaan 210 -2"), or e-mail addresses
//! and country codes that differ only in case, are the same; a company's
//! contact person and e-mail address stay as the books have them unless
//! the connection says `update_contact = true`, and a company is never
//! turned into a private person by a buyer who ordered as one.

use serde_json::{Map, Value, json};
use trestle_guest::types::{Address, Customer, CustomerKind};

use crate::schema::Component;

/// What the source knows of the customer, field by field.
pub fn wanted(customer: &Customer) -> Vec<(String, Value)> {
    let is_company = customer.kind == CustomerKind::Company;
    let person = full_name(&customer.first_name, &customer.last_name);
    let name = match (is_company, &customer.company_name, &customer.billing_address.company) {
        (true, Some(company), _) | (true, None, Some(company)) => company.clone(),
        _ if !person.is_empty() => person.clone(),
        _ => customer.email.clone(),
    };
    let billing = &customer.billing_address;
    // A new company's contact is the buyer, unless the source names one.
    let (contact_name, contact_email, contact_phone) = match (&customer.contact, is_company) {
        (Some(c), _) => (Some(c.name.clone()), c.email.clone(), c.phone.clone()),
        (None, true) => (Some(person.clone()), Some(customer.email.clone()), customer.phone.clone()),
        (None, false) => (None, None, None),
    };
    let mut text: Vec<(&str, Option<String>)> = vec![
        ("Name", Some(name)),
        ("EmailAddress", Some(customer.email.clone())),
        ("Telephone", customer.phone.clone().or_else(|| billing.phone.clone())),
        ("VatNumber", customer.vat_number.clone()),
        ("CorporateIdentityNumber", customer.registration_number.clone()),
        ("InvoiceAddress1", Some(street_line(billing))),
        ("InvoiceAddress2", billing.extra_line.clone()),
        ("InvoicePostalCode", Some(billing.postal_code.clone())),
        ("InvoiceCity", Some(billing.city.clone())),
        ("InvoiceCountryCode", country(billing)),
        ("ContactPersonName", contact_name),
        ("ContactPersonEmail", contact_email),
        ("ContactPersonPhone", contact_phone),
    ];
    // eAccounting delivers to the invoice address when it has no other.
    if let Some(delivery) = customer.delivery_address.as_ref().filter(|d| !same_place(d, billing)) {
        text.extend([
            ("DeliveryCustomerName", Some(delivery.company.clone().unwrap_or_else(|| delivery.name.clone()))),
            ("DeliveryAddress1", Some(street_line(delivery))),
            ("DeliveryAddress2", delivery.extra_line.clone()),
            ("DeliveryPostalCode", Some(delivery.postal_code.clone())),
            ("DeliveryCity", Some(delivery.city.clone())),
            ("DeliveryCountryCode", country(delivery)),
        ]);
    }
    let mut fields = vec![("IsPrivatePerson".to_string(), json!(!is_company))];
    fields.extend(text.into_iter().filter_map(|(field, value)| {
        let value = value?.trim().to_string();
        (!value.is_empty()).then(|| (field.to_string(), json!(value)))
    }));
    fields
}

/// Of `wanted`, what differs from `stored` and may be written over it.
pub fn changes(stored: &Value, wanted: Vec<(String, Value)>, update_contact: bool) -> Vec<(String, Value)> {
    let has = |field: &str| stored[field].as_str().is_some_and(|s| !s.trim().is_empty());
    let stored_company = stored["IsPrivatePerson"] == false;
    let wanted_private = wanted.iter().any(|(f, v)| f == "IsPrivatePerson" && *v == true);
    // A company whose buyer ordered as a private person stays the company.
    let keep_company = stored_company && wanted_private;
    let keep_contact = keep_company || (stored_company && !update_contact && has("ContactPersonName"));
    let keep_email = stored_company && !update_contact && has("EmailAddress");
    wanted
        .into_iter()
        .filter(|(field, value)| {
            let kept = match field.as_str() {
                "Name" | "IsPrivatePerson" => keep_company,
                "EmailAddress" => keep_email,
                f if f.starts_with("ContactPerson") => keep_contact,
                _ => false,
            };
            !kept && !same(field, &stored[field.as_str()], value)
        })
        .collect()
}

/// The PUT body: the stored customer as a client may send it (no read-only
/// or unknown properties, no nulls, not the embedded terms the id decides),
/// with `changes` over it. PUT replaces the whole customer, so what we do
/// not manage (number, labels, notes …) is carried over this way.
pub fn replacement(stored: &Value, changes: &[(String, Value)]) -> Value {
    let component = Component::named("CustomerApi");
    let mut body: Map<String, Value> = stored
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(field, value)| !value.is_null() && component.is_writable(field) && *field != "TermsOfPayment")
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect();
    body.extend(changes.iter().cloned());
    Value::Object(body)
}

fn same(field: &str, stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::String(a), Value::String(b)) => {
            let case_blind = field.ends_with("Email") || field == "EmailAddress" || field.ends_with("CountryCode");
            let squeeze = |s: &str| {
                let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                if case_blind { s.to_lowercase() } else { s }
            };
            squeeze(a) == squeeze(b)
        }
        _ => crate::json::same(stored, wanted),
    }
}

fn same_place(a: &Address, b: &Address) -> bool {
    let line = |a: &Address| [street_line(a), a.postal_code.clone(), a.city.clone(), country(a).unwrap_or_default()];
    line(a).iter().zip(line(b).iter()).all(|(x, y)| same("", &json!(x), &json!(y)))
}

fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim()).trim().to_string()
}

/// eAccounting has one street line: the street as the source wrote it,
/// then the house number and its suffix if the source keeps them apart
/// ("Keizersgracht 1 A").
pub fn street_line(address: &Address) -> String {
    [Some(address.street.as_str()), address.house_number.as_deref(), address.house_number_suffix.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn country(address: &Address) -> Option<String> {
    let code = address.country_code.trim().to_ascii_uppercase();
    (!code.is_empty()).then_some(code)
}
