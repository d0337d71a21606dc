//! eAccounting's error body (`CommonExtendedBadRequest`): an ErrorCode from
//! the official catalogue, a DeveloperErrorMessage, a correlation ErrorId and,
//! for validation failures, the per-field Errors list.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use emulator_kit::FaultKind;
use serde::Serialize;

/// Codes from the official "Error Codes" page that the emulator answers with.
pub mod code {
    pub const VALIDATION: u32 = 2000;
    pub const NOT_FOUND: u32 = 3000;
    pub const CONFLICT: u32 = 4000;
    pub const CANNOT_BE_DELETED: u32 = 4001;
    pub const NOT_AUTHORIZED: u32 = 4005;
    pub const NO_ACCESS_TO_SCOPES: u32 = 4006;
    pub const TOO_MANY_REQUESTS: u32 = 4010;
    pub const INTERNAL: u32 = 5000;
    pub const QUERY_PARAMETER: u32 = 6000;
    pub const INVALID_INPUT: u32 = 6001;
}

/// One entry of `Errors` (schema `CommonError`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldError {
    /// .NET model-state style path, e.g. `Rows[0].ArticleId`.
    pub field: String,
    /// What kind of rule broke: `Required`, `MaxLength`, `Type`, `NotFound` …
    pub error_code: String,
    pub message: String,
    pub key: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error_code: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), error_code: error_code.to_string(), message: message.into(), key: None }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    pub errors: Vec<FieldError>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    error_code: u32,
    developer_error_message: &'a str,
    error_id: uuid::Uuid,
    // The real API leaves the list out of non-validation errors (e.g. 429).
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), errors: Vec::new() }
    }

    pub fn validation(message: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self { errors, ..Self::new(StatusCode::BAD_REQUEST, code::VALIDATION, message) }
    }

    /// A single field that breaks a rule, e.g. a reference to a missing entity.
    pub fn field(code: u32, field: FieldError) -> Self {
        Self { errors: vec![field.clone()], ..Self::new(StatusCode::BAD_REQUEST, code, field.message) }
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code::NOT_FOUND, format!("{what} with id '{id}' was not found."))
    }

    pub fn query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::QUERY_PARAMETER, message)
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::INVALID_INPUT, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code::NOT_AUTHORIZED, message)
    }

    pub fn too_many_requests(limit: u32, wait_seconds: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code::TOO_MANY_REQUESTS,
            format!(
                "API calls quota exceeded! maximum admitted {limit} per Minute. Try again in {wait_seconds} seconds."
            ),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL,
            "An unexpected error occurred. Please try again later.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error_code: self.code,
            developer_error_message: &self.message,
            error_id: uuid::Uuid::new_v4(),
            errors: &self.errors,
        };
        let json = serde_json::to_vec(&body).expect("error body serialises");
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
        }
        response
    }
}

/// Renders faults injected by `emulator_kit::faults` the way the API answers.
pub fn render_fault(kind: FaultKind) -> Response {
    match kind {
        FaultKind::ServerError => ApiError::internal().into_response(),
        FaultKind::TooManyRequests { retry_after_secs } => {
            ApiError::too_many_requests(600, retry_after_secs).into_response()
        }
    }
}
