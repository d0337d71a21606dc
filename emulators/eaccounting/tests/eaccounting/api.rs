//! The API's resources, paging, filtering, validation and stock, as a
//! connector sees them.

use crate::common;

use common::{Connected, connect, error_fields};
use eaccounting_emulator::{ArticleChange, Config, ReadOnlyFields, StringComparison, schema_violations};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn customer_body(c: &Connected) -> Value {
    let terms = c.first("/termsofpayments");
    json!({"Name": "Shop Guest", "InvoiceCity": "Utrecht", "InvoicePostalCode": "3511 CE", "IsPrivatePerson": true,
           "IsActive": true, "TermsOfPaymentId": terms["Id"], "EmailAddress": "guest@example.nl"})
}

#[test]
fn lists_are_enveloped_and_paged() {
    let c = connect();
    let (status, body) = c.get("/articles");
    assert_eq!(status, StatusCode::OK);
    assert!(
        schema_violations("PaginatedResponseOfArticleApi", &body).is_empty(),
        "{:?}",
        schema_violations("PaginatedResponseOfArticleApi", &body)
    );
    let meta = &body["Meta"];
    let total = meta["TotalNumberOfResults"].as_u64().unwrap();
    assert_eq!(meta["CurrentPage"], 1);
    assert_eq!(meta["PageSize"], 50);
    assert!(total > 50, "seed makes more than one page of articles");
    assert_eq!(meta["TotalNumberOfPages"].as_u64().unwrap(), total.div_ceil(50));
    assert!(meta["ServerTimeUtc"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["Data"].as_array().unwrap().len(), 50);

    let (_, page2) = c.get("/articles?$page=2&$pagesize=7");
    assert_eq!(page2["Meta"]["CurrentPage"], 2);
    assert_eq!(page2["Data"].as_array().unwrap().len(), 7);
    assert_eq!(page2["Data"][0]["Id"], body["Data"][7]["Id"]);
    let (_, beyond) = c.get("/articles?$page=999");
    assert_eq!(beyond["Data"].as_array().unwrap().len(), 0);
    let (_, clamped) = c.get("/articles?$pagesize=100000");
    assert_eq!(clamped["Meta"]["PageSize"], 1000);
    let (status, bad) = c.get("/articles?$pagesize=0");
    assert_eq!((status, bad["ErrorCode"].as_i64()), (StatusCode::BAD_REQUEST, Some(6000)));
    let (status, top) = c.get("/articles?$top=5");
    assert_eq!((status, top["ErrorCode"].as_i64()), (StatusCode::BAD_REQUEST, Some(6000)));
}

#[test]
fn get_by_id_is_bare_and_unknown_ids_are_404() {
    let c = connect();
    let article = c.first("/articles?$pagesize=1");
    let (status, one) = c.get(&format!("/articles/{}", article["Id"].as_str().unwrap()));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, article);
    assert!(schema_violations("ArticleApi", &one).is_empty());
    let (status, missing) = c.get(&format!("/articles/{}", uuid::Uuid::nil()));
    assert_eq!((status, missing["ErrorCode"].as_i64()), (StatusCode::NOT_FOUND, Some(3000)));
    let (status, _) = c.get("/countries/SE");
    assert_eq!(status, StatusCode::OK);
    let (status, company) = c.get("/companysettings");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(company["CurrencyCode"], "EUR");
    for lookup in [
        "/termsofpayments",
        "/vatcodes",
        "/articleaccountcodings",
        "/countries",
        "/units",
        "/deliverymethods",
        "/customers",
    ] {
        assert!(!c.list(lookup).is_empty(), "{lookup} is seeded");
    }
}

