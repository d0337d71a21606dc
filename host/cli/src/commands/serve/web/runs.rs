//! A tenant's runs, newest first, with what each synced, parked and
//! failed; and "run now" for each flow, queued like any run.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Section, csrf, notice, page as frame, text, when};
use super::session::{Csrf, Session};
use super::{Failure, Page, Web, html};
use crate::commands::serve::api::records::{self, RunsQuery};
use crate::commands::serve::api::tenants;

/// The counts a run's summary gives, in the order the pages show them.
pub const COUNTS: [&str; 4] = ["synced", "skipped", "parked", "failed"];

/// The button queueing a run of `flow` now.
pub fn run_now_form(session: &Session, tenant: &str, flow: &str) -> Markup {
    html! {
        form class="inline" method="post" action={ "/dashboard/t/" (tenant) "/flows/" (flow) "/run" } {
            (csrf(session))
            button type="submit" { "Run " (flow) " now" }
        }
    }
}

#[derive(Deserialize)]
pub struct Shown {
    /// The flow whose run was just queued, to say so.
    queued: Option<String>,
}

pub async fn page(
    State(web): State<Arc<Web>>,
    session: Session,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Page {
    let service = &web.service;
    let tenant = tenants::read(State(service.clone()), session.caller.clone(), Path(id.clone())).await?.0;
    let query = RunsQuery { flow: None, limit: Some(100) };
    let runs = records::runs(State(service.clone()), session.caller.clone(), Path(id.clone()), Query(query)).await?;
    let runs = runs["runs"].as_array().cloned().unwrap_or_default();
    let content = html! {
        @if let Some(flow) = shown.queued.as_ref().filter(|f| tenant.flows.contains(*f)) {
            (notice(&format!("A run of {flow} is queued; it shows here once it starts.")))
        }
        section aria-labelledby="run-now" {
            h2 id="run-now" { "Run now" }
            div class="actions" { @for flow in &tenant.flows { (run_now_form(&session, &id, flow)) } }
        }
        section aria-labelledby="timeline" {
            h2 id="timeline" { "Timeline" }
            @if runs.is_empty() { p { "No runs yet." } } @else { (table(&runs)) }
        }
    };
    Ok(html(frame(&session, Some((&id, Section::Runs)), "Runs", content)))
}

fn table(runs: &[Value]) -> Markup {
    html! {
        div class="scroll" {
            table {
                caption { "The newest 100 runs, newest first" }
                thead { tr {
                    th scope="col" { "Started" } th scope="col" { "Flow" } th scope="col" { "Outcome" }
                    @for count in COUNTS { th scope="col" class="number" { (count) } }
                    th scope="col" { "Finished" }
                } }
                tbody {
                    @for run in runs {
                        tr {
                            td { (when(&run["started_at"])) }
                            td { (text(&run["flow"])) }
                            td {
                                @if run["outcome"].is_null() { "running" } @else { (text(&run["outcome"])) }
                                @if let Some(error) = run["summary"]["error"].as_str() {
                                    p class="detail" { (error) }
                                }
                            }
                            @for count in COUNTS {
                                td class="number" { (run["summary"][count].as_u64().unwrap_or(0)) }
                            }
                            td { (when(&run["finished_at"])) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn run_now(
    State(web): State<Arc<Web>>,
    session: Session,
    Path((id, flow)): Path<(String, String)>,
    Form(form): Form<Csrf>,
) -> Result<Response, Failure> {
    session.check(form.csrf.as_deref())?;
    let path = Path((id.clone(), flow.clone()));
    records::run_now(State(web.service.clone()), session.caller.clone(), path).await?;
    Ok(Redirect::to(&format!("/dashboard/t/{id}/runs?queued={}", super::encode(&flow))).into_response())
}
