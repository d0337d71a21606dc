//! Reference data a mapping needs from the shop: its payment methods and
//! the order statuses (a fixed list in CCV, spec §6.1).

use serde_json::Value;
use trestle_guest::Error;

use crate::client::{Client, api};
use crate::exports::trestle::sync::reference_data::ReferenceItem;
use crate::json::Node;

const PAYMENT_METHODS: &str = "payment-methods";
const ORDER_STATUSES: &str = "order-statuses";

/// CCV's order statuses: the number the API uses and its English name.
pub const STATUSES: &[(u8, &str)] = &[
    (1, "New"),
    (2, "In process"),
    (3, "Waiting for manufacturer"),
    (4, "Waiting for payment"),
    (5, "Sent"),
    (6, "Delivered"),
    (7, "Completed"),
    (8, "Cancelled"),
    (9, "Waiting for supplier"),
    (10, "Being packaged"),
    (11, "Ready for pickup"),
    (12, "Being assembled"),
    (13, "Backorder"),
    (14, "Reserved"),
];

/// A status given as its number ("7") or its name ("completed").
pub fn status_number(text: &str) -> Result<u8, Error> {
    let text = text.trim();
    STATUSES
        .iter()
        .find(|(n, name)| n.to_string() == text || name.eq_ignore_ascii_case(text))
        .map(|(n, _)| *n)
        .ok_or_else(|| {
            let known: Vec<String> = STATUSES.iter().map(|(n, name)| format!("{n} {name}")).collect();
            Error::Invalid(format!("`{text}` is not a CCV Shop order status; use one of: {}", known.join(", ")))
        })
}

pub fn kinds() -> Vec<String> {
    vec![PAYMENT_METHODS.into(), ORDER_STATUSES.into()]
}

pub fn lookup(kind: &str) -> Result<Vec<ReferenceItem>, Error> {
    match kind {
        PAYMENT_METHODS => payment_methods(&Client::from_config()?),
        ORDER_STATUSES => Ok(STATUSES
            .iter()
            .map(|(n, name)| ReferenceItem {
                id: n.to_string(),
                code: n.to_string(),
                name: name.to_string(),
                attributes: Vec::new(),
            })
            .collect()),
        other => Err(Error::Invalid(format!(
            "CCV Shop has no reference data `{other}`; it offers {PAYMENT_METHODS} and {ORDER_STATUSES}"
        ))),
    }
}

/// `/paymethods` (unpaginated).
fn payment_methods(client: &Client) -> Result<Vec<ReferenceItem>, Error> {
    payment_method_items(&client.get(&api("/paymethods"))?)
}

/// The items of a `/paymethods` answer. `code` is the name orders carry in
/// `paymethod`. The docs type none of these fields; only the id must be a
/// number (orders refer to it), the rest is read as whatever the shop sends
/// (`extra_costs` is a number in some shops, a boolean in others).
pub fn payment_method_items(body: &Value) -> Result<Vec<ReferenceItem>, Error> {
    Node::root(body, "CCV Shop payment methods")
        .array("items")?
        .iter()
        .map(|item| {
            let id = item.id("id")?;
            let code = item
                .lenient("combined_name")?
                .ok_or_else(|| item.invalid("combined_name", "the name orders give the method"))?;
            Ok(ReferenceItem {
                name: item.lenient("label")?.unwrap_or_else(|| code.clone()),
                attributes: ["psp", "method", "extra_costs"]
                    .into_iter()
                    .map(|field| Ok(item.lenient(field)?.map(|v| (field.to_string(), v))))
                    .filter_map(Result::transpose)
                    .collect::<Result<_, Error>>()?,
                id,
                code,
            })
        })
        .collect()
}
