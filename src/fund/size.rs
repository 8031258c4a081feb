//! Fund sizing (`ipledge fund size`): the smallest initial capital whose horizon shortfall
//! probability is at most a target.
//!
//! Bisection on the initial capital with common random numbers: every candidate is simulated
//! with the same seed and paths, and the engine's draws do not depend on the capital, so the
//! candidates see the same defaults and losses and only the ledger changes. The estimated
//! shortfall probability is then a step function of the capital, evaluated on one fixed set
//! of paths, and the bisection converges to its crossing of the target to within
//! `resolution`. The answer carries the Monte Carlo error of the shortfall probability at the
//! answer and the bracket it was found in.
//!
//! With a leverage limit, more capital admits more loans, so the shortfall probability need
//! not fall monotonically in the capital; the bisection still returns a capital that meets the
//! target with one just below (by `resolution`) that does not.
//!
//! Owns the search only; the simulation is [`super::simulate`]. Must not print or read files.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::FundResult;
use crate::money::Money;

/// Settings of a sizing search.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeSettings {
    /// Largest acceptable horizon shortfall probability, in [0, 1].
    pub target: f64,
    /// Width of the final bracket (CNY); the answer is a multiple of it.
    pub resolution: Money,
    /// The search gives up above this capital.
    pub max_capital: Money,
    /// First upper candidate (e.g. the scenario's own capital); doubled until it meets the
    /// target.
    pub start: Money,
}

/// The answer of a sizing search (the JSON of `fund size`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SizeResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed of every candidate run.
    pub seed: u64,
    /// Paths of every candidate run.
    pub paths: u64,
    /// `[model] id` of the model file.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// The target: largest acceptable horizon shortfall probability.
    pub target_shortfall_probability: f64,
    /// Smallest initial capital found with shortfall probability ≤ target.
    pub initial_capital: Money,
    /// Estimated horizon shortfall probability at `initial_capital`.
    pub shortfall_probability: f64,
    /// Its Monte Carlo standard error.
    pub shortfall_probability_stderr: f64,
    /// The bracket the answer was found in.
    pub bracket: Bracket,
    /// Width of the final bracket (CNY).
    pub resolution: Money,
    /// Number of simulations run.
    pub evaluations: u32,
    /// The full simulation at the answer.
    pub result: FundResult,
}

/// Capitals just below and at the answer, with their shortfall probabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Bracket {
    /// Largest capital tried that misses the target (absent when zero capital meets it).
    pub below: Option<Money>,
    /// Shortfall probability at `below`.
    pub below_shortfall_probability: Option<f64>,
    /// The answer: smallest capital tried that meets the target.
    pub above: Money,
    /// Shortfall probability at `above`.
    pub above_shortfall_probability: f64,
}

/// Why a sizing search failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// Settings out of range.
    #[error("bad sizing setting {name}: {reason}")]
    BadSetting {
        /// The setting.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Even the largest capital allowed misses the target.
    #[error(
        "no initial capital up to {max_capital} brings the shortfall probability to {target} \
         (it is {shortfall} at {max_capital})"
    )]
    Unreachable {
        /// The largest capital tried.
        max_capital: Money,
        /// Shortfall probability there.
        shortfall: f64,
        /// The target.
        target: f64,
    },
    /// The simulation failed.
    #[error("simulation failed at initial capital {capital}: {message}")]
    Simulation {
        /// The capital simulated.
        capital: Money,
        /// The engine's message.
        message: String,
    },
}

/// Runs the search; `simulate(capital)` must run the same scenario, seed and paths with only
/// the initial capital changed.
pub fn size_with<E: std::fmt::Display>(
    settings: &SizeSettings,
    mut simulate: impl FnMut(Money) -> Result<FundResult, E>,
) -> Result<SizeResult, SizeError> {
    let SizeSettings {
        target,
        resolution,
        max_capital,
        start,
    } = settings.clone();
    if !(target.is_finite() && (0.0..=1.0).contains(&target)) {
        return Err(SizeError::BadSetting {
            name: "max_shortfall_prob",
            reason: format!("must be between 0 and 1 (got {target})"),
        });
    }
    if resolution <= Money::ZERO {
        return Err(SizeError::BadSetting {
            name: "resolution",
            reason: format!("must be > 0 (got {resolution})"),
        });
    }
    let step = resolution.amount();
    let mut evaluations = 0u32;
    let mut run = |capital: Money| -> Result<FundResult, SizeError> {
        evaluations += 1;
        simulate(capital).map_err(|e| SizeError::Simulation {
            capital,
            message: e.to_string(),
        })
    };
    let meets = |r: &FundResult| r.horizon.shortfall_probability <= target;

    // Bracket: zero capital below, then double from `start` until the target is met.
    let zero = run(Money::ZERO)?;
    let (mut lo, mut lo_result, mut hi, mut hi_result) = if meets(&zero) {
        (None, None, Money::ZERO, zero)
    } else {
        let mut lo = (Money::ZERO, zero);
        let mut candidate = round_up(start.max(resolution), step);
        loop {
            let r = run(candidate)?;
            if meets(&r) {
                break (Some(lo.0), Some(lo.1), candidate, r);
            }
            if candidate >= max_capital {
                return Err(SizeError::Unreachable {
                    max_capital: candidate,
                    shortfall: r.horizon.shortfall_probability,
                    target,
                });
            }
            lo = (candidate, r);
            candidate = round_up(candidate.scale(Decimal::TWO).min(max_capital), step);
        }
    };

    // Bisection on the grid of `resolution`.
    while let Some(below) = lo {
        let gap = (hi.amount() - below.amount()) / step;
        if gap <= Decimal::ONE {
            break;
        }
        let mid = Money::new(below.amount() + (gap / Decimal::TWO).floor() * step);
        let r = run(mid)?;
        if meets(&r) {
            (hi, hi_result) = (mid, r);
        } else {
            (lo, lo_result) = (Some(mid), Some(r));
        }
    }

    let h = &hi_result.horizon;
    Ok(SizeResult {
        scenario: hi_result.scenario.clone(),
        seed: hi_result.seed,
        paths: hi_result.paths,
        model_id: hi_result.model_id.clone(),
        model_sha256: hi_result.model_sha256.clone(),
        target_shortfall_probability: target,
        initial_capital: hi,
        shortfall_probability: h.shortfall_probability,
        shortfall_probability_stderr: h.shortfall_probability_stderr,
        bracket: Bracket {
            below: lo,
            below_shortfall_probability: lo_result.map(|r| r.horizon.shortfall_probability),
            above: hi,
            above_shortfall_probability: h.shortfall_probability,
        },
        resolution,
        evaluations,
        result: hi_result,
    })
}

