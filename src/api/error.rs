//! The one error type of the HTTP layer and its `application/problem+json` envelope
//! (RFC 9457): `type`, `title`, `status`, `detail`, and `errors[]` with field paths.
//!
//! Internal failures are logged with their detail and answered with a generic 500; bad input
//! is always a 4xx naming the fields. Problem `type`s are relative URIs `/problems/<slug>`,
//! documented in the OpenAPI document.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::input::{FieldError, InputErrors};
use crate::store::StoreError;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The body is not JSON (or TOML) at all (400).
    #[error("malformed body")]
    Malformed(InputErrors),
    /// The body parsed but has bad fields (422).
    #[error("invalid input")]
    Invalid(InputErrors),
    /// No, unknown or revoked API key (401).
    #[error("missing or invalid api key")]
    Unauthorized,
    /// The key's role may not do this (403).
    #[error("role {role} may not {action}")]
    Forbidden {
        /// The caller's role.
        role: &'static str,
        /// What it tried.
        action: &'static str,
    },
    /// The resource belongs to another tenant: an application filed under a bank that is not
    /// the caller's (403).
    #[error("{0}")]
    OtherTenant(String),
    /// The key has as many jobs queued or running as it may (429).
    #[error(
        "this key has {active} fund jobs queued or running, the most it may; wait for one to end or cancel one"
    )]
    QueueFull {
        /// Jobs queued or running.
        active: u64,
    },
    /// No such resource for this tenant (404; another tenant's ids are 404 too).
    #[error("{what} {id:?} not found")]
    NotFound {
        /// `application`, `job`, …
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// No such route (404).
    #[error("no route {0}")]
    NoRoute(String),
    /// The body exceeds the configured limit (413).
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Wrong `Content-Type` (415).
    #[error("unsupported content type {0:?}")]
    UnsupportedMediaType(String),
    /// The per-key rate was exceeded (429).
    #[error("rate limit exceeded")]
    RateLimited {
        /// Seconds until a request would be admitted.
        retry_after_secs: u64,
    },
    /// The same `Idempotency-Key` was used with a different body (422).
    #[error("idempotency key reused with a different body")]
    IdempotencyMismatch,
    /// The request cannot be served in this state (409).
    #[error("{0}")]
    Conflict(String),
    /// The request took longer than the configured timeout (503).
    #[error("request timed out after {secs} s")]
    Timeout {
        /// The timeout in seconds.
        secs: u64,
    },
    /// The database does not answer (503, from `/readyz`).
    #[error("the database does not answer")]
    NotReady,
    /// A bug or an infrastructure failure (500); the detail is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// The problem+json body.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `/problems/invalid-input`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Every bad field, with its path (`pledged_assets[2].filing_date`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl AppError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) | AppError::IdempotencyMismatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } | AppError::OtherTenant(_) => StatusCode::FORBIDDEN,
            AppError::QueueFull { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound { .. } | AppError::NoRoute(_) => StatusCode::NOT_FOUND,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Timeout { .. } | AppError::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            AppError::Malformed(_) => ("malformed-body", "Malformed request body"),
            AppError::Invalid(_) => ("invalid-input", "Invalid input"),
            AppError::Unauthorized => ("unauthorized", "Missing or invalid API key"),
            AppError::Forbidden { .. } => ("forbidden", "Not allowed for this role"),
            AppError::OtherTenant(_) => ("other-tenant", "Not the caller's tenant"),
            AppError::QueueFull { .. } => ("queue-full", "Too many jobs queued"),
            AppError::NotFound { .. } | AppError::NoRoute(_) => ("not-found", "Not found"),
            AppError::TooLarge { .. } => ("body-too-large", "Request body too large"),
            AppError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported content type")
            }
            AppError::RateLimited { .. } => ("rate-limited", "Too many requests"),
            AppError::IdempotencyMismatch => (
                "idempotency-key-reused",
                "Idempotency key reused with a different body",
            ),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::Timeout { .. } => ("timeout", "Request timed out"),
            AppError::NotReady => ("not-ready", "Not ready"),
            AppError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    /// The problem document for this error (internal detail withheld).
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (slug, title) = self.slug_and_title();
        let (detail, errors) = match self {
            AppError::Malformed(e) | AppError::Invalid(e) => {
                let n = e.errors.len();
                let detail = if n == 1 {
                    "1 bad field".to_string()
                } else {
                    format!("{n} bad fields")
                };
                (detail, e.errors.clone())
            }
            AppError::Internal(_) => (
                "the server failed; the error was logged".to_string(),
                Vec::new(),
            ),
            other => (other.to_string(), Vec::new()),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| {
            br#"{"type":"/problems/internal","title":"Internal server error","status":500}"#
                .to_vec()
        });
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            AppError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::QueueFull { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            }
            AppError::RateLimited { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::FieldPath;

    #[test]
    fn internal_detail_is_not_returned() {
        let p = AppError::Internal("password=hunter2 at db.rs:12".into()).problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("hunter2"));
    }

    #[test]
    fn input_errors_map_to_errors_array() {
        let e = InputErrors::one(&FieldPath::new("loan.amount"), "must be > 0");
        let p = AppError::Invalid(e).problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.kind, "/problems/invalid-input");
        assert_eq!(p.errors[0].path, "loan.amount");
    }
}
