//! Customers: the canonical customer as eAccounting's `CustomerApi` and
//! back. eAccounting keeps one flat invoice address, one delivery address
//! and one contact person per customer; private and company customers
//! differ in `IsPrivatePerson` (which also decides whether documents show
//! gross prices) and in whose name the customer carries. Which books
//! customer a shop customer is: `customer_match`; what an update may
//! write: `customer_fields`.

use serde_json::{Value, json};
use trestle_guest::Error;
use trestle_guest::log::{self, Level};
use trestle_guest::types::{Address, Contact, Customer, CustomerKind};

use crate::client;
use crate::custom_fields::{self, Target};
use crate::customer_fields::{self, changes, wanted};
use crate::customer_match::{self, path};
use crate::exports::trestle::sync::customer_sink::{CustomerDefaults, StoredCustomer};
use crate::exports::trestle::sync::customer_source::CustomerPage;
use crate::{company, json, settings};

pub use crate::customer_fields::{country, street_line};

pub fn list(cursor: Option<&str>) -> Result<CustomerPage, Error> {
    let page = client::list_page("/customers", &[], cursor)?;
    let customers = page.items.iter().map(from_api).collect::<Result<_, _>>()?;
    Ok(CustomerPage { customers, next: page.next })
}

pub fn find_by_email(email: &str) -> Result<Option<StoredCustomer>, Error> {
    let Some(found) = customer_match::by_email(email)? else {
        return Ok(None);
    };
    Ok(Some(StoredCustomer { id: json::string(&found, "Id", "eAccounting customer")?, customer: from_api(&found)? }))
}

/// Where a mapping's custom fields go on a customer.
fn target() -> Target {
    const MATCH: &str = "the customer is matched by it";
    Target::new(
        "CustomerApi",
        "customer",
        &[
            ("Id", custom_fields::ID),
            ("CustomerNumber", "the books number their customers"),
            ("EmailAddress", MATCH),
            ("VatNumber", MATCH),
            ("CorporateIdentityNumber", MATCH),
            ("IsPrivatePerson", "it decides the price basis of the customer's documents"),
        ],
    )
}

/// Looks up before it creates: a customer with the e-mail address (unless
/// `find_by_email` just found none) or, for a company, with its VAT or
/// registration number is updated instead. Of the defaults only the terms
/// of payment apply: an eAccounting customer has no VAT code or revenue
/// account (those come from article codings).
pub fn create(customer: &Customer, defaults: &CustomerDefaults) -> Result<String, Error> {
    let existing =
        if customer_match::known_absent(&customer.email) { None } else { customer_match::by_email(&customer.email)? };
    let existing = match existing {
        Some(found) => Some(found),
        None => customer_match::by_company_number(customer)?,
    };
    if let Some(found) = existing {
        let id = json::string(&found, "Id", "eAccounting customer")?;
        log::log(
            Level::Info,
            &format!(
                "customer {} is books customer {} already; updated, not created",
                customer.email,
                found["CustomerNumber"].as_str().unwrap_or(&id)
            ),
            &[("id".into(), id.clone())],
        );
        update(&id, customer, defaults)?;
        return Ok(id);
    }
    let terms = match &defaults.terms_of_payment_id {
        Some(id) => id.clone(),
        None => json::string(&*company::settings()?, "TermsOfPaymentId", "eAccounting company settings")?,
    };
    let mut body = json!({"IsActive": true, "TermsOfPaymentId": terms});
    for (field, value) in wanted(customer) {
        body[field] = value;
    }
    custom_fields::merge(&mut body, &customer.custom_fields, &target(), &what(customer))?;
    let created = client::post("/customers", &body)?;
    let id = json::string(&created, "Id", "eAccounting customer just created")?;
    customer_match::remember(&customer.email, &id)?;
    Ok(id)
}

/// Writes only what differs from the books (see `customer_fields`); a
/// customer with nothing to change costs no write.
pub fn update(id: &str, customer: &Customer, defaults: &CustomerDefaults) -> Result<(), Error> {
    let stored = match customer_match::take_read(id) {
        Some(stored) => stored,
        None => client::get(&path(id))?,
    };
    json::object(&stored, "eAccounting customer")?;
    let mut fields = wanted(customer);
    if let Some(terms) = &defaults.terms_of_payment_id {
        fields.push(("TermsOfPaymentId".into(), json!(terms)));
    }
    // A custom field overrides what the connector would write.
    for (field, value) in custom_fields::accepted(&customer.custom_fields, &target(), &what(customer))? {
        fields.retain(|(f, _)| *f != field);
        fields.push((field, value));
    }
    let changed = changes(&stored, fields, settings::get()?.update_contact);
    customer_match::remember(&customer.email, id)?;
    if changed.is_empty() {
        return Ok(());
    }
    client::put(&path(id), &customer_fields::replacement(&stored, &changed))?;
    let names: Vec<&str> = changed.iter().map(|(f, _)| f.as_str()).collect();
    log::log(
        Level::Info,
        &format!("{} updated: {}", what(customer), names.join(", ")),
        &[("id".into(), id.to_string())],
    );
    Ok(())
}

fn what(customer: &Customer) -> String {
    format!("customer {}", customer.email)
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
