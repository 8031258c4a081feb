//! Backtesting and model monitoring: scored applications against the outcomes banks report.
//!
//! Input: one [`Observation`] per scored application (its grade, one-year PD, predicted gross
//! LGD and, when reported, its [`Outcome`]). Output: one [`BacktestResult`], the same JSON for
//! `ipledge backtest` and `GET /v1/backtests`:
//! * **PD calibration** ([`calibration`]) of `pd_1y`, per grade and overall, on the *one-year
//!   cohort*: the loans whose first year after scoring is known — defaulted within it, or seen
//!   performing (or repaid) beyond it. Jeffreys and exact binomial tests, a traffic light.
//! * **Discrimination** ([`discrimination`]): AUC and Gini of `pd_1y` on the same cohort,
//!   DeLong's standard error, a 95 % interval, the ROC curve.
//! * **LGD** ([`lgd`]): realised LGD of resolved defaults against the predicted `lgd_gross`.
//! * **Stability** ([`stability`]): PSI of the grade distribution between the two halves of
//!   the window.
//!
//! Every figure carries its number of observations; a test on fewer than the model's minimum
//! says `insufficient_data` instead of passing. Thresholds come from the model's `[backtest]`
//! section ([`BacktestSettings`]). Owns the statistics only: it must not know where the
//! observations come from (SQL, HTTP, files) — `store` fetches them and `api` converts them.

pub mod calibration;
pub mod discrimination;
pub mod lgd;
mod settings;
pub mod stability;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use calibration::{Calibration, CalibrationRow, TrafficLight};
pub use discrimination::{Discrimination, RocPoint};
pub use lgd::{LgdBacktest, LgdBucket};
pub use settings::BacktestSettings;
pub use stability::{PsiBand, PsiBin, Stability, StabilityPeriod};

use crate::asset::Date;
use crate::money::{Money, Probability};

/// Where a loan stands in its latest outcome report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeStatus {
    /// Running, no default.
    Performing,
    /// Repaid in full without default.
    Repaid,
    /// In default; recoveries may still follow.
    Defaulted,
    /// Default resolved; the recovered amount is final.
    Recovered,
}

impl OutcomeStatus {
    /// True for `defaulted` and `recovered`.
    pub fn is_default(self) -> bool {
        matches!(self, OutcomeStatus::Defaulted | OutcomeStatus::Recovered)
    }
}

/// What the bank reported about a scored loan.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Status of the latest report.
    pub status: OutcomeStatus,
    /// The date the latest report refers to (its `as_of`, else the day it was stored).
    pub as_of: Date,
    /// The default date: the date of the first report saying `defaulted` or `recovered`, even
    /// when a later report says the loan cured (`None` when no report said so).
    pub default_date: Option<Date>,
    /// Exposure at default (latest report).
    pub defaulted: Money,
    /// Recovered after default (latest report).
    pub recovered: Money,
}

/// One scored application: what the model predicted and, if reported, what happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// Application id.
    pub application_id: String,
    /// The day it was scored (UTC).
    pub scored_on: Date,
    /// Master-scale grade at scoring.
    pub grade: String,
    /// Predicted one-year PD (also the discrimination score: higher = riskier).
    pub pd_1y: Probability,
    /// Predicted gross LGD.
    pub lgd_gross: Probability,
    /// The latest outcome, if any was reported.
    pub outcome: Option<Outcome>,
}

/// The loan's first year after scoring, as far as its outcome tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FirstYear {
    /// Defaulted on or before the first anniversary of scoring.
    Default,
    /// Did not default in that year (repaid, defaulted later, or performing past it).
    NoDefault,
    /// Performing, last seen before the anniversary: not yet known.
    Immature,
    /// No outcome reported.
    Unreported,
}