#[test]
fn filter_operators_and_combinations() {
    let c = connect();
    let customers = c.list("/customers");
    let anna = &customers[0];
    let email = anna["EmailAddress"].as_str().unwrap();
    let by_email = c.list(&format!("/customers?$filter=EmailAddress eq '{email}'"));
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0]["Id"], anna["Id"]);
    assert_eq!(c.list(&format!("/customers?$filter=EmailAddress ne '{email}'")).len(), customers.len() - 1);
    assert_eq!(c.list(&format!("/customers?$filter=Id eq {}", anna["Id"].as_str().unwrap())).len(), 1);

    let cheap = c.list("/articles?$filter=NetPrice lt 50&$pagesize=1000");
    let dear = c.list("/articles?$filter=NetPrice gt 50&$pagesize=1000");
    assert!(cheap.iter().all(|a| a["NetPrice"].as_f64().unwrap() < 50.0) && !cheap.is_empty());
    assert!(dear.iter().all(|a| a["NetPrice"].as_f64().unwrap() > 50.0) && !dear.is_empty());
    let both = c.list("/articles?$filter=NetPrice lt 50 or NetPrice gt 50&$pagesize=1000");
    assert_eq!(both.len(), cheap.len() + dear.len());
    let narrow = c.list("/articles?$filter=NetPrice gt 50 and IsActive eq false&$pagesize=1000");
    assert!(narrow.iter().all(|a| a["IsActive"] == false && a["NetPrice"].as_f64().unwrap() > 50.0));

    let sku = c.list("/articles?$filter=Number eq 'SKU-00001'");
    assert_eq!(sku.len(), 1);
    let shirts = c.list("/articles?$filter=contains(Name,'T-shirt')&$pagesize=1000");
    assert!(!shirts.is_empty() && shirts.iter().all(|a| a["Name"].as_str().unwrap().contains("T-shirt")));
    let skus = c.list("/articles?$filter=startswith(Number,'SKU-0000')&$pagesize=1000");
    assert!(skus.len() >= 9 && skus.iter().all(|a| a["Number"].as_str().unwrap().starts_with("SKU-0000")));
    assert!(!c.list("/articles?$filter=ChangedUtc gt 2023-12-31").is_empty());
    assert!(c.list("/articles?$filter=ChangedUtc gt 2024-06-01T00:00:00Z").is_empty());

    for (filter, code) in [
        ("Nope eq 1", 6000),
        ("Name eq", 6000),
        ("Name eq 5", 6000),
        ("Id eq 'abc'", 6000),
        ("contains(Name 'x')", 6000),
        ("ChangedUtc gt 2024-02-31", 6001),
    ] {
        let (status, body) = c.get(&format!("/articles?$filter={filter}"));
        assert_eq!((status, body["ErrorCode"].as_i64()), (StatusCode::BAD_REQUEST, Some(code)), "{filter}: {body}");
        assert!(body["DeveloperErrorMessage"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn validation_errors_name_each_field() {
    let c = connect();
    let (status, body) = c.post("/customers", &json!({"Name": "x".repeat(51)}));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["ErrorCode"], 2000);
    let fields = error_fields(&body);
    for field in ["Name", "InvoiceCity", "InvoicePostalCode", "IsPrivatePerson", "IsActive", "TermsOfPaymentId"] {
        assert!(fields.contains(&field.to_string()), "{field} missing in {fields:?}");
    }
    let name_error = body["Errors"].as_array().unwrap().iter().find(|e| e["Field"] == "Name").unwrap();
    assert!(name_error["Message"].as_str().unwrap().contains("50"));

    let mut unknown_terms = customer_body(&c);
    unknown_terms["TermsOfPaymentId"] = json!(uuid::Uuid::new_v4().to_string());
    let (status, body) = c.post("/customers", &unknown_terms);
    assert_eq!((status, body["ErrorCode"].as_i64()), (StatusCode::BAD_REQUEST, Some(3000)));
    assert_eq!(error_fields(&body), vec!["TermsOfPaymentId"]);

    let (status, body) = c.post("/orders", &json!({"CustomerId": uuid::Uuid::nil(), "Rows": [{"Quantity": 1}]}));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields = error_fields(&body);
    assert!(
        fields.contains(&"CurrencyCode".to_string()) && fields.contains(&"Rows[0].LineNumber".to_string()),
        "{fields:?}"
    );
}

#[test]
fn customers_and_articles_are_created_and_updated() {
    let c = connect();
    let (status, created) = c.post("/customers", &customer_body(&c));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(schema_violations("CustomerApi", &created).is_empty());
    assert_eq!(created["CustomerNumber"], (c.list("/customers?$pagesize=1000").len()).to_string());
    assert_eq!(c.list("/customers?$filter=EmailAddress eq 'guest@example.nl'").len(), 1);
    let mut duplicate = customer_body(&c);
    duplicate["CustomerNumber"] = created["CustomerNumber"].clone();
    assert_eq!(c.post("/customers", &duplicate).1["ErrorCode"], 4000);

    let template = c.first("/articles?$filter=Number eq 'SKU-00001'");
    let article = json!({"Number": "NEW-1", "Name": "New thing", "IsActive": true, "CodingId": template["CodingId"],
                         "UnitId": template["UnitId"], "NetPrice": 100.0, "GrossPrice": 100.0});
    let (status, body) = c.post("/articles", &article);
    assert_eq!(
        (status, body["ErrorCode"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(2000)),
        "gross must follow the VAT rate"
    );
    let mut good = article.clone();
    good.as_object_mut().unwrap().remove("GrossPrice");
    let (status, body) = c.post("/articles", &good);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["GrossPrice"], 121.0);
    let mut renamed = good.clone();
    renamed["Name"] = json!("Renamed");
    let (status, updated) =
        c.send(reqwest::Method::PUT, &format!("/articles/{}", body["Id"].as_str().unwrap()), Some(&renamed));
    assert_eq!((status, updated["Name"].as_str()), (StatusCode::OK, Some("Renamed")));
    assert_eq!(c.post("/articles", &good).1["ErrorCode"], 4000, "article numbers are unique");
}

#[test]
fn orders_reserve_stock_and_invoices_take_it() {
    let c = connect();
    let customer = c.first("/customers");
    let article = c.first("/articles?$filter=Number eq 'SKU-00001'");
    let id = article["Id"].as_str().unwrap().to_string();
    let balance = article["StockBalance"].as_f64().unwrap();
    let rows = json!([{"LineNumber": 0, "ArticleId": id, "Quantity": 3, "IsTextRow": false, "IsWorkCost": false,
                        "EligibleForReverseChargeOnVat": false}]);
    let order = json!({"CustomerId": customer["Id"], "CurrencyCode": "EUR", "Status": 2, "EuThirdParty": false,
                       "RotReducedInvoicingType": 0, "ReverseChargeOnConstructionServices": false,
                       "OrderDate": "2024-05-01", "Rows": rows});
    let (status, created) = c.post("/orders", &order);
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(schema_violations("OrderApi", &created).is_empty(), "{:?}", schema_violations("OrderApi", &created));
    assert_eq!(created["Number"], 1);
    assert!(created["Amount"].as_f64().unwrap() > 0.0);
    let after = c.get(&format!("/articles/{id}")).1;
    assert_eq!(after["StockBalanceReserved"], 3.0);
    assert_eq!(after["StockBalanceAvailable"].as_f64().unwrap(), balance - 3.0);

    let (status, _) = c.send(reqwest::Method::DELETE, &format!("/orders/{}", created["Id"].as_str().unwrap()), None);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c.get(&format!("/articles/{id}")).1["StockBalanceReserved"], 0.0);

    let invoice = json!({"CustomerId": customer["Id"], "EuThirdParty": false, "RotReducedInvoicingType": 0,
                         "Rows": [{"ArticleId": id, "Quantity": 2}]});
    let (status, created) = c.post("/customerinvoices", &invoice);
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["InvoiceNumber"], 1);
    assert_eq!(c.get(&format!("/articles/{id}")).1["StockBalance"].as_f64().unwrap(), balance - 2.0);

    let draft = json!({"CustomerId": customer["Id"], "EuThirdParty": false, "RotReducedInvoicingType": 0,
                       "Rows": [{"ArticleId": id, "Quantity": 1, "IsTextRow": false, "ReversedConstructionServicesVatFree": false}]});
    assert_eq!(c.post("/customerinvoicedrafts", &draft).0, StatusCode::CREATED);
    let (status, quote) =
        c.post("/quotes", &json!({"CustomerId": customer["Id"], "Rows": [{"ArticleId": id, "Quantity": 1}]}));
    assert_eq!(status, StatusCode::CREATED, "{quote}");
    assert!(schema_violations("QuoteApi", &quote).is_empty());
}

