//! Ops and catalogue endpoints: `/healthz`, `/readyz`, `/metrics`, `/v1/models`, and the
//! problem+json fallbacks for unknown routes and methods.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::Caller;
use super::{AppError, AppState};

/// Liveness: the process answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "getHealth", tag = "ops",
    responses((status = 200, description = "the process is up", body = ref("#/components/schemas/Health"))))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_string(),
    })
}

/// `GET /readyz`: the database answers (503 problem otherwise).
#[utoipa::path(get, path = "/readyz", operation_id = "getReadiness", tag = "ops",
    responses(
        (status = 200, description = "the database answers", body = ref("#/components/schemas/Health")),
        (status = 503, description = "the database does not answer", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store().ping().await {
        Ok(()) => Json(Health {
            status: "ready".to_string(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            AppError::NotReady.into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", operation_id = "getMetrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let handle = &state.inner.metrics;
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// A model the server computes with.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ModelInfo {
    /// `[model] id` of the model file.
    pub id: String,
    /// SHA-256 of the model file's bytes (every result carries it).
    pub sha256: String,
    /// `embedded` or the file path it was loaded from.
    pub origin: String,
}

/// The models this server uses.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ModelList {
    /// Currently exactly one: the model every request is computed with.
    pub models: Vec<ModelInfo>,
}

/// `GET /v1/models`: the model in use, with its hash.
#[utoipa::path(get, path = "/v1/models", operation_id = "listModels", tag = "catalogue",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the model in use", body = ref("#/components/schemas/ModelList")),
        (status = 401, description = "missing or invalid key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn models(State(state): State<AppState>, _caller: Caller) -> Json<ModelList> {
    let model = state.model();
    let origin = match model.origin() {
        crate::model::ModelOrigin::File(p) => p.display().to_string(),
        other => format!("{other:?}").to_lowercase(),
    };
    Json(ModelList {
        models: vec![ModelInfo {
            id: model.id().to_string(),
            sha256: model.sha256().to_string(),
            origin,
        }],
    })
}

/// Unknown route → 404 problem.
pub async fn no_route(uri: Uri) -> AppError {
    AppError::NoRoute(uri.path().to_string())
}

/// Known route, wrong method → 405 problem.
pub async fn method_not_allowed() -> Response {
    let body = serde_json::json!({
        "type": "/problems/method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
        "detail": "this route does not accept this method",
    });
    let mut response = (StatusCode::METHOD_NOT_ALLOWED, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::error::PROBLEM_JSON),
    );
    response
}

/// A shipped compensation-scheme preset.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SchemePreset {
    /// Preset name, usable as `scheme = "NAME"` in a scenario.
    pub name: String,
    /// The validated rules.
    pub scheme: crate::scheme::Scheme,
    /// The preset file as shipped (TOML, with its source comments).
    pub toml: String,
}

/// The shipped presets.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SchemeList {
    /// Every preset, in the order of the table in docs/schemes.md.
    pub schemes: Vec<SchemePreset>,
}

/// `GET /v1/schemes`: the compensation-scheme presets a scenario or application can name.
#[utoipa::path(get, path = "/v1/schemes", operation_id = "listSchemes", tag = "catalogue",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the shipped scheme presets", body = ref("#/components/schemas/SchemeList")),
        (status = 401, description = "missing or invalid key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn schemes(_caller: Caller) -> Result<Json<SchemeList>, AppError> {
    let mut schemes = Vec::new();
    for (name, text) in crate::scheme::presets::PRESETS {
        let scheme = crate::scheme::Scheme::from_toml_str(text, name)
            .map_err(|e| AppError::Internal(format!("shipped preset {name} is invalid: {e}")))?;
        schemes.push(SchemePreset {
            name: (*name).to_string(),
            scheme,
            toml: (*text).to_string(),
        });
    }
    Ok(Json(SchemeList { schemes }))
}
