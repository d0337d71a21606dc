//! Customers: the canonical customer as eAccounting's `CustomerApi` and
//! back. eAccounting keeps one flat invoice address, one delivery address
//! and one contact person per customer; private and company customers
//! differ in `IsPrivatePerson` (which also decides whether documents show
//! gross prices) and in whose name the customer carries.

use serde_json::{Value, json};
use trestle_guest::Error;
use trestle_guest::types::{Address, Contact, Customer, CustomerKind};

use crate::client::{self, literal};
use crate::exports::trestle::sync::customer_sink::{CustomerDefaults, StoredCustomer};
use crate::exports::trestle::sync::customer_source::CustomerPage;
use crate::{company, json};

pub fn list(cursor: Option<&str>) -> Result<CustomerPage, Error> {
    let page = client::list_page("/customers", &[], cursor)?;
    let customers = page.items.iter().map(from_api).collect::<Result<_, _>>()?;
    Ok(CustomerPage { customers, next: page.next })
}

pub fn find_by_email(email: &str) -> Result<Option<StoredCustomer>, Error> {
    let Some(found) = client::find_one("/customers", format!("EmailAddress eq {}", literal(email.trim())))? else {
        return Ok(None);
    };
    Ok(Some(StoredCustomer { id: json::string(&found, "Id", "eAccounting customer")?, customer: from_api(&found)? }))
}

/// Of the defaults only the terms of payment apply: an eAccounting customer
/// has no VAT code or revenue account (those come from article codings).
pub fn create(customer: &Customer, defaults: &CustomerDefaults) -> Result<String, Error> {
    let terms = match &defaults.terms_of_payment_id {
        Some(id) => id.clone(),
        None => json::string(&*company::settings()?, "TermsOfPaymentId", "eAccounting company settings")?,
    };
    let mut body = json!({"IsActive": true, "TermsOfPaymentId": terms});
    fill(&mut body, customer)?;
    let created = client::post("/customers", &body)?;
    json::string(&created, "Id", "eAccounting customer just created")
}

/// PUT replaces the whole customer, so what we do not manage (customer
/// number, labels, notes …) is carried over from the stored one.
pub fn update(id: &str, customer: &Customer, defaults: &CustomerDefaults) -> Result<(), Error> {
    let path = format!("/customers/{}", crate::percent::encode(id));
    let mut body = client::get(&path)?;
    json::object(&body, "eAccounting customer")?;
    if let Some(terms) = &defaults.terms_of_payment_id {
        body["TermsOfPaymentId"] = json!(terms);
    }
    fill(&mut body, customer)?;
    client::put(&path, &body)?;
    Ok(())
}

/// Sets every field we manage; a field the customer no longer has is
/// cleared, so the books mirror the source.
fn fill(body: &mut Value, customer: &Customer) -> Result<(), Error> {
    let is_company = customer.kind == CustomerKind::Company;
    let person = full_name(&customer.first_name, &customer.last_name);
    let name = match (is_company, &customer.company_name, &customer.billing_address.company) {
        (true, Some(company), _) | (true, None, Some(company)) => company.clone(),
        _ if !person.is_empty() => person.clone(),
        _ => customer.email.clone(),
    };
    let billing = &customer.billing_address;
    let contact = customer.contact.clone().or_else(|| {
        is_company.then(|| Contact {
            name: person.clone(),
            email: Some(customer.email.clone()),
            phone: customer.phone.clone(),
        })
    });
    let fields = [
        ("Name", json!(name)),
        ("IsPrivatePerson", json!(!is_company)),
        ("EmailAddress", json!(customer.email)),
        ("Telephone", json!(customer.phone.clone().or_else(|| billing.phone.clone()))),
        ("VatNumber", json!(customer.vat_number)),
        ("CorporateIdentityNumber", json!(customer.registration_number)),
        ("InvoiceAddress1", json!(street_line(billing))),
        ("InvoiceAddress2", json!(billing.extra_line)),
        ("InvoicePostalCode", json!(billing.postal_code)),
        ("InvoiceCity", json!(billing.city)),
        ("InvoiceCountryCode", json!(country(billing))),
        ("ContactPersonName", json!(contact.as_ref().map(|c| c.name.clone()))),
        ("ContactPersonEmail", json!(contact.as_ref().and_then(|c| c.email.clone()))),
        ("ContactPersonPhone", json!(contact.as_ref().and_then(|c| c.phone.clone()))),
    ];
    let delivery = customer.delivery_address.as_ref();
    let delivery_fields = [
        ("DeliveryCustomerName", json!(delivery.map(|a| a.company.clone().unwrap_or_else(|| a.name.clone())))),
        ("DeliveryAddress1", json!(delivery.map(street_line))),
        ("DeliveryAddress2", json!(delivery.and_then(|a| a.extra_line.clone()))),
        ("DeliveryPostalCode", json!(delivery.map(|a| a.postal_code.clone()))),
        ("DeliveryCity", json!(delivery.map(|a| a.city.clone()))),
        ("DeliveryCountryCode", json!(delivery.and_then(country))),
    ];
    for (field, value) in fields.into_iter().chain(delivery_fields) {
        body[field] = value;
    }
    json::merge_custom_fields(body, &customer.custom_fields, &format!("customer {}", customer.email))
}

fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim()).trim().to_string()
}

/// "Keizersgracht 1 A": eAccounting has one street line.
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

fn from_api(item: &Value) -> Result<Customer, Error> {
    let what = "eAccounting customer";
    let text = |field: &str| json::optional_string(item, field, what);
    let id = json::string(item, "Id", what)?;
    let name = text("Name")?.unwrap_or_default();
    let private = json::flag(item, "IsPrivatePerson", what)?;
    let contact_name = text("ContactPersonName")?;
    // A person's name is one field in eAccounting: first word, then the rest.
    let person = if private { Some(name.clone()) } else { contact_name.clone() }.unwrap_or_default();
    let (first_name, last_name) = match person.trim().split_once(' ') {
        Some((first, rest)) => (first.to_string(), rest.trim().to_string()),
        None => (person.trim().to_string(), String::new()),
    };
    let phone = text("Telephone")?.or(text("MobilePhone")?);
    let address = |prefix: &str, name: String| -> Result<Address, Error> {
        Ok(Address {
            name,
            company: (!private).then(|| json::optional_string(item, "Name", what)).transpose()?.flatten(),
            street: text(&format!("{prefix}Address1"))?.unwrap_or_default(),
            house_number: None,
            house_number_suffix: None,
            extra_line: text(&format!("{prefix}Address2"))?,
            postal_code: text(&format!("{prefix}PostalCode"))?.unwrap_or_default(),
            city: text(&format!("{prefix}City"))?.unwrap_or_default(),
            region: None,
            country_code: text(&format!("{prefix}CountryCode"))?.unwrap_or_default().to_ascii_uppercase(),
            phone: phone.clone(),
            custom_fields: Vec::new(),
        })
    };
    let has_delivery = text("DeliveryAddress1")?.is_some() || text("DeliveryCity")?.is_some();
    let delivery_address = if has_delivery {
        Some(address("Delivery", text("DeliveryCustomerName")?.unwrap_or_else(|| name.clone()))?)
    } else {
        None
    };
    let custom_fields = [("CustomerNumber", "CustomerNumber"), ("TermsOfPaymentId", "TermsOfPaymentId")]
        .into_iter()
        .filter_map(|(key, field)| item.get(field).filter(|v| !v.is_null()).map(|v| (key.to_string(), v.to_string())))
        .collect();
    Ok(Customer {
        source_id: id,
        kind: if private { CustomerKind::Private } else { CustomerKind::Company },
        email: text("EmailAddress")?.unwrap_or_default(),
        first_name,
        last_name,
        company_name: (!private).then(|| name.clone()),
        contact: match (private, contact_name) {
            (false, Some(contact)) => Some(Contact {
                name: contact,
                email: text("ContactPersonEmail")?,
                phone: text("ContactPersonPhone")?.or(text("ContactPersonMobile")?),
            }),
            _ => None,
        },
        vat_number: text("VatNumber")?,
        registration_number: text("CorporateIdentityNumber")?,
        phone: phone.clone(),
        billing_address: address("Invoice", name.clone())?,
        delivery_address,
        custom_fields,
    })
}
