//! The audit trail: who (key id, tenant, role) did what (method, route, resource id), with
//! which status, under which request id, when.
//!
//! Every handler that writes takes an [`Audit`] (the request's method, route template and
//! request id) and hands the store an entry for its write, which the store commits in the
//! same transaction ([`crate::store::Store::insert_application`] and the other writes).
//! A refused attempt on another tenant's resource (a 404 for an id that exists under another
//! tenant, a 403 for an application filed under another bank) is recorded on its own with
//! [`Audit::refused`]. `GET /v1/audit` lists the trail for admin keys.

use axum::Json;
use axum::extract::{FromRequestParts, MatchedPath, RawQuery, State};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::body::parse_query;
use super::{AppError, AppState};
use crate::store::{AuditEntry, Role, new_id, now_rfc3339};

/// The request's part of an audit entry.
#[derive(Clone, Debug)]
pub struct Audit {
    method: String,
    route: String,
    request_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Audit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .chars()
            .take(200)
            .collect();
        Ok(Audit {
            method: parts.method.to_string(),
            route,
            request_id,
        })
    }
}

impl Audit {
    /// The entry recording that `caller` got `status` on `resource_id`.
    pub fn entry(
        &self,
        caller: &Caller,
        resource_id: Option<&str>,
        status: u16,
    ) -> Result<AuditEntry, AppError> {
        Ok(AuditEntry {
            id: new_id("aud")?,
            at: now_rfc3339(),
            key_id: caller.0.key_id.clone(),
            tenant: caller.0.tenant.clone(),
            role: caller.0.role.as_str().to_string(),
            method: self.method.clone(),
            route: self.route.clone(),
            resource_id: resource_id.map(str::to_string),
            status,
            request_id: self.request_id.clone(),
        })
    }

    /// Records a refused attempt on its own and returns `error` (the refusal to answer).
    /// When the record cannot be written the refusal is still answered, and the failure is
    /// logged.
    pub async fn refused(
        &self,
        state: &AppState,
        caller: &Caller,
        resource_id: Option<&str>,
        error: AppError,
    ) -> AppError {
        let status = error.status().as_u16();
        match self.entry(caller, resource_id, status) {
            Ok(entry) => {
                if let Err(e) = state.store().record_audit(&entry).await {
                    tracing::error!(error = %e, "cannot record a refused attempt in the audit trail");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot make an audit entry"),
        }
        error
    }
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size (1 to the server's maximum; default 20).
    pub limit: Option<u32>,
}

/// A page of the audit trail.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AuditPage {
    /// Entries, oldest first.
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /v1/audit?cursor=&limit=`: the audit trail, oldest first (admin keys only).
#[utoipa::path(get, path = "/v1/audit", tag = "ops", operation_id = "listAuditEntries",
    security(("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "page size, 1..=100, default 20", minimum = 1, maximum = 100)),
    responses(
        (status = 200, description = "a page of the audit trail", body = ref("#/components/schemas/AuditPage")),
        (status = 401, description = "missing or invalid api key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 403, description = "not an admin key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad query", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 429, description = "rate limited", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditPage>, AppError> {
    caller.require(&[Role::Admin], "read the audit trail")?;
    let query: AuditQuery = parse_query(query.as_deref())?;
    let limit = super::routes::page_limit(&state, query.limit)?;
    let cursor = super::routes::checked_cursor(query.cursor.as_deref())?;
    let items = state.store().audit_entries(cursor, limit).await?;
    let next_cursor = if items.len() == limit as usize {
        items.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(Json(AuditPage { items, next_cursor }))
}
