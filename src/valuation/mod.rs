//! Valuation of pledged IP (docs/models.md, "Valuation"): the CNIPA high-value rule, the three-degree indicator
//! score, the income-approach (relief-from-royalty) Monte Carlo per asset and per portfolio,
//! and the liquidation value a bank recovers at default.
//!
//! Model (per path, per year `t` up to the remaining life; see `models/default.toml`):
//! `CF_t = (royalty × R_t + licence income_t) × e^(−λ·t) × alive_t`, `V = Σ CF_t/(1+r)^t`.
//! `log R_t = log R_{t−1} + g − σ²/2 + σ·ε_t` (so `E[R_t] = R_0·e^(g·t)`: `revenue_growth` is
//! the growth of expected revenue), `ε_t = a·common_t + b·industry_t + √(1−a²−b²)·idio_t`.
//! `alive_t` ends at an invalidation (yearly hazard per kind; a pending request is decided
//! once at the valuation date: whole → 0, partial → × the partial factor), at the end of the
//! legal or economic life, or by rational lapse in the first year whose income is below that
//! year's fee (CNIPA annual fee, trademark renewal fee). Fees decide lapse only; as in the
//! income formula of docs/models.md they are not deducted. Liquidation value = value × max(realisation, floor) ×
//! (1 − disposal cost) × (1+r)^(−delay), one realisation fraction and delay per path for the
//! whole portfolio (sold as one lot).
//!
//! Paths come in antithetic pairs (the second path of a pair negates the first one's normal
//! draws); standard errors treat the pairs as the independent units.
//! Determinism: paths run in batches of [`rng::BATCH_PATHS`], batch `b` drawing from
//! `rng::stream(seed, Domain::Valuation, b)`; results are identical at any thread count.
//! Owns the `[valuation]` section of the model ([`ValuationParams`]). Must not read files,
//! print, or know about the CLI or HTTP.

mod exp;
pub mod high_value;
pub mod params;
pub mod result;
pub mod score;
mod valuer;

#[cfg(test)]
mod tests;

use rayon::prelude::*;

use crate::asset::{Asset, Date};
use crate::model::Model;
use crate::money::Money;
use crate::rng::{self, Domain};
use crate::stats::{Draws, Moments, Sample};

pub use high_value::{Criterion, HighValue, high_value};
pub use params::{RawValuationParams, ValuationParams};
pub use result::{
    Appraisal, AssetAppraisal, AssetValuation, CrossChecks, PortfolioValuation, ValuationResult,
    ValueStats,
};
pub use score::{Degree, Driver, Grade, ValueScore};
pub use valuer::{DefaultState, PortfolioValuer};

// Antithetic pairs never straddle two batches (so shards hold whole pairs).
const _: () = assert!(rng::BATCH_PATHS % 2 == 0);

/// Most asset-paths (assets × paths) one valuation keeps in memory.
pub const MAX_ASSET_PATHS: u64 = 50_000_000;

/// Default valuation date of the CLI: fixed so that outputs are reproducible.
pub const DEFAULT_AS_OF: Date = match Date::const_ymd(2026, 1, 1) {
    Some(d) => d,
    None => panic!("a valid constant date"),
};

/// How to run a valuation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValuationSettings {
    /// Monte Carlo paths (≥ 1).
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Valuation date: remaining lives, ages and fees are counted from it.
    pub as_of: Date,
}

/// Why a valuation could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValuationError {
    /// No asset to value.
    #[error("the portfolio has no assets")]
    EmptyPortfolio,
    /// Zero paths.
    #[error("paths must be at least 1")]
    NoPaths,
    /// Too many asset-paths to hold in memory.
    #[error("{assets} assets × {paths} paths exceed the limit of {max} asset-paths")]
    TooLarge {
        /// Assets.
        assets: usize,
        /// Paths.
        paths: u64,
        /// Limit.
        max: u64,
    },
    /// A date of the asset lies after the valuation date.
    #[error("{id}: {field} {date} is after the valuation date {as_of}")]
    AfterValuationDate {
        /// Asset id.
        id: String,
        /// `filing_date` or `grant_date`.
        field: &'static str,
        /// The date.
        date: Date,
        /// The valuation date.
        as_of: Date,
    },
    /// The inputs overflow the arithmetic (absurd amounts).
    #[error("{id}: the asset's cash flows are not finite numbers")]
    NotFinite {
        /// Asset id.
        id: String,
    },
    /// The parameters cannot build a distribution (validation should prevent this).
    #[error("invalid valuation parameters: {0}")]
    Parameters(String),
}

