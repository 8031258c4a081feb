//! The valuation result (the keys of docs/cli.md, `ipledge value`, plus `as_of`, per-asset `industry`,
//! `remaining_life_years`, `p5` in value statistics, an optional `cross_checks` object and a
//! portfolio `value_score`).

use serde::{Deserialize, Serialize};

use super::high_value::HighValue;
use super::score::ValueScore;
use crate::asset::{AssetKind, Date, Industry};
use crate::money::Money;
use crate::stats::{Draws, Moments, Sample, Stats};

/// Summary of a simulated value: the `{stats}` keys plus `p5` (the downside a lender
/// watches). Amounts in CNY.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValueStats {
    /// Mean over paths.
    pub mean: f64,
    /// Standard error of the mean.
    pub stderr: f64,
    /// Standard deviation.
    pub sd: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Mean of the top 1 % of paths.
    pub es99: f64,
}

impl ValueStats {
    /// Summarises a sample whose paths were drawn as `draws` says.
    pub fn of(sample: &Sample, draws: Draws) -> ValueStats {
        ValueStats::with_moments(sample, sample.moments(draws))
    }

    /// Summarises a sample whose moments are already known (from `sample.moments`).
    pub fn with_moments(sample: &Sample, moments: Moments) -> ValueStats {
        let (s, q) = sample.summary_from(moments, &[0.05]);
        ValueStats {
            mean: s.mean,
            stderr: s.stderr,
            sd: s.sd,
            p5: q[0],
            p50: s.p50,
            p95: s.p95,
            p99: s.p99,
            p999: s.p999,
            es99: s.es99,
        }
    }

    /// The shared `{stats}` part.
    pub fn stats(&self) -> Stats {
        Stats {
            mean: self.mean,
            stderr: self.stderr,
            sd: self.sd,
            p50: self.p50,
            p95: self.p95,
            p99: self.p99,
            p999: self.p999,
            es99: self.es99,
        }
    }
}

/// User-supplied market and cost approach values next to the income-approach value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CrossChecks {
    /// Market-approach value given in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_value: Option<Money>,
    /// Cost-approach value given in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_value: Option<Money>,
    /// Appraised (income) value / market value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub income_to_market: Option<f64>,
}

/// A valuation short of its quantiles: means, standard errors, verdicts and scores (what
/// loan scoring reads; [`super::appraise`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Appraisal {
    /// One entry per asset, in input order.
    pub assets: Vec<AssetAppraisal>,
    /// Sum of the assets' appraised values.
    pub appraised_value: Money,
    /// Portfolio value over paths.
    pub value: Moments,
    /// Portfolio liquidation value over paths.
    pub liquidation_value: Moments,
    /// Value-weighted indicator score (no drivers).
    pub value_score: ValueScore,
}

/// One asset's [`Appraisal`].
#[derive(Clone, Debug, PartialEq)]
pub struct AssetAppraisal {
    /// Industry (as given, else from the IPC mapping, else `other`).
    pub industry: Industry,
    /// Remaining life valued (years from the valuation date).
    pub remaining_life_years: f64,
    /// Mean value rounded to the fen.
    pub appraised_value: Money,
    /// Income-approach value over paths (CNY).
    pub value: Moments,
    /// Liquidation value over paths (CNY at the valuation date).
    pub liquidation_value: Moments,
    /// CNIPA high-value invention patent verdict.
    pub high_value: HighValue,
    /// Indicator score.
    pub value_score: ValueScore,
    /// Market/cost cross-checks, when the input gives them.
    pub cross_checks: Option<CrossChecks>,
}

/// The valuation of one asset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetValuation {
    /// Asset id as given.
    pub id: String,
    /// Kind.
    pub kind: AssetKind,
    /// Industry (as given, else from the IPC mapping, else `other`).
    pub industry: Industry,
    /// Remaining life valued (years from the valuation date).
    pub remaining_life_years: f64,
    /// Mean value rounded to the fen.
    pub appraised_value: Money,
    /// Income-approach value over paths (CNY).
    pub value: ValueStats,
    /// Liquidation value over paths (CNY at the valuation date).
    pub liquidation_value: ValueStats,
    /// CNIPA high-value invention patent verdict.
    pub high_value: HighValue,
    /// Indicator score.
    pub value_score: ValueScore,
    /// Market/cost cross-checks, when the input gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_checks: Option<CrossChecks>,
}

/// The valuation of the whole portfolio (paths share factors: quantiles are not sums).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PortfolioValuation {
    /// Sum of the assets' appraised values.
    pub appraised_value: Money,
    /// Portfolio value over paths.
    pub value: ValueStats,
    /// Portfolio liquidation value over paths.
    pub liquidation_value: ValueStats,
    /// Value-weighted indicator score (no drivers).
    pub value_score: ValueScore,
}

/// The result of `ipledge value` / `POST /v1/valuations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValuationResult {
    /// Seed.
    pub seed: u64,
    /// Paths simulated.
    pub paths: u64,
    /// Model id.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Valuation date.
    pub as_of: Date,
    /// One entry per asset, in input order.
    pub assets: Vec<AssetValuation>,
    /// The portfolio.
    pub portfolio: PortfolioValuation,
}