#[test]
fn bookkeeper_changes_and_reset_through_the_control_api() {
    let c = connect();
    c.emu.change_article("SKU-00001", &ArticleChange { stock_balance: Some(7.0), ..Default::default() }).unwrap();
    assert_eq!(c.first("/articles?$filter=Number eq 'SKU-00001'")["StockBalanceAvailable"], 7.0);
    let patched = common::http()
        .patch(format!("{}/_emulator/articles/SKU-00001", c.emu.base_url()))
        .json(&json!({"NetPrice": 10.0}))
        .send()
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(c.first("/articles?$filter=Number eq 'SKU-00001'")["NetPrice"], 10.0);
    let reset = common::http().post(format!("{}/_emulator/reset", c.emu.base_url())).send().unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_ne!(c.first("/articles?$filter=Number eq 'SKU-00001'")["NetPrice"], 10.0);
    let state: Value =
        common::http().get(format!("{}/_emulator/state", c.emu.base_url())).send().unwrap().json().unwrap();
    assert!(state["books"]["articles"].as_array().unwrap().len() > 50);
}

#[test]
fn unknown_fields_are_refused_naming_each_one_nested_rows_included() {
    let c = connect();
    let mut customer = customer_body(&c);
    customer["track_and_trace_code"] = json!("3SABC123");
    let (status, body) = c.post("/customers", &customer);
    assert_eq!((status, body["ErrorCode"].as_i64()), (StatusCode::BAD_REQUEST, Some(2000)), "{body}");
    assert_eq!(error_fields(&body), ["track_and_trace_code"]);
    let message = body["Errors"][0]["Message"].as_str().unwrap();
    assert_eq!(message, "Could not find member 'track_and_trace_code' on object of type 'CustomerApi'.");
    assert!(c.list("/customers?$filter=EmailAddress eq 'guest@example.nl'").is_empty(), "nothing was written");

    let buyer = c.first("/customers");
    let article = c.first("/articles?$filter=Number eq 'SKU-00001'");
    let invoice = json!({"CustomerId": buyer["Id"], "EuThirdParty": false, "RotReducedInvoicingType": 0,
                         "transaction_id": "T-1",
                         "Rows": [{"ArticleId": article["Id"], "Quantity": 1, "track_and_trace_code": "3S"}]});
    let (status, body) = c.post("/customerinvoices", &invoice);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, ["Rows[0].track_and_trace_code", "transaction_id"]);

    // PUT is checked the same way.
    let (_, created) = c.post("/customers", &customer_body(&c));
    let mut replaced = customer_body(&c);
    replaced["Nickname"] = json!("Gus");
    let path = format!("/customers/{}", created["Id"].as_str().unwrap());
    let (status, body) = c.send(reqwest::Method::PUT, &path, Some(&replaced));
    assert_eq!((status, error_fields(&body)), (StatusCode::BAD_REQUEST, vec!["Nickname".to_string()]));
}

