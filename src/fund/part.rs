//! Partial results (one shard of a run) and their exact merge into a [`FundResult`].
//!
//! A part keeps the per-path samples of every quantity for its contiguous batch range, plus
//! everything needed to check that parts belong together (scenario, seed, paths, model
//! identity, capital, shard index and count). Merging sorts parts by shard index, checks that
//! they tile the run's batches exactly once, concatenates the samples in path order and
//! computes the statistics, so the merge is bit-identical to the unsharded run.
//!
//! With importance sampling a part also keeps each path's likelihood-ratio weight and the
//! tilt it was drawn under; every statistic is then the weighted one (`stats::Weighted`:
//! probabilities as means of `w·1{event}`, the rest from the weighted empirical
//! distribution). Without weights the statistics are the plain ones, computed as before.

use serde::{Deserialize, Serialize};

use super::FundError;
use super::importance::{ImportanceSamplingReport, TiltChoice};
use super::metrics::{Period, Total, YearMetric};
use super::result::{Assumptions, FundResult, Histogram, LowerQuantiles, PeriodResult, YearResult};
use crate::money::Money;
use crate::rng::{Shard, batch_count};
use crate::stats::{EventCount, Sample, Stats, Weighted};

/// Format tag of a partial result file.
pub const PART_FORMAT: &str = "ipledge-fund-part/3";

/// One shard of a fund simulation (what `fund simulate --shard I/N --out FILE` writes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FundPart {
    /// Always [`PART_FORMAT`].
    pub format: String,
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Paths of the whole run.
    pub paths: u64,
    /// `[model] id`.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// SHA-256 of the canonical scenario and run settings.
    pub input_sha256: String,
    /// Initial capital simulated.
    pub initial_capital: Money,
    /// The book, scheme and fund rules used.
    pub assumptions: Assumptions,
    /// Months of run-off after the horizon.
    pub run_off_months: u32,
    /// Sum of the appropriations (for `leverage_achieved`).
    pub appropriations_total: Money,
    /// Years simulated.
    pub horizon_years: u32,
    /// 0-based shard index.
    pub shard_index: u32,
    /// Number of shards.
    pub shard_count: u32,
    /// First batch of this shard.
    pub first_batch: u64,
    /// One past the last batch of this shard.
    pub end_batch: u64,
    /// Per-path samples per year and quantity: `year_samples[year][YearMetric]`.
    pub year_samples: Vec<Vec<Sample>>,
    /// Per-path samples per period and total: `total_samples[Period][Total]`.
    pub total_samples: Vec<Vec<Sample>>,
    /// The tilt of an importance-sampling run (absent for plain sampling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance_sampling: Option<TiltChoice>,
    /// Per-path likelihood-ratio weights of an importance-sampling run, in path order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Sample>,
}

impl FundPart {
    /// The shard this part covers.
    pub fn shard(&self) -> Shard {
        Shard {
            index: self.shard_index,
            count: self.shard_count,
        }
    }
}

fn mismatch(field: &'static str, a: impl ToString, b: impl ToString) -> FundError {
    FundError::PartMismatch {
        field,
        expected: a.to_string(),
        found: b.to_string(),
    }
}

