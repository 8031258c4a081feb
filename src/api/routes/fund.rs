//! `/v1/fund/simulations`: fund jobs in the background (bureau and admin keys). One queue,
//! one job table for every kind: simulations and the decision tools `size`, `capacity`,
//! `compare` and `optimise` ([`super::fund_jobs`]). POST validates and stores a `queued` job
//! and answers 202 with its id; GET polls status, progress and, once `succeeded`, the result
//! (the CLI command's JSON); `…/{id}/report` renders a succeeded job's HTML report; DELETE
//! cancels; GET on the collection lists the caller's jobs.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::fund_jobs::{self, JOB_KEYS, JobKind, JobSpec};
use super::{json_response, splice_object};
use crate::api::audit::Audit;
use crate::api::auth::Caller;
use crate::api::body::{RawBody, parse_json, parse_query};
use crate::api::idempotency::Idempotency;
use crate::api::{AppError, AppState};
use crate::fund::FundModel;
use crate::input::{FieldPath, InputErrors};
use crate::scenario::{NoFiles, Scenario};
use crate::store::{JobRecord, JobStatus, Role, new_id, now_rfc3339};

/// The stored job kind of a fund simulation.
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
    /// The scenario as TOML text (without the job keys).
    scenario_toml: String,
    /// Paths used.
    paths: u64,
    /// Seed used.
    seed: u64,
    /// The job's block (none for a simulation).
    #[serde(flatten)]
    spec: JobSpec,
}

/// The scenario text of a request and its job keys: TOML as sent, or JSON (same keys)
/// converted to TOML; the top-level job keys ([`JOB_KEYS`]) are taken off either way.
fn scenario_toml(body: &RawBody) -> Result<(String, JobSpec), AppError> {
    match body.content_type.as_deref() {
        Some("application/toml" | "text/toml" | "text/x-toml" | "text/plain") => {
            let text = body.text()?;
            // A document that does not parse is left to the scenario parser's messages.
            let Ok(mut table) = toml::from_str::<toml::Table>(text) else {
                return Ok((text.to_string(), JobSpec::default()));
            };
            if !JOB_KEYS.iter().any(|k| table.contains_key(*k)) {
                return Ok((text.to_string(), JobSpec::default()));
            }
            let mut keys = serde_json::Map::new();
            for k in JOB_KEYS {
                if let Some(v) = table.remove(k) {
                    let v = serde_json::to_value(&v).map_err(|e| {
                        AppError::Invalid(InputErrors::one(&FieldPath::new(k), e.to_string()))
                    })?;
                    keys.insert(k.to_string(), v);
                }
            }
            let spec = JobSpec::from_keys(keys)?;
            let text = toml::to_string(&table)
                .map_err(|e| AppError::Internal(format!("scenario to toml: {e}")))?;
            Ok((text, spec))
        }
        None | Some("application/json") => {
            let mut value: serde_json::Value = parse_json(body.text()?)?;
            let Some(object) = value.as_object_mut() else {
                return Err(AppError::Invalid(InputErrors::one(
                    &FieldPath::root(),
                    "a scenario must be a json object with the scenario file's keys",
                )));
            };
            let mut keys = serde_json::Map::new();
            for k in JOB_KEYS {
                if let Some(v) = object.remove(k) {
                    keys.insert(k.to_string(), v);
                }
            }
            let spec = JobSpec::from_keys(keys)?;
            let toml_value = toml::Value::try_from(&value).map_err(|e| {
                AppError::Invalid(InputErrors::one(
                    &FieldPath::root(),
                    format!(
                        "not expressible as a scenario file (null values are not allowed): {e}"
                    ),
                ))
            })?;
            let text = toml::to_string(&toml_value)
                .map_err(|e| AppError::Internal(format!("scenario to toml: {e}")))?;
            Ok((text, spec))
        }
        Some(other) => Err(AppError::UnsupportedMediaType(other.to_string())),
    }
}

