//! What the official CCV PHP SDK (ccvshop/ccvshop-api) sends and expects,
//! over real sockets: its read-modify-write PATCH of a product, its five tax
//! tariffs, categories changed and deleted, the string type of a user's
//! `product_in_category_discount`, and the order-row fields it maps.

use crate::common;

use common::start;
use serde_json::{Map, Value, json};

/// The properties `Product::getPostData()` (= `getPatchData()`) sends, in
/// its order; null ones are left out, as the SDK's `array_filter` does.
const SDK_PRODUCT_PATCH: &[&str] = &[
    "name",
    "productnumber",
    "active",
    "eannumber",
    "description",
    "taxtariff",
    "price",
    "discount",
    "purchaseprice",
    "container_deposit_price",
    "safety_deposit_price",
    "credit_points_custom",
    "unit",
    "stockenabled",
    "stocktype",
    "stock",
    "stocklocation",
    "ordering_without_stock",
    "weight",
    "brand",
    "brand_id",
    "condition",
    "condition_id",
    "color_id",
    "maincategory",
    "subcategory",
    "package_id",
    "meta_description",
    "meta_keywords",
    "no_index",
    "no_follow",
    "alias",
    "specs",
    "decimal_amount",
    "amount_sold",
    "minimal_order_amount",
    "stock_delivery_number",
    "stock_delivery_type",
    "stock_delivery_standard",
    "show_in_template",
    "show_on_beginpage",
    "show_on_facebook",
    "show_order_button",
    "product_layout",
    "photo_size",
    "hide_without_category",
    "memo",
    "supplier_id",
    "fixed_staggered_prices",
    "marktplaats_active",
    "marktplaats_status",
    "marktplaats_cpc",
    "marktplaats_daily_budget",
    "marktplaats_total_budget",
    "marktplaats_category_id",
    "marktplaats_price_type",
    "google_shopping_category",
    "is_included_for_export_feed",
];

/// The SDK's PATCH body after reading `product` and changing `changes`.
fn sdk_patch(product: &Value, changes: Value) -> String {
    let mut body: Map<String, Value> = SDK_PRODUCT_PATCH
        .iter()
        .filter_map(|name| product.get(*name).filter(|v| !v.is_null()).map(|v| (name.to_string(), v.clone())))
        .collect();
    body.extend(changes.as_object().unwrap().clone());
    Value::Object(body).to_string()
}

fn product(api: &common::Api, sku: &str) -> Value {
    api.get_all(&format!("/api/rest/v1/products?productnumber={sku}")).remove(0)
}

