//! The fund simulation result (docs/cli.md, "ipledge fund simulate"): what `fund simulate --format json`
//! prints, what `GET /v1/fund/simulations/{id}` returns and what the HTML report draws.
//!
//! Key names are fixed by docs/cli.md; fields may be added, never renamed. Every statistic is a
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
    /// SHA-256 of the canonical scenario and run settings (what `fund merge` checks).
    pub input_sha256: String,
    /// Initial capital of the fund.
    pub initial_capital: Money,
    /// The book, scheme and fund rules actually used.
    pub assumptions: Assumptions,
    /// One entry per horizon year, in order.
    pub years: Vec<YearResult>,
    /// Totals over the horizon (the years in which loans are granted).
    pub horizon: PeriodResult,
    /// Totals over the run-off: after the horizon until the last claim and recovery settle.
    pub run_off: PeriodResult,
    /// Horizon plus run-off: the fund's full liability for what it enrolled.
    pub lifetime: PeriodResult,
    /// A short plain-language reading of the result (zh and en).
    pub reading: Vec<super::reading::Finding>,
    /// How the paths were importance-sampled (absent for plain sampling): the shift, the
    /// twist, the pilot's paths and the variance reduction of the lifetime shortfall
    /// probability. Every statistic of the result is then the weighted one. (Not in the
    /// API's schema: the API does not offer importance sampling, so its results never carry
    /// it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub importance_sampling: Option<super::ImportanceSamplingReport>,
}

/// What a run assumed, in the words of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assumptions {
    /// Paths simulated.
    pub paths: u64,
    /// The loan book.
    pub book: BookSummary,
    /// Default and loss settings.
    pub risk: crate::scenario::Risk,
    /// The compensation scheme in force.
    pub scheme: crate::scheme::Scheme,
    /// The fund's rules.
    pub fund: FundRules,
    /// Scheme eligibility rules the book carries no data for (not applied in the run).
    pub eligibility_not_checked: Vec<String>,
}

/// The loan book of a run, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BookSummary {
    /// Loans in the book.
    pub loans: u64,
    /// Their principal (CNY).
    pub principal: f64,
    /// Loans and principal by origination year.
    pub by_year: Vec<BookYear>,
    /// Principal-weighted mean one-year PD (after the PD multiplier).
    pub mean_pd_1y: f64,
    /// Lending banks.
    pub banks: Vec<String>,
    /// Distinct borrowing firms.
    pub firms: u64,
    /// Months from the start of year 1 to the last maturity.
    pub last_maturity_month: u32,
}

/// One origination year of the book.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BookYear {
    /// 1-based year.
    pub year: u32,
    /// Loans originated.
    pub loans: u64,
    /// Their principal (CNY).
    pub principal: f64,
    /// Loans passing the scheme's eligibility rules.
    pub eligible_loans: u64,
    /// Their principal (CNY).
    pub eligible_principal: f64,
}

/// The fund's rules in force.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundRules {
    /// Initial capital (CNY).
    pub initial_capital: Money,
    /// Appropriations at the start of each horizon year (CNY).
    pub appropriations: Vec<Money>,
    /// Interest earned on the balance per year (credited monthly on the opening balance).
    pub interest_rate: f64,
    /// Leverage limit in force, if any.
    pub leverage_limit: Option<f64>,
    /// Where the leverage limit comes from (`fund`, `scheme` or `none`).
    pub leverage_limit_from: String,
    /// The fund never pays more than its balance.
    pub liability_limited_to_balance: bool,
    /// Subsidies in force and where they are paid from.
    pub subsidies: crate::scheme::SubsidyRules,
    /// Where the subsidies come from (`scenario`, `scheme` or `none`).
    pub subsidies_from: String,
}

/// Statistics of one year across paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct YearResult {
    /// 1-based year.
    pub year: u32,
    /// Loans enrolled in the scheme this year.
    pub loans_enrolled: Stats,
    /// Principal enrolled this year (CNY).
    pub principal_enrolled: Stats,
    /// Loans refused by the leverage limit.
    pub refused_leverage: Stats,
    /// Their principal (CNY).
    pub refused_leverage_principal: Stats,
    /// Loans refused because their bank was paused.
    pub refused_paused: Stats,
    /// Their principal (CNY).
    pub refused_paused_principal: Stats,
    /// Loans failing the scheme's eligibility rules.
    pub ineligible: Stats,
    /// Their principal (CNY).
    pub ineligible_principal: Stats,
    /// Defaults this year (every loan of the book).
    pub defaults: Stats,
    /// Principal loss after recoveries of the loans defaulting this year (CNY).
    pub gross_loss: Stats,
    /// Compensation falling due this year, before the balance limit (CNY).
    pub fund_claims: Stats,
    /// Compensation paid this year (CNY).
    pub fund_paid: Stats,
    /// Subsidies of this year (CNY).
    pub subsidies: Stats,
    /// Fund balance at the end of the year (CNY).
    pub fund_balance_end: Stats,
    /// Lower quantiles of the end-of-year balance (the side where the risk is), for the fan
    /// chart of the report.
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