/// `POST /v1/fund/simulations`: validates the request, stores a queued job and answers 202
/// with its id (`Location` points at it). The body is the scenario: TOML text
/// (`Content-Type: application/toml`) or a JSON object with the same keys. Scheme presets are
/// named as in scenario files; other files cannot be referenced.
///
/// The same route queues the decision tools: add `"job": "size" | "capacity" | "compare" |
/// "optimise"` and its block (`"size": {"max_shortfall_prob": 0.05}`, …) at the top level of
/// the document (in TOML: `job = "size"` before the first table, and a `[size]` table). Every
/// field is checked before anything is queued (422 naming it, e.g. `optimise.vary[1]`), and
/// the job's cost (path evaluations: paths × books drawn × points evaluated) must be within
/// the server's job limit (422 naming the field that drives it).
#[utoipa::path(post, path = "/v1/fund/simulations", operation_id = "submitFundJob", tag = "fund",
    security(("bearer" = [])),
    params(
        ("paths" = Option<u64>, Query, description = "Monte Carlo paths (default: the scenario's)"),
        ("seed" = Option<u64>, Query, description = "seed (default: the scenario's)")),
    request_body(content = ref("#/components/schemas/FundJobRequest"), content_type = "application/json",
        description = "the scenario: a JSON object with the scenario file's keys (plus, for a decision tool, `job` and its block), or the TOML text itself with Content-Type application/toml"),
    responses(
        (status = 202, description = "queued; poll the job", body = ref("#/components/schemas/JobResponse"),
            headers(("Location" = String, description = "the job, `/v1/fund/simulations/{id}`"))),
        (status = 400, description = "malformed body", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 401, description = "missing or invalid api key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 403, description = "not a bureau or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 413, description = "body too large", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 415, description = "neither json nor toml", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad scenario or job fields, or the job's cost above the limit", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "run fund simulations")?;
    let query: RunQuery = parse_query(raw_query.as_deref())?;
    let idempotency = Idempotency::from_request(
        &headers,
        caller.tenant(),
        "POST /v1/fund/simulations",
        raw_query.as_deref(),
        &body.bytes,
    )?;
    if let Some(stored) = idempotency.lookup_stored(state.store()).await? {
        return resubmitted(&state, &caller, &audit, &idempotency, stored).await;
    }
    let active = state.store().active_jobs_of_key(&caller.0.key_id).await?;
    if active >= state.limits().max_jobs_per_key {
        return Err(AppError::QueueFull { active });
    }
    let (text, spec) = scenario_toml(&body)?;
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
    let kind = spec.kind();
    // The decision tools' checks build scenarios (one per scheme or grid point): off the
    // async threads.
    let (spec, text, scenario, total) = tokio::task::spawn_blocking(move || {
        let total = fund_jobs::validate(&spec, &text, &scenario, paths, max)?;
        Ok::<_, AppError>((spec, text, scenario, total))
    })
    .await
    .map_err(|e| AppError::Internal(format!("job validation: {e}")))??;
    check_cost(&state, &spec, &scenario, paths, total)?;
    let input = serde_json::to_string(&JobInput {
        scenario_toml: text.clone(),
        paths,
        seed,
        spec: spec.clone(),
    })
    .map_err(|e| AppError::Internal(format!("serialise job input: {e}")))?;
    let job = JobRecord {
        id: new_id("job")?,
        tenant: caller.tenant().to_string(),
        key_id: caller.0.key_id.clone(),
        kind: kind.stored().to_string(),
        status: JobStatus::Queued,
        progress_done: 0,
        progress_total: total,
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
    let entry = audit.entry(&caller, Some(&id), StatusCode::ACCEPTED.as_u16())?;
    let insert = state
        .store()
        .insert_job(&job, record.as_ref().map(|(k, r)| (k, r)), Some(&entry))
        .await?;
    if insert == crate::store::Insert::Inserted {
        state.jobs().spawn(id.clone(), move |progress| {
            fund_jobs::run(&spec, &text, &scenario, model, paths, seed, progress)
        });
    }
    let mut fresh = json_response(StatusCode::ACCEPTED, body_json);
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/fund/simulations/{id}")) {
        fresh.headers_mut().insert(header::LOCATION, location);
    }
    idempotency.respond(insert, fresh)
}

/// The answer to a POST whose idempotency key was used before with the same request: the
/// job as it is now. A job the server left `interrupted` (it stopped while the job was queued
/// or running) is queued again under the same id, counted against the key's queue limit,
/// and recorded in the audit trail.
async fn resubmitted(
    state: &AppState,
    caller: &Caller,
    audit: &Audit,
    idempotency: &Idempotency,
    stored: crate::store::StoredResponse,
) -> Result<Response, AppError> {
    #[derive(Deserialize)]
    struct JobId {
        id: String,
    }
    let Ok(JobId { id }) = serde_json::from_str::<JobId>(&stored.body) else {
        return idempotency.replay(stored);
    };
    let Some(job) = state.store().job(&id, Some(caller.tenant())).await? else {
        return idempotency.replay(stored);
    };
    let job = if job.status == JobStatus::Interrupted {
        requeue(state, caller, audit, job).await?
    } else {
        job
    };
    let mut response = json_response(StatusCode::ACCEPTED, job_body(&job)?);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(response)
}

/// Queues an interrupted job again under its id (within the key's queue limit, audited) and
/// returns it as it now stands.
async fn requeue(
    state: &AppState,
    caller: &Caller,
    audit: &Audit,
    job: JobRecord,
) -> Result<JobRecord, AppError> {
    let id = job.id;
    let active = state.store().active_jobs_of_key(&caller.0.key_id).await?;
    if active >= state.limits().max_jobs_per_key {
        return Err(AppError::QueueFull { active });
    }
    let input: JobInput = serde_json::from_str(&job.input)
        .map_err(|e| AppError::Internal(format!("job {id} input: {e}")))?;
    let scenario = Scenario::from_toml_str(&input.scenario_toml, &NoFiles)
        .map_err(|e| AppError::Internal(format!("job {id} scenario no longer reads: {e}")))?;
    let model = FundModel::from_model(state.model())
        .map_err(|e| AppError::Internal(format!("server model [fund] section: {e}")))?;
    let entry = audit.entry(caller, Some(&id), StatusCode::ACCEPTED.as_u16())?;
    if state
        .store()
        .requeue_interrupted_job(&id, Some(&entry))
        .await?
    {
        let JobInput {
            scenario_toml,
            paths,
            seed,
            spec,
        } = input;
        state.jobs().spawn(id.clone(), move |progress| {
            fund_jobs::run(
                &spec,
                &scenario_toml,
                &scenario,
                model,
                paths,
                seed,
                progress,
            )
        });
    }
    visible_job(state, caller, audit, id).await
}

/// The job's cost bounds, checked before anything is queued or allocated (422 naming the
/// field to change): its work in loan-months × path evaluations, and the worst-case memory
/// of the default events a decision tool keeps.
fn check_cost(
    state: &AppState,
    spec: &JobSpec,
    scenario: &Scenario,
    paths: u64,
    evaluations: u64,
) -> Result<(), AppError> {
    let limits = state.limits();
    let loan_months = scenario.loan_months();
    let work = u128::from(evaluations) * u128::from(loan_months);
    if work > u128::from(limits.max_job_work) {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new("paths"),
            format!(
                "the job would simulate {:.3e} loan-months ({} loans × {} months × \
                 {evaluations} path evaluations), above this server's limit of {:.3e}: use \
                 fewer paths, a smaller book or a shorter horizon",
                work as f64,
                scenario.loan_count(),
                scenario.horizon_years * 12,
                limits.max_job_work as f64,
            ),
        )));
    }
    let copies = fund_jobs::kept_copies(spec);
    if copies > 0 {
        let bytes = crate::fund::kept_draw_bound(scenario, paths.saturating_mul(copies));
        if bytes > limits.max_job_draw_bytes {
            return Err(AppError::Invalid(InputErrors::one(
                &FieldPath::new("paths"),
                format!(
                    "a {} job keeps its default events: up to {} MiB for {} loans × {copies} \
                     book copies × {paths} paths, above this server's limit of {} MiB; use \
                     fewer paths or a smaller book",
                    spec.kind().stored(),
                    bytes >> 20,
                    scenario.loan_count(),
                    limits.max_job_draw_bytes >> 20,
                ),
            )));
        }
    }
    Ok(())
}

