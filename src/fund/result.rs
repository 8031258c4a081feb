//! The fund simulation result (SPEC §4 "Result JSON"): what `fund simulate --format json`
//! prints, what `GET /v1/fund/simulations/{id}` returns and what the HTML report draws.
//!
//! Key names are fixed by the SPEC; fields may be added, never renamed. Every statistic is a
//! [`Stats`] with its standard error; every probability has a `*_stderr` beside it.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::stats::{Sample, Stats};

/// Result of one fund simulation (or of a merge of all its shards).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed the run used.
    pub seed: u64,
    /// Number of simulated paths.
    pub paths: u64,
    /// `[model] id` of the model file.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Initial capital of the fund.
    pub initial_capital: Money,
    /// One entry per simulated year, in order.
    pub years: Vec<YearResult>,
    /// Totals over the horizon.
    pub horizon: HorizonResult,
}

/// Statistics of one year across paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct YearResult {
    /// 1-based year.
    pub year: u32,
    /// Loans enrolled in the scheme this year.
    pub loans_enrolled: Stats,
    /// Loans refused enrolment this year by the leverage limit (reported, never dropped).
    pub loans_refused: Stats,
    /// Defaults this year.
    pub defaults: Stats,
    /// Gross principal loss of loans defaulting this year (CNY).
    pub gross_loss: Stats,
    /// Compensation owed under the rules this year, before the balance limit (CNY).
    pub fund_claims: Stats,
    /// Compensation actually paid this year (CNY).
    pub fund_paid: Stats,
    /// Subsidies paid this year (CNY).
    pub subsidies: Stats,
    /// Fund balance at the end of the year (CNY).
    pub fund_balance_end: Stats,
    /// Lower quantiles of the end-of-year balance (the side where the risk is), for the fan
    /// chart of the report. Absent in results written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_balance_lower: Option<LowerQuantiles>,
    /// P(some claim this year could not be paid in full).
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// P(at least one bank is paused this year).
    pub pause_probability: f64,
    /// Its standard error.
    pub pause_probability_stderr: f64,
}

/// Statistics of horizon totals across paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HorizonResult {
    /// Defaults over the horizon.
    pub defaults: Stats,
    /// Gross principal loss (CNY).
    pub gross_loss: Stats,
    /// Compensation owed before the balance limit (CNY).
    pub fund_claims: Stats,
    /// Compensation paid (CNY).
    pub fund_paid: Stats,
    /// Loss left with the banks (CNY).
    pub bank_loss: Stats,
    /// Loss borne by other parties of a loss-sharing scheme (insurer, guarantor, valuation
    /// firm) (CNY).
    pub other_parties_loss: Stats,
    /// Subsidies paid (CNY).
    pub subsidies: Stats,
    /// Loans refused enrolment by the leverage limit.
    pub loans_refused: Stats,
    /// P(some claim in the horizon could not be paid in full).
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// Mean principal of loans enrolled over the horizon (CNY).
    pub credit_enabled: f64,
    /// `credit_enabled / (initial capital + appropriations)`.
    pub leverage_achieved: f64,
    /// Mean public cost (fund paid + subsidies) per yuan of credit enabled.
    pub cost_per_credit: f64,
    /// Histogram of the per-path horizon fund claims (CNY), for the report. Absent in results
    /// written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_histogram: Option<Histogram>,
}

/// Lower quantiles of a quantity across paths, read with the same empirical rule as
/// [`Stats`] (the smallest value with at least the given share of paths at or below it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LowerQuantiles {
    /// 1st percentile.
    pub p01: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
}

impl LowerQuantiles {
    /// The lower quantiles of a per-path sample (all zero for an empty sample).
    pub fn of(sample: &Sample) -> Self {
        let mut sorted = sample.values().to_vec();
        sorted.sort_by(f64::total_cmp);
        let q = |alpha: f64| {
            if sorted.is_empty() {
                return 0.0;
            }
            let n = sorted.len();
            let rank = ((alpha * n as f64) - 1e-9).ceil() as usize;
            sorted[rank.clamp(1, n) - 1]
        };
        LowerQuantiles {
            p01: q(0.01),
            p05: q(0.05),
            p25: q(0.25),
        }
    }
}

/// An equal-width histogram of a per-path quantity: `edges` has one more entry than
/// `counts`; bin `i` holds values in `[edges[i], edges[i+1])`, the last bin is closed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Histogram {
    /// Bin edges, increasing (CNY for claims).
    pub edges: Vec<f64>,
    /// Paths per bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// Bins used by the engine for `claims_histogram`.
    pub const DEFAULT_BINS: usize = 40;

    /// Histogram of `sample` over `[min, max]` with `bins` equal bins (at least one). A
    /// sample whose values are all equal gets one bin of width 1 starting at that value; an
    /// empty sample gets one empty bin `[0, 1]`. Counts sum to the number of paths. Depends
    /// only on the values, so merged shards give the same histogram as the whole run.
    pub fn of(sample: &Sample, bins: usize) -> Self {
        let values = sample.values();
        if values.is_empty() {
            return Histogram {
                edges: vec![0.0, 1.0],
                counts: vec![0],
            };
        }
        let bins = bins.max(1);
        let (lo, hi) = values
            .iter()
            .fold(None, |acc: Option<(f64, f64)>, &v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
            .unwrap_or((0.0, 0.0));
        let (bins, width) = if hi > lo {
            (bins, (hi - lo) / bins as f64)
        } else {
            (1, 1.0)
        };
        let edges: Vec<f64> = (0..=bins)
            .map(|i| {
                if i == bins && hi > lo {
                    hi
                } else {
                    lo + width * i as f64
                }
            })
            .collect();
        let mut counts = vec![0u64; bins];
        for &v in values {
            let i = (((v - lo) / width).floor() as usize).min(bins - 1);
            counts[i] += 1;
        }
        Histogram { edges, counts }
    }

    /// Total number of paths counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_path_in_its_bin() {
        let sample: Sample = [0.0, 0.0, 1.0, 2.5, 10.0].into_iter().collect();
        let h = Histogram::of(&sample, 4);
        assert_eq!(h.edges, vec![0.0, 2.5, 5.0, 7.5, 10.0]);
        assert_eq!(h.counts, vec![3, 1, 0, 1]);
        assert_eq!(h.total(), 5);
    }

    #[test]
    fn histogram_of_a_constant_or_empty_sample_has_one_bin() {
        let constant: Sample = [3.0; 7].into_iter().collect();
        let h = Histogram::of(&constant, 40);
        assert_eq!(h.edges, vec![3.0, 4.0]);
        assert_eq!(h.counts, vec![7]);
        let empty = Histogram::of(&Sample::new(), 40);
        assert_eq!(empty.edges, vec![0.0, 1.0]);
        assert_eq!(empty.counts, vec![0]);
    }

    #[test]
    fn lower_quantiles_follow_the_stats_rule() {
        let sample: Sample = (1..=100).map(f64::from).collect();
        let q = LowerQuantiles::of(&sample);
        assert_eq!((q.p01, q.p05, q.p25), (1.0, 5.0, 25.0));
        assert!(q.p25 <= sample.stats().p50);
    }
}