impl Observation {
    /// The first-year verdict. A repaid loan counts as not defaulted even when it was repaid
    /// inside the year (it left the book performing); a default counts on its default date,
    /// whatever later reports say.
    pub(crate) fn first_year(&self) -> FirstYear {
        let Some(outcome) = &self.outcome else {
            return FirstYear::Unreported;
        };
        let anniversary = self.scored_on.add_years(1);
        // A default stays a default when a later report says the loan cured or was repaid.
        let default_date = outcome
            .default_date
            .or_else(|| outcome.status.is_default().then_some(outcome.as_of));
        if let Some(when) = default_date {
            return if when <= anniversary {
                FirstYear::Default
            } else {
                FirstYear::NoDefault
            };
        }
        if outcome.status == OutcomeStatus::Performing && outcome.as_of < anniversary {
            FirstYear::Immature
        } else {
            FirstYear::NoDefault
        }
    }
}

/// Whether a figure rests on enough observations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    /// Enough observations: the figures are computed.
    Ok,
    /// Fewer than the model's minimum: no figure is given.
    InsufficientData,
}

/// The dates and filters the backtest covers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Scope {
    /// First scoring day included (the request's `from`, else the earliest scoring day).
    pub from: Option<Date>,
    /// Last scoring day included (the request's `to`, else the latest scoring day).
    pub to: Option<Date>,
    /// Tenant whose book this is (`null`: every tenant, for an admin).
    pub tenant: Option<String>,
    /// Segment filter applied (`industry:<code>`), if any.
    pub segment: Option<String>,
}

/// How many applications the backtest saw and where each went.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Population {
    /// Scored applications in the window (the PSI's population).
    pub scored: u64,
    /// Of those, with at least one outcome report.
    pub reported: u64,
    /// The one-year cohort: first year known (calibration and discrimination population).
    pub cohort: u64,
    /// Of the cohort, defaulted within the first year.
    pub cohort_defaults: u64,
    /// Reported performing but not yet observed for a year (left out of the cohort).
    pub immature: u64,
}

/// The whole backtest (`ipledge backtest --format json`, `GET /v1/backtests`).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BacktestResult {
    /// Window and filters.
    pub scope: Scope,
    /// Counts of applications by role in the backtest.
    pub population: Population,
    /// PD calibration per grade and overall.
    pub calibration: Calibration,
    /// Rank-ordering power of the PD.
    pub discrimination: Discrimination,
    /// Realised against predicted LGD.
    pub lgd: LgdBacktest,
    /// Stability of the grade distribution.
    pub stability: Stability,
    /// The thresholds used (from the model's `[backtest]` section).
    pub settings: BacktestSettings,
}

/// Runs every part of the backtest on `observations` (any order) under `settings`. `scope`
/// is echoed, with `from`/`to` filled from the data when absent; the observations are taken
/// to be already filtered to it.
pub fn run(
    observations: &[Observation],
    settings: &BacktestSettings,
    mut scope: Scope,
) -> BacktestResult {
    let first = observations.iter().map(|o| o.scored_on).min();
    let last = observations.iter().map(|o| o.scored_on).max();
    scope.from = scope.from.or(first);
    scope.to = scope.to.or(last);

    let verdicts: Vec<FirstYear> = observations.iter().map(Observation::first_year).collect();
    let cohort: Vec<(&Observation, bool)> = observations
        .iter()
        .zip(&verdicts)
        .filter_map(|(o, v)| match v {
            FirstYear::Default => Some((o, true)),
            FirstYear::NoDefault => Some((o, false)),
            FirstYear::Immature | FirstYear::Unreported => None,
        })
        .collect();
    let count = |f: &dyn Fn(&FirstYear) -> bool| verdicts.iter().filter(|v| f(v)).count() as u64;
    let population = Population {
        scored: observations.len() as u64,
        reported: count(&|v| *v != FirstYear::Unreported),
        cohort: cohort.len() as u64,
        cohort_defaults: cohort.iter().filter(|(_, d)| *d).count() as u64,
        immature: count(&|v| *v == FirstYear::Immature),
    };
    let scored: Vec<(f64, bool)> = cohort.iter().map(|(o, d)| (o.pd_1y.get(), *d)).collect();
    BacktestResult {
        calibration: calibration::calibrate(&cohort, settings),
        discrimination: discrimination::discriminate(&scored, settings),
        lgd: lgd::compare(observations, settings),
        stability: stability::stability(observations, scope.from, scope.to, settings),
        scope,
        population,
        settings: settings.clone(),
    }
}