#[test]
fn dates_are_written_in_each_properties_documented_format() {
    let c = connect();
    let buyer = c.first("/customers");
    let article = c.first("/articles?$filter=Number eq 'SKU-00001'");
    let invoice = |date: &str| {
        json!({"CustomerId": buyer["Id"], "EuThirdParty": false, "RotReducedInvoicingType": 0, "InvoiceDate": date,
               "Rows": [{"ArticleId": article["Id"], "Quantity": 1}]})
    };
    // Typed date-time without a note saying otherwise: a plain date is not one.
    let (status, body) = c.post("/customerinvoices", &invoice("2026-12-01"));
    assert_eq!((status, error_fields(&body)), (StatusCode::BAD_REQUEST, vec!["InvoiceDate".to_string()]));
    let (status, body) = c.post("/customerinvoices", &invoice("2026-12-01T00:00:00Z"));
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Order dates are documented as "YYYY-MM-DD".
    let order = json!({"CustomerId": buyer["Id"], "CurrencyCode": "EUR", "Status": 2, "EuThirdParty": false,
                       "RotReducedInvoicingType": 0, "ReverseChargeOnConstructionServices": false,
                       "OrderDate": "2026-12-01", "Rows": []});
    let (status, body) = c.post("/orders", &order);
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[test]
fn read_only_fields_are_ignored_or_refused_as_configured() {
    for (setting, refused) in [(ReadOnlyFields::Ignore, false), (ReadOnlyFields::Refuse, true)] {
        let c = common::start_and_connect(Config { read_only_fields: setting, ..Config::default() });
        let (_, created) = c.post("/customers", &customer_body(&c));
        let mut echoed = created.clone();
        echoed["Name"] = json!("Renamed");
        let path = format!("/customers/{}", created["Id"].as_str().unwrap());
        let (status, body) = c.send(reqwest::Method::PUT, &path, Some(&echoed));
        if refused {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let fields = error_fields(&body);
            for read_only in ["Id", "ChangedUtc", "UnpaidInvoicesAmount"] {
                assert!(fields.contains(&read_only.to_string()), "{read_only} not named: {fields:?}");
            }
            assert!(!fields.contains(&"Name".to_string()), "{fields:?}");
        } else {
            assert_eq!((status, body["Name"].as_str()), (StatusCode::OK, Some("Renamed")), "{body}");
        }
    }
}

#[test]
fn string_filters_compare_case_as_configured() {
    for (strings, found) in [(StringComparison::CaseSensitive, 0), (StringComparison::CaseInsensitive, 1)] {
        let c = common::start_and_connect(Config { filter_strings: strings, ..Config::default() });
        let (status, _) = c.post("/customers", &customer_body(&c));
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(c.list("/customers?$filter=EmailAddress eq 'guest@example.nl'").len(), 1, "{strings:?}");
        let upper = c.list("/customers?$filter=EmailAddress eq 'Guest@Example.NL'");
        assert_eq!(upper.len(), found, "{strings:?}");
        let contained = c.list("/customers?$filter=contains(EmailAddress,'GUEST@')");
        assert_eq!(contained.len(), found, "{strings:?}");
    }
}
