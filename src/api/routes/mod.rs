//! The SPEC §5 resource routes, one file per resource. Each handler authenticates
//! ([`super::auth::Caller`]), checks the role, reads its body with [`super::body`], calls the
//! engine on the blocking pool and stores through [`crate::store`].

pub mod applications;
pub mod fund;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

/// The resource routes (state supplied by [`super::app`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/applications", get(applications::list))
        .route("/v1/applications/{id}", get(applications::get_one))
        .route(
            "/v1/applications/{id}/outcome",
            post(applications::report_outcome),
        )
        .route(
            "/v1/applications/{id}/outcomes",
            get(applications::outcomes),
        )
        .route("/v1/fund/simulations/{id}", get(fund::get_job))
}

/// `result` (a JSON object) with `id` and `created_at` added, as the API answers it.
pub(crate) fn with_id(
    mut result: serde_json::Value,
    id: &str,
    created_at: &str,
) -> Result<serde_json::Value, super::AppError> {
    let object = result
        .as_object_mut()
        .ok_or_else(|| super::AppError::Internal("result is not a json object".to_string()))?;
    object.insert("id".to_string(), id.into());
    object.insert("created_at".to_string(), created_at.into());
    Ok(result)
}
