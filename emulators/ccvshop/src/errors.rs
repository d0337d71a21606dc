//! CCV's error body `{code, status, developermessage}` and the codes the
//! emulator answers with.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use emulator_kit::FaultKind;
use serde_json::json;

/// An error as the API renders it. `code` is "<http status>.<sub code>".
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// Authentication failures; the sub code says which check failed
    /// (sub codes are the emulator's choice, see UNCONFIRMED.md).
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// Input that does not match the resource's input schema.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "400.10", message)
    }

    pub fn not_found(what: &str, id: u64) -> Self {
        Self::new(StatusCode::NOT_FOUND, "404.10", format!("{what} with id {id} does not exist"))
    }

    pub fn invalid_resource(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "404.20",
            format!("invalid resource name: {path} is not a resource of this API (or not emulated)"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "405.10", format!("method {method} is not allowed on {path}"))
    }

    pub fn rate_limited(resource: &str, limit: u32, retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "429.10",
            format!("rate limit of {limit} requests per minute exceeded for {resource}; retry in {retry_after_secs} s"),
        )
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "500.40", message)
    }

    pub fn payload_too_big(limit: usize) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500.80",
            format!("requested payload too big: more than {limit} bytes"),
        )
    }

    pub fn read_only(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "500.70", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "status": self.status.as_u16(),
            "developermessage": self.message,
        });
        (self.status, Json(body)).into_response()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Renders kit-injected faults as CCV would answer them.
pub fn render_fault(kind: FaultKind) -> Response {
    match kind {
        FaultKind::ServerError => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "503.10", "service temporarily unavailable (injected fault)")
                .into_response()
        }
        FaultKind::TooManyRequests { retry_after_secs } => {
            let mut response = ApiError::rate_limited("this resource", 150, retry_after_secs).into_response();
            response.headers_mut().insert("retry-after", retry_after_secs.into());
            response
        }
    }
}
