//! `/v1/valuations`: values an asset list synchronously (the body is `ipledge value`'s input,
//! the answer its JSON result plus `id` and `created_at`). Valuations are not stored: they
//! are a pure function of (assets, model, seed, paths, as_of), all echoed in the result.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{json_response, json_string, splice_object};
use crate::api::auth::Caller;
use crate::api::body::{RawBody, parse_query};
use crate::api::{AppError, AppState};
use crate::asset::Date;
use crate::input::{FieldPath, InputErrors};
use crate::store::{Role, new_id, now_rfc3339};
use crate::valuation::{self, ValuationError, ValuationSettings};

/// Query of `POST /v1/valuations`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueQuery {
    /// Monte Carlo paths (default: the server's default, 10,000).
    pub paths: Option<u64>,
    /// Seed (default 1).
    pub seed: Option<u64>,
    /// Valuation date `YYYY-MM-DD` (default 2026-01-01, as the CLI).
    pub as_of: Option<String>,
}

/// Checks `paths` against the server's limit; `field` names it in the error.
pub(crate) fn checked_paths(paths: Option<u64>, state: &AppState) -> Result<u64, AppError> {
    let max = state.limits().max_paths;
    let paths = paths.unwrap_or(state.limits().default_paths.min(max));
    if paths == 0 || paths > max {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new("query.paths"),
            format!("must be between 1 and {max}"),
        )));
    }
    Ok(paths)
}

/// Rejects more assets than the server allows.
pub(crate) fn check_asset_count(count: usize, at: &str, state: &AppState) -> Result<(), AppError> {
    let max = state.limits().max_assets;
    if count > max {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new(at),
            format!("{count} assets: at most {max} per request"),
        )));
    }
    Ok(())
}

/// 422 at `at` when `count` assets × `paths` exceed the server's work bound for one request.
pub(crate) fn check_asset_paths(
    count: usize,
    paths: u64,
    at: &str,
    limits: &crate::api::Limits,
) -> Result<(), AppError> {
    let max = limits.max_asset_paths;
    let work = (count as u64).saturating_mul(paths);
    if work > max {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new(at),
            format!(
                "{count} assets × {paths} paths = {work} asset-paths, above this server's \
                 limit of {max} per request: use fewer paths"
            ),
        )));
    }
    Ok(())
}

/// A valuation error caused by the input (422) or by the server (500).
pub(crate) fn valuation_error(e: ValuationError) -> AppError {
    match e {
        ValuationError::Parameters(message) => {
            AppError::Internal(format!("valuation parameters: {message}"))
        }
        other => AppError::Invalid(InputErrors::one(
            &FieldPath::new("assets"),
            other.to_string(),
        )),
    }
}

/// `POST /v1/valuations`: values the asset list in the body (a JSON array of asset records,
/// or `{"assets": [...]}`), per asset and for the portfolio.
#[utoipa::path(post, path = "/v1/valuations", operation_id = "valueAssets", tag = "valuations",
    security(("bearer" = [])),
    params(
        ("paths" = Option<u64>, Query, description = "Monte Carlo paths (default 10,000)"),
        ("seed" = Option<u64>, Query, description = "seed (default 1)"),
        ("as_of" = Option<String>, Query, description = "valuation date YYYY-MM-DD (default 2026-01-01)")),
    request_body(content = ref("#/components/schemas/AssetList"), content_type = "application/json",
        description = "the asset list of `ipledge value`"),
    responses(
        (status = 200, description = "the valuation result plus id and created_at", body = ref("#/components/schemas/ValuationResponse")),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad asset fields", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn value(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
    body: RawBody,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "value assets")?;
    let query: ValueQuery = parse_query(query.as_deref())?;
    let paths = checked_paths(query.paths, &state)?;
    let as_of = match &query.as_of {
        None => valuation::DEFAULT_AS_OF,
        Some(text) => text.parse::<Date>().map_err(|e| {
            AppError::Invalid(InputErrors::one(
                &FieldPath::new("query.as_of"),
                e.to_string(),
            ))
        })?,
    };
    body.expect_json()?;
    let assets = crate::asset::parse_json(body.text()?).map_err(AppError::Invalid)?;
    check_asset_count(assets.len(), "assets", &state)?;
    let settings = ValuationSettings {
        paths,
        seed: query.seed.unwrap_or(1),
        as_of,
    };
    let model = state.model().clone();
    let params = state.scoring_params()?;
    check_asset_paths(assets.len(), paths, "assets", state.limits())?;
    let result = crate::api::compute("valuation", move || {
        valuation::value_portfolio(&assets, &params.valuation, &model, &settings)
            .map_err(valuation_error)
    })
    .await?;
    let output = serde_json::to_string(&result)
        .map_err(|e| AppError::Internal(format!("serialise valuation: {e}")))?;
    let id = new_id("val").map_err(|e| AppError::Internal(e.to_string()))?;
    let body = splice_object(
        &output,
        &[
            ("id", json_string(&id)),
            ("created_at", json_string(&now_rfc3339())),
        ],
        &[],
    )?;
    Ok(json_response(StatusCode::OK, body))
}
