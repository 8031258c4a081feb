//! `/v1/fund/simulations`: fund simulations as background jobs (bureau and admin keys).
//! POST stores a `queued` job and answers 202 with its id; GET polls status, progress and,
//! once `succeeded`, the `fund simulate --format json` result.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::api::auth::Caller;
use crate::api::{AppError, AppState};
use crate::store::{JobRecord, JobStatus, Role};

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
    /// The API view of a stored job.
    pub fn from_record(job: JobRecord) -> Result<JobResponse, AppError> {
        let result = job
            .result
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AppError::Internal(format!("stored result of {}: {e}", job.id)))?;
        Ok(JobResponse {
            id: job.id,
            status: job.status,
            progress: JobProgress {
                done: job.progress_done,
                total: job.progress_total,
            },
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            result,
            error: job.error,
        })
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
) -> Result<Json<JobResponse>, AppError> {
    caller.require(&[Role::Bureau, Role::Admin], "read fund simulations")?;
    let job = state
        .store()
        .job(&id, caller.visible_tenant())
        .await?
        .ok_or(AppError::NotFound { what: "job", id })?;
    Ok(Json(JobResponse::from_record(job)?))
}
