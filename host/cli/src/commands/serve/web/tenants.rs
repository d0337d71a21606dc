//! `/dashboard`: the operator's list of tenants; a tenant's owner goes
//! straight to their own home.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::layout::{page as frame, problem, text, when};
use super::session::Session;
use super::{Web, html};
use crate::commands::serve::api::{Caller, tenants};

pub async fn page(State(web): State<Arc<Web>>, session: Session) -> Response {
    if let Caller::Tenant(own) = &session.caller {
        return Redirect::to(&format!("/dashboard/t/{own}")).into_response();
    }
    let list = tenants::list(State(web.service.clone()), session.caller.clone()).await.0;
    let tenants = list["tenants"].as_array().cloned().unwrap_or_default();
    let content = html! {
        @if tenants.is_empty() {
            p { "No tenants yet: add one as a file in the tenants directory, or with PUT /api/tenants/{id}." }
        } @else {
            div class="scroll" {
                table {
                    caption { "Every tenant this service serves" }
                    thead { tr { th scope="col" { "Tenant" } th scope="col" { "Flows" } th scope="col" { "State" }
                                 th scope="col" { "Next run" } } }
                    tbody {
                        @for t in &tenants {
                            tr {
                                th scope="row" { a href={ "/dashboard/t/" (text(&t["id"])) } { (text(&t["id"])) } }
                                td { (t["flows"].as_array().map(|f| f.iter().map(text).collect::<Vec<_>>().join(", "))
                                        .unwrap_or_default()) }
                                td {
                                    @if t["paused"] == true { "paused" }
                                    @else if t["served"] == false { "not served" }
                                    @else { "running" }
                                    @if let Some(error) = t["config_error"].as_str() { (problem(error)) }
                                }
                                td { (when(&t["next_run"])) }
                            }
                        }
                    }
                }
            }
        }
    };
    html(frame(&session, None, "Tenants", content)).into_response()
}
