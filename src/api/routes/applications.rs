//! `/v1/applications`: read back stored scorings (a bank sees only its own; another tenant's
//! id is 404) and report outcomes against them.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{json_response, json_string, splice_object};
use crate::api::audit::Audit;
use crate::api::auth::Caller;
use crate::api::body::{RawBody, parse_json, parse_query};
use crate::api::idempotency::Idempotency;
use crate::api::{AppError, AppState};
use crate::input::{FieldPath, Problems};
use crate::money::Money;
use crate::store::{ApplicationRecord, OutcomeRecord, Role, new_id, now_rfc3339};

/// The stored response of one application: the scoring result (served byte for byte) with
/// `id` and `created_at` in front.
pub(crate) fn application_response(record: &ApplicationRecord) -> Result<String, AppError> {
    splice_object(
        &record.output,
        &[
            ("id", json_string(&record.id)),
            ("created_at", json_string(&record.created_at)),
        ],
        &[],
    )
}

/// The application `id` as `caller` may see it: another tenant's id is 404, like a missing
/// one, and the attempt is recorded in the audit trail.
async fn visible_application(
    state: &AppState,
    caller: &Caller,
    audit: &Audit,
    id: String,
) -> Result<ApplicationRecord, AppError> {
    let id = super::checked_id("application", id)?;
    let fetched = state.store().application(&id, None).await?;
    super::visible(state, caller, audit, "application", id, fetched, |a| {
        &a.tenant
    })
    .await
}

/// `GET /v1/applications/{id}`: the stored scoring result (404 for other tenants' ids).
#[utoipa::path(get, path = "/v1/applications/{id}", operation_id = "getApplication", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "application id")),
    responses(
        (status = 200, description = "the stored scoring result plus id and created_at", body = ref("#/components/schemas/ApplicationResponse")),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such application for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "read applications")?;
    let record = visible_application(&state, &caller, &audit, id).await?;
    Ok(json_response(
        StatusCode::OK,
        application_response(&record)?,
    ))
}

/// Query of `GET /v1/applications`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size (1 to the server's maximum; default 20).
    pub limit: Option<u32>,
}

/// One row of the list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ApplicationSummary {
    /// Application id.
    pub id: String,
    /// When it was scored (RFC 3339 UTC).
    pub created_at: String,
    /// `approve|refer|decline`.
    pub decision: String,
    /// Model id used.
    pub model_id: String,
    /// SHA-256 of the model used.
    pub model_sha256: String,
    /// Seed used.
    pub seed: u64,
    /// Paths used.
    pub paths: u64,
}