/// Progress of a job in work units: Monte Carlo paths for a simulation, path evaluations
/// (paths × books drawn × points) for a decision tool. Simulations report progress as they
/// go; the decision tools' searches have no progress hook and jump to `total` when they end.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JobProgress {
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
}

/// The result of a succeeded job: the JSON of the CLI command of its kind.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)]
pub enum JobResult {
    /// `simulate`: `fund simulate --format json`.
    Simulate(crate::fund::FundResult),
    /// `size`: `fund size --format json`.
    Size(crate::fund::size::SizeResult),
    /// `capacity`: `fund capacity --format json`.
    Capacity(crate::fund::capacity::CapacityResult),
    /// `compare`: `fund compare --format json`.
    Compare(crate::fund::compare::CompareResult),
    /// `optimise`: `fund optimise --format json`.
    Optimise(crate::fund::optimise::OptimiseResult),
}

/// A fund job.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JobResponse {
    /// Job id.
    pub id: String,
    /// What it computes.
    pub job: JobKind,
    /// `queued|running|succeeded|failed|interrupted|cancelled`.
    pub status: JobStatus,
    /// Work done so far.
    pub progress: JobProgress,
    /// When it was submitted (RFC 3339 UTC).
    pub created_at: String,
    /// When a worker took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended (or was cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The result once succeeded (the JSON of the CLI command of its kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<JobResult>")]
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobResponse {
    /// The API view of a stored job, without its result (see [`job_body`]).
    fn without_result(job: &JobRecord) -> Result<JobResponse, AppError> {
        let kind = JobKind::from_stored(&job.kind).ok_or_else(|| {
            AppError::Internal(format!("job {} has unknown kind {:?}", job.id, job.kind))
        })?;
        Ok(JobResponse {
            id: job.id.clone(),
            job: kind,
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
        })
    }
}

