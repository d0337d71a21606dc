//! Products, variants, product queries, categories, users, paymethods
//! (spec §6.3–§6.6, §6.8).

use crate::common;

use common::start;
use serde_json::{Value, json};

#[test]
fn product_filters_find_by_sku_and_ean() {
    let api = start();
    let hit = api.get_all("/api/rest/v1/products?productnumber=SKU-00002");
    assert_eq!(hit.len(), 1);
    let ean = hit[0]["eannumber"].as_str().unwrap().to_string();
    let by_ean = api.get_all(&format!("/api/rest/v1/products?eannumber={ean}"));
    assert_eq!(by_ean[0]["productnumber"], "SKU-00002");
    assert!(api.get_all("/api/rest/v1/products?productnumber=NOPE").is_empty());
    let inactive = api.get_all("/api/rest/v1/products?active=false");
    assert!(!inactive.is_empty() && inactive.iter().all(|p| p["is_active"] == false && p.get("active").is_none()));
    api.error("GET", "/api/rest/v1/products?productname=ab", None, 400);
    api.error("GET", "/api/rest/v1/products?color=red", None, 400);
}

#[test]
fn post_product_requires_the_documented_fields() {
    let api = start();
    let e = api.error("POST", "/api/rest/v1/products", Some(r#"{"name":"Mug","price":9.95,"discount":0}"#), 400);
    assert!(e["developermessage"].as_str().unwrap().contains("package_id"), "{e}");
    let e = api.error(
        "POST",
        "/api/rest/v1/products",
        Some(r#"{"name":"Mug","price":9.95,"discount":0,"package_id":1}"#),
        400,
    );
    assert!(e["developermessage"].as_str().unwrap().contains("taxtariff"), "{e}");
    let e = api.error(
        "POST",
        "/api/rest/v1/products",
        Some(r#"{"name":"Mug","price":"9.95","discount":0,"package_id":1,"taxtariff":"normal"}"#),
        400,
    );
    assert!(e["developermessage"].as_str().unwrap().contains("price"), "{e}");
    let body = r#"{"name":"Mug","productnumber":"MUG-1","price":9.95,"discount":0,"package_id":1,"taxtariff":"normal","active":false}"#;
    let response = api.send("POST", "/api/rest/v1/products", Some(body));
    assert_eq!(response.status(), 201);
    let created: Value = response.json().unwrap();
    assert_eq!(created["is_active"], false);
    assert_eq!(created["vatrate"], 21.0);
    assert_eq!(api.error("POST", "/api/rest/v1/products", Some(body), 500)["code"], "500.40");
}

#[test]
fn write_uses_active_not_is_active() {
    let api = start();
    let e = api.error("PATCH", "/api/rest/v1/products/5", Some(r#"{"is_active":false}"#), 400);
    assert!(e["developermessage"].as_str().unwrap().contains("'active'"), "{e}");
    assert_eq!(api.send("PATCH", "/api/rest/v1/products/5", Some(r#"{"active":false,"stock":3}"#)).status(), 204);
    let p = api.get("/api/rest/v1/products/5");
    assert_eq!((p["is_active"].clone(), p["stock"].clone()), (json!(false), json!(3.0)));
    api.error("PATCH", "/api/rest/v1/products/999999", Some(r#"{"stock":1}"#), 404);
    assert_eq!(api.send("DELETE", "/api/rest/v1/products/5", None).status(), 204);
    api.error("GET", "/api/rest/v1/products/5", None, 404);
}

#[test]
fn variant_stock_lives_on_attribute_combinations() {
    let api = start();
    let product = api.get_all("/api/rest/v1/products?productnumber=SKU-00005").remove(0);
    assert_eq!(product["stocktype"], "combination");
    let uri = format!("/api/rest/v1/products/{}", product["id"]);
    api.error("PATCH", &uri, Some(r#"{"stock":5}"#), 400);
    let combinations = api.get_all(product["attributecombinations"]["href"].as_str().unwrap());
    assert_eq!(combinations.len(), 4);
    let c = &combinations[1];
    assert_eq!(c["sku_number"], "SKU-00005-M");
    let c_uri = c["href"].as_str().unwrap();
    assert_eq!(api.send("PATCH", c_uri, Some(r#"{"stock":12}"#)).status(), 204);
    assert_eq!(api.get(c_uri)["stock"], 12.0);
    // productqueries finds the variant by its SKU.
    let q = api.get("/api/rest/v1/productqueries?skunumber=SKU-00005-M");
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["attributecombination"]["id"], c["id"]);
    assert_eq!(items[0]["product"]["id"], product["id"]);
    let q = api.get("/api/rest/v1/productqueries?skunumber=SKU-00002");
    assert!(q["items"][0]["attributecombination"].is_null());
    api.error("GET", "/api/rest/v1/productqueries", None, 400);
}

#[test]
fn categories_and_links() {
    let api = start();
    let categories = api.get_all("/api/rest/v1/categories");
    let shirts = categories.iter().find(|c| c["name"] == "Shirts").unwrap();
    assert!(!shirts["parentcategory"].is_null());
    let links = api.get_all(shirts["producttocategories"]["href"].as_str().unwrap());
    assert!(!links.is_empty());
    let body = json!({"name": "Sale"}).to_string();
    let sale: Value = api.send("POST", "/api/rest/v1/categories", Some(&body)).json().unwrap();
    api.error("POST", "/api/rest/v1/categories", Some("{}"), 400);
    let product = api.get_all("/api/rest/v1/products?productnumber=SKU-00002").remove(0);
    let link = json!({"product_id": product["id"], "category_id": sale["id"]}).to_string();
    let of_product = format!("/api/rest/v1/products/{}/producttocategories", product["id"]);
    let response = api.send("POST", "/api/rest/v1/producttocategories", Some(&link));
    assert_eq!(response.status(), 201);
    let created: Value = response.json().unwrap();
    assert_eq!(api.error("POST", "/api/rest/v1/producttocategories", Some(&link), 500)["code"], "500.40");
    assert_eq!(api.get_all(&of_product).len(), 2);
    assert_eq!(api.send("DELETE", created["href"].as_str().unwrap(), None).status(), 204);
    assert_eq!(api.get_all(&of_product).len(), 1);
}

#[test]
fn users_and_paymethods() {
    let api = start();
    let users = api.get_all("/api/rest/v1/users?size=5");
    assert_eq!(users.len(), 24);
    assert!(users.iter().all(|u| u["userinfo"]["email"].as_str().unwrap().contains('@')));
    let pending = api.get_all("/api/rest/v1/users?approval_status=pending");
    assert!(!pending.is_empty() && pending.len() < users.len());
    api.error("GET", "/api/rest/v1/users?email=anna@example.nl", None, 400);
    let paymethods = api.get("/api/rest/v1/paymethods");
    assert!(paymethods.get("next").is_none(), "small collections are not paginated");
    assert!(paymethods["items"].as_array().unwrap().iter().any(|p| p["combined_name"] == "ccvpay_ideal"));
    let root = api.get("/api/rest/v1/");
    assert!(root["items"].as_array().unwrap().iter().any(|r| r["title"] == "orders"));
}