/// A page of applications, oldest first.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ApplicationPage {
    /// This page.
    pub items: Vec<ApplicationSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /v1/applications?cursor=&limit=`: the caller's applications, oldest first.
#[utoipa::path(get, path = "/v1/applications", operation_id = "listApplications", tag = "applications",
    security(("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "page size, 1..=100, default 20")),
    responses(
        (status = 200, description = "a page of the caller's applications", body = ref("#/components/schemas/ApplicationPage")),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad query", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<ApplicationPage>, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "read applications")?;
    let query: ListQuery = parse_query(query.as_deref())?;
    let limit = super::page_limit(&state, query.limit)?;
    let cursor = super::checked_cursor(query.cursor.as_deref())?;
    let records = state
        .store()
        .applications(caller.visible_tenant(), cursor, limit)
        .await?;
    let next_cursor = if records.len() == limit as usize {
        records.last().map(|r| r.id.clone())
    } else {
        None
    };
    let items = records
        .into_iter()
        .map(|r| ApplicationSummary {
            id: r.id,
            created_at: r.created_at,
            decision: r.decision,
            model_id: r.model_id,
            model_sha256: r.model_sha256,
            seed: r.seed,
            paths: r.paths,
        })
        .collect();
    Ok(Json(ApplicationPage { items, next_cursor }))
}

/// How the loan ended (or stands).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeStatus {
    /// Still running, no default.
    Performing,
    /// Repaid in full.
    Repaid,
    /// In default; recoveries may follow.
    Defaulted,
    /// Default resolved; `recovered` is final.
    Recovered,
}

impl OutcomeStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Performing => "performing",
            OutcomeStatus::Repaid => "repaid",
            OutcomeStatus::Defaulted => "defaulted",
            OutcomeStatus::Recovered => "recovered",
        }
    }
}

/// Body of `POST /v1/applications/{id}/outcome` (amounts in CNY as decimal strings).
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeReport {
    /// Where the loan stands.
    pub status: OutcomeStatus,
    /// Principal repaid so far.
    #[serde(default)]
    pub repaid: Money,
    /// Exposure at default (0 unless defaulted or recovered).
    #[serde(default)]
    pub defaulted: Money,
    /// Amount recovered after default (≤ `defaulted`).
    #[serde(default)]
    pub recovered: Money,
    /// Date the figures refer to, `YYYY-MM-DD`.
    pub as_of: Option<String>,
    /// Free text (≤ 1000 characters).
    pub note: Option<String>,
}

impl OutcomeReport {
    /// Checks every field; returns all problems.
    fn validate(&self) -> Result<(), crate::input::InputErrors> {
        let root = FieldPath::root();
        let mut p = Problems::new();
        for (name, amount) in [
            ("repaid", self.repaid),
            ("defaulted", self.defaulted),
            ("recovered", self.recovered),
        ] {
            p.check(!amount.is_negative(), &root.field(name), "must be >= 0");
        }
        p.check(
            self.recovered <= self.defaulted,
            &root.field("recovered"),
            "must not exceed defaulted",
        );
        let defaults = matches!(
            self.status,
            OutcomeStatus::Defaulted | OutcomeStatus::Recovered
        );
        p.check(
            !defaults || !self.defaulted.is_zero(),
            &root.field("defaulted"),
            "must be > 0 when status is defaulted or recovered",
        );
        p.check(
            defaults || self.defaulted.is_zero(),
            &root.field("defaulted"),
            "must be 0 unless status is defaulted or recovered",
        );
        if let Some(date) = &self.as_of {
            p.check(
                is_iso_date(date),
                &root.field("as_of"),
                "must be a date YYYY-MM-DD",
            );
        }
        if let Some(note) = &self.note {
            p.check(
                note.chars().count() <= 1000,
                &root.field("note"),
                "must be at most 1000 characters",
            );
        }
        p.finish(|| ())
    }
}

/// `YYYY-MM-DD` with a real month and a day that exists in it.
fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A stored outcome report.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OutcomeResponse {
    /// Outcome id.
    pub id: String,
    /// The application it reports on.
    pub application_id: String,
    /// When it was stored (RFC 3339 UTC).
    pub created_at: String,
    /// Where the loan stands.
    pub status: OutcomeStatus,
    /// Principal repaid.
    pub repaid: Money,
    /// Exposure at default.
    pub defaulted: Money,
    /// Recovered after default.
    pub recovered: Money,
    /// Date the figures refer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `POST /v1/applications/{id}/outcome`: report repaid / defaulted / recovered amounts.
#[utoipa::path(post, path = "/v1/applications/{id}/outcome", operation_id = "reportOutcome", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "application id")),
    request_body(content = ref("#/components/schemas/OutcomeReport"), content_type = "application/json"),
    responses(
        (status = 201, description = "stored", body = ref("#/components/schemas/OutcomeResponse")),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such application for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad fields", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn report_outcome(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "report outcomes")?;
    let id = super::checked_id("application", id)?;
    body.expect_json()?;
    let idempotency = Idempotency::from_request(
        &headers,
        caller.tenant(),
        &format!("POST /v1/applications/{id}/outcome"),
        None,
        &body.bytes,
    )?;
    if let Some(stored) = idempotency.lookup(state.store()).await? {
        return Ok(stored);
    }
    let application = visible_application(&state, &caller, &audit, id.clone()).await?;
    let report: OutcomeReport = parse_json(body.text()?)?;
    report.validate().map_err(AppError::Invalid)?;
    let response = OutcomeResponse {
        id: new_id("out")?,
        application_id: application.id.clone(),
        created_at: now_rfc3339(),
        status: report.status,
        repaid: report.repaid,
        defaulted: report.defaulted,
        recovered: report.recovered,
        as_of: report.as_of.clone(),
        note: report.note.clone(),
    };
    let body_json = serde_json::to_string(&response)
        .map_err(|e| AppError::Internal(format!("serialise outcome: {e}")))?;
    let record = idempotency.record(StatusCode::CREATED, &body_json);
    let insert = state
        .store()
        .insert_outcome(
            &OutcomeRecord {
                id: response.id.clone(),
                application_id: application.id,
                tenant: caller.tenant().to_string(),
                created_at: response.created_at.clone(),
                status: report.status.as_str().to_string(),
                repaid: report.repaid.to_string(),
                defaulted: report.defaulted.to_string(),
                recovered: report.recovered.to_string(),
                body: body_json,
            },
            record.as_ref().map(|(k, r)| (k, r)),
            Some(&audit.entry(&caller, Some(&response.id), StatusCode::CREATED.as_u16())?),
        )
        .await?;
    idempotency.respond(
        insert,
        (StatusCode::CREATED, Json(response)).into_response(),
    )
}

/// Outcome reports of one application, oldest first.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OutcomeList {
    /// The reports.
    #[schemars(with = "Vec<OutcomeResponse>")]
    pub items: Vec<serde_json::Value>,
}

/// `GET /v1/applications/{id}/outcomes`: every outcome reported against an application.
#[utoipa::path(get, path = "/v1/applications/{id}/outcomes", operation_id = "listOutcomes", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "application id")),
    responses(
        (status = 200, description = "the reports (each an OutcomeResponse)", body = ref("#/components/schemas/OutcomeList")),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such application for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn outcomes(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Json<OutcomeList>, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "read outcomes")?;
    let application = visible_application(&state, &caller, &audit, id).await?;
    let items = state
        .store()
        .outcomes(&application.id)
        .await?
        .into_iter()
        .map(|o| {
            serde_json::from_str(&o.body)
                .map_err(|e| AppError::Internal(format!("stored outcome {}: {e}", o.id)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(OutcomeList { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2023-13-01"));
        assert!(!is_iso_date("2023-1-01"));
    }

    #[test]
    fn outcome_validation_reports_every_field() {
        let report: OutcomeReport = parse_json(
            r#"{"status":"repaid","repaid":"-1","defaulted":"5","recovered":"9","as_of":"2026-02-30"}"#,
        )
        .unwrap();
        let e = report.validate().unwrap_err();
        for path in ["repaid", "recovered", "defaulted", "as_of"] {
            assert!(e.has_path(path), "{path} missing in {e}");
        }
    }
}

/// Query of `POST /v1/applications`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreQuery {
    /// Monte Carlo paths (default: the server's default, 10,000).
    pub paths: Option<u64>,
    /// Seed (default: the CLI's default).
    pub seed: Option<u64>,
}

/// Scores `input` (an application document) exactly as `ipledge score` does, on the blocking
/// pool; returns the result JSON text and its decision. Used by the POST and by replays.
pub(crate) async fn score_text(
    input: String,
    model: crate::model::Model,
    params: Arc<crate::credit::ScoringParams>,
    paths: u64,
    seed: u64,
    limits: Option<crate::api::Limits>,
) -> Result<(String, String), AppError> {
    crate::api::compute("scoring", move || {
        let app = crate::credit::application::Application::from_json(&input)
            .map_err(AppError::Invalid)?;
        let count = app.pledged_assets.len();
        if let Some(limits) = limits {
            if count > limits.max_assets {
                return Err(AppError::Invalid(crate::input::InputErrors::one(
                    &FieldPath::new("pledged_assets"),
                    format!(
                        "{count} assets: at most {} per application",
                        limits.max_assets
                    ),
                )));
            }
            super::valuations::check_asset_paths(count, paths, "pledged_assets", &limits)?;
        }
        let settings = crate::credit::ScoreSettings {
            paths,
            seed,
            scheme: None,
        };
        let result =
            crate::credit::score_with(&app, &model, &params, &settings).map_err(|e| match e {
                crate::credit::ScoreError::Model(errors) => {
                    AppError::Internal(format!("server model: {errors}"))
                }
                e if e.is_bad_input() => AppError::Invalid(crate::input::InputErrors::one(
                    &FieldPath::root(),
                    e.to_string(),
                )),
                e => AppError::Internal(e.to_string()),
            })?;
        let decision = serde_json::to_value(result.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let output = serde_json::to_string(&result)
            .map_err(|e| AppError::Internal(format!("serialise score: {e}")))?;
        Ok((output, decision))
    })
    .await
}

/// `POST /v1/applications`: scores the application in the body (the input of `ipledge score`)
/// and stores input, output, model id + sha256, seed and paths; answers 201 with the result
/// plus `id` and `created_at`. Honours `Idempotency-Key`: the same key and body return the
/// stored response, the same key with another body is 422.
#[utoipa::path(post, path = "/v1/applications", operation_id = "createApplication", tag = "applications",
    security(("bearer" = [])),
    params(
        ("paths" = Option<u64>, Query, description = "Monte Carlo paths (default 10,000)"),
        ("seed" = Option<u64>, Query, description = "seed (default: the CLI's)"),
        ("Idempotency-Key" = Option<String>, Header, description = "retry key: same key and body return the stored response")),
    request_body(content = ref("#/components/schemas/RawApplication"), content_type = "application/json",
        description = "the application of `ipledge score`"),
    responses(
        (status = 201, description = "scored and stored", body = ref("#/components/schemas/ApplicationResponse"),
            headers(("Location" = String, description = "the stored application, `/v1/applications/{id}`"))),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad application fields, or an idempotency key reused with another body", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "score applications")?;
    let query: ScoreQuery = parse_query(raw_query.as_deref())?;
    let paths = super::valuations::checked_paths(query.paths, &state)?;
    let seed = query
        .seed
        .unwrap_or(crate::credit::ScoreSettings::default().seed);
    body.expect_json()?;
    let idempotency = Idempotency::from_request(
        &headers,
        caller.tenant(),
        "POST /v1/applications",
        raw_query.as_deref(),
        &body.bytes,
    )?;
    if let Some(stored) = idempotency.lookup(state.store()).await? {
        return Ok(stored);
    }
    let input = body.text()?.to_string();
    check_bank_id(&state, &caller, &audit, &input).await?;
    let started = std::time::Instant::now();
    let (output, decision) = score_text(
        input.clone(),
        state.model().clone(),
        state.scoring_params()?,
        paths,
        seed,
        Some(state.limits().clone()),
    )
    .await?;
    metrics::histogram!("ipledge_scoring_seconds").record(started.elapsed().as_secs_f64());
    let record = ApplicationRecord {
        id: new_id("app")?,
        tenant: caller.tenant().to_string(),
        created_at: now_rfc3339(),
        decision,
        model_id: state.model().id().to_string(),
        model_sha256: state.model().sha256().to_string(),
        seed,
        paths,
        input,
        output,
    };
    let response_body = application_response(&record)?;
    let stored = idempotency.record(StatusCode::CREATED, &response_body);
    let entry = audit.entry(&caller, Some(&record.id), StatusCode::CREATED.as_u16())?;
    let insert = state
        .store()
        .insert_application(&record, stored.as_ref().map(|(k, r)| (k, r)), Some(&entry))
        .await?;
    let mut fresh = json_response(StatusCode::CREATED, response_body);
    if let Ok(location) = format!("/v1/applications/{}", record.id).parse() {
        fresh
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    idempotency.respond(insert, fresh)
}

/// 403 (recorded in the audit trail) when the application's `bank_id` is not one the caller's
/// tenant may file for: its own name or a bank id added with `ipledge keys create --bank-id`.
/// Admin keys may file for any bank. A body that does not parse is left to the scorer's
/// messages.
async fn check_bank_id(
    state: &AppState,
    caller: &Caller,
    audit: &Audit,
    input: &str,
) -> Result<(), AppError> {
    #[derive(Deserialize)]
    struct BankOnly {
        bank_id: Option<String>,
    }
    if caller.0.role == Role::Admin {
        return Ok(());
    }
    let Ok(BankOnly {
        bank_id: Some(bank_id),
    }) = serde_json::from_str::<BankOnly>(input)
    else {
        return Ok(());
    };
    let bank_id = bank_id.trim();
    if bank_id.is_empty()
        || state
            .store()
            .tenant_may_file_for(caller.tenant(), bank_id)
            .await?
    {
        return Ok(());
    }
    let refusal = AppError::OtherTenant(format!(
        "bank_id {bank_id:?} is not a bank of tenant {:?}; file under your own bank id, or \
         have an operator add it with `ipledge keys create --bank-id`",
        caller.tenant()
    ));
    Err(audit.refused(state, caller, None, refusal).await)
}

/// The answer of a replay.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReplayResponse {
    /// Application id.
    pub id: String,
    /// True when scoring the stored input again gives the stored output byte for byte.
    pub identical: bool,
    /// Model id used (stored and now).
    pub model_id: String,
    /// SHA-256 of the model used.
    pub model_sha256: String,
    /// Seed used.
    pub seed: u64,
    /// Paths used.
    pub paths: u64,
    /// The replayed result (the stored one is `GET /v1/applications/{id}`).
    #[schemars(with = "crate::credit::ScoreResult")]
    pub replayed: serde_json::Value,
}

/// Scores a stored application again with its stored seed and paths under `model`, which must
/// be the model it was stored with (same SHA-256). The request limits are not applied again:
/// the stored input was accepted once.
pub async fn replay_record(
    record: &ApplicationRecord,
    model: &crate::model::Model,
) -> Result<ReplayResponse, AppError> {
    if model.sha256() != record.model_sha256 {
        return Err(AppError::Conflict(format!(
            "application {} was scored with model {} (sha256 {}); this server runs {} (sha256 {})",
            record.id,
            record.model_id,
            record.model_sha256,
            model.id(),
            model.sha256()
        )));
    }
    let params = crate::credit::ScoringParams::from_model(model)
        .map_err(|e| AppError::Internal(format!("server model: {e}")))?;
    let (output, _) = score_text(
        record.input.clone(),
        model.clone(),
        Arc::new(params),
        record.paths,
        record.seed,
        None,
    )
    .await?;
    let replayed = serde_json::from_str(&output)
        .map_err(|e| AppError::Internal(format!("replayed output: {e}")))?;
    Ok(ReplayResponse {
        id: record.id.clone(),
        identical: output == record.output,
        model_id: record.model_id.clone(),
        model_sha256: record.model_sha256.clone(),
        seed: record.seed,
        paths: record.paths,
        replayed,
    })
}

/// `POST /v1/applications/{id}/replay`: scores the stored input again with the stored seed,
/// paths and model, and says whether the result is identical to the stored one.
#[utoipa::path(post, path = "/v1/applications/{id}/replay", operation_id = "replayApplication", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "application id")),
    responses(
        (status = 200, description = "the replayed result and whether it is identical", body = ref("#/components/schemas/ReplayResponse")),
        (status = 403, description = "not a bank or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such application for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 409, description = "the server runs another model than the stored one", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Json<ReplayResponse>, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "replay applications")?;
    let record = visible_application(&state, &caller, &audit, id).await?;
    Ok(Json(replay_record(&record, state.model()).await?))
}
