//! category-sink, and the category tree that gives products their path.

use serde_json::{Value, json};
use trestle_guest::Error;
use trestle_guest::types::Category;

use crate::client::{Client, api, query};
use crate::json::Node;
use trestle_guest::custom_fields;

use crate::{paging, products};

struct Entry {
    id: u64,
    name: String,
    parent: Option<u64>,
}

/// All of the shop's categories, read once per call.
pub struct Tree {
    entries: Vec<Entry>,
}

/// Deeper than any shop's menu: stops a parent loop in bad data.
const MAX_DEPTH: usize = 32;

impl Tree {
    pub fn load(client: &Client) -> Result<Self, Error> {
        let items = paging::all(client, &api(&format!("/categories{}", query(&[("size", "250".into())]))))?;
        let entries = items
            .iter()
            .map(|item| {
                let c = Node::root(item, "CCV Shop category");
                let parent = c.opt_object("parentcategory")?.map(|p| p.opt_u64("id")).transpose()?.flatten();
                Ok(Entry { id: c.u64("id")?, name: c.str("name")?, parent })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self { entries })
    }

    /// Names from the root down to category `id`.
    pub fn path(&self, id: u64) -> Vec<String> {
        let mut path = Vec::new();
        let mut current = Some(id);
        while let Some(entry) = current.and_then(|id| self.entries.iter().find(|e| e.id == id)) {
            if path.len() == MAX_DEPTH {
                break;
            }
            path.push(entry.name.clone());
            current = entry.parent;
        }
        path.reverse();
        path
    }

    /// Names match ignoring case and surrounding spaces, as a shop owner
    /// would read them.
    fn child(&self, parent: Option<u64>, name: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|e| e.parent == parent && e.name.trim().eq_ignore_ascii_case(name.trim()))
            .map(|e| e.id)
    }
}

/// Creates whatever part of `category.path` is missing, shown on the web
/// site or not as `category.visible` says; the leaf's id. Existing
/// categories are not touched.
pub fn ensure(category: Category) -> Result<String, Error> {
    if category.path.is_empty() || category.path.iter().any(|n| n.trim().is_empty()) {
        return Err(Error::Invalid(format!("category path {:?} has an empty name in it", category.path)));
    }
    let client = Client::from_config()?;
    let mut tree = Tree::load(&client)?;
    let mut parent = None;
    let last = category.path.len() - 1;
    for (depth, name) in category.path.iter().enumerate() {
        if let Some(id) = tree.child(parent, name) {
            parent = Some(id);
            continue;
        }
        let mut body = json!({ "name": name.trim(), "show_on_website": category.visible });
        if let Some(p) = parent {
            body["parentcategory_id"] = p.into();
        }
        if depth == last {
            if let Some(description) = &category.description {
                body["description"] = description.clone().into();
            }
            let what = format!("category {}", category.path.join(" > "));
            custom_fields::merge(&mut body, custom_fields::parse(&category.custom_fields, &what)?);
        }
        let created = client.post(&api("/categories"), &body)?;
        let id = Node::root(&created, "the category CCV Shop created").u64("id")?;
        tree.entries.push(Entry { id, name: name.trim().to_string(), parent });
        parent = Some(id);
    }
    Ok(parent.expect("the path is not empty").to_string())
}

/// Puts the product with `sku` into category `category_id` (once).
pub fn link(sku: &str, category_id: &str) -> Result<(), Error> {
    let category_id: u64 = category_id.trim().parse().map_err(|_| {
        Error::Invalid(format!("`{category_id}` is not a CCV Shop category id (ids are whole numbers)"))
    })?;
    let client = Client::from_config()?;
    let product_id = match products::take_created(sku) {
        // Created in this run: it has no links yet.
        Some(id) => id,
        None => {
            let product = products::find_by_sku(&client, sku)?
                .ok_or_else(|| Error::NotFound(format!("CCV Shop has no product with SKU `{sku}`")))?;
            let product_id = Node::root(&product, "CCV Shop product").u64("id")?;
            let links = paging::all(&client, &api(&format!("/products/{product_id}/producttocategories")))?;
            if links.iter().any(|l| l.get("category_id").and_then(Value::as_u64) == Some(category_id)) {
                return Ok(());
            }
            product_id
        }
    };
    client.post(&api("/producttocategories"), &json!({ "product_id": product_id, "category_id": category_id }))?;
    Ok(())
}
