//! `/products` and `/products/{id}`: filters, create with required fields,
//! update (write `active`, read `is_active`) and delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Id, attributecombinations, created};
use crate::config::CombinationStock;
use crate::errors::{ApiError, ApiResult};
use crate::input::{Input, Kind, Schema};
use crate::links::Links;
use crate::model::{Product, Shop, StockType, Stored, TaxTariff, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::seed::DEFAULT_PACKAGE_ID;
use crate::state::{AppState, Shared};

/// Properties the emulator acts on. `brand` and `condition` are the
/// deprecated names of `brand_id` and `condition_id`: accepted (the official
/// SDK sends them back after a read), not modelled.
const WRITABLE: &[&str] = &[
    "name",
    "productnumber",
    "eannumber",
    "mpnnumber",
    "shortdescription",
    "description",
    "active",
    "price",
    "discount",
    "purchaseprice",
    "taxtariff",
    "vatrate",
    "stock",
    "stockenabled",
    "stocktype",
    "unit",
    "weight",
    "package_id",
    "brand",
    "brand_id",
    "supplier_id",
    "condition",
    "condition_id",
    "color_id",
];

/// The rest of the documented input schema (products post/patch v1): kept
/// as written and rendered back.
const STORED: &[(&str, Kind)] = &[
    ("container_deposit_price", Kind::Number),
    ("safety_deposit_price", Kind::Number),
    ("credit_points_custom", Kind::Integer),
    ("stocklocation", Kind::Text),
    ("ordering_without_stock", Kind::Text),
    ("maincategory", Kind::Text),
    ("subcategory", Kind::Text),
    ("meta_description", Kind::Text),
    ("meta_keywords", Kind::Text),
    ("page_title", Kind::Text),
    ("no_index", Kind::Flag),
    ("no_follow", Kind::Flag),
    ("alias", Kind::Text),
    ("specs", Kind::Text),
    ("decimal_amount", Kind::Integer),
    ("amount_sold", Kind::Number),
    ("minimal_order_amount", Kind::Number),
    ("stock_delivery_number", Kind::Integer),
    ("stock_delivery_type", Kind::Text),
    ("stock_delivery_standard", Kind::Text),
    ("show_in_template", Kind::Flag),
    ("show_on_beginpage", Kind::Flag),
    ("show_on_facebook", Kind::Flag),
    ("show_order_button", Kind::Text),
    ("product_layout", Kind::Integer),
    ("photo_size", Kind::Text),
    ("hide_without_category", Kind::Text),
    ("memo", Kind::Text),
    ("fixed_staggered_prices", Kind::Flag),
    ("marktplaats_active", Kind::Flag),
    ("marktplaats_status", Kind::Text),
    ("marktplaats_cpc", Kind::Number),
    ("marktplaats_daily_budget", Kind::Number),
    ("marktplaats_total_budget", Kind::Number),
    ("marktplaats_category_id", Kind::Integer),
    ("marktplaats_price_type", Kind::Text),
    ("google_shopping_category", Kind::Text),
    ("is_included_for_export_feed", Kind::Flag),
];

/// Read-side names a client might echo back on write.
const RENAMED: &[(&str, &str)] =
    &[("is_active", "active"), ("supplier", "supplier_id"), ("color", "color_id"), ("package", "package_id")];

const PRODUCT_POST: Schema =
    Schema { name: "internal.resource.products.post.v1", fields: WRITABLE, stored: STORED, renamed: RENAMED };
const PRODUCT_PATCH: Schema =
    Schema { name: "internal.resource.products.patch.v1", fields: WRITABLE, stored: STORED, renamed: RENAMED };

const PRODUCT_FILTERS: &[&str] = &[
    "productnumber",
    "eannumber",
    "mpnnumber",
    "productname",
    "active",
    "minstock",
    "maxstock",
    "minprice",
    "maxprice",
];

pub fn render(shop: &Shop, links: &Links, p: &Product, query: Option<&QueryParams>) -> Value {
    let path = format!("/products/{}", p.id);
    let mut combinations = links.link(&format!("{path}/attributecombinations"));
    if query.is_some_and(|q| q.expands("attributecombinations")) {
        combinations["collection"] = shop
            .attribute_combinations
            .values()
            .filter(|c| c.product_id == p.id)
            .map(|c| attributecombinations::render(links, c))
            .collect();
    }
    let mut categories = links.link(&format!("{path}/producttocategories"));
    if query.is_some_and(|q| q.expands("producttocategories")) {
        categories["collection"] = shop
            .product_to_categories
            .values()
            .filter(|l| l.product_id == p.id)
            .map(|l| super::producttocategories::render(links, l))
            .collect();
    }
    let mut rendered = json!({
        "href": links.api(&path),
        "id": p.id,
        "productnumber": p.productnumber,
        "eannumber": p.eannumber,
        "mpnnumber": p.mpnnumber,
        "name": p.name,
        "shortdescription": p.shortdescription,
        "description": p.description,
        "is_active": p.active,
        "createdate": p.createdate.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "modifydate": p.modifydate.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "price": p.price,
        "discount": p.discount,
        "purchaseprice": p.purchaseprice,
        "taxtariff": p.taxtariff.name(),
        "vatrate": p.taxtariff.rate(),
        "stockenabled": p.stockenabled,
        "stocktype": p.stocktype.name(),
        "stock": p.stock,
        "unit": p.unit,
        "weight": p.weight,
        "package": { "id": p.package_id, "href": links.api(&format!("/packages/{}", p.package_id)) },
        "brand": Value::Null,
        "supplier": Value::Null,
        "is_multishop_product": false,
        "deeplink": format!("{}/{}", links.origin, p.name.to_lowercase().replace(' ', "-")),
        "producttocategories": categories,
        "attributecombinations": combinations,
        "productphotos": links.link(&format!("{path}/productphotos")),
    });
    for (name, value) in &p.stored {
        rendered[name] = value.clone();
    }
    rendered
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("products", PRODUCT_FILTERS)?;
    let productnumber = query.str("productnumber");
    let eannumber = query.str("eannumber");
    let mpnnumber = query.str("mpnnumber");
    let productname = query.str("productname").map(str::to_lowercase);
    if productname.as_ref().is_some_and(|n| n.chars().count() < 3) {
        return Err(ApiError::validation("query parameter 'productname' needs at least 3 characters"));
    }
    let active = query.bool("active")?;
    let bounds: Vec<(f64, f64)> = [("minstock", "maxstock"), ("minprice", "maxprice")]
        .iter()
        .map(|(lo, hi)| {
            Ok((query.parse(lo, "a number")?.unwrap_or(f64::MIN), query.parse(hi, "a number")?.unwrap_or(f64::MAX)))
        })
        .collect::<ApiResult<_>>()?;
    let order_by = query.order_by(&["id", "name", "createdate", "modifydate"])?;
    let shop = app.shop();
    let mut products: Vec<&Product> = shop
        .products
        .values()
        .filter(|p| productnumber.is_none_or(|n| p.productnumber == n))
        .filter(|p| eannumber.is_none_or(|n| p.eannumber.as_deref() == Some(n)))
        .filter(|p| mpnnumber.is_none_or(|n| p.mpnnumber.as_deref() == Some(n)))
        .filter(|p| productname.as_ref().is_none_or(|n| p.name.to_lowercase().contains(n)))
        .filter(|p| active.is_none_or(|a| p.active == a))
        .filter(|p| (bounds[0].0..=bounds[0].1).contains(&p.stock))
        .filter(|p| (bounds[1].0..=bounds[1].1).contains(&p.price))
        .collect();
    if let Some((field, desc)) = order_by {
        match field.as_str() {
            "name" => products.sort_by(|a, b| a.name.cmp(&b.name)),
            "createdate" => products.sort_by_key(|p| p.createdate),
            "modifydate" => products.sort_by_key(|p| p.modifydate),
            _ => products.sort_by_key(|p| p.id),
        }
        if desc {
            products.reverse();
        }
    }
    let items = products.into_iter().map(|p| render(&shop, &links, p, Some(&query))).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn get(State(app): State<AppState>, links: Links, query: QueryParams, Id(id): Id) -> ApiResult<Json<Value>> {
    query.allow("products/{id}", &[])?;
    let shop = app.shop();
    Ok(Json(render(&shop, &links, find(&shop.products, "product", id)?, Some(&query))))
}

pub async fn post(State(app): State<AppState>, links: Links, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = Input::parse(&body, &PRODUCT_POST)?;
    for field in ["name", "price", "discount", "package_id"] {
        if !input.has(field) {
            return Err(input.required::<()>(field, None).unwrap_err());
        }
    }
    if !input.has("taxtariff") && !input.has("vatrate") {
        return Err(ApiError::validation(format!(
            "{}: one of the properties 'taxtariff' or 'vatrate' is required",
            PRODUCT_POST.name
        )));
    }
    let mut shop = app.shop();
    let now = app.config.now();
    let id = shop.new_id();
    let mut product = Product {
        id,
        // The shop numbers products that come without a SKU.
        productnumber: format!("P{id}"),
        eannumber: None,
        mpnnumber: None,
        name: String::new(),
        shortdescription: String::new(),
        description: String::new(),
        active: true,
        createdate: now,
        modifydate: now,
        price: 0.0,
        discount: 0.0,
        purchaseprice: 0.0,
        taxtariff: TaxTariff::Normal,
        stockenabled: true,
        stocktype: StockType::Product,
        stock: 0.0,
        unit: "pcs".into(),
        weight: 0.0,
        package_id: DEFAULT_PACKAGE_ID,
        stored: Stored::new(),
        in_books: false,
    };
    apply(&app, &shop, &mut product, &input)?;
    shop.products.insert(id, product);
    app.hooks.notify(&shop, "products.created", event_payload(&app, id));
    Ok(created(render(&shop, &links, &shop.products[&id], None)))
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    update(&app, id, &Input::parse(&body, &PRODUCT_PATCH)?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Applies a PATCH body to product `id` and announces `products.updated`;
/// shared by the API and the emulator's control side.
pub fn update(app: &Shared, id: u64, input: &Input) -> ApiResult<()> {
    let mut shop = app.shop();
    let mut product = find(&shop.products, "product", id)?.clone();
    apply(app, &shop, &mut product, input)?;
    product.modifydate = app.config.now();
    *find_mut(&mut shop.products, "product", id)? = product;
    app.hooks.notify(&shop, "products.updated", event_payload(app, id));
    Ok(())
}

pub fn patch_input(body: serde_json::Value) -> ApiResult<Input> {
    Input::from_value(body, &PRODUCT_PATCH)
}

pub async fn delete(State(app): State<AppState>, Id(id): Id) -> ApiResult<StatusCode> {
    let mut shop = app.shop();
    find(&shop.products, "product", id)?;
    shop.products.remove(&id);
    shop.attribute_combinations.retain(|_, c| c.product_id != id);
    shop.product_to_categories.retain(|_, l| l.product_id != id);
    app.hooks.notify(&shop, "products.deleted", event_payload(&app, id));
    Ok(StatusCode::NO_CONTENT)
}

fn event_payload(app: &Shared, id: u64) -> Value {
    json!({ "id": id, "href": app.hooks.api_url(&format!("/products/{id}")) })
}

fn apply(app: &Shared, shop: &Shop, p: &mut Product, input: &Input) -> ApiResult<()> {
    for (field, target) in [
        ("name", &mut p.name),
        ("productnumber", &mut p.productnumber),
        ("shortdescription", &mut p.shortdescription),
        ("description", &mut p.description),
        ("unit", &mut p.unit),
    ] {
        if let Some(v) = input.str(field)? {
            *target = v;
        }
    }
    for (field, target) in [("eannumber", &mut p.eannumber), ("mpnnumber", &mut p.mpnnumber)] {
        if let Some(v) = input.str(field)? {
            *target = Some(v).filter(|v| !v.is_empty());
        }
    }
    for (field, target) in [
        ("price", &mut p.price),
        ("discount", &mut p.discount),
        ("purchaseprice", &mut p.purchaseprice),
        ("weight", &mut p.weight),
    ] {
        if let Some(v) = input.f64(field)? {
            if v < 0.0 {
                return Err(input.invalid(field, "must not be negative"));
            }
            *target = v;
        }
    }
    if p.discount > p.price {
        return Err(input.invalid("discount", &format!("({}) must not exceed the price ({})", p.discount, p.price)));
    }
    if let Some(active) = input.bool("active")? {
        p.active = active;
    }
    if let Some(name) = input.str("taxtariff")? {
        p.taxtariff = TaxTariff::from_name(&name).ok_or_else(|| {
            input.invalid("taxtariff", &format!("must be one of {}, got '{name}'", TaxTariff::names()))
        })?;
    } else if let Some(rate) = input.f64("vatrate")? {
        p.taxtariff = TaxTariff::from_rate(rate).ok_or_else(|| {
            let rates: Vec<String> = TaxTariff::ALL.iter().map(|t| t.rate().to_string()).collect();
            input.invalid("vatrate", &format!("must be one of the shop's rates {}, got {rate}", rates.join(", ")))
        })?;
    }
    if let Some(package_id) = input.u64("package_id")? {
        if package_id != DEFAULT_PACKAGE_ID {
            return Err(ApiError::not_found("package", package_id));
        }
        p.package_id = package_id;
    }
    if let Some(enabled) = input.bool("stockenabled")? {
        p.stockenabled = enabled;
    }
    if let Some(name) = input.str("stocktype")? {
        p.stocktype = StockType::from_name(&name)
            .ok_or_else(|| input.invalid("stocktype", &format!("must be product or combination, got '{name}'")))?;
    }
    if let Some(stock) = input.f64("stock")? {
        set_stock(app, shop, p, stock, input)?;
    }
    // Deprecated names of `brand_id` / `condition_id`: type-checked only.
    input.str("brand")?;
    input.str("condition")?;
    for unsupported in ["brand_id", "supplier_id", "condition_id", "color_id"] {
        if let Some(id) = input.u64(unsupported)? {
            return Err(ApiError::not_found(unsupported.trim_end_matches("_id"), id));
        }
    }
    p.stored.extend(input.stored()?);
    if p.productnumber.is_empty() {
        return Err(input.invalid("productnumber", "must not be empty"));
    }
    if let Some(other) = shop.products.values().find(|o| o.id != p.id && o.productnumber == p.productnumber) {
        return Err(ApiError::already_exists(format!(
            "productnumber '{}' already exists (product {})",
            p.productnumber, other.id
        )));
    }
    Ok(())
}

/// A product that keeps its stock per attribute combination has no stock of
/// its own to set. Sending back the figure read (as the official SDK does on
/// every PATCH) changes nothing and is accepted; another figure is refused
/// or stored as `Config::combination_stock` says.
fn set_stock(app: &Shared, shop: &Shop, p: &mut Product, stock: f64, input: &Input) -> ApiResult<()> {
    let per_combination =
        p.stocktype == StockType::Combination && shop.attribute_combinations.values().any(|c| c.product_id == p.id);
    if per_combination && stock != p.stock && app.config.combination_stock == CombinationStock::Refuse {
        return Err(input.invalid(
            "stock",
            &format!(
                "cannot be set on product {}: its stock is kept per attribute combination; PATCH /attributecombinations/{{id}}",
                p.id
            ),
        ));
    }
    p.stock = stock;
    Ok(())
}