/// The JSON text of a job; its stored result is spliced in byte for byte.
fn job_body(job: &JobRecord) -> Result<String, AppError> {
    let text = serde_json::to_string(&JobResponse::without_result(job)?)
        .map_err(|e| AppError::Internal(format!("serialise job: {e}")))?;
    match &job.result {
        None => Ok(text),
        Some(result) => splice_object(&text, &[], &[("result", result.clone())]),
    }
}

/// The caller's job `id` (404 for another tenant's).
/// The job `id` as `caller` may see it: another tenant's id is 404 like a missing one, and
/// the attempt is recorded in the audit trail.
async fn visible_job(
    state: &AppState,
    caller: &Caller,
    audit: &Audit,
    id: String,
) -> Result<JobRecord, AppError> {
    let id = super::checked_id("job", id)?;
    let fetched = state.store().job(&id, None).await?;
    super::visible(state, caller, audit, "job", id, fetched, |j| &j.tenant).await
}

/// `GET /v1/fund/simulations/{id}`: status, progress and result of a job.
#[utoipa::path(get, path = "/v1/fund/simulations/{id}", operation_id = "getFundJob", tag = "fund",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "the job", body = ref("#/components/schemas/JobResponse")),
        (status = 401, description = "missing or invalid api key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 403, description = "not a bureau or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such job for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "read fund simulations")?;
    let job = visible_job(&state, &caller, &audit, id).await?;
    Ok(json_response(StatusCode::OK, job_body(&job)?))
}

/// Query of `GET /v1/fund/simulations`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size (1 to the server's maximum; default 20).
    pub limit: Option<u32>,
}