/// Per-path values of a run: per asset and for the portfolio, value and liquidation value.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedPaths {
    /// Value of each asset, per path.
    pub values: Vec<Sample>,
    /// Liquidation value of each asset, per path.
    pub liquidation: Vec<Sample>,
    /// Portfolio value per path.
    pub portfolio_value: Sample,
    /// Portfolio liquidation value per path.
    pub portfolio_liquidation: Sample,
    /// How the paths were drawn (antithetic pairs): use it for standard errors.
    pub draws: Draws,
}

impl PortfolioValuer {
    /// Simulates `paths` paths with `seed` on the current rayon pool (identical at any
    /// thread count).
    pub fn simulate(&self, seed: u64, paths: u64) -> Result<SimulatedPaths, ValuationError> {
        if paths == 0 {
            return Err(ValuationError::NoPaths);
        }
        let n = self.industries().len();
        if (n as u64).saturating_mul(paths) > MAX_ASSET_PATHS {
            return Err(ValuationError::TooLarge {
                assets: n,
                paths,
                max: MAX_ASSET_PATHS,
            });
        }
        let batches = rng::run_batches(
            seed,
            Domain::Valuation,
            paths,
            0..rng::batch_count(paths),
            |batch, stream| self.run_batch(batch.len(), stream),
        );
        let total = paths as usize;
        // Not `vec![Vec::with_capacity(total); n]`: cloning a vector drops its capacity.
        let reserved = || {
            (0..n)
                .map(|_| Vec::with_capacity(total))
                .collect::<Vec<_>>()
        };
        let (mut values, mut liquidation) = (reserved(), reserved());
        let mut portfolio_value = Vec::with_capacity(total);
        let mut portfolio_liquidation = Vec::with_capacity(total);
        for b in &batches {
            let start = portfolio_value.len();
            portfolio_value.resize(start + b.len, 0.0);
            let sums = &mut portfolio_value[start..];
            for (i, (v, l)) in values.iter_mut().zip(&mut liquidation).enumerate() {
                let asset = &b.values[i * b.len..][..b.len];
                v.extend_from_slice(asset);
                l.extend(asset.iter().zip(&b.liquidation_factor).map(|(v, q)| v * q));
                // Portfolio sums in asset order, path by path.
                for (sum, v) in sums.iter_mut().zip(asset) {
                    *sum += v;
                }
            }
            portfolio_liquidation.extend(
                sums.iter()
                    .zip(&b.liquidation_factor)
                    .map(|(sum, q)| sum * q),
            );
        }
        Ok(SimulatedPaths {
            values: values.into_iter().map(Sample::from_iter).collect(),
            liquidation: liquidation.into_iter().map(Sample::from_iter).collect(),
            portfolio_value: portfolio_value.into_iter().collect(),
            portfolio_liquidation: portfolio_liquidation.into_iter().collect(),
            draws: Draws::AntitheticPairs,
        })
    }
}

