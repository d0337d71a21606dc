//! The personalinfo entity shared by `order.customer` and `user.userinfo`:
//! read rendering and write parsing.

use emulator_kit::seed::Person;
use serde_json::{Value, json};

use crate::errors::ApiResult;
use crate::input::{Input, Schema};
use crate::model::Customer;
use crate::model::people::{CustomerType, country_name};

pub const PERSONALINFO_INPUT: Schema = Schema {
    name: "internal.entity.personalinfo.input.v1",
    stored: &[],
    fields: &["billingaddress", "deliveryaddress", "email", "customertype", "btw", "kvk", "reference", "iban", "bic"],
    renamed: &[],
};

const ADDRESS_INPUT: Schema = Schema {
    name: "internal.entity.personalinfo.input.v1 (address)",
    stored: &[],
    fields: &[
        "gender",
        "initials",
        "first_name",
        "last_name",
        "full_name",
        "company",
        "address_line_1",
        "address_line_2",
        "street",
        "housenumber",
        "housenumber_suffix",
        "zipcode",
        "city",
        "province",
        "country",
        "country_code",
        "telephone",
        "fax",
        "mobile",
        "comment",
    ],
    renamed: &[],
};

pub fn render(customer: &Customer) -> Value {
    let p = &customer.person;
    let mut delivery = address(p);
    if let Value::Object(o) = &mut delivery {
        for field in ["first_name", "last_name", "fax"] {
            o.remove(field);
        }
    }
    json!({
        "billingaddress": address(p),
        "deliveryaddress": delivery,
        "email": p.email,
        "customertype": customer.customertype,
        "btw": p.vat_number,
        "kvk": Value::Null,
        "reference": Value::Null,
        "iban": Value::Null,
        "bic": Value::Null,
        "website": Value::Null,
        "costcentre": Value::Null,
    })
}

fn address(p: &Person) -> Value {
    json!({
        "gender": Value::Null,
        "initials": p.first_name.chars().next().map(|c| format!("{c}.")),
        "first_name": p.first_name,
        "last_name": p.last_name,
        "full_name": format!("{} {}", p.first_name, p.last_name),
        "company": p.company,
        "address_line_1": address_line(p),
        "address_line_2": "",
        "street": p.street,
        "housenumber": p.house_number,
        "housenumber_suffix": p.house_number_suffix,
        "zipcode": p.postal_code,
        "city": p.city,
        "province": Value::Null,
        "country": p.country_name,
        "country_code": p.country_code,
        "telephone": p.phone,
        "fax": "",
        "mobile": "",
        "comment": "",
    })
}

/// The street line as a Dutch shop shows it: "Spoorlaan 210-2", "Große
/// Elbstraße 145c", but "Damrak 7 2-hoog" (a suffix that starts with a digit
/// would run into the number).
fn address_line(p: &Person) -> String {
    match p.house_number_suffix.as_deref() {
        Some(suffix) if suffix.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("{} {} {suffix}", p.street, p.house_number)
        }
        Some(suffix) => format!("{} {}{suffix}", p.street, p.house_number),
        None => format!("{} {}", p.street, p.house_number),
    }
}

/// A customer from write input. Requires `email` and a billing address with
/// `last_name` and `country_code` (the deprecated `country` is not enough).
pub fn parse(input: &Input) -> ApiResult<Customer> {
    let email = input.required("email", input.str("email")?)?;
    let billing = input.object("billingaddress", &ADDRESS_INPUT)?;
    let billing = input.required("billingaddress", billing)?;
    let country_code = billing.str("country_code")?;
    if country_code.is_none() && billing.has("country") {
        return Err(billing.invalid("country", "is deprecated on write; send 'country_code' (ISO 3166 alpha-2)"));
    }
    let country_code = billing.required("country_code", country_code)?.to_uppercase();
    if country_code.len() != 2 {
        return Err(billing.invalid("country_code", "must be an ISO 3166 alpha-2 code such as NL"));
    }
    let person = Person {
        first_name: billing.str("first_name")?.unwrap_or_default(),
        last_name: billing.required("last_name", billing.str("last_name")?)?,
        email,
        company: billing.str("company")?.filter(|c| !c.is_empty()),
        vat_number: input.str("btw")?.filter(|c| !c.is_empty()),
        street: billing.str("street")?.unwrap_or_default(),
        house_number: billing.u64("housenumber")?.unwrap_or_default() as u32,
        house_number_suffix: billing.str("housenumber_suffix")?.filter(|s| !s.is_empty()),
        postal_code: billing.str("zipcode")?.unwrap_or_default(),
        city: billing.str("city")?.unwrap_or_default(),
        country_name: country_name(&country_code),
        country_code,
        phone: billing.str("telephone")?.unwrap_or_default(),
    };
    let customertype = match input.str("customertype")?.as_deref() {
        None => return Ok(Customer::from_person(person)),
        Some("b2b") => CustomerType::B2b,
        Some("b2c") => CustomerType::B2c,
        Some(other) => {
            return Err(input.invalid("customertype", &format!("must be b2c or b2b, got '{other}'")));
        }
    };
    Ok(Customer { person, customertype })
}
