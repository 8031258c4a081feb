//! `GET /v1/backtests`: the backtest ([`crate::backtest`]) of a bank's scored applications
//! against the outcomes it reported. Also the one place that turns stored rows into
//! [`Observation`]s, shared with `ipledge backtest` (same JSON from both doors).
//!
//! Bounded: the window is counted first and refused (422) above
//! [`MAX_BACKTEST_APPLICATIONS`]; rows are then read in pages of [`PAGE`] and reduced to a few
//! numbers each, so memory is bounded by one page of stored documents plus the observations.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Deserialize;

use crate::api::auth::Caller;
use crate::api::body::parse_query;
use crate::api::{AppError, AppState};
use crate::asset::{Date, Industry};
use crate::backtest::{
    BacktestResult, BacktestSettings, Observation, Outcome, OutcomeStatus, Scope,
};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::model::Model;
use crate::money::{Money, Probability};
use crate::store::{BacktestRow, Role, Store};

/// Most scored applications one backtest reads (a window holding more is refused: narrow
/// `from`/`to`). About 100 bytes each once read, whatever the size of the stored documents.
pub const MAX_BACKTEST_APPLICATIONS: u64 = 200_000;

/// Rows read from the store at once.
const PAGE: u32 = 1_000;

/// Query of `GET /v1/backtests`, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestQuery {
    /// First scoring day, `YYYY-MM-DD` (UTC), inclusive.
    pub from: Option<String>,
    /// Last scoring day, `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
    /// `industry:<code>`: only borrowers of that industry.
    pub segment: Option<String>,
    /// Admins only: one tenant's book (default: every tenant).
    pub tenant: Option<String>,
}

/// A segment of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Borrowers of one industry (`industry:<code>`, the codes of an application's
    /// `borrower.industry`).
    Industry(Industry),
}

impl Segment {
    /// Parses `industry:<code>`.
    pub fn parse(text: &str) -> Result<Segment, String> {
        let Some(code) = text.strip_prefix("industry:") else {
            return Err(format!(
                "must be industry:<code>, the code one of {}",
                Industry::names()
            ));
        };
        Industry::ALL
            .iter()
            .copied()
            .find(|i| i.name() == code)
            .map(Segment::Industry)
            .ok_or_else(|| format!("unknown industry {code:?}: one of {}", Industry::names()))
    }

    /// The text form, `industry:<code>`.
    pub fn text(self) -> String {
        match self {
            Segment::Industry(i) => format!("industry:{}", i.name()),
        }
    }
}

/// A validated backtest request: the window, the segment and whose book.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BacktestRequest {
    /// First scoring day, inclusive.
    pub from: Option<Date>,
    /// Last scoring day, inclusive.
    pub to: Option<Date>,
    /// Segment filter.
    pub segment: Option<Segment>,
    /// The tenant whose book (`None`: all tenants).
    pub tenant: Option<String>,
}

impl BacktestQuery {
    /// Checks every field (paths `query.from`, …), resolving whose book `caller` may see.
    fn validate(self, caller: &Caller) -> Result<BacktestRequest, InputErrors> {
        let root = FieldPath::new("query");
        let mut p = Problems::new();
        let mut day = |name: &str, text: &Option<String>| {
            text.as_deref().and_then(|t| {
                let parsed = t.parse::<Date>();
                p.check(
                    parsed.is_ok(),
                    &root.field(name),
                    "must be a date YYYY-MM-DD",
                );
                parsed.ok()
            })
        };
        let from = day("from", &self.from);
        let to = day("to", &self.to);
        if let (Some(f), Some(t)) = (from, to) {
            p.check(f <= t, &root.field("to"), "must not be before from");
        }
        let segment = self
            .segment
            .as_deref()
            .and_then(|s| match Segment::parse(s) {
                Ok(seg) => Some(seg),
                Err(message) => {
                    p.push(&root.field("segment"), message);
                    None
                }
            });
        let tenant = match (caller.0.role, self.tenant) {
            (Role::Admin, tenant) => {
                if let Some(t) = &tenant {
                    p.check(
                        !t.trim().is_empty() && t.len() <= 200,
                        &root.field("tenant"),
                        "must be 1 to 200 characters",
                    );
                }
                tenant
            }
            (_, Some(t)) if t != caller.tenant() => {
                p.push(
                    &root.field("tenant"),
                    "only an admin may name another tenant",
                );
                None
            }
            _ => Some(caller.tenant().to_string()),
        };
        p.finish(|| BacktestRequest {
            from,
            to,
            segment,
            tenant,
        })
    }
}

/// `GET /v1/backtests?from=&to=&segment=&tenant=`: the backtest of the caller's book (an
/// admin's: every tenant's, or `tenant`'s).
#[utoipa::path(get, path = "/v1/backtests", operation_id = "getBacktest", tag = "applications",
    security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "first scoring day YYYY-MM-DD (UTC), inclusive; default: the earliest"),
        ("to" = Option<String>, Query, description = "last scoring day YYYY-MM-DD (UTC), inclusive; default: the latest"),
        ("segment" = Option<String>, Query, description = "industry:<code>: only borrowers of that industry (codes of borrower.industry)"),
        ("tenant" = Option<String>, Query, description = "admins only: one tenant's book (default: all)")),
    responses(
        (status = 200, description = "the backtest: calibration, discrimination, LGD, stability", body = ref("#/components/schemas/BacktestResult")),
        (status = 403, description = "a bureau key", content_type = "application/problem+json", body = ref("#/components/schemas/Problem")),
        (status = 422, description = "bad query, or a window of more than 200,000 applications", content_type = "application/problem+json", body = ref("#/components/schemas/Problem"))))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<BacktestResult>, AppError> {
    caller.require(&[Role::Bank, Role::Admin], "run backtests")?;
    let query: BacktestQuery = parse_query(query.as_deref())?;
    let request = query.validate(&caller).map_err(AppError::Invalid)?;
    Ok(Json(
        backtest(state.store(), state.model(), &request).await?,
    ))
}

