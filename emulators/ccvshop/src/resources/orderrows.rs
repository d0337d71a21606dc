//! `/orders/{id}/orderrows` and `/orderrows/{id}`: reading rows, replacing
//! all rows of an order, and changing one row.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Id;
use crate::errors::{ApiError, ApiResult};
use crate::input::{Input, Schema};
use crate::links::Links;
use crate::model::{Order, OrderRow, Shop, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::seed::{DEFAULT_PACKAGE_ID, row_for_product};
use crate::state::AppState;

pub const ORDERROW_INPUT: Schema = Schema {
    name: "internal.entity.orderrow.input.v1",
    stored: &[],
    fields: &[
        "product_id",
        "attribute_combination_id",
        "product_type",
        "product_name",
        "product_number",
        "count",
        "price",
        "discount",
        "tax",
        "unit",
        "weight",
        "package_id",
        "auto_create_deposit_rows",
    ],
    renamed: &[],
};

const ORDERROWS_PUT: Schema =
    Schema { name: "internal.resource.orderrows.put.v1", stored: &[], fields: &["orderrows"], renamed: &[] };

const ORDERROW_PATCH: Schema = Schema {
    name: "internal.resource.orderrows.patch.v1",
    stored: &[],
    fields: &["count", "price", "discount"],
    renamed: &[],
};

pub fn render(links: &Links, order_id: u64, row: &OrderRow) -> Value {
    let attributes: Vec<Value> =
        row.attributes.iter().map(|(a, v)| json!({"option_name": a, "value_name": v, "price": 0.0})).collect();
    json!({
        "href": links.api(&format!("/orderrows/{}", row.id)),
        "id": row.id,
        "order_id": order_id,
        "product_id": row.product_id,
        "product_href": row.product_id.map(|p| links.api(&format!("/products/{p}"))),
        "product_type": "default",
        "product_name": row.product_name,
        "product_number": row.product_number,
        "sub_product_number": row.sub_sku_number.as_ref().map(|_| row.product_number.clone()),
        "sub_sku_number": row.sub_sku_number,
        "sub_ean_number": row.sub_ean_number,
        "count": row.count,
        "price": row.price,
        "discount": row.discount,
        "selling_price": row.selling_price(),
        "original_price": row.price,
        "price_with_attributes": row.price,
        "total_price": row.total_price(),
        "total_extra_option_price": 0.0,
        "total_price_with_attributes": row.total_price(),
        "tax": row.tax,
        "unit": row.unit,
        "weight": row.weight,
        "package_id": row.package_id,
        // Packages, suppliers, stock locations, memos and user discounts are
        // not emulated: documented fields, rendered as unknown.
        "package_name": Value::Null,
        "stock_location": Value::Null,
        "supplier": Value::Null,
        "memo": Value::Null,
        "user_discount": Value::Null,
        "product_purchase_price": row.purchase_price,
        "custom_price": row.custom_price,
        "attributes": attributes,
        "uploads": [],
        "parent": { "href": links.api(&format!("/orders/{order_id}")) },
    })
}

/// Rows from write input: `product_id` (optionally with
/// `attribute_combination_id`) fills the row from the catalogue; a manual row
/// needs `product_name`, `price` and `package_id`.
pub fn parse_rows(
    shop: &mut Shop,
    rows: Vec<Input>,
    prices_include_tax: bool,
    zero_vat: bool,
) -> ApiResult<Vec<OrderRow>> {
    if rows.is_empty() {
        return Err(ApiError::validation("property 'orderrows' must hold at least one row"));
    }
    rows.into_iter().map(|input| parse_row(shop, &input, prices_include_tax, zero_vat)).collect()
}

fn parse_row(shop: &mut Shop, input: &Input, prices_include_tax: bool, zero_vat: bool) -> ApiResult<OrderRow> {
    let count = input.required("count", input.f64("count")?)?;
    let mut row = match input.u64("product_id")? {
        Some(product_id) => {
            find(&shop.products, "product", product_id)?;
            let combination_id = input.u64("attribute_combination_id")?;
            if let Some(c) = combination_id
                && find(&shop.attribute_combinations, "attributecombination", c)?.product_id != product_id
            {
                return Err(
                    input.invalid("attribute_combination_id", &format!("{c} does not belong to product {product_id}"))
                );
            }
            row_for_product(shop, product_id, combination_id, count, prices_include_tax)
        }
        None => {
            let package_id = input.required("package_id", input.u64("package_id")?)?;
            if package_id != DEFAULT_PACKAGE_ID {
                return Err(ApiError::not_found("package", package_id));
            }
            OrderRow {
                id: shop.new_id(),
                product_id: None,
                attribute_combination_id: None,
                product_name: input.required("product_name", input.str("product_name")?)?,
                product_number: input.str("product_number")?.unwrap_or_default(),
                sub_sku_number: None,
                sub_ean_number: None,
                count,
                price: input.required("price", input.f64("price")?)?,
                discount: 0.0,
                tax: input.f64("tax")?.unwrap_or(21.0),
                unit: input.str("unit")?.unwrap_or_else(|| "pcs".into()),
                weight: input.f64("weight")?.unwrap_or_default(),
                package_id,
                attributes: Vec::new(),
                purchase_price: None,
                custom_price: true,
            }
        }
    };
    apply_row_changes(&mut row, input)?;
    if zero_vat {
        row.tax = 0.0;
    }
    Ok(row)
}

/// Explicit `price`, `discount`, `tax` override what the product filled in.
fn apply_row_changes(row: &mut OrderRow, input: &Input) -> ApiResult<()> {
    if let Some(count) = input.f64("count")? {
        if count <= 0.0 {
            return Err(input.invalid("count", "must be greater than 0"));
        }
        row.count = count;
    }
    if let Some(price) = input.f64("price")? {
        row.price = price;
        row.custom_price = true;
    }
    if let Some(discount) = input.f64("discount")? {
        if discount < 0.0 || discount > row.price {
            return Err(input.invalid("discount", "must be between 0 and the unit price"));
        }
        row.discount = discount;
    }
    if input.has("tax") {
        row.tax = input.required("tax", input.f64("tax")?)?;
    }
    Ok(())
}

/// Rows can only change while the order is not completed (status 7).
fn ensure_rows_editable(order: &Order) -> ApiResult<()> {
    if order.status == Some(7) {
        return Err(ApiError::read_only(format!("order {} is completed; its rows can no longer change", order.id)));
    }
    Ok(())
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams, Id(id): Id) -> ApiResult<Json<Value>> {
    query.allow("orderrows", &[])?;
    let shop = app.shop();
    let order = find(&shop.orders, "order", id)?;
    let items = order.rows.iter().map(|r| render(&links, id, r)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn replace(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &ORDERROWS_PUT)?;
    let rows = input.required("orderrows", input.array("orderrows", &ORDERROW_INPUT)?)?;
    let mut shop = app.shop();
    let order = find(&shop.orders, "order", id)?;
    ensure_rows_editable(order)?;
    let (incl, zero_vat) = (order.prices_include_tax, order.shipping_tax_percentage == 0.0);
    let rows = parse_rows(&mut shop, rows, incl, zero_vat)?;
    find_mut(&mut shop.orders, "order", id)?.rows = rows;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get(State(app): State<AppState>, links: Links, Id(id): Id) -> ApiResult<Json<Value>> {
    let shop = app.shop();
    let order = shop.order_of_row(id)?;
    let row = order.rows.iter().find(|r| r.id == id).expect("order_of_row found it");
    Ok(Json(render(&links, order.id, row)))
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &ORDERROW_PATCH)?;
    let mut shop = app.shop();
    let order_id = shop.order_of_row(id)?.id;
    let order = find_mut(&mut shop.orders, "order", order_id)?;
    ensure_rows_editable(order)?;
    let row = order.rows.iter_mut().find(|r| r.id == id).expect("order_of_row found it");
    let mut changed = row.clone();
    apply_row_changes(&mut changed, &input)?;
    *row = changed;
    Ok(StatusCode::NO_CONTENT)
}
