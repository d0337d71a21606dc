//! The frame every page shares: the document head (one stylesheet, a
//! viewport for phones), the header with the tenant's sections and the
//! logout button, and the small pieces pages repeat (a form's CSRF field,
//! a time, an error).

use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use super::session::Session;
use crate::commands::serve::api::Caller;

/// The tenant's sections, in the order the header lists them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Records,
    Parked,
    Runs,
}

const SECTIONS: [(Section, &str, &str); 4] = [
    (Section::Home, "", "Home"),
    (Section::Records, "/records", "Records"),
    (Section::Parked, "/parked", "Parked"),
    (Section::Runs, "/runs", "Runs"),
];

fn document(title: &str, header: Markup, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Trestle" }
                link rel="stylesheet" href="/dashboard/style.css";
            }
            body {
                header class="top" { (header) }
                main id="main" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// A page outside a session: the login page, an error.
pub fn bare(title: &str, content: Markup) -> Markup {
    document(title, html! { a class="brand" href="/dashboard" { "Trestle" } }, content)
}

/// A page of a session; `tenant` and `section` light up where it is.
pub fn page(session: &Session, tenant: Option<(&str, Section)>, title: &str, content: Markup) -> Markup {
    let header = html! {
        a class="brand" href="/dashboard" { "Trestle" }
        @if let Some((id, current)) = tenant {
            nav aria-label="Tenant" {
                span class="tenant" { (id) }
                ul {
                    @for (section, path, label) in SECTIONS {
                        li {
                            a href={ "/dashboard/t/" (id) (path) }
                              aria-current=[(section == current).then_some("page")] { (label) }
                        }
                    }
                }
            }
        }
        form class="logout" method="post" action="/dashboard/logout" {
            (csrf(session))
            span class="who" { (who(&session.caller)) }
            button type="submit" { "Log out" }
        }
    };
    document(title, header, content)
}

fn who(caller: &Caller) -> String {
    match caller {
        Caller::Operator => "operator".into(),
        Caller::Tenant(id) => format!("tenant {id}"),
    }
}

/// The hidden field every POST form of a session carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// What is wrong, announced to screen readers.
pub fn problem(message: &str) -> Markup {
    html! { p class="problem" role="alert" { (message) } }
}

/// A line saying an action was taken, announced to screen readers.
pub fn notice(message: &str) -> Markup {
    html! { p class="notice" role="status" { (message) } }
}

/// An RFC 3339 time as `2026-12-03 14:05:09 UTC`; anything else as it is.
pub fn when(value: &Value) -> String {
    match value.as_str() {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|_| text.to_string()),
        None => "—".into(),
    }
}

/// A JSON value as text: strings without quotes, nothing as a dash.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
