//! The emulator validates against `schemas/openapi-subset.json`, cut from the
//! official OpenAPI document. When that document is present (it lives in the
//! project's shared specs, which a fresh clone lacks), this test re-cuts the
//! subset and fails if the committed one drifted. Set
//! `EACCOUNTING_WRITE_SCHEMA_SUBSET=1` to rewrite the committed file instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

const OFFICIAL: &str = "../../../shared/specs/eaccounting-openapi-v2.yaml";
const SUBSET: &str = "schemas/openapi-subset.json";

/// Component schemas the emulator serves or accepts; their `$ref`s follow.
const ROOT_SCHEMAS: &[&str] = &[
    "ArticleAccountCodingApi",
    "ArticleApi",
    "BankAccountApi",
    "CommonExtendedBadRequest",
    "CommonPaginationMetadata",
    "CompanySettingsApi",
    "CountryApi",
    "CustomerApi",
    "CustomerInvoiceApi",
    "CustomerInvoiceDraftApi",
    "DeliveryMethodApi",
    "InvoicePaymentApi",
    "OrderApi",
    "QuoteApi",
    "TermsOfPaymentApi",
    "UnitApi",
    "VatCodeApi",
];

/// Collections whose list and by-id operations the emulator serves.
const COLLECTIONS: &[&str] = &[
    "articleaccountcodings",
    "articles",
    "bankaccounts",
    "countries",
    "customerinvoicedrafts",
    "customerinvoices",
    "customers",
    "deliverymethods",
    "orders",
    "quotes",
    "termsofpayments",
    "units",
    "vatcodes",
];

#[test]
fn committed_subset_matches_the_official_openapi_document() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let official = manifest.join(OFFICIAL);
    if !official.exists() {
        println!("note: {} is absent; schema subset check skipped", official.display());
        return;
    }
    let text = std::fs::read_to_string(&official).expect("official OpenAPI document is readable");
    let document: Value = serde_yaml::from_str(&text).expect("official OpenAPI document is valid YAML");
    let expected = cut_subset(&document);
    let committed_path = manifest.join(SUBSET);
    if std::env::var_os("EACCOUNTING_WRITE_SCHEMA_SUBSET").is_some() {
        let pretty = serde_json::to_string_pretty(&expected).expect("subset serialises");
        std::fs::write(&committed_path, pretty + "\n").expect("subset is writable");
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&committed_path).expect("committed subset is readable"))
            .expect("committed subset is JSON");
    assert!(
        committed == expected,
        "{SUBSET} differs from {OFFICIAL}; rerun this test with EACCOUNTING_WRITE_SCHEMA_SUBSET=1 and review the diff"
    );
}

fn cut_subset(document: &Value) -> Value {
    let all = &document["components"]["schemas"];
    let mut wanted: Vec<String> = ROOT_SCHEMAS.iter().map(|s| s.to_string()).collect();
    wanted.extend(ROOT_SCHEMAS.iter().filter(|s| s.ends_with("Api")).map(|s| format!("PaginatedResponseOf{s}")));
    let mut schemas = BTreeMap::new();
    while let Some(name) = wanted.pop() {
        if schemas.contains_key(&name) {
            continue;
        }
        let Some(schema) = all.get(&name) else {
            continue;
        };
        let mut refs = BTreeSet::new();
        collect_refs(schema, &mut refs);
        wanted.extend(refs);
        schemas.insert(name, schema.clone());
    }
    json!({
        "x-source": "components of eaccounting-openapi-v2.yaml (OpenAPI 3.1.1, Feb 2026), cut by tests/schema_subset.rs",
        "components": { "schemas": schemas },
        "x-scopes": scopes(document),
    })
}

fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.insert(r.trim_start_matches("#/components/schemas/").to_string());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// "METHOD /collection" or "METHOD /collection/{id}" (path parameters renamed
/// to `{id}`) to the scopes named in the operation's description, any of
/// which grants access.
fn scopes(document: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let paths = document["paths"].as_object().expect("paths object");
    for (path, item) in paths {
        let mut segments = path.trim_start_matches('/').split('/');
        let collection = segments.next().unwrap_or_default();
        let rest: Vec<&str> = segments.collect();
        let served = (COLLECTIONS.contains(&collection)
            && (rest.is_empty() || (rest.len() == 1 && rest[0].starts_with('{'))))
            || collection == "companysettings" && rest.is_empty();
        // One sub-resource: an invoice's payments.
        let payments = collection == "customerinvoices" && rest.len() == 2 && rest[1] == "payments";
        if !served && !payments {
            continue;
        }
        let key_path = match rest.len() {
            0 => format!("/{collection}"),
            1 => format!("/{collection}/{{id}}"),
            _ => format!("/{collection}/{{id}}/{}", rest[1]),
        };
        for (method, operation) in item.as_object().into_iter().flatten() {
            let description = operation["description"].as_str().unwrap_or_default();
            let listed: Vec<String> = description
                .lines()
                .filter_map(|line| line.trim().strip_prefix("* "))
                .map(|scope| scope.trim().to_string())
                .collect();
            out.insert(format!("{} {key_path}", method.to_uppercase()), listed);
        }
    }
    out
}