/// The backtest of `request` on the applications in `store`, with the thresholds of `model`.
/// Bad requests (a window above [`MAX_BACKTEST_APPLICATIONS`]) are [`AppError::Invalid`].
pub async fn backtest(
    store: &Store,
    model: &Model,
    request: &BacktestRequest,
) -> Result<BacktestResult, AppError> {
    let settings = BacktestSettings::from_model(model)
        .map_err(|e| AppError::Internal(format!("model [backtest]: {e}")))?;
    let created_from = request.from.map(|d| d.to_string()).unwrap_or_default();
    let created_before = request.to.map_or_else(
        || "~".to_string(),
        |d| Date::from_days_since_epoch(d.days_since_epoch() + 1).to_string(),
    );
    let tenant = request.tenant.as_deref();
    let count = store
        .count_applications_between(tenant, &created_from, &created_before)
        .await?;
    if count > MAX_BACKTEST_APPLICATIONS {
        return Err(AppError::Invalid(InputErrors::one(
            &FieldPath::new("query.from"),
            format!(
                "the window holds {count} applications, more than \
                 {MAX_BACKTEST_APPLICATIONS}: narrow from/to"
            ),
        )));
    }
    let mut observations = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut cursor = String::new();
    loop {
        let page = store
            .backtest_page(tenant, &created_from, &created_before, &cursor, PAGE)
            .await?;
        for row in &page {
            let (observation, industry) = observation(row)?;
            let keep = match request.segment {
                None => true,
                Some(Segment::Industry(i)) => industry == Some(i),
            };
            if keep {
                observations.push(observation);
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => cursor.clone_from(&last.id),
            _ => break,
        }
    }
    let scope = Scope {
        from: request.from,
        to: request.to,
        tenant: request.tenant.clone(),
        segment: request.segment.map(Segment::text),
    };
    tokio::task::spawn_blocking(move || crate::backtest::run(&observations, &settings, scope))
        .await
        .map_err(|e| AppError::Internal(format!("backtest task: {e}")))
}

/// The fields of a stored scoring result a backtest reads.
#[derive(Deserialize)]
struct StoredScore {
    grade: String,
    pd_1y: f64,
    lgd_gross: f64,
    borrower: Option<StoredBorrower>,
}

#[derive(Deserialize)]
struct StoredBorrower {
    industry: Option<Industry>,
}

/// The fields of a stored outcome report a backtest reads.
#[derive(Deserialize)]
struct StoredOutcome {
    created_at: String,
    status: OutcomeStatus,
    #[serde(default)]
    defaulted: Money,
    #[serde(default)]
    recovered: Money,
    as_of: Option<Date>,
}

impl StoredOutcome {
    /// The day the figures refer to: `as_of`, else the day the report was stored.
    fn day(&self) -> Result<Date, AppError> {
        match self.as_of {
            Some(d) => Ok(d),
            None => day_of(&self.created_at),
        }
    }
}

fn corrupt(what: &str, id: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("stored {what} of {id}: {e}"))
}

/// The UTC day of an RFC 3339 timestamp.
fn day_of(timestamp: &str) -> Result<Date, AppError> {
    timestamp
        .get(..10)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| AppError::Internal(format!("stored timestamp {timestamp:?}")))
}

/// One stored row as an observation, with the borrower's industry (for segments).
fn observation(row: &BacktestRow) -> Result<(Observation, Option<Industry>), AppError> {
    let score: StoredScore =
        serde_json::from_str(&row.output).map_err(|e| corrupt("output", &row.id, e))?;
    let parse_outcome = |text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                serde_json::from_str::<StoredOutcome>(t).map_err(|e| corrupt("outcome", &row.id, e))
            })
            .transpose()
    };
    let latest = parse_outcome(&row.latest_outcome)?;
    let first_default = parse_outcome(&row.first_default)?;
    let outcome = match latest {
        None => None,
        Some(latest) => Some(Outcome {
            status: latest.status,
            as_of: latest.day()?,
            default_date: first_default.as_ref().map(StoredOutcome::day).transpose()?,
            defaulted: latest.defaulted,
            recovered: latest.recovered,
        }),
    };
    let probability =
        |v: f64, what: &str| Probability::new(v).map_err(|e| corrupt(what, &row.id, e));
    Ok((
        Observation {
            application_id: row.id.clone(),
            scored_on: day_of(&row.created_at)?,
            grade: score.grade,
            pd_1y: probability(score.pd_1y, "pd_1y")?,
            lgd_gross: probability(score.lgd_gross, "lgd_gross")?,
            outcome,
        },
        score.borrower.and_then(|b| b.industry),
    ))
}