/// Statistics of the totals of one period (horizon, run-off or lifetime) across paths.
/// Defaults and losses count by default month; claims, payments, recoveries and subsidies by
/// the month they fall due; the bank's loss by the default month of its loan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeriodResult {
    /// Months in the period.
    pub months: u32,
    /// Loans enrolled.
    pub loans_enrolled: Stats,
    /// Principal enrolled: the credit the scheme enabled (CNY).
    pub credit_enabled: Stats,
    /// Loans refused by the leverage limit.
    pub refused_leverage: Stats,
    /// Their principal (CNY).
    pub refused_leverage_principal: Stats,
    /// Loans refused because their bank was paused.
    pub refused_paused: Stats,
    /// Their principal (CNY).
    pub refused_paused_principal: Stats,
    /// Loans failing the scheme's eligibility rules.
    pub ineligible: Stats,
    /// Their principal (CNY).
    pub ineligible_principal: Stats,
    /// Defaults.
    pub defaults: Stats,
    /// Principal loss after recoveries (CNY).
    pub gross_loss: Stats,
    /// Compensation owed before the balance limit (CNY).
    pub fund_claims: Stats,
    /// Compensation paid (CNY).
    pub fund_paid: Stats,
    /// Loss left with the banks (CNY).
    pub bank_loss: Stats,
    /// Loss borne by the other parties of a loss-sharing scheme (insurer, guarantor,
    /// valuation firm) on enrolled loans (CNY).
    pub other_parties_loss: Stats,
    /// Paid by the public recovery buyer (CNY).
    pub buyer_outlay: Stats,
    /// Subsidies (CNY).
    pub subsidies: Stats,
    /// Recoveries flowing back to the fund (CNY).
    pub recoveries_to_fund: Stats,
    /// Fund paid − recoveries to the fund + subsidies + buyer outlay (CNY).
    pub public_cost: Stats,
    /// Highest ratio, over the months, of outstanding enrolled exposure to a positive fund
    /// balance.
    pub peak_leverage: Stats,
    /// P(some claim in the period could not be paid in full).
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// Mean credit enabled ÷ public money put in (initial capital + appropriations).
    pub credit_per_public_yuan: f64,
    /// Mean public cost ÷ mean credit enabled (of the horizon).
    pub public_cost_per_credit: f64,
    /// Histogram of the per-path fund claims of the period (CNY), for the report.
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
    /// The lower quantiles of a per-path sample with likelihood-ratio weights (the weighted
    /// empirical rule of `stats::Weighted`).
    pub fn of_weighted(sample: &Sample, weights: &Sample) -> Self {
        let w = crate::stats::Weighted::new(sample, weights);
        LowerQuantiles {
            p01: w.quantile(0.01),
            p05: w.quantile(0.05),
            p25: w.quantile(0.25),
        }
    }

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

    /// Histogram of `sample` whose paths carry likelihood-ratio `weights`: the bins of
    /// [`Histogram::of`], each count the bin's share of the total weight times the number of
    /// paths, rounded (so the counts describe the weighted distribution; their total can
    /// differ from the paths by the rounding).
    pub fn of_weighted(sample: &Sample, weights: &Sample, bins: usize) -> Self {
        let plain = Histogram::of(sample, bins);
        let total = crate::stats::neumaier_sum(weights.values().iter().copied());
        if total.is_nan() || total <= 0.0 {
            return plain;
        }
        let (lo, nb) = (plain.edges[0], plain.counts.len());
        // The bins of `of` (one bin takes every value whatever its width).
        let width = (plain.edges[nb] - lo) / nb as f64;
        let mut mass = vec![0.0f64; nb];
        for (&v, &w) in sample.values().iter().zip(weights.values()) {
            let i = (((v - lo) / width).floor() as usize).min(nb - 1);
            mass[i] += w;
        }
        let n = sample.len() as f64;
        Histogram {
            edges: plain.edges,
            counts: mass
                .iter()
                .map(|m| (m / total * n).round() as u64)
                .collect(),
        }
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
