//! CCV Shop webhooks: verified and turned into the records they concern.
//!
//! `x-hash` is the lowercase hex HMAC-SHA512(webhook key, `address|raw
//! body`), `address` being the URL the webhook was registered with (spec
//! §6.7, by analogy with the App handshake). Every webhook has its own key,
//! so a delivery must match one of the keys the host passes. The body is a
//! notification carrying the record's `id` and its `href`, whose path says
//! the resource (`/orders/42`, `/products/42`).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha512;
use trestle_guest::Error;

use crate::client::{Client, api};
use crate::exports::trestle::sync::webhook_source::{Change, Delivery};
use crate::json::Node;

/// CCV Shop ids are numbers; anything longer is not one, and is refused
/// before it reaches a request or a log line.
const MAX_ID_DIGITS: usize = 64;

pub fn receive(delivery: Delivery, keys: Option<Vec<String>>) -> Result<Vec<Change>, Error> {
    if let Some(keys) = keys {
        verify(&delivery, &keys)?;
    }
    let payload: Value = serde_json::from_slice(&delivery.body)
        .map_err(|e| Error::Invalid(format!("the webhook body is not JSON: {e}")))?;
    let (resource, id) = named(&payload).ok_or_else(|| {
        let shown: String = String::from_utf8_lossy(&delivery.body).chars().take(200).collect();
        Error::Invalid(format!(
            "the webhook body names no record: it needs an `id` or an `href` ending in the record's id, got {shown}"
        ))
    })?;
    if id.is_empty() || id.len() > MAX_ID_DIGITS || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Invalid(format!(
            "the webhook names a record id of {} bytes that is not a CCV Shop id: ids are at most {MAX_ID_DIGITS} \
             digits",
            id.len()
        )));
    }
    Ok(match resource.as_deref() {
        Some("products") => product_change(&id)?.into_iter().collect(),
        // Order webhooks are the ones every shop registers; a body without
        // an href is taken as one, as before.
        Some("orders") | None => vec![Change { kind: "order".into(), id }],
        Some(other) => {
            return Err(Error::Invalid(format!(
                "the webhook is about `{other}`, which this connector does not sync from webhooks; it takes orders \
                 and products"
            )));
        }
    })
}

/// Whether `x-hash` signs `address|body` with one of `keys`; compared in
/// constant time.
fn verify(delivery: &Delivery, keys: &[String]) -> Result<(), Error> {
    let header = |name: &str| delivery.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let Some(x_hash) = header("x-hash") else {
        return Err(Error::Auth(
            "the webhook has no x-hash signature header; only signed CCV Shop webhooks are taken".into(),
        ));
    };
    let given = hex::decode(x_hash.trim()).unwrap_or_default();
    let signed = keys.iter().any(|key| {
        let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(delivery.address.as_bytes());
        mac.update(b"|");
        mac.update(&delivery.body);
        mac.verify_slice(&given).is_ok()
    });
    if signed {
        Ok(())
    } else {
        Err(Error::Auth(format!("the x-hash signature matches none of the keys for the address {}", delivery.address)))
    }
}

/// The resource (`orders`) and id the payload names: its `id`, else the
/// last segment of its `href`; the resource is the segment before the id.
fn named(payload: &Value) -> Option<(Option<String>, String)> {
    let href = payload.get("href").and_then(Value::as_str).map(|h| h.split('?').next().unwrap_or(h));
    let mut segments = href.map(|h| h.trim_end_matches('/').rsplit('/')).into_iter().flatten();
    let from_href = segments.next().filter(|s| !s.is_empty()).map(str::to_string);
    let resource = segments.next().map(str::to_string);
    let id = match payload.get("id") {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    Some((resource, id.or(from_href)?))
}

/// A product webhook names the shop's id; flows take products by SKU, so
/// the product is read for it. A product gone by now (`products.deleted`)
/// concerns nothing a flow could sync.
fn product_change(id: &str) -> Result<Option<Change>, Error> {
    let client = Client::from_config()?;
    let uri = api(&format!("/products/{id}"));
    let item = match client.get(&uri) {
        Ok(item) => item,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let sku = Node::root(&item, &uri).str("productnumber")?;
    Ok(Some(Change { kind: "product".into(), id: sku }))
}
