//! A tenant's home: per flow its last and next run, what it synced, parked
//! and failed today (summed from today's runs), what runs or waits now, and
//! its open incidents with their explanation and next step; then each
//! connection, checked now, with what it reached or why not.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use serde_json::Value;

use super::layout::{Section, notice, page as frame, text, when};
use super::runs::{COUNTS, run_now_form};
use super::session::Session;
use super::{Page, Web, html};
use crate::commands::serve::api::records::{self, RunsQuery};
use crate::commands::serve::api::tenants;

/// Runs read to sum today's counts: more than a flow every minute makes in a day.
const TODAYS_RUNS: usize = 1000;

pub async fn page(State(web): State<Arc<Web>>, session: Session, Path(id): Path<String>) -> Page {
    let (service, caller) = (&web.service, &session.caller);
    let tenant = tenants::read(State(service.clone()), caller.clone(), Path(id.clone())).await?.0;
    let flows = records::flows(State(service.clone()), caller.clone(), Path(id.clone())).await?.0;
    let query = RunsQuery { flow: None, limit: Some(TODAYS_RUNS) };
    let runs = records::runs(State(service.clone()), caller.clone(), Path(id.clone()), Query(query)).await?.0;
    let connections = records::connections(State(service.clone()), caller.clone(), Path(id.clone())).await?.0;
    let today = today(&runs["runs"]);
    let flows = flows["flows"].as_object().cloned().unwrap_or_default();
    let content = html! {
        @if tenant.paused { (notice("This tenant is paused: no run starts until it is resumed.")) }
        @if let Some(error) = &tenant.config_error {
            (super::layout::problem(&format!("Its config file is refused; the last good one runs: {error}")))
        }
        section aria-labelledby="flows" {
            h2 id="flows" { "Flows" }
            div class="cards" {
                @for (name, flow) in &flows {
                    (flow_card(&session, &id, name, flow, today.get(name.as_str())))
                }
            }
        }
        section aria-labelledby="connections" {
            h2 id="connections" { "Connections" }
            div class="cards" {
                @for connection in connections["connections"].as_array().into_iter().flatten() {
                    (connection_card(connection))
                }
            }
        }
    };
    Ok(html(frame(&session, Some((&id, Section::Home)), &id, content)))
}

/// Per flow, the counts of the runs that started today (UTC).
fn today(runs: &Value) -> BTreeMap<&str, [u64; 4]> {
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut sums = BTreeMap::<&str, [u64; 4]>::new();
    for run in runs.as_array().into_iter().flatten() {
        if !run["started_at"].as_str().is_some_and(|s| s.starts_with(&date)) {
            continue;
        }
        let sum = sums.entry(run["flow"].as_str().unwrap_or_default()).or_default();
        for (n, count) in COUNTS.iter().enumerate() {
            sum[n] += run["summary"][count].as_u64().unwrap_or(0);
        }
    }
    sums
}

fn flow_card(session: &Session, tenant: &str, name: &str, flow: &Value, today: Option<&[u64; 4]>) -> Markup {
    let last = &flow["last_run"];
    let incidents = flow["open_incidents"].as_array().cloned().unwrap_or_default();
    html! {
        article class="card" aria-labelledby={ "flow-" (name) } {
            h3 id={ "flow-" (name) } { (name) }
            dl {
                dt { "Last run" }
                dd {
                    @if last.is_null() { "none yet" } @else {
                        (when(&last["started_at"])) ": "
                        @if last["outcome"].is_null() { "running" } @else { (text(&last["outcome"])) }
                    }
                }
                dt { "Next run" } dd { (when(&flow["next_run"])) }
                dt { "Now" }
                dd {
                    @if let Some(running) = flow["running"].as_str() { "running (" (running) ")" } @else { "idle" }
                    @if let Some(n) = flow["queued"].as_u64().filter(|n| *n > 0) { ", " (n) " waiting" }
                }
                dt { "Today" }
                dd {
                    @for (n, count) in COUNTS.iter().enumerate() {
                        @if n > 0 { ", " }
                        (today.map_or(0, |t| t[n])) " " (count)
                    }
                }
            }
            @if incidents.is_empty() {
                p class="ok" { "No open incidents." }
            } @else {
                h4 { "Open incidents" }
                ul class="incidents" {
                    @for incident in &incidents {
                        li {
                            strong { (text(&incident["kind"])) } " since " (when(&incident["opened_at"]))
                            p { (text(&incident["explanation"])) }
                            p { strong { "Next step: " } (text(&incident["next_step"])) }
                        }
                    }
                }
            }
            div class="actions" {
                a href={ "/dashboard/t/" (tenant) "/records?flow=" (super::encode(name)) } { "Records of " (name) }
                (run_now_form(session, tenant, name))
            }
        }
    }
}

fn connection_card(connection: &Value) -> Markup {
    let ok = connection["check"]["ok"] == true;
    html! {
        article class=(if ok { "card ok" } else { "card bad" }) {
            h3 { (text(&connection["name"])) }
            p class="hint" { (text(&connection["connector"])) }
            p { strong { @if ok { "Reached: " } @else { "Not reached: " } } (text(&connection["check"]["message"])) }
        }
    }
}
