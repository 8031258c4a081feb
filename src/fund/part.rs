//! Partial results (one shard of a run) and their exact merge into a [`FundResult`].
//!
//! A part keeps the per-path samples of every quantity for its contiguous batch range, plus
//! everything needed to check that parts belong together (scenario, seed, paths, model
//! identity, capital, shard index and count). Merging sorts parts by shard index, checks that
//! they tile the run's batches exactly once, concatenates the samples in path order and
//! computes the statistics, so the merge is bit-identical to the unsharded run.

use serde::{Deserialize, Serialize};

use super::FundError;
use super::metrics::{H, HORIZON_METRICS, Y, YEAR_METRICS};
use super::result::{FundResult, Histogram, HorizonResult, LowerQuantiles, YearResult};
use crate::money::Money;
use crate::rng::{Shard, batch_count};
use crate::stats::{EventCount, Sample};

/// Format tag of a partial result file.
pub const PART_FORMAT: &str = "ipledge-fund-part/1";

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
    /// Initial capital simulated.
    pub initial_capital: Money,
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
    /// Per-path samples per year and quantity: `year_samples[year][quantity]`.
    pub year_samples: Vec<Vec<Sample>>,
    /// Per-path horizon samples per quantity.
    pub horizon_samples: Vec<Sample>,
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
        let checks: [(&'static str, String, String); 8] = [
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
        let paths_in = p.horizon_samples.first().map_or(0, Sample::len) as u64;
        let want = crate::rng::batches(p.paths, expected)
            .iter()
            .map(|b| b.len() as u64)
            .sum::<u64>();
        if paths_in != want {
            return Err(mismatch("paths in part", want, paths_in));
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
    let mut year_samples: Vec<Vec<Sample>> = vec![vec![Sample::new(); YEAR_METRICS]; h];
    let mut horizon_samples: Vec<Sample> = vec![Sample::new(); HORIZON_METRICS];
    for p in parts {
        if p.year_samples.len() != h
            || p.year_samples.iter().any(|y| y.len() != YEAR_METRICS)
            || p.horizon_samples.len() != HORIZON_METRICS
        {
            return Err(mismatch("sample layout", "the engine's", "another"));
        }
        for (acc, part) in year_samples.iter_mut().zip(p.year_samples) {
            for (a, s) in acc.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        for (a, s) in horizon_samples.iter_mut().zip(p.horizon_samples) {
            a.merge(s);
        }
    }
    Ok(build_result(&first, &year_samples, &horizon_samples))
}

fn probability(sample: &Sample) -> (f64, f64) {
    let mut e = EventCount::default();
    for v in sample.values() {
        e.record(*v > 0.5);
    }
    let est = e.estimate();
    (est.value, est.stderr)
}

fn build_result(head: &FundPart, years: &[Vec<Sample>], horizon: &[Sample]) -> FundResult {
    let year_results = years
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (shortfall, shortfall_se) = probability(&s[Y::SHORTFALL]);
            let (pause, pause_se) = probability(&s[Y::PAUSE]);
            YearResult {
                year: i as u32 + 1,
                loans_enrolled: s[Y::ENROLLED].stats(),
                loans_refused: s[Y::REFUSED].stats(),
                defaults: s[Y::DEFAULTS].stats(),
                gross_loss: s[Y::GROSS_LOSS].stats(),
                fund_claims: s[Y::CLAIMS].stats(),
                fund_paid: s[Y::PAID].stats(),
                subsidies: s[Y::SUBSIDIES].stats(),
                fund_balance_end: s[Y::BALANCE_END].stats(),
                fund_balance_lower: Some(LowerQuantiles::of(&s[Y::BALANCE_END])),
                shortfall_probability: shortfall,
                shortfall_probability_stderr: shortfall_se,
                pause_probability: pause,
                pause_probability_stderr: pause_se,
            }
        })
        .collect();
    let (shortfall, shortfall_se) = probability(&horizon[H::SHORTFALL]);
    let credit_enabled = horizon[H::CREDIT_ENABLED].mean().value;
    let funding = head.initial_capital.to_f64() + head.appropriations_total.to_f64();
    let public_cost = horizon[H::PUBLIC_COST].mean().value;
    FundResult {
        scenario: head.scenario.clone(),
        seed: head.seed,
        paths: head.paths,
        model_id: head.model_id.clone(),
        model_sha256: head.model_sha256.clone(),
        initial_capital: head.initial_capital,
        years: year_results,
        horizon: HorizonResult {
            defaults: horizon[H::DEFAULTS].stats(),
            gross_loss: horizon[H::GROSS_LOSS].stats(),
            fund_claims: horizon[H::CLAIMS].stats(),
            fund_paid: horizon[H::PAID].stats(),
            bank_loss: horizon[H::BANK_LOSS].stats(),
            other_parties_loss: horizon[H::OTHER_PARTIES_LOSS].stats(),
            subsidies: horizon[H::SUBSIDIES].stats(),
            loans_refused: horizon[H::REFUSED].stats(),
            shortfall_probability: shortfall,
            shortfall_probability_stderr: shortfall_se,
            credit_enabled,
            // No funding at all: leverage is reported as 0 rather than infinite.
            leverage_achieved: if funding > 0.0 {
                credit_enabled / funding
            } else {
                0.0
            },
            // No credit enabled: no cost per credit.
            cost_per_credit: if credit_enabled > 0.0 {
                public_cost / credit_enabled
            } else {
                0.0
            },
            claims_histogram: Some(Histogram::of(&horizon[H::CLAIMS], Histogram::DEFAULT_BINS)),
        },
    }
}
