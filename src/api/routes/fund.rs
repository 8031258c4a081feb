//! `/v1/fund/simulations`: fund simulations as background jobs (bureau and admin keys).
//! POST stores a `queued` job and answers 202 with its id; GET polls status, progress and,
//! once `succeeded`, the `fund simulate --format json` result.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{json_response, splice_object};
use crate::api::auth::Caller;
use crate::api::body::{RawBody, parse_json, parse_query};
use crate::api::idempotency::Idempotency;
use crate::api::{AppError, AppState};
use crate::fund::{FundError, FundModel, Settings};
use crate::input::{FieldPath, InputErrors};
use crate::rng::BATCH_PATHS;
use crate::scenario::{NoFiles, Scenario};
use crate::store::{JobRecord, JobStatus, Role, new_id, now_rfc3339};

/// The job kind of a fund simulation.
pub const KIND: &str = "fund_simulation";

/// Query of `POST /v1/fund/simulations`: overrides of the scenario's `paths` and `seed`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// Monte Carlo paths (default: the scenario's).
    pub paths: Option<u64>,
    /// Seed (default: the scenario's).
    pub seed: Option<u64>,
}

/// What a job stores as its input: enough to rerun it exactly.
#[derive(Debug, Serialize, Deserialize)]
struct JobInput {
    /// The scenario as TOML text.
    scenario_toml: String,
    /// Paths used.
    paths: u64,
    /// Seed used.
    seed: u64,
}

/// The scenario text of a request: TOML as sent, or JSON (same keys) converted to TOML.
fn scenario_toml(body: &RawBody) -> Result<String, AppError> {
    match body.content_type.as_deref() {
        Some("application/toml" | "text/toml" | "text/x-toml" | "text/plain") => {
            Ok(body.text()?.to_string())
        }
        None | Some("application/json") => {
            let value: serde_json::Value = parse_json(body.text()?)?;
            if !value.is_object() {
                return Err(AppError::Invalid(InputErrors::one(
                    &FieldPath::root(),
                    "a scenario must be a json object with the scenario file's keys",
                )));
            }
            let toml_value = toml::Value::try_from(&value).map_err(|e| {
                AppError::Invalid(InputErrors::one(
                    &FieldPath::root(),
                    format!(
                        "not expressible as a scenario file (null values are not allowed): {e}"
                    ),
                ))
            })?;
            toml::to_string(&toml_value)
                .map_err(|e| AppError::Internal(format!("scenario to toml: {e}")))
        }
        Some(other) => Err(AppError::UnsupportedMediaType(other.to_string())),
    }
}