/// A page of jobs, oldest first (without their results: GET a job for its result).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JobPage {
    /// This page.
    pub items: Vec<JobResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /v1/fund/simulations?cursor=&limit=`: the caller's jobs of every kind, oldest first,
/// without results.
#[utoipa::path(get, path = "/v1/fund/simulations", operation_id = "listFundJobs", tag = "fund",
    security(("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "page size, 1..=100, default 20", minimum = 1, maximum = 100)),
    responses(
        (status = 200, description = "a page of the caller's jobs", body = ref("#/components/schemas/JobPage")),
        (status = 401, description = "missing or invalid api key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 403, description = "not a bureau or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad query", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "read fund simulations")?;
    let query: ListQuery = parse_query(query.as_deref())?;
    let limit = super::page_limit(&state, query.limit)?;
    let cursor = super::checked_cursor(query.cursor.as_deref())?;
    let records = state
        .store()
        .jobs(caller.visible_tenant(), cursor, limit)
        .await?;
    let next_cursor = if records.len() == limit as usize {
        records.last().map(|r| r.id.clone())
    } else {
        None
    };
    let items = records
        .iter()
        .map(JobResponse::without_result)
        .collect::<Result<Vec<_>, _>>()?;
    let text = serde_json::to_string(&JobPage { items, next_cursor })
        .map_err(|e| AppError::Internal(format!("serialise job page: {e}")))?;
    Ok(json_response(StatusCode::OK, text))
}

/// `DELETE /v1/fund/simulations/{id}`: cancels a queued or running job and answers the job,
/// now `cancelled` (again for a job already cancelled). A queued job is never run. A running
/// job cannot be stopped half way (the engine has no cancellation point): it is marked
/// `cancelled` at once, runs to its end on its worker, and its result is dropped, never
/// stored. A job that already ended (`succeeded`, `failed`, `interrupted`) is 409.
#[utoipa::path(delete, path = "/v1/fund/simulations/{id}", operation_id = "cancelFundJob", tag = "fund",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "job id")),
    responses(
        (status = 200, description = "the job, cancelled", body = ref("#/components/schemas/JobResponse")),
        (status = 401, description = "missing or invalid api key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 403, description = "not a bureau or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such job for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 409, description = "the job already ended", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "cancel fund simulations")?;
    let job = visible_job(&state, &caller, &audit, id.clone()).await?;
    if matches!(job.status, JobStatus::Queued | JobStatus::Running) {
        let entry = audit.entry(&caller, Some(&id), StatusCode::OK.as_u16())?;
        if state.store().cancel_job(&id, Some(&entry)).await? {
            // Stop the computation now if this server runs it (another server sees the
            // cancellation at its next progress write).
            state.jobs().stop(&id);
        }
    }
    // Read again: the job may have ended between the read and the update.
    let job = visible_job(&state, &caller, &audit, id).await?;
    if job.status != JobStatus::Cancelled {
        return Err(AppError::Conflict(format!(
            "job {} already ended ({}); only a queued or running job can be cancelled",
            job.id,
            job.status.as_str()
        )));
    }
    Ok(json_response(StatusCode::OK, job_body(&job)?))
}

/// Query of `GET /v1/fund/simulations/{id}/report`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `zh` or `en` (default `en`).
    pub lang: Option<String>,
}

/// `GET /v1/fund/simulations/{id}/report?lang=zh|en`: the HTML report of a succeeded job of
/// any kind (the page `--report` writes for the CLI command of its kind). A job without a
/// result (queued, running, failed, interrupted, cancelled) is 409.
#[utoipa::path(get, path = "/v1/fund/simulations/{id}/report", operation_id = "getFundJobReport", tag = "fund",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "job id"),
        ("lang" = Option<String>, Query, description = "language of the page: zh or en (default en)")),
    responses(
        (status = 200, description = "the report, a self-contained HTML page", content_type = "text/html", body = String),
        (status = 401, description = "missing or invalid api key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 403, description = "not a bureau or admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 404, description = "no such job for this tenant", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 409, description = "the job has no result (yet)", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad query", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "read fund simulations")?;
    let query: ReportQuery = parse_query(query.as_deref())?;
    let lang = match query.lang.as_deref() {
        None => crate::report::Lang::En,
        Some(l) => l.parse().map_err(|_| {
            AppError::Invalid(InputErrors::one(
                &FieldPath::new("query.lang"),
                format!("`{l}` is not a report language: zh or en"),
            ))
        })?,
    };
    let job = visible_job(&state, &caller, &audit, id).await?;
    let (JobStatus::Succeeded, Some(result)) = (job.status, job.result) else {
        return Err(AppError::Conflict(format!(
            "job {} is {}: a report exists once it has succeeded",
            job.id,
            job.status.as_str()
        )));
    };
    let kind = JobKind::from_stored(&job.kind).ok_or_else(|| {
        AppError::Internal(format!("job {} has unknown kind {:?}", job.id, job.kind))
    })?;
    let html = tokio::task::spawn_blocking(move || fund_jobs::render(kind, &result, lang))
        .await
        .map_err(|e| AppError::Internal(format!("report: {e}")))?
        .map_err(AppError::Internal)?;
    let mut response = (StatusCode::OK, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}
