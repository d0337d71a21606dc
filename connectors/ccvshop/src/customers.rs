//! customer-source: the shop's registered customers (`/users`). Guest
//! buyers exist only inside their orders.

use serde_json::Value;
use trestle_guest::Error;

use crate::client::{Client, api, query};
use crate::exports::trestle::sync::customer_source::CustomerPage;
use crate::json::Node;
use crate::{paging, personalinfo};

pub fn list(cursor: Option<String>) -> Result<CustomerPage, Error> {
    let client = Client::from_config()?;
    let uri = match cursor {
        Some(cursor) => paging::resume(&cursor)?,
        None => api(&format!("/users{}", query(&[("size", client.settings.page_size.to_string())]))),
    };
    let page = paging::read(&client, &uri)?;
    let customers = page
        .items
        .iter()
        .map(|item| {
            let what = match item.get("id").and_then(Value::as_u64) {
                Some(id) => format!("CCV Shop customer (user) {id}"),
                None => "CCV Shop customer (user)".into(),
            };
            let user = Node::root(item, &what);
            personalinfo::customer(&user.object("userinfo")?, user.id("id")?)
        })
        .collect::<Result<_, _>>()?;
    Ok(CustomerPage { customers, next: page.next })
}
