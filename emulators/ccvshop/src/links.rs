//! Absolute URLs: every resource carries an `href` with scheme and host, taken
//! from the request's Host header as a real server behind any name would.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::errors::ApiError;

pub const API_PREFIX: &str = "/api/rest/v1";

/// The request's target as the client sent it, before the trailing slash was
/// normalised away for routing: the signature covers exactly this.
#[derive(Debug, Clone)]
pub struct RequestTarget {
    pub path: String,
    pub query: Option<String>,
}

impl RequestTarget {
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

/// "http://host/api/rest/v1" plus the original request target.
#[derive(Debug, Clone)]
pub struct Links {
    pub origin: String,
    pub target: RequestTarget,
}

impl Links {
    pub fn new(origin: String, target: RequestTarget) -> Self {
        Self { origin, target }
    }

    /// Absolute URL of an API path such as "/orders/5".
    pub fn api(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.origin)
    }

    pub fn current(&self) -> String {
        format!("{}{}", self.origin, self.target.path_and_query())
    }

    pub fn link(&self, path: &str) -> serde_json::Value {
        serde_json::json!({ "href": self.api(path) })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Links {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| ApiError::validation("the request has no Host header"))?;
        let target = parts.extensions.get::<RequestTarget>().cloned().unwrap_or_else(|| RequestTarget {
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
        });
        Ok(Self::new(format!("http://{host}"), target))
    }
}
