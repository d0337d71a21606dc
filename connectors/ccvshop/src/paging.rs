//! CCV's `start`/`size` collections (spec §5): the envelope's absolute `next`
//! link becomes our opaque cursor. Only its path and query are kept, so the
//! next page is fetched from the configured shop address whatever host name
//! the shop prints in its links.

use serde_json::Value;
use trestle_guest::Error;

use crate::client::Client;
use crate::json::Node;
use crate::settings::API_PREFIX;

pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

/// Reads one page at `uri`.
pub fn read(client: &Client, uri: &str) -> Result<Page, Error> {
    let body = client.get(uri)?;
    let what = format!("CCV Shop's answer to GET {uri}");
    let root = Node::root(&body, &what);
    let items = root.array("items")?.into_iter().map(|n| n.value().clone()).collect();
    let next = root.opt_str("next")?.map(|link| path_of(&link)).transpose()?;
    Ok(Page { items, next })
}

/// Every item of a small collection, following `next` to the end.
pub fn all(client: &Client, uri: &str) -> Result<Vec<Value>, Error> {
    let mut items = Vec::new();
    let mut uri = Some(uri.to_string());
    while let Some(current) = uri {
        let page = read(client, &current)?;
        items.extend(page.items);
        uri = page.next;
    }
    Ok(items)
}

/// The request target of a cursor we handed out earlier.
pub fn resume(cursor: &str) -> Result<String, Error> {
    if cursor.starts_with(&format!("{API_PREFIX}/")) && !cursor.contains("://") {
        Ok(cursor.to_string())
    } else {
        Err(Error::Invalid(format!("cursor `{cursor}` was not given out by the CCV Shop connector")))
    }
}

/// "/api/rest/v1/orders?start=50&size=50" from an absolute link (or a path).
pub fn path_of(link: &str) -> Result<String, Error> {
    let path = match link.find("://") {
        Some(i) => link[i + 3..].find('/').map_or("/", |j| &link[i + 3 + j..]),
        None => link,
    };
    resume(path).map_err(|_| Error::Invalid(format!("CCV Shop gave a link outside its API: `{link}`")))
}