#[test]
fn a_read_modify_write_patch_as_the_sdk_sends_it_is_accepted_and_kept() {
    let api = start();
    let simple = product(&api, "SKU-00002");
    let uri = format!("/api/rest/v1/products/{}", simple["id"]);
    let extra = json!({"meta_description": "Soft cotton", "maincategory": "Clothing", "memo": "reorder in May"});
    let response = api.send("PATCH", &uri, Some(&sdk_patch(&simple, extra)));
    assert_eq!(response.status(), 204, "{}", response.text().unwrap());
    let after = api.get(&uri);
    assert_eq!(
        (after["meta_description"].as_str(), after["maincategory"].as_str()),
        (Some("Soft cotton"), Some("Clothing"))
    );
    assert_eq!(after["stocktype"], simple["stocktype"]);

    // A product with variants: the stock the SDK read comes back unchanged.
    let parent = product(&api, "SKU-00005");
    assert_eq!(parent["stocktype"], "combination");
    let uri = format!("/api/rest/v1/products/{}", parent["id"]);
    let response = api.send("PATCH", &uri, Some(&sdk_patch(&parent, json!({"name": "Renamed"}))));
    assert_eq!(response.status(), 204, "{}", response.text().unwrap());

    // Still strict: unknown properties and wrong types are named.
    let e = api.error("PATCH", &uri, Some(r#"{"colour":"red"}"#), 400);
    assert!(e["developermessage"].as_str().unwrap().contains("unknown property 'colour'"), "{e}");
    let e = api.error("PATCH", &uri, Some(r#"{"no_index":"yes"}"#), 400);
    assert!(e["developermessage"].as_str().unwrap().contains("'no_index' must be true or false"), "{e}");
}

#[test]
fn the_five_tax_tariffs_of_the_sdk_are_accepted_and_no_others() {
    let api = start();
    let uri = format!("/api/rest/v1/products/{}", product(&api, "SKU-00002")["id"]);
    let mut rates = Vec::new();
    for tariff in ["normal", "low a", "low b", "extra low", "zero"] {
        let response = api.send("PATCH", &uri, Some(&json!({ "taxtariff": tariff }).to_string()));
        assert_eq!(response.status(), 204, "{tariff}");
        let read = api.get(&uri);
        assert_eq!(read["taxtariff"], tariff);
        rates.push(read["vatrate"].as_f64().unwrap());
    }
    assert_eq!((rates[0], rates[4]), (21.0, 0.0));
    let e = api.error("PATCH", &uri, Some(r#"{"taxtariff":"reduced"}"#), 400);
    assert_eq!(e["code"], "400.10");
    let message = e["developermessage"].as_str().unwrap();
    assert!(message.contains("'reduced'") && message.contains("normal, low a, low b, extra low, zero"), "{e}");
}

#[test]
fn categories_are_created_hidden_changed_and_deleted_with_their_links() {
    let api = start();
    let hidden: Value = api
        .send("POST", "/api/rest/v1/categories", Some(r#"{"name":"Imported","show_on_website":false}"#))
        .json()
        .unwrap();
    assert_eq!(hidden["show_on_website"], false);
    let child = json!({"name": "New", "parentcategory_id": hidden["id"]}).to_string();
    let child: Value = api.send("POST", "/api/rest/v1/categories", Some(&child)).json().unwrap();
    assert_eq!(child["show_on_website"], true, "visible unless the request says otherwise");
    let uri = hidden["href"].as_str().unwrap();
    let patch = r#"{"name":"Imported goods","show_on_website":true,"page_title":"Imported"}"#;
    assert_eq!(api.send("PATCH", uri, Some(patch)).status(), 204);
    let changed = api.get(uri);
    assert_eq!((changed["name"].as_str(), changed["show_on_website"].as_bool()), (Some("Imported goods"), Some(true)));
    assert_eq!(changed["page_title"], "Imported");
    let own_child = json!({ "parentcategory_id": child["id"] }).to_string();
    api.error("PATCH", uri, Some(&own_child), 400);
    api.error("PATCH", uri, Some(r#"{"is_visible":true}"#), 400);

    let product = product(&api, "SKU-00002");
    let link = json!({"product_id": product["id"], "category_id": child["id"]}).to_string();
    assert_eq!(api.send("POST", "/api/rest/v1/producttocategories", Some(&link)).status(), 201);
    assert_eq!(api.send("DELETE", uri, None).status(), 204);
    api.error("GET", uri, None, 404);
    api.error("GET", child["href"].as_str().unwrap(), None, 404);
    let links = api.get_all(&format!("/api/rest/v1/products/{}/producttocategories", product["id"]));
    assert!(links.iter().all(|l| l["category_id"] != child["id"]), "{links:?}");
    assert_eq!(links.len(), 1, "the product's own category link stays");
}

#[test]
fn a_category_with_subcategories_can_be_refused_delete_by_switch() {
    let api = common::start_with(ccvshop_emulator::Config {
        category_delete: ccvshop_emulator::CategoryDelete::RefuseWithSubcategories,
        ..Default::default()
    });
    let clothing = api.get_all("/api/rest/v1/categories").into_iter().find(|c| c["name"] == "Clothing").unwrap();
    let e = api.error("DELETE", clothing["href"].as_str().unwrap(), None, 500);
    assert!(e["developermessage"].as_str().unwrap().contains("subcategories"), "{e}");
}

#[test]
fn a_users_category_discount_choice_is_a_string() {
    let api = start();
    let users = api.get_all("/api/rest/v1/users");
    assert!(users.iter().all(|u| u["product_in_category_discount"].is_string()), "{:?}", users[0]);
}

#[test]
fn order_rows_carry_every_documented_field() {
    let api = start();
    let order = &api.get("/api/rest/v1/orders?size=1")["items"][0];
    let rows = api.get_all(order["orderrows"]["href"].as_str().unwrap());
    for field in [
        "package_name",
        "memo",
        "custom_price",
        "supplier",
        "user_discount",
        "stock_location",
        "product_purchase_price",
    ] {
        assert!(rows.iter().all(|r| r.get(field).is_some()), "{field} missing from {:?}", rows[0]);
    }
    assert!(rows.iter().all(|r| r["custom_price"] == false && r["product_purchase_price"].is_number()));
}
