//! PD calibration: defaults `D` out of `N` loans of a grade against the grade's PD.
//!
//! * **Jeffreys test** (ECB instructions for reporting the validation results of internal
//!   models): with the Jeffreys prior Beta(½, ½), the posterior of the grade's default rate is
//!   Beta(D + ½, N − D + ½); the p-value is its CDF at the PD, the posterior probability that
//!   the true default rate is at most the PD. Small p: the PD is too low.
//! * **Binomial test**, exact and one-sided: `P(X ≥ D)` for `X ~ Binomial(N, PD)`, which is
//!   the regularised incomplete beta `I_PD(D, N − D + 1)` (1 when D = 0).
//! * **Traffic light** on the Jeffreys p-value: green `p ≥ green_min_p`, yellow down to
//!   `red_below_p`, red below; `insufficient_data` when N is under `min_observations`.
//!
//! The PD of a grade is the mean `pd_1y` of its loans (a grade mixes PDs within its band);
//! expected defaults are the sum of the PDs.

use serde::Serialize;

use super::{BacktestSettings, Observation};

/// The colour of a calibration test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrafficLight {
    /// `p ≥ green_min_p`: observed defaults consistent with the PD.
    Green,
    /// `red_below_p ≤ p < green_min_p`: more defaults than the PD makes likely.
    Yellow,
    /// `p < red_below_p`: the PD is too low.
    Red,
    /// Fewer loans than `min_observations`: not tested.
    InsufficientData,
}

/// One row of the calibration table (a grade, or the whole cohort).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CalibrationRow {
    /// Grade (`all` for the whole cohort).
    pub grade: String,
    /// Loans in the one-year cohort.
    pub n: u64,
    /// Of those, defaulted within a year.
    pub defaults: u64,
    /// `D / N` (`null` when N = 0).
    pub observed_default_rate: Option<f64>,
    /// Equal-tailed 95 % Jeffreys interval of the default rate: the 2.5 % and 97.5 %
    /// quantiles of Beta(D + ½, N − D + ½) (`null` when N = 0).
    pub jeffreys_interval: Option<[f64; 2]>,
    /// Mean predicted one-year PD (`null` when N = 0).
    pub mean_pd: Option<f64>,
    /// Sum of the predicted PDs.
    pub expected_defaults: f64,
    /// Jeffreys p-value (`null` below the minimum N).
    pub jeffreys_p: Option<f64>,
    /// Exact one-sided binomial p-value `P(X ≥ D | N, PD)` (`null` below the minimum N).
    pub binomial_p: Option<f64>,
    /// Traffic light on the Jeffreys p-value.
    pub status: TrafficLight,
}

/// The calibration table.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Calibration {
    /// The PD tested: `pd_1y` on defaults within a year of scoring.
    pub tested_pd: String,
    /// Months after scoring in which a default counts.
    pub horizon_months: u32,
    /// One row per grade present in the cohort, in master-scale order.
    pub grades: Vec<CalibrationRow>,
    /// The whole cohort.
    pub overall: CalibrationRow,
}

/// Jeffreys p-value: the Beta(D + ½, N − D + ½) CDF at `pd` (requires D ≤ N, N ≥ 1).
pub fn jeffreys_p(defaults: u64, n: u64, pd: f64) -> f64 {
    let d = defaults as f64;
    beta_cdf(d + 0.5, n as f64 - d + 0.5, pd)
}

/// Exact one-sided binomial p-value `P(X ≥ D)` for `X ~ Binomial(N, pd)`.
pub fn binomial_p(defaults: u64, n: u64, pd: f64) -> f64 {
    if defaults == 0 {
        return 1.0;
    }
    let d = defaults as f64;
    beta_cdf(d, n as f64 - d + 1.0, pd)
}

/// The regularised incomplete beta `I_x(a, b)`, x clamped into [0, 1].
fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
    // a, b > 0 and x in [0, 1] by construction: the checked call cannot fail.
    statrs::function::beta::checked_beta_reg(a, b, x).unwrap_or(f64::NAN)
}

/// The `q`-quantile of Beta(a, b) by bisection on its CDF (monotone; 60 halvings reach the
/// f64 resolution of [0, 1]).
pub(crate) fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if beta_cdf(a, b, mid) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The traffic light for `p` under `settings`.
pub fn light(p: f64, settings: &BacktestSettings) -> TrafficLight {
    if p >= settings.green_min_p {
        TrafficLight::Green
    } else if p >= settings.red_below_p {
        TrafficLight::Yellow
    } else {
        TrafficLight::Red
    }
}

/// One row from the loans of a grade (each with its first-year default flag).
fn row(grade: &str, loans: &[(&Observation, bool)], settings: &BacktestSettings) -> CalibrationRow {
    let n = loans.len() as u64;
    let defaults = loans.iter().filter(|(_, d)| *d).count() as u64;
    // A fold from +0: `Sum` of no f64 is −0, which would print as "-0.0".
    let expected_defaults = loans.iter().fold(0.0, |sum, (o, _)| sum + o.pd_1y.get());
    let mean_pd = (n > 0).then(|| expected_defaults / n as f64);
    let d = defaults as f64;
    let tested = mean_pd.filter(|_| n >= settings.min_observations);
    let jeffreys = tested.map(|pd| jeffreys_p(defaults, n, pd));
    CalibrationRow {
        grade: grade.to_string(),
        n,
        defaults,
        observed_default_rate: (n > 0).then(|| d / n as f64),
        jeffreys_interval: (n > 0).then(|| {
            let (a, b) = (d + 0.5, n as f64 - d + 0.5);
            [beta_quantile(a, b, 0.025), beta_quantile(a, b, 0.975)]
        }),
        mean_pd,
        expected_defaults,
        jeffreys_p: jeffreys,
        binomial_p: tested.map(|pd| binomial_p(defaults, n, pd)),
        status: jeffreys.map_or(TrafficLight::InsufficientData, |p| light(p, settings)),
    }
}

/// The calibration table of the one-year cohort (`(loan, defaulted within a year)`).
pub fn calibrate(cohort: &[(&Observation, bool)], settings: &BacktestSettings) -> Calibration {
    let rank = |grade: &str| {
        settings
            .grades
            .iter()
            .position(|g| g == grade)
            .unwrap_or(settings.grades.len())
    };
    let mut grades: Vec<&str> = cohort.iter().map(|(o, _)| o.grade.as_str()).collect();
    grades.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    grades.dedup();
    let rows = grades
        .iter()
        .map(|g| {
            let loans: Vec<(&Observation, bool)> = cohort
                .iter()
                .filter(|(o, _)| o.grade == *g)
                .copied()
                .collect();
            row(g, &loans, settings)
        })
        .collect();
    Calibration {
        tested_pd: "pd_1y".to_string(),
        horizon_months: 12,
        grades: rows,
        overall: row("all", cohort, settings),
    }
}
