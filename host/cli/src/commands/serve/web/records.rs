//! The ledger: record outcomes searched by record id and filtered by flow
//! and outcome, newest first, each source record next to what it became;
//! and one record's entries with the payload as the flow reported it
//! (through the connections' redactors, as the API answers it).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Section, page as frame, text, when};
use super::session::Session;
use super::{Page, Web, html};
use crate::commands::serve::api::records::{self, OUTCOMES, RecordsQuery};
use crate::commands::serve::api::tenants;

/// Rows the ledger shows, newest first.
const SHOWN: usize = 200;

/// The search form's fields; an empty one means "any".
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    flow: String,
    outcome: String,
    record: String,
}

fn given(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

pub async fn list(
    State(web): State<Arc<Web>>,
    session: Session,
    Path(id): Path<String>,
    Query(filter): Query<Filter>,
) -> Page {
    let service = &web.service;
    let tenant = tenants::read(State(service.clone()), session.caller.clone(), Path(id.clone())).await?.0;
    let query = RecordsQuery {
        flow: given(&filter.flow),
        outcome: given(&filter.outcome),
        record: given(&filter.record),
        run: None,
        limit: Some(SHOWN),
    };
    let found =
        records::records(State(service.clone()), session.caller.clone(), Path(id.clone()), Query(query)).await?;
    let mut rows = found["records"].as_array().cloned().unwrap_or_default();
    rows.reverse();
    let content = html! {
        form class="card filter" method="get" role="search" {
            div {
                label for="record" { "Record id" }
                input id="record" name="record" type="search" value=(filter.record) placeholder="e.g. 4021";
            }
            div {
                label for="flow" { "Flow" }
                select id="flow" name="flow" {
                    option value="" { "any" }
                    @for flow in &tenant.flows { option value=(flow) selected[*flow == filter.flow] { (flow) } }
                }
            }
            div {
                label for="outcome" { "Outcome" }
                select id="outcome" name="outcome" {
                    option value="" { "any" }
                    @for o in OUTCOMES { option value=(o) selected[*o == filter.outcome] { (o) } }
                }
            }
            button type="submit" { "Search" }
        }
        @if rows.is_empty() { p { "No records match." } } @else { (ledger(&id, &rows)) }
    };
    Ok(html(frame(&session, Some((&id, Section::Records)), "Records", content)))
}

fn ledger(tenant: &str, rows: &[Value]) -> Markup {
    html! {
        div class="scroll" {
            table {
                caption { "Newest first, at most " (SHOWN) }
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Flow" } th scope="col" { "Record" }
                    th scope="col" { "Became" } th scope="col" { "Outcome" } th scope="col" { "Message" }
                } }
                tbody {
                    @for row in rows {
                        tr class={ "outcome-" (text(&row["outcome"])) } {
                            td { (when(&row["at"])) }
                            td { (text(&row["flow"])) }
                            td {
                                @if let Some(source) = row["source_id"].as_str() {
                                    a href={ "/dashboard/t/" (tenant) "/records/" (text(&row["flow"])) "/" (source) } {
                                        (text(&row["record_kind"])) " " (source)
                                    }
                                } @else { "—" }
                            }
                            td { (text(&row["target_id"])) }
                            td { (text(&row["outcome"])) }
                            td class="detail" { (text(&row["message"])) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn one(
    State(web): State<Arc<Web>>,
    session: Session,
    Path((id, flow, record)): Path<(String, String, String)>,
) -> Page {
    let query =
        RecordsQuery { flow: Some(flow.clone()), outcome: None, record: Some(record.clone()), run: None, limit: None };
    let found =
        records::records(State(web.service.clone()), session.caller.clone(), Path(id.clone()), Query(query)).await?;
    let entries = found["records"].as_array().cloned().unwrap_or_default();
    let title = format!("{flow}: record {record}");
    let content = html! {
        p { a href={ "/dashboard/t/" (id) "/records?flow=" (super::encode(&flow)) } { "All records of " (flow) } }
        @if entries.is_empty() { p { "The activity log holds nothing of this record." } }
        @for entry in entries.iter().rev() {
            article class="card entry" {
                h2 { (when(&entry["at"])) ": " (text(&entry["outcome"])) }
                dl {
                    dt { "Kind" } dd { (text(&entry["record_kind"])) }
                    dt { "Became" } dd { (text(&entry["target_id"])) }
                    dt { "Message" } dd { (text(&entry["message"])) }
                    dt { "Run" } dd { (text(&entry["run_id"])) }
                }
                @if entry["payload"].is_null() {
                    p class="hint" { "Its payload is past retention." }
                } @else {
                    details open {
                        summary { "What the flow reported" }
                        pre { (serde_json::to_string_pretty(&entry["payload"]).unwrap_or_default()) }
                    }
                }
            }
        }
    };
    Ok(html(frame(&session, Some((&id, Section::Records)), &title, content)))
}
