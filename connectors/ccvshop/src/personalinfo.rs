//! CCV's personalinfo entity (`order.customer`, `user.userinfo`) as the
//! contract's customer and addresses.

use trestle_guest::Error;
use trestle_guest::types::{Address, Contact, Customer, CustomerKind};

use crate::json::Node;

/// The customer in `info`; `source_id` is the user id, empty for a guest.
pub fn customer(info: &Node, source_id: String) -> Result<Customer, Error> {
    let billing_node = info.object("billingaddress")?;
    let billing = address(&billing_node)?;
    let delivery = match info.opt_object("deliveryaddress")? {
        Some(node) if has_address(&node)? => Some(address(&node)?),
        _ => None,
    };
    let email = info.opt_str("email")?.unwrap_or_default();
    let company_name = billing.company.clone();
    let kind = match info.opt_str("customertype")?.as_deref() {
        Some("b2b") => CustomerKind::Company,
        Some(_) => CustomerKind::Private,
        None if company_name.is_some() => CustomerKind::Company,
        None => CustomerKind::Private,
    };
    let phone = billing.phone.clone();
    let contact = (kind == CustomerKind::Company).then(|| Contact {
        name: billing.name.clone(),
        email: Some(email.clone()).filter(|e| !e.is_empty()),
        phone: phone.clone(),
    });
    Ok(Customer {
        source_id,
        kind,
        email,
        first_name: billing_node.opt_str("first_name")?.unwrap_or_default(),
        last_name: billing_node.opt_str("last_name")?.unwrap_or_default(),
        company_name,
        contact,
        vat_number: info.opt_str("btw")?,
        registration_number: info.opt_str("kvk")?,
        phone,
        billing_address: billing,
        delivery_address: delivery,
        custom_fields: Vec::new(),
    })
}

/// A delivery address the shop left empty means "same as billing".
fn has_address(node: &Node) -> Result<bool, Error> {
    Ok(node.opt_str("street")?.is_some() || node.opt_str("address_line_1")?.is_some())
}

/// One address. CCV keeps free address lines, or street, house number (an
/// integer) and suffix apart, or both; the country comes as full name and
/// ISO code, of which we need the code.
pub fn address(node: &Node) -> Result<Address, Error> {
    let first_last =
        [node.opt_str("first_name")?, node.opt_str("last_name")?].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let company = node.opt_str("company")?;
    let name = node
        .opt_str("full_name")?
        .or(Some(first_last).filter(|n| !n.is_empty()))
        .or_else(|| company.clone())
        .unwrap_or_default();
    // The street line as the shop wrote it ("Spoorlaan 210-2") when it has
    // one; joining street, number and suffix ourselves would guess at the
    // spacing, and a target that compares lines would see a change.
    let (street, house_number, house_number_suffix) = match node.opt_str("address_line_1")? {
        Some(line) => (line, None, None),
        None => (
            node.opt_str("street")?.unwrap_or_default(),
            node.house_number("housenumber")?,
            node.opt_str("housenumber_suffix")?,
        ),
    };
    let country_code = node.str("country_code")?.trim().to_ascii_uppercase();
    if country_code.len() != 2 || !country_code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(node.invalid("country_code", "an ISO 3166 alpha-2 code such as NL"));
    }
    Ok(Address {
        name,
        company,
        street,
        house_number,
        house_number_suffix,
        extra_line: node.opt_str("address_line_2")?,
        postal_code: node.opt_str("zipcode")?.unwrap_or_default(),
        city: node.opt_str("city")?.unwrap_or_default(),
        region: node.opt_str("province")?,
        country_code,
        phone: node.opt_str("telephone")?.or(node.opt_str("mobile")?),
        custom_fields: Vec::new(),
    })
}