/// Values a portfolio: per-asset and portfolio value and liquidation-value statistics,
/// high-value verdicts and indicator scores, tagged with the seed, paths and model identity.
pub fn value_portfolio(
    assets: &[Asset],
    params: &ValuationParams,
    model: &Model,
    settings: &ValuationSettings,
) -> Result<ValuationResult, ValuationError> {
    let (appraisal, sim) = appraise_paths(assets, params, settings)?;
    // Quantiles: independent work per sample, spread over the pool.
    let stats: Vec<(ValueStats, ValueStats)> = sim
        .values
        .par_iter()
        .zip(&sim.liquidation)
        .zip(&appraisal.assets)
        .map(|((v, l), a)| {
            (
                ValueStats::with_moments(v, a.value),
                ValueStats::with_moments(l, a.liquidation_value),
            )
        })
        .collect();
    let (portfolio_value, portfolio_liquidation) = rayon::join(
        || ValueStats::with_moments(&sim.portfolio_value, appraisal.value),
        || ValueStats::with_moments(&sim.portfolio_liquidation, appraisal.liquidation_value),
    );
    let out = assets
        .iter()
        .zip(appraisal.assets)
        .zip(stats)
        .map(|((asset, a), (value, liquidation_value))| AssetValuation {
            id: asset.id().to_string(),
            kind: asset.kind(),
            industry: a.industry,
            remaining_life_years: a.remaining_life_years,
            appraised_value: a.appraised_value,
            value,
            liquidation_value,
            high_value: a.high_value,
            value_score: a.value_score,
            cross_checks: a.cross_checks,
        })
        .collect();
    Ok(ValuationResult {
        seed: settings.seed,
        paths: settings.paths,
        model_id: model.id().to_string(),
        model_sha256: model.sha256().to_string(),
        as_of: settings.as_of,
        assets: out,
        portfolio: PortfolioValuation {
            appraised_value: appraisal.appraised_value,
            value: portfolio_value,
            liquidation_value: portfolio_liquidation,
            value_score: appraisal.value_score,
        },
    })
}

/// [`value_portfolio`] without the quantiles: the same means, standard errors, verdicts and
/// scores (same seed, same numbers) at a fraction of the cost, for loan scoring.
pub fn appraise(
    assets: &[Asset],
    params: &ValuationParams,
    settings: &ValuationSettings,
) -> Result<Appraisal, ValuationError> {
    appraise_paths(assets, params, settings).map(|(appraisal, _)| appraisal)
}

/// Simulates the portfolio and appraises it; also returns the paths for quantiles.
fn appraise_paths(
    assets: &[Asset],
    params: &ValuationParams,
    settings: &ValuationSettings,
) -> Result<(Appraisal, SimulatedPaths), ValuationError> {
    let valuer = PortfolioValuer::new(assets, params, settings.as_of)?;
    let sim = valuer.simulate(settings.seed, settings.paths)?;
    let moments: Vec<(Moments, Moments)> = sim
        .values
        .par_iter()
        .zip(&sim.liquidation)
        .map(|(v, l)| (v.moments(sim.draws), l.moments(sim.draws)))
        .collect();
    let mut out = Vec::with_capacity(assets.len());
    for ((asset, plan), (value, liquidation_value)) in
        assets.iter().zip(valuer.plans()).zip(moments)
    {
        let appraised =
            Money::from_f64_fen(value.mean).ok_or_else(|| ValuationError::NotFinite {
                id: asset.id().to_string(),
            })?;
        let hv = high_value(asset, plan.industry, params, settings.as_of);
        let score = score::value_score(
            asset,
            score::ScoreInputs {
                industry: plan.industry,
                remaining_legal_years: if plan.remaining_legal.is_finite() {
                    plan.remaining_legal
                } else {
                    plan.remaining_life
                },
                revenue_growth: plan.growth,
                as_of: settings.as_of,
                major_award: hv.criteria.contains(&Criterion::MajorAward),
            },
            params.score(),
        );
        let econ = asset.economics();
        let cross_checks =
            (econ.market_value().is_some() || econ.cost_value().is_some()).then(|| CrossChecks {
                market_value: econ.market_value(),
                cost_value: econ.cost_value(),
                income_to_market: econ
                    .market_value()
                    .map(Money::to_f64)
                    .filter(|m| *m > 0.0)
                    .map(|m| value.mean / m),
            });
        out.push(AssetAppraisal {
            industry: plan.industry,
            remaining_life_years: plan.remaining_life,
            appraised_value: appraised,
            value,
            liquidation_value,
            high_value: hv,
            value_score: score,
            cross_checks,
        });
    }
    let weights: Vec<(f64, &ValueScore)> =
        out.iter().map(|a| (a.value.mean, &a.value_score)).collect();
    let value_score = score::portfolio_score(&weights, params.score());
    let (value, liquidation_value) = rayon::join(
        || sim.portfolio_value.moments(sim.draws),
        || sim.portfolio_liquidation.moments(sim.draws),
    );
    let appraisal = Appraisal {
        appraised_value: out.iter().map(|a| a.appraised_value).sum(),
        assets: out,
        value,
        liquidation_value,
        value_score,
    };
    Ok((appraisal, sim))
}
