//! Orders: paging, filters, seeded variety, money consistency, create and
//! change (spec §5, §6.1, §6.2).

use crate::common;

use common::{cents, money, start};
use serde_json::{Value, json};

#[test]
fn paging_follows_next_until_null_without_total() {
    let api = start();
    let first = api.get("/api/rest/v1/orders?size=7");
    for key in ["href", "start", "size", "first", "previous", "next", "items"] {
        assert!(first.get(key).is_some(), "envelope has {key}");
    }
    assert!(first.get("total").is_none());
    assert!(first["previous"].is_null());
    assert!(first["next"].as_str().unwrap().starts_with("http://127.0.0.1:"), "next is absolute");
    let all = api.get_all("/api/rest/v1/orders?size=7");
    let ids: std::collections::BTreeSet<u64> = all.iter().map(|o| o["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "no order twice");
    // The default list holds completed orders only: 57 of the 60 seeded.
    assert_eq!(all.len(), 57);
    assert!(all.iter().all(|o| o["is_completed"] == true));
    let baskets = api.get_all("/api/rest/v1/orders?is_completed=false");
    assert_eq!(baskets.len(), 3);
    assert!(baskets.iter().all(|o| o["ordernumber"].is_null() && o["ordernumber_full"].is_null()));
}

#[test]
fn page_size_is_clamped_and_checked() {
    let api = start();
    assert_eq!(api.get("/api/rest/v1/orders?size=1000")["size"], 250);
    assert_eq!(api.get("/api/rest/v1/orders")["size"], 25);
    api.error("GET", "/api/rest/v1/orders?size=0", None, 400);
    api.error("GET", "/api/rest/v1/orders?start=-1", None, 400);
    let page = api.get("/api/rest/v1/orders?start=50&size=25");
    assert!(page["next"].is_null());
    assert_eq!(page["items"].as_array().unwrap().len(), 7);
    assert!(page["previous"].as_str().unwrap().contains("start=25"));
}

#[test]
fn each_filter_narrows_the_list() {
    let api = start();
    let all = api.get_all("/api/rest/v1/orders?size=100");
    let paid = api.get_all("/api/rest/v1/orders?is_paid=true&size=100");
    let unpaid = api.get_all("/api/rest/v1/orders?is_paid=false&size=100");
    assert!(!paid.is_empty() && !unpaid.is_empty());
    assert_eq!(paid.len() + unpaid.len(), all.len());
    assert!(paid.iter().all(|o| o["paid"] == true));
    let sent = api.get_all("/api/rest/v1/orders?status=5");
    assert!(!sent.is_empty() && sent.iter().all(|o| o["status"] == 5));
    let number = all[3]["ordernumber"].as_u64().unwrap();
    let by_number = api.get_all(&format!("/api/rest/v1/orders?ordernumber={number}"));
    assert_eq!(by_number.len(), 1);
    assert_eq!(by_number[0]["id"], all[3]["id"]);
    // Seeded orders start 2025-01-06 08:00 and follow every 7 hours.
    let day = api.get_all("/api/rest/v1/orders?min_create_date=2025-01-07&max_create_date=2025-01-07");
    assert!(!day.is_empty());
    assert!(day.iter().all(|o| o["create_date"].as_str().unwrap().starts_with("2025-01-07")));
    let since = api.get_all("/api/rest/v1/orders?min_create_date=2025-01-15&size=100");
    assert!(since.len() < all.len() && since.iter().all(|o| o["create_date"].as_str().unwrap() >= "2025-01-15"));
    let desc = api.get("/api/rest/v1/orders?orderby=ordernumber_desc&size=2");
    assert!(desc["items"][0]["ordernumber"].as_u64() > desc["items"][1]["ordernumber"].as_u64());
}

#[test]
fn bad_filters_are_refused_with_a_reason() {
    let api = start();
    let e = api.error("GET", "/api/rest/v1/orders?email=a@b.c", None, 400);
    assert!(e["developermessage"].as_str().unwrap().contains("email"));
    api.error("GET", "/api/rest/v1/orders?is_paid=yes", None, 400);
    api.error("GET", "/api/rest/v1/orders?status=new", None, 400);
    api.error("GET", "/api/rest/v1/orders?min_create_date=31-01-2020", None, 400);
    api.error("GET", "/api/rest/v1/orders?orderby=total_price", None, 400);
}

#[test]
fn unknown_ids_paths_and_methods() {
    let api = start();
    let e = api.error("GET", "/api/rest/v1/orders/999999", None, 404);
    assert!(e["developermessage"].as_str().unwrap().contains("999999"));
    api.error("GET", "/api/rest/v1/orders/abc", None, 400);
    assert_eq!(api.error("GET", "/api/rest/v1/nonsense", None, 404)["code"], "404.20");
    assert_eq!(api.error("DELETE", "/api/rest/v1/orders/60", None, 405)["code"], "405.10");
    api.error("GET", "/api/rest/v1/orderrows/999999", None, 404);
}

/// Every seeded order's money adds up to the cent.
#[test]
fn seeded_money_is_consistent() {
    let api = start();
    let mut orders = api.get_all("/api/rest/v1/orders?size=250&expand=orderrows");
    orders.extend(api.get_all("/api/rest/v1/orders?size=250&expand=orderrows&is_completed=false"));
    for o in &orders {
        let rows = o["orderrows"]["collection"].as_array().expect("expanded rows");
        assert!(!rows.is_empty());
        let incl = o["order_row_taxes_included"] == true;
        let mut row_sum = 0;
        let mut tax = 0i64;
        let mut gross = 0i64;
        for r in rows {
            let unit = money(&r["price"]) - money(&r["discount"]);
            assert_eq!(cents(money(&r["selling_price"])), cents(unit));
            assert_eq!(cents(money(&r["total_price"])), cents(unit * money(&r["count"])));
            let total = cents(money(&r["total_price"]));
            let rate = money(&r["tax"]);
            let t = if incl {
                (total as f64 * rate / (100.0 + rate)).round() as i64
            } else {
                (total as f64 * rate / 100.0).round() as i64
            };
            row_sum += total;
            tax += t;
            gross += if incl { total } else { total + t };
        }
        assert_eq!(row_sum, cents(money(&o["total_orderrow_price"])), "order {}", o["id"]);
        let ship_rate = money(&o["shipping_tax_percentage"]);
        for key in ["total_shipping", "paymethod_costs", "extra_costs"] {
            let amount = cents(money(&o[key]));
            let t = if incl {
                (amount as f64 * ship_rate / (100.0 + ship_rate)).round() as i64
            } else {
                (amount as f64 * ship_rate / 100.0).round() as i64
            };
            tax += t;
            gross += if incl { amount } else { amount + t };
        }
        let discount = cents(money(&o["total_discounts"]));
        let discount_tax = if row_sum == 0 {
            0
        } else {
            (tax_rows(rows, incl) as f64 * discount as f64 / row_sum as f64).round() as i64
        };
        tax -= discount_tax;
        gross -= if incl { discount } else { discount + discount_tax };
        assert_eq!(tax, cents(money(&o["total_tax"])), "total_tax of order {}", o["id"]);
        assert_eq!(gross, cents(money(&o["total_price"])), "total_price of order {}", o["id"]);
        if o["is_intra_community_order"] == true {
            assert_eq!(o["total_tax"], 0.0);
        }
    }
}

fn tax_rows(rows: &[Value], incl: bool) -> i64 {
    rows.iter()
        .map(|r| {
            let total = cents(money(&r["total_price"])) as f64;
            let rate = money(&r["tax"]);
            (if incl { total * rate / (100.0 + rate) } else { total * rate / 100.0 }).round() as i64
        })
        .sum()
}

#[test]
fn seed_covers_every_kind_of_order() {
    let api = start();
    let orders = api.get_all("/api/rest/v1/orders?size=250&expand=orderrows");
    let any = |f: &dyn Fn(&Value) -> bool| orders.iter().any(f);
    assert!(any(&|o| o["user"]["id"].is_null()), "guest order");
    assert!(any(&|o| o["customer"]["customertype"] == "b2b" && !o["customer"]["billingaddress"]["company"].is_null()));
    assert!(any(&|o| o["customer"]["customertype"] == "b2c"));
    assert!(any(&|o| o["customer"]["billingaddress"]["country_code"] != "NL"));
    assert!(any(&|o| { !o["customer"]["billingaddress"]["housenumber_suffix"].is_null() }));
    assert!(any(&|o| o["is_intra_community_order"] == true));
    assert!(any(&|o| o["taxes_included"] == true) && any(&|o| o["taxes_included"] == false));
    assert!(any(&|o| !o["discountcoupon"].is_null() && money(&o["total_discounts"]) > 0.0));
    assert!(any(&|o| money(&o["total_shipping"]) > 0.0) && any(&|o| money(&o["paymethod_costs"]) > 0.0));
    let rows: Vec<&Value> = orders.iter().flat_map(|o| o["orderrows"]["collection"].as_array().unwrap()).collect();
    for rate in [21.0, 9.0, 0.0] {
        assert!(rows.iter().any(|r| r["tax"] == rate), "a row at {rate} %");
    }
    assert!(rows.iter().any(|r| money(&r["discount"]) > 0.0), "row discount");
    assert!(rows.iter().any(|r| !r["sub_sku_number"].is_null()), "variant row");
    // Rows reference catalogue SKUs; a few SKUs are unknown to the books.
    let state = api.handle.state();
    let not_in_books: Vec<&str> = state["shop"]["products"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| p["in_books"] == false)
        .map(|p| p["productnumber"].as_str().unwrap())
        .collect();
    assert!(rows.iter().any(|r| not_in_books.contains(&r["product_number"].as_str().unwrap())));
}

#[test]
fn order_rows_list_and_single() {
    let api = start();
    let order = &api.get("/api/rest/v1/orders?size=1")["items"][0];
    let rows = api.get_all(order["orderrows"]["href"].as_str().unwrap());
    assert!(!rows.is_empty());
    let row = api.get(rows[0]["href"].as_str().unwrap());
    assert_eq!(row["order_id"], order["id"]);
}

#[test]
fn post_order_validates_and_creates() {
    let api = start();
    let e = api.error("POST", "/api/rest/v1/orders", Some(r#"{"orderrows":[{"product_id":5,"count":1}]}"#), 400);
    assert!(e["developermessage"].as_str().unwrap().contains("customer"));
    let customer = json!({"email": "x@example.nl", "billingaddress": {"first_name": "Jan", "last_name": "Vos", "country_code": "NL", "street": "Dam", "housenumber": 1}});
    let no_count = json!({"customer": customer, "orderrows": [{"product_id": 5}]}).to_string();
    assert!(
        api.error("POST", "/api/rest/v1/orders", Some(&no_count), 400)["developermessage"]
            .as_str()
            .unwrap()
            .contains("count")
    );
    let country = json!({"customer": {"email": "x@y.z", "billingaddress": {"last_name": "Vos", "country": "Netherlands"}}, "orderrows": [{"product_id": 5, "count": 1}]}).to_string();
    assert!(
        api.error("POST", "/api/rest/v1/orders", Some(&country), 400)["developermessage"]
            .as_str()
            .unwrap()
            .contains("country_code")
    );
    let body = json!({"customer": customer, "orderrows": [{"product_id": 5, "count": 2}], "paid": true}).to_string();
    let response = api.send("POST", "/api/rest/v1/orders", Some(&body));
    assert_eq!(response.status(), 201);
    let created: Value = response.json().unwrap();
    assert!(created["ordernumber"].as_u64().unwrap() > 1000);
    assert_eq!(created["paid"], true);
    assert_eq!(api.get(created["href"].as_str().unwrap())["id"], created["id"]);
}

#[test]
fn patch_order_returns_204_and_changes_status() {
    let api = start();
    let order = api.get("/api/rest/v1/orders?status=1&size=1")["items"][0].clone();
    let uri = format!("/api/rest/v1/orders/{}", order["id"]);
    let response = api.send("PATCH", &uri, Some(r#"{"status":5,"track_and_trace_code":"3SXYZ"}"#));
    assert_eq!(response.status(), 204);
    assert!(response.text().unwrap().is_empty());
    let after = api.get(&uri);
    assert_eq!(after["status"], 5);
    assert_eq!(after["track_and_trace_code"], "3SXYZ");
    api.error("PATCH", &uri, Some(r#"{"status":99}"#), 400);
    api.error("PATCH", &uri, Some(r#"{"is_paid":true}"#), 400);
}
