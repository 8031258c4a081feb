//! The resource routes (docs/api.md), one file per resource. Each handler authenticates
//! ([`super::auth::Caller`]), checks the role, reads its body with [`super::body`], calls the
//! engine on the blocking pool and stores through [`crate::store`].

pub mod applications;
pub mod backtests;
pub mod fund;
pub mod fund_jobs;
pub mod valuations;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

/// The resource routes (state supplied by [`super::app`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/applications",
            get(applications::list).post(applications::create),
        )
        .route("/v1/applications/{id}/replay", post(applications::replay))
        .route("/v1/applications/{id}", get(applications::get_one))
        .route(
            "/v1/applications/{id}/outcome",
            post(applications::report_outcome),
        )
        .route(
            "/v1/applications/{id}/outcomes",
            get(applications::outcomes),
        )
        .route("/v1/backtests", get(backtests::get))
        .route("/v1/valuations", post(valuations::value))
        .route("/v1/fund/simulations", get(fund::list).post(fund::submit))
        .route(
            "/v1/fund/simulations/{id}",
            get(fund::get_job).delete(fund::cancel),
        )
        .route("/v1/fund/simulations/{id}/report", get(fund::report))
        .route("/v1/audit", get(super::audit::list))
}

/// The page size a list query asks for: 20 (or the server's maximum, if smaller) when
/// absent; 422 `query.limit` outside 1..=maximum.
pub(crate) fn page_limit(state: &AppState, asked: Option<u32>) -> Result<u32, super::AppError> {
    let max = state.limits().max_page;
    let limit = asked.unwrap_or(20.min(max));
    if limit == 0 || limit > max {
        return Err(super::AppError::Invalid(crate::input::InputErrors::one(
            &crate::input::FieldPath::new("query.limit"),
            format!("must be between 1 and {max}"),
        )));
    }
    Ok(limit)
}

/// A list cursor: the id of the last item of the previous page (422 `query.cursor` for
/// anything else, so a hostile cursor never reaches the database).
pub(crate) fn checked_cursor(cursor: Option<&str>) -> Result<Option<&str>, super::AppError> {
    match cursor {
        Some("") => Ok(None),
        Some(c) if !crate::store::is_id(c) => {
            Err(super::AppError::Invalid(crate::input::InputErrors::one(
                &crate::input::FieldPath::new("query.cursor"),
                "not a cursor: pass the next_cursor of the previous page",
            )))
        }
        other => Ok(other),
    }
}

/// A resource id from the path: anything not shaped like one of our ids is 404 at once
/// (the same answer on every backend; PostgreSQL refuses a NUL byte in text).
pub(crate) fn checked_id(what: &'static str, id: String) -> Result<String, super::AppError> {
    if crate::store::is_id(&id) {
        Ok(id)
    } else {
        Err(super::AppError::NotFound { what, id })
    }
}

/// A stored resource as `caller` may see it: `fetched` is the record under `id` whatever its
/// tenant, `tenant_of` names its owner. Another tenant's record is 404 like a missing one, and
/// the attempt is recorded in the audit trail.
pub(crate) async fn visible<T>(
    state: &AppState,
    caller: &super::auth::Caller,
    audit: &super::audit::Audit,
    what: &'static str,
    id: String,
    fetched: Option<T>,
    tenant_of: impl Fn(&T) -> &str,
) -> Result<T, super::AppError> {
    match fetched {
        Some(record)
            if caller
                .visible_tenant()
                .is_none_or(|t| t == tenant_of(&record)) =>
        {
            Ok(record)
        }
        Some(_) => {
            let refusal = super::AppError::NotFound {
                what,
                id: id.clone(),
            };
            Err(audit.refused(state, caller, Some(&id), refusal).await)
        }
        None => Err(super::AppError::NotFound { what, id }),
    }
}

/// A JSON object's text with members added, without parsing the object: stored engine output
/// is served byte for byte (re-parsing could change the last digit of a float). `front` goes
/// first, `back` last; values are raw JSON text.
pub(crate) fn splice_object(
    object: &str,
    front: &[(&str, String)],
    back: &[(&str, String)],
) -> Result<String, super::AppError> {
    let inner = object
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| super::AppError::Internal("stored result is not a json object".into()))?
        .trim();
    let member =
        |(k, v): &(&str, String)| format!("{}:{v}", serde_json::Value::String((*k).to_string()));
    let mut parts: Vec<String> = front.iter().map(member).collect();
    if !inner.is_empty() {
        parts.push(inner.to_string());
    }
    parts.extend(back.iter().map(member));
    Ok(format!("{{{}}}", parts.join(",")))
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A `200`/`201` response with a JSON body given as text.
pub(crate) fn json_response(
    status: axum::http::StatusCode,
    body: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_keeps_the_stored_text() {
        let out = splice_object(
            r#"{"p":0.30000000000000004,"n":1e300}"#,
            &[("id", json_string("app_1"))],
            &[("z", "[1]".into())],
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"id":"app_1","p":0.30000000000000004,"n":1e300,"z":[1]}"#
        );
        assert_eq!(
            splice_object("{ }", &[("a", "1".into())], &[]).unwrap(),
            r#"{"a":1}"#
        );
        assert!(splice_object("[1]", &[], &[]).is_err());
    }
}
