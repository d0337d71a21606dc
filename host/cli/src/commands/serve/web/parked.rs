//! Records parked now, with why in the flow's words, and the owner's two
//! decisions on each: retry now (after fixing what parked it outside the
//! config: an article made in the books), or skip for good with a reason
//! that the activity log keeps. Both are queued like any run. A fix in the
//! config needs neither: a changed config runs at once, and every run
//! retries the parked records first.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Section, csrf, notice, page as frame, text, when};
use super::session::{Csrf, Session};
use super::{Failure, Page, Web, encode, html};
use crate::commands::serve::api::records::{self, SkipBody};
use crate::commands::serve::api::tenants;
use crate::commands::serve::http::check_record_id;

/// The decision just queued, to say so on the page it returns to.
#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    flow: Option<String>,
    record: Option<String>,
}

pub async fn page(
    State(web): State<Arc<Web>>,
    session: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Page {
    let service = &web.service;
    let tenant = tenants::read(State(service.clone()), session.caller.clone(), Path(id.clone())).await?.0;
    let parked = records::parked(State(service.clone()), session.caller.clone(), Path(id.clone())).await?.0;
    let parked = parked["parked"].as_array().cloned().unwrap_or_default();
    // Only a decision on a flow and record id of this tenant's is echoed.
    let said = match (done.done.as_deref(), &done.flow, &done.record) {
        (Some(what @ ("retry" | "skip")), Some(flow), Some(record))
            if tenant.flows.contains(flow) && check_record_id(record).is_ok() =>
        {
            Some(if what == "retry" {
                format!("Retry of {flow} record {record} queued: its outcome shows under Records and Runs.")
            } else {
                format!("Skip of {flow} record {record} queued: it is left out for good once the run has done it.")
            })
        }
        _ => None,
    };
    let content = html! {
        @if let Some(said) = said { (notice(&said)) }
        @if parked.is_empty() {
            p { "Nothing is parked." }
        } @else {
            p { "Each record below waits for a decision. Every run retries them first, so a fix in the config needs \
                 no click here; after a fix elsewhere (an article made in the books), retry now." }
            @for record in &parked { (card(&session, &id, record)) }
        }
    };
    Ok(html(frame(&session, Some((&id, Section::Parked)), "Parked", content)))
}

fn card(session: &Session, tenant: &str, record: &Value) -> Markup {
    let (flow, id) = (text(&record["flow"]), text(&record["record"]));
    let base = format!("/dashboard/t/{tenant}/parked/{flow}/{id}");
    let reason_id = format!("reason-{flow}-{id}");
    html! {
        article class="card parked" aria-labelledby={ "parked-" (flow) "-" (id) } {
            h2 id={ "parked-" (flow) "-" (id) } {
                a href={ "/dashboard/t/" (tenant) "/records/" (flow) "/" (id) } {
                    (flow) ": " (text(&record["record_kind"])) " " (id)
                }
            }
            p class="hint" { "Parked since " (when(&record["since"])) }
            p class="detail" { (text(&record["detail"])) }
            div class="actions" {
                form class="inline" method="post" action={ (base) "/retry" } {
                    (csrf(session))
                    button type="submit" { "Retry now" }
                }
                form class="skip" method="post" action={ (base) "/skip" } {
                    (csrf(session))
                    label for=(reason_id) { "Reason to skip" }
                    input id=(reason_id) name="reason" type="text" required placeholder="e.g. booked by hand";
                    button type="submit" { "Skip" }
                }
            }
        }
    }
}

fn back(tenant: &str, what: &str, flow: &str, record: &str) -> Response {
    let to = format!("/dashboard/t/{tenant}/parked?done={what}&flow={}&record={}", encode(flow), encode(record));
    Redirect::to(&to).into_response()
}

pub async fn retry(
    State(web): State<Arc<Web>>,
    session: Session,
    Path((id, flow, record)): Path<(String, String, String)>,
    Form(form): Form<Csrf>,
) -> Result<Response, Failure> {
    session.check(form.csrf.as_deref())?;
    let path = Path((id.clone(), flow.clone(), record.clone()));
    records::retry(State(web.service.clone()), session.caller.clone(), path).await?;
    Ok(back(&id, "retry", &flow, &record))
}

#[derive(Deserialize)]
pub struct SkipForm {
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

pub async fn skip(
    State(web): State<Arc<Web>>,
    session: Session,
    Path((id, flow, record)): Path<(String, String, String)>,
    Form(form): Form<SkipForm>,
) -> Result<Response, Failure> {
    session.check(form.csrf.as_deref())?;
    let path = Path((id.clone(), flow.clone(), record.clone()));
    records::skip(State(web.service.clone()), session.caller.clone(), path, Json(SkipBody { reason: form.reason }))
        .await?;
    Ok(back(&id, "skip", &flow, &record))
}
