//! LGD backtest: realised against predicted loss given default, over resolved defaults.
//!
//! A default is *resolved* when its latest report says `recovered` (the recovered amount is
//! final); `defaulted` reports are still in workout and are only counted (`unresolved`). For
//! a resolved default with exposure `E` (its `defaulted` amount) and recoveries `R`:
//!
//! `realised LGD = (E − R·(1 + r)^(−t)) / E`,
//!
//! `r` the model's `lgd_discount_rate`, `t` the years from the default date (the `as_of` of
//! the first `defaulted`/`recovered` report) to the resolution date (the `as_of` of the
//! latest report), 0 when not later. All of `R` is taken as received on the resolution date
//! (reports carry one cumulative amount, not cash-flow dates), which discounts early
//! recoveries too much: a conservative reading. It is set against the predicted `lgd_gross`
//! of the scoring (before guarantee, insurance and fund, as the realised figure is), overall
//! and by bucket of the predicted value.

use serde::Serialize;

use super::{BacktestSettings, DataStatus, Observation, OutcomeStatus};
use crate::money::{Money, Years};

/// Realised against predicted LGD over one set of resolved defaults.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LgdBucket {
    /// Lowest predicted LGD in the bucket (inclusive).
    pub predicted_from: f64,
    /// Highest predicted LGD in the bucket (exclusive, except 1 for the last).
    pub predicted_to: f64,
    /// Resolved defaults.
    pub n: u64,
    /// `insufficient_data` below `min_lgd_observations`.
    pub status: DataStatus,
    /// Mean realised LGD (`null` when n = 0).
    pub mean_realised: Option<f64>,
    /// Standard error of that mean (`null` when n < 2).
    pub mean_realised_stderr: Option<f64>,
    /// Mean predicted `lgd_gross` (`null` when n = 0).
    pub mean_predicted: Option<f64>,
    /// Exposure-weighted realised LGD: Σ loss / Σ exposure (`null` when n = 0).
    pub exposure_weighted_realised: Option<f64>,
    /// Total exposure at default (CNY).
    pub exposure: Money,
    /// Total recovered, undiscounted (CNY).
    pub recovered: Money,
}

/// The LGD backtest.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LgdBacktest {
    /// The predicted figure compared: `lgd_gross`.
    pub predicted: String,
    /// Annual rate discounting recoveries to the default date.
    pub discount_rate: f64,
    /// Defaults still in workout (`defaulted`), left out.
    pub unresolved: u64,
    /// All resolved defaults.
    pub overall: LgdBucket,
    /// By bucket of predicted LGD (`lgd_bucket_edges`), every bucket listed.
    pub buckets: Vec<LgdBucket>,
}

/// One resolved default: predicted and realised LGD, exposure and recoveries.
struct Resolved {
    predicted: f64,
    realised: f64,
    exposure: Money,
    recovered: Money,
}

fn resolved(o: &Observation, settings: &BacktestSettings) -> Option<Resolved> {
    let outcome = o.outcome.as_ref()?;
    if outcome.status != OutcomeStatus::Recovered || outcome.defaulted.is_zero() {
        return None;
    }
    let default_date = outcome.default_date.unwrap_or(outcome.as_of);
    let years = Years::new(default_date.years_until(outcome.as_of).max(0.0)).ok()?;
    let exposure = outcome.defaulted.to_f64();
    let present = outcome.recovered.to_f64() * settings.lgd_discount_rate.discount(years);
    Some(Resolved {
        predicted: o.lgd_gross.get(),
        realised: ((exposure - present) / exposure).clamp(0.0, 1.0),
        exposure: outcome.defaulted,
        recovered: outcome.recovered,
    })
}

fn bucket(from: f64, to: f64, loans: &[&Resolved], settings: &BacktestSettings) -> LgdBucket {
    let n = loans.len();
    let mean = |f: &dyn Fn(&Resolved) -> f64| {
        (n > 0).then(|| loans.iter().map(|r| f(r)).sum::<f64>() / n as f64)
    };
    let mean_realised = mean(&|r| r.realised);
    let stderr = mean_realised.filter(|_| n >= 2).map(|m| {
        let var = loans.iter().map(|r| (r.realised - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    });
    let exposure: f64 = loans.iter().map(|r| r.exposure.to_f64()).sum();
    let loss: f64 = loans.iter().map(|r| r.realised * r.exposure.to_f64()).sum();
    let enough = n as u64 >= settings.min_lgd_observations;
    let shown = |v: Option<f64>| v.filter(|_| enough);
    LgdBucket {
        predicted_from: from,
        predicted_to: to,
        n: n as u64,
        status: if enough {
            DataStatus::Ok
        } else {
            DataStatus::InsufficientData
        },
        mean_realised: shown(mean_realised),
        mean_realised_stderr: shown(stderr),
        mean_predicted: shown(mean(&|r| r.predicted)),
        exposure_weighted_realised: shown((exposure > 0.0).then(|| loss / exposure)),
        exposure: loans.iter().map(|r| r.exposure).sum(),
        recovered: loans.iter().map(|r| r.recovered).sum(),
    }
}

/// The LGD backtest of every resolved default among `observations`.
pub fn compare(observations: &[Observation], settings: &BacktestSettings) -> LgdBacktest {
    let all: Vec<Resolved> = observations
        .iter()
        .filter_map(|o| resolved(o, settings))
        .collect();
    let unresolved = observations
        .iter()
        .filter(|o| {
            o.outcome
                .as_ref()
                .is_some_and(|out| out.status == OutcomeStatus::Defaulted)
        })
        .count() as u64;
    let refs: Vec<&Resolved> = all.iter().collect();
    let mut edges = vec![0.0];
    edges.extend(settings.lgd_bucket_edges.iter().copied());
    edges.push(1.0);
    let buckets = edges
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let last = i + 2 == edges.len();
            let inside: Vec<&Resolved> = all
                .iter()
                .filter(|r| r.predicted >= w[0] && (r.predicted < w[1] || last))
                .collect();
            bucket(w[0], w[1], &inside, settings)
        })
        .collect();
    LgdBacktest {
        predicted: "lgd_gross".to_string(),
        discount_rate: settings.lgd_discount_rate.get(),
        unresolved,
        overall: bucket(0.0, 1.0, &refs, settings),
        buckets,
    }
}