/// The smallest multiple of `step` at or above `m`.
fn round_up(m: Money, step: Decimal) -> Money {
    Money::new((m.amount() / step).ceil() * step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::HorizonResult;
    use crate::stats::{EventCount, Stats};

    /// A result whose only content is the horizon shortfall estimate of `need` at `capital`:
    /// a path falls short when it needs more than the capital.
    fn fake(need: &[f64], capital: Money) -> FundResult {
        let mut count = EventCount::default();
        for &n in need {
            count.record(n > capital.to_f64());
        }
        let e = count.estimate();
        FundResult {
            scenario: "fake".into(),
            seed: 3,
            paths: need.len() as u64,
            model_id: "m".into(),
            model_sha256: "s".into(),
            initial_capital: capital,
            years: Vec::new(),
            horizon: HorizonResult {
                defaults: Stats::ZERO,
                gross_loss: Stats::ZERO,
                fund_claims: Stats::ZERO,
                fund_paid: Stats::ZERO,
                bank_loss: Stats::ZERO,
                other_parties_loss: Stats::ZERO,
                subsidies: Stats::ZERO,
                loans_refused: Stats::ZERO,
                shortfall_probability: e.value,
                shortfall_probability_stderr: e.stderr,
                credit_enabled: 0.0,
                leverage_achieved: 0.0,
                cost_per_credit: 0.0,
                claims_histogram: None,
            },
        }
    }

    fn settings(target: f64) -> SizeSettings {
        SizeSettings {
            target,
            resolution: Money::from_yuan(1),
            max_capital: Money::from_yuan(1_000_000_000),
            start: Money::from_yuan(1_000),
        }
    }

    #[test]
    fn answer_is_the_empirical_quantile_of_the_capital_each_path_needs() {
        // 1000 paths needing 0, 500, 1000, ... yuan: P(need > K) <= 10 % first at K = 449,500.
        let need: Vec<f64> = (0..1000).map(|i| 500.0 * f64::from(i)).collect();
        let r = size_with(&settings(0.10), |k| Ok::<_, String>(fake(&need, k))).unwrap();
        assert_eq!(r.initial_capital, Money::from_yuan(449_500));
        assert_eq!(r.shortfall_probability, 0.1);
        assert_eq!(r.bracket.below, Some(Money::from_yuan(449_499)));
        assert_eq!(r.bracket.below_shortfall_probability, Some(0.101));
        assert!((r.shortfall_probability_stderr - (0.1f64 * 0.9 / 1000.0).sqrt()).abs() < 1e-15);
        assert_eq!(r.result.initial_capital, r.initial_capital);
        assert!(r.evaluations < 40, "{} evaluations", r.evaluations);
    }

    #[test]
    fn zero_capital_is_the_answer_when_it_already_meets_the_target() {
        let need = vec![0.0; 10];
        let r = size_with(&settings(0.0), |k| Ok::<_, String>(fake(&need, k))).unwrap();
        assert_eq!(r.initial_capital, Money::ZERO);
        assert_eq!(r.bracket.below, None);
        assert_eq!(r.evaluations, 1);
    }

    #[test]
    fn unreachable_targets_bad_settings_and_engine_errors_are_reported() {
        let need = vec![f64::INFINITY; 10];
        let err = size_with(&settings(0.5), |k| Ok::<_, String>(fake(&need, k))).unwrap_err();
        assert!(matches!(err, SizeError::Unreachable { .. }), "{err}");
        let err = size_with(&settings(1.5), |k| Ok::<_, String>(fake(&need, k))).unwrap_err();
        assert!(matches!(
            err,
            SizeError::BadSetting {
                name: "max_shortfall_prob",
                ..
            }
        ));
        let err = size_with(&settings(0.5), |_| Err::<FundResult, _>("boom")).unwrap_err();
        assert!(err.to_string().contains("boom"));
    }

    #[test]
    fn the_answer_is_a_multiple_of_the_resolution() {
        let need: Vec<f64> = (0..1000).map(|i| 123.0 * f64::from(i)).collect();
        let mut s = settings(0.25);
        s.resolution = Money::from_yuan(1000);
        let r = size_with(&s, |k| Ok::<_, String>(fake(&need, k))).unwrap();
        // Exact quantile 123 × 750 = 92,250 → the next multiple of 1,000.
        assert_eq!(r.initial_capital, Money::from_yuan(93_000));
        assert_eq!(r.bracket.below, Some(Money::from_yuan(92_000)));
    }
}
