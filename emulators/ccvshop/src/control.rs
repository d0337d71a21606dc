//! What a test does to the shop as the shop's own back office would (place
//! an order, mark it paid, change a product), as Rust calls and as
//! `/_emulator` HTTP endpoints. Changes raise the same webhook events as
//! API calls. Customers are added and changed by Rust calls only, and raise
//! no events.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use emulator_kit::seed::Person;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::model::{Customer, NewRefund, User, find_mut};
use crate::resources::orders::{self, NewOrder};
use crate::resources::{invoices, products};
use crate::state::{AppState, Shared};

impl Shared {
    /// Everything the emulator holds, in its internal form.
    pub fn state_dump(&self) -> Value {
        json!({ "shop": *self.shop(), "webhook_deliveries": self.hooks.deliveries() })
    }

    pub fn place_order(&self, new: &NewOrder) -> ApiResult<u64> {
        orders::place(self, new)
    }

    pub fn mark_order_paid(&self, id: u64) -> ApiResult<()> {
        orders::set_paid(self, &mut self.shop(), id, true)
    }

    pub fn set_order_status(&self, id: u64, status: u8) -> ApiResult<()> {
        orders::set_status(self, &mut self.shop(), id, status)
    }

    /// Changes how many of an order row were sold, as an edit of the order
    /// in the back office would (after it was placed, even once completed);
    /// the order's totals follow its rows. Raises no webhook event.
    pub fn set_order_row_count(&self, order_id: u64, row_id: u64, count: f64) -> ApiResult<()> {
        if !(count.is_finite() && count > 0.0) {
            return Err(ApiError::validation(format!("row count {count} must be greater than 0")));
        }
        let mut shop = self.shop();
        let order = find_mut(&mut shop.orders, "order", order_id)?;
        let row = order
            .rows
            .iter_mut()
            .find(|r| r.id == row_id)
            .ok_or_else(|| ApiError::validation(format!("order {order_id} has no row {row_id}")))?;
        row.count = count;
        Ok(())
    }

    /// A refund on a completed order: a credit invoice; returns its id.
    pub fn refund_order(self: &AppState, id: u64, refund: &NewRefund) -> ApiResult<u64> {
        invoices::refund(self, id, refund)
    }

    /// `patch` is a `PATCH /products/{id}` body, checked the same way.
    pub fn update_product(&self, id: u64, patch: Value) -> ApiResult<()> {
        products::update(self, id, &products::patch_input(patch)?)
    }

    /// Registers a customer (accepted, enabled) as a sign-up in the shop
    /// would; returns the user id.
    pub fn add_user(&self, person: Person) -> u64 {
        let mut shop = self.shop();
        let id = shop.new_id();
        let username = if person.email.is_empty() { format!("user-{id}") } else { person.email.clone() };
        let group_id = person.company.as_ref().map(|_| 2);
        let customer = Customer::from_person(person);
        let user = User { id, username, group_id, status: true, approval_status: "accepted".into(), customer };
        shop.users.insert(id, user);
        id
    }

    /// Changes a registered customer's details as the back office would; the
    /// customer type follows the company name.
    pub fn edit_user(&self, id: u64, edit: impl FnOnce(&mut Person)) -> ApiResult<()> {
        let mut shop = self.shop();
        let user = find_mut(&mut shop.users, "user", id)?;
        let mut person = user.customer.person.clone();
        edit(&mut person);
        user.customer = Customer::from_person(person);
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowChange {
    count: f64,
}

/// `GET /_emulator/state`, `POST /_emulator/reset`, `POST /_emulator/orders`,
/// `POST /_emulator/orders/{id}/paid`, `PUT /_emulator/orders/{id}/status`,
/// `PATCH /_emulator/orders/{id}/rows/{row}` (`{"count": 3}`),
/// `PATCH /_emulator/products/{id}`, `GET /_emulator/webhooks/deliveries`.
pub fn routes(app: AppState) -> Router {
    Router::new()
        .route("/_emulator/state", get(|State(app): State<AppState>| async move { Json(app.state_dump()) }))
        .route(
            "/_emulator/reset",
            post(|State(app): State<AppState>| async move {
                app.reset();
                StatusCode::NO_CONTENT
            }),
        )
        .route("/_emulator/orders", post(place_order))
        .route(
            "/_emulator/orders/{id}/paid",
            post(|State(app): State<AppState>, Path(id): Path<u64>| async move {
                app.mark_order_paid(id).map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/_emulator/orders/{id}/status",
            put(|State(app): State<AppState>, Path(id): Path<u64>, Json(change): Json<StatusChange>| async move {
                app.set_order_status(id, change.status).map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/_emulator/orders/{id}/rows/{row}",
            patch(
                |State(app): State<AppState>, Path((id, row)): Path<(u64, u64)>, Json(change): Json<RowChange>| async move {
                    app.set_order_row_count(id, row, change.count).map(|()| StatusCode::NO_CONTENT)
                },
            ),
        )
        .route(
            "/_emulator/orders/{id}/refunds",
            post(|State(app): State<AppState>, Path(id): Path<u64>, Json(refund): Json<NewRefund>| async move {
                let credit = app.refund_order(id, &refund)?;
                ApiResult::Ok((StatusCode::CREATED, Json(json!({ "id": credit }))))
            }),
        )
        .route(
            "/_emulator/products/{id}",
            patch(|State(app): State<AppState>, Path(id): Path<u64>, Json(body): Json<Value>| async move {
                app.update_product(id, body).map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/_emulator/webhooks/deliveries",
            get(|State(app): State<AppState>| async move { Json(app.hooks.deliveries()) }),
        )
        .with_state(app)
}

async fn place_order(State(app): State<AppState>, Json(new): Json<NewOrder>) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = app.place_order(&new)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}