/// Merges the parts of one run (in any order) into exactly the unsharded result.
pub fn merge_parts(mut parts: Vec<FundPart>) -> Result<FundResult, FundError> {
    let first = parts.first().ok_or(FundError::NoParts)?.clone();
    for p in &parts {
        if p.format != PART_FORMAT {
            return Err(mismatch("format", PART_FORMAT, &p.format));
        }
        let checks: [(&'static str, String, String); 10] = [
            ("scenario", first.scenario.clone(), p.scenario.clone()),
            ("seed", first.seed.to_string(), p.seed.to_string()),
            ("paths", first.paths.to_string(), p.paths.to_string()),
            ("model_id", first.model_id.clone(), p.model_id.clone()),
            (
                "model_sha256",
                first.model_sha256.clone(),
                p.model_sha256.clone(),
            ),
            (
                "initial_capital",
                first.initial_capital.to_string(),
                p.initial_capital.to_string(),
            ),
            (
                "shard_count",
                first.shard_count.to_string(),
                p.shard_count.to_string(),
            ),
            (
                "horizon_years",
                first.horizon_years.to_string(),
                p.horizon_years.to_string(),
            ),
            (
                "importance_sampling",
                format!("{:?}", first.importance_sampling),
                format!("{:?}", p.importance_sampling),
            ),
            // Last: the digest differs whenever anything above does; named fields first.
            (
                "input_sha256",
                first.input_sha256.clone(),
                p.input_sha256.clone(),
            ),
        ];
        for (field, a, b) in checks {
            if a != b {
                return Err(mismatch(field, a, b));
            }
        }
    }
    parts.sort_by_key(|p| p.shard_index);
    for (i, p) in parts.iter().enumerate() {
        if p.shard_index as usize != i {
            return Err(if (p.shard_index as usize) < i {
                FundError::DuplicateShard {
                    index: p.shard_index + 1,
                }
            } else {
                FundError::MissingShard {
                    index: i as u32 + 1,
                }
            });
        }
        let expected = p.shard().batch_range(p.paths);
        if expected != (p.first_batch..p.end_batch) {
            return Err(mismatch(
                "batch range",
                format!("{expected:?}"),
                format!("{:?}", p.first_batch..p.end_batch),
            ));
        }
        let paths_in = p
            .total_samples
            .first()
            .and_then(|t| t.first())
            .map_or(0, Sample::len) as u64;
        let want = crate::rng::batches(p.paths, expected)
            .iter()
            .map(|b| b.len() as u64)
            .sum::<u64>();
        if paths_in != want {
            return Err(mismatch("paths in part", want, paths_in));
        }
        let weights_in = p.weights.as_ref().map_or(0, Sample::len) as u64;
        let weights_fit = match (&p.importance_sampling, &p.weights) {
            (None, None) => true,
            (Some(_), _) => weights_in == want,
            (None, Some(_)) => false,
        };
        if !weights_fit {
            return Err(mismatch("weights in part", want, weights_in));
        }
    }
    if parts.len() != first.shard_count as usize {
        return Err(FundError::MissingShard {
            index: parts.len() as u32 + 1,
        });
    }
    debug_assert_eq!(
        parts.last().map(|p| p.end_batch),
        Some(batch_count(first.paths))
    );
    let h = first.horizon_years as usize;
    let mut year_samples: Vec<Vec<Sample>> = vec![vec![Sample::new(); YearMetric::COUNT]; h];
    let mut total_samples: Vec<Vec<Sample>> =
        vec![vec![Sample::new(); Total::COUNT]; Period::ALL.len()];
    let mut weights = first.importance_sampling.map(|_| Sample::new());
    for p in parts {
        if p.year_samples.len() != h
            || p.year_samples.iter().any(|y| y.len() != YearMetric::COUNT)
            || p.total_samples.len() != Period::ALL.len()
            || p.total_samples.iter().any(|t| t.len() != Total::COUNT)
        {
            return Err(mismatch("sample layout", "the engine's", "another"));
        }
        for (acc, part) in year_samples.iter_mut().zip(p.year_samples) {
            for (a, s) in acc.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        for (acc, part) in total_samples.iter_mut().zip(p.total_samples) {
            for (a, s) in acc.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        if let (Some(acc), Some(part)) = (&mut weights, p.weights) {
            acc.merge(part);
        }
    }
    Ok(build_result(
        &first,
        &year_samples,
        &total_samples,
        weights.as_ref(),
    ))
}

fn probability(sample: &Sample, weights: Option<&Sample>) -> (f64, f64) {
    if let Some(w) = weights {
        let est = Weighted::new(sample, w).probability(|v| v > 0.5);
        return (est.value, est.stderr);
    }
    let mut e = EventCount::default();
    for v in sample.values() {
        e.record(*v > 0.5);
    }
    let est = e.estimate();
    (est.value, est.stderr)
}

/// The probability of a 0/1 per-path sample and its standard error, and the means of
/// `samples`, each computed exactly as the result computes it (so a search on these numbers
/// takes the decisions it would take on the full result).
pub(crate) fn probability_and_means(
    indicator: &Sample,
    samples: &[&Sample],
    weights: Option<&Sample>,
) -> ((f64, f64), Vec<f64>) {
    (
        probability(indicator, weights),
        samples.iter().map(|s| stats(s, weights).mean).collect(),
    )
}

/// The summary of a per-path sample, weighted when the run was.
fn stats(sample: &Sample, weights: Option<&Sample>) -> Stats {
    match weights {
        Some(w) => Weighted::new(sample, w).stats(),
        None => sample.stats(),
    }
}

fn period_result(
    head: &FundPart,
    samples: &[Sample],
    weights: Option<&Sample>,
    months: u32,
    credit_enabled: f64,
) -> PeriodResult {
    let t = |m: Total| stats(&samples[m as usize], weights);
    let (shortfall, shortfall_se) = probability(&samples[Total::Shortfall as usize], weights);
    let funding = head.initial_capital.to_f64() + head.appropriations_total.to_f64();
    let public_cost = match weights {
        Some(w) => {
            Weighted::new(&samples[Total::PublicCost as usize], w)
                .stats()
                .mean
        }
        None => samples[Total::PublicCost as usize].mean().value,
    };
    PeriodResult {
        months,
        loans_enrolled: t(Total::Enrolled),
        credit_enabled: t(Total::CreditEnabled),
        refused_leverage: t(Total::RefusedLeverage),
        refused_leverage_principal: t(Total::RefusedLeveragePrincipal),
        refused_paused: t(Total::RefusedPaused),
        refused_paused_principal: t(Total::RefusedPausedPrincipal),
        ineligible: t(Total::Ineligible),
        ineligible_principal: t(Total::IneligiblePrincipal),
        defaults: t(Total::Defaults),
        gross_loss: t(Total::GrossLoss),
        fund_claims: t(Total::Claims),
        fund_paid: t(Total::Paid),
        bank_loss: t(Total::BankLoss),
        other_parties_loss: t(Total::OtherPartiesLoss),
        buyer_outlay: t(Total::BuyerOutlay),
        subsidies: t(Total::Subsidies),
        recoveries_to_fund: t(Total::RecoveriesToFund),
        public_cost: t(Total::PublicCost),
        peak_leverage: t(Total::PeakLeverage),
        shortfall_probability: shortfall,
        shortfall_probability_stderr: shortfall_se,
        // No public money: the ratio is undefined and reported as 0.
        credit_per_public_yuan: if funding > 0.0 {
            credit_enabled / funding
        } else {
            0.0
        },
        // No credit enabled: no cost per credit.
        public_cost_per_credit: if credit_enabled > 0.0 {
            public_cost / credit_enabled
        } else {
            0.0
        },
        claims_histogram: Some(match weights {
            Some(w) => {
                Histogram::of_weighted(&samples[Total::Claims as usize], w, Histogram::DEFAULT_BINS)
            }
            None => Histogram::of(&samples[Total::Claims as usize], Histogram::DEFAULT_BINS),
        }),
    }
}

fn build_result(
    head: &FundPart,
    years: &[Vec<Sample>],
    totals: &[Vec<Sample>],
    weights: Option<&Sample>,
) -> FundResult {
    let year_results: Vec<YearResult> = years
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = |m: YearMetric| stats(&s[m as usize], weights);
            let (shortfall, shortfall_se) =
                probability(&s[YearMetric::Shortfall as usize], weights);
            let (pause, pause_se) = probability(&s[YearMetric::Pause as usize], weights);
            YearResult {
                year: i as u32 + 1,
                loans_enrolled: y(YearMetric::Enrolled),
                principal_enrolled: y(YearMetric::PrincipalEnrolled),
                refused_leverage: y(YearMetric::RefusedLeverage),
                refused_leverage_principal: y(YearMetric::RefusedLeveragePrincipal),
                refused_paused: y(YearMetric::RefusedPaused),
                refused_paused_principal: y(YearMetric::RefusedPausedPrincipal),
                ineligible: y(YearMetric::Ineligible),
                ineligible_principal: y(YearMetric::IneligiblePrincipal),
                defaults: y(YearMetric::Defaults),
                gross_loss: y(YearMetric::GrossLoss),
                fund_claims: y(YearMetric::Claims),
                fund_paid: y(YearMetric::Paid),
                subsidies: y(YearMetric::Subsidies),
                fund_balance_end: y(YearMetric::BalanceEnd),
                fund_balance_lower: Some(match weights {
                    Some(w) => LowerQuantiles::of_weighted(&s[YearMetric::BalanceEnd as usize], w),
                    None => LowerQuantiles::of(&s[YearMetric::BalanceEnd as usize]),
                }),
                shortfall_probability: shortfall,
                shortfall_probability_stderr: shortfall_se,
                pause_probability: pause,
                pause_probability_stderr: pause_se,
            }
        })
        .collect();
    let credit_sample = &totals[Period::Horizon as usize][Total::CreditEnabled as usize];
    let credit_enabled = match weights {
        Some(w) => Weighted::new(credit_sample, w).stats().mean,
        None => credit_sample.mean().value,
    };
    let h_months = head.horizon_years * 12;
    let period = |p: Period, months: u32| {
        period_result(head, &totals[p as usize], weights, months, credit_enabled)
    };
    let horizon = period(Period::Horizon, h_months);
    let run_off = period(Period::RunOff, head.run_off_months);
    let lifetime = period(Period::Lifetime, h_months + head.run_off_months);
    let reading = super::reading::read(
        &head.assumptions,
        &year_results,
        &horizon,
        &run_off,
        &lifetime,
    );
    FundResult {
        scenario: head.scenario.clone(),
        seed: head.seed,
        paths: head.paths,
        model_id: head.model_id.clone(),
        model_sha256: head.model_sha256.clone(),
        input_sha256: head.input_sha256.clone(),
        initial_capital: head.initial_capital,
        assumptions: head.assumptions.clone(),
        years: year_results,
        horizon,
        run_off,
        lifetime,
        reading,
        importance_sampling: head.importance_sampling.zip(weights).map(|(choice, w)| {
            ImportanceSamplingReport::of(
                &choice,
                &totals[Period::Lifetime as usize][Total::Shortfall as usize],
                w,
            )
        }),
    }
}