/// `POST /v1/fund/simulations`: validates the scenario, stores a queued job and answers 202
/// with its id (`Location` points at it). The body is the scenario: TOML text
/// (`Content-Type: application/toml`) or a JSON object with the same keys. Scheme presets are
/// named as in scenario files; other files cannot be referenced.
#[utoipa::path(post, path = "/v1/fund/simulations", tag = "fund",
    security(("bearer" = [])),
    params(
        ("paths" = Option<u64>, Query, description = "Monte Carlo paths (default: the scenario's)"),
        ("seed" = Option<u64>, Query, description = "seed (default: the scenario's)")),
    request_body(content = ref("#/components/schemas/ScenarioDocument"), content_type = "application/json",
        description = "the scenario: a JSON object with the scenario file's keys, or the TOML text itself with Content-Type application/toml"),
    responses(
        (status = 202, description = "queued; poll the job", body = ref("#/components/schemas/JobResponse")),
        (status = 422, description = "bad scenario fields", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "run fund simulations")?;
    let query: RunQuery = parse_query(query.as_deref())?;
    let idempotency = Idempotency::from_request(
        &headers,
        caller.tenant(),
        "POST /v1/fund/simulations",
        &body.bytes,
    )?;
    if let Some(stored) = idempotency.lookup(state.store()).await? {
        return Ok(stored);
    }
    let text = scenario_toml(&body)?;
    let scenario = Scenario::from_toml_str(&text, &NoFiles).map_err(AppError::Invalid)?;
    let paths = query.paths.unwrap_or(scenario.paths);
    let seed = query.seed.unwrap_or(scenario.seed);
    let max = state.limits().max_job_paths;
    if paths == 0 || paths > max {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new(if query.paths.is_some() {
                "query.paths"
            } else {
                "paths"
            }),
            format!("must be between 1 and {max}"),
        )));
    }
    if let Some(m) = &scenario.model {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new("scenario.model"),
            format!(
                "the API runs the server's model ({}); it cannot read `{m}`: remove the key",
                state.model().id()
            ),
        )));
    }
    let model = FundModel::from_model(state.model())
        .map_err(|e| AppError::Internal(format!("server model [fund] section: {e}")))?;
    // Fail bad-input errors of the engine now (422), not later in the job.
    for (i, cohort) in scenario.book.cohorts.iter().enumerate() {
        if let crate::scenario::PdSpec::Grades(mix) = &cohort.pd_1y {
            if let Some(g) = mix.keys().find(|g| !model.grade_pd_1y.contains_key(*g)) {
                return Err(AppError::Invalid(InputErrors::one(
                    &FieldPath::new("book.cohort").index(i).field("pd_1y"),
                    format!("grade `{g}` has no PD in the server model's [fund.grade_pd_1y]"),
                )));
            }
        }
    }
    let input = serde_json::to_string(&JobInput {
        scenario_toml: text,
        paths,
        seed,
    })
    .map_err(|e| AppError::Internal(format!("serialise job input: {e}")))?;
    let job = JobRecord {
        id: new_id("job")?,
        tenant: caller.tenant().to_string(),
        kind: KIND.to_string(),
        status: JobStatus::Queued,
        progress_done: 0,
        progress_total: paths,
        input,
        result: None,
        error: None,
        created_at: now_rfc3339(),
        started_at: None,
        finished_at: None,
    };
    let id = job.id.clone();
    let body_json = job_body(&job)?;
    let record = idempotency.record(StatusCode::ACCEPTED, &body_json);
    let insert = state
        .store()
        .insert_job(&job, record.as_ref().map(|(k, r)| (k, r)))
        .await?;
    if insert == crate::store::Insert::Inserted {
        state.jobs().spawn(id.clone(), move |progress| {
            let report = |done: u64, _total: u64| {
                progress.set(done.saturating_mul(BATCH_PATHS).min(paths));
            };
            let mut settings = Settings::for_scenario(&scenario, model);
            settings.paths = paths;
            settings.seed = seed;
            settings.progress = Some(&report);
            match crate::fund::simulate(&scenario, &settings) {
                Ok(result) => serde_json::to_string(&result).map_err(|e| {
                    tracing::error!(error = %e, "serialise fund result");
                    "the result could not be serialised; the error was logged".to_string()
                }),
                Err(e @ (FundError::UnknownGrade { .. } | FundError::NoPaths)) => {
                    Err(e.to_string())
                }
                Err(e) => {
                    tracing::error!(error = %e, "fund simulation failed");
                    Err("the simulation failed; the error was logged".to_string())
                }
            }
        });
    }
    let mut fresh = json_response(StatusCode::ACCEPTED, body_json);
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/fund/simulations/{id}")) {
        fresh.headers_mut().insert(header::LOCATION, location);
    }
    idempotency.respond(insert, fresh)
}

/// Progress of a job in work units (Monte Carlo paths).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JobProgress {
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
}

/// A fund simulation job.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JobResponse {
    /// Job id.
    pub id: String,
    /// `queued|running|succeeded|failed|interrupted`.
    pub status: JobStatus,
    /// Work done so far.
    pub progress: JobProgress,
    /// When it was submitted (RFC 3339 UTC).
    pub created_at: String,
    /// When a worker took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The simulation result (`FundResult`) once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobResponse {
    /// The API view of a stored job, without its result (see [`job_body`]).
    fn without_result(job: &JobRecord) -> JobResponse {
        JobResponse {
            id: job.id.clone(),
            status: job.status,
            progress: JobProgress {
                done: job.progress_done,
                total: job.progress_total,
            },
            created_at: job.created_at.clone(),
            started_at: job.started_at.clone(),
            finished_at: job.finished_at.clone(),
            result: None,
            error: job.error.clone(),
        }
    }
}

/// The JSON text of a job; its stored result is spliced in byte for byte.
fn job_body(job: &JobRecord) -> Result<String, AppError> {
    let text = serde_json::to_string(&JobResponse::without_result(job))
        .map_err(|e| AppError::Internal(format!("serialise job: {e}")))?;
    match &job.result {
        None => Ok(text),
        Some(result) => splice_object(&text, &[], &[("result", result.clone())]),
    }
}

/// `GET /v1/fund/simulations/{id}`: status, progress and result of a job.
#[utoipa::path(get, path = "/v1/fund/simulations/{id}", tag = "fund",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "the job", body = ref("#/components/schemas/JobResponse")),
        (status = 404, description = "no such job for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "read fund simulations")?;
    let job = state
        .store()
        .job(&id, caller.visible_tenant())
        .await?
        .ok_or(AppError::NotFound { what: "job", id })?;
    Ok(json_response(StatusCode::OK, job_body(&job)?))
}
