//! The risk-compensation fund simulator (SPEC §4).
//!
//! Owns the default engine (`engine`: factors, defaults, losses, claims, ledger), the static
//! loan book of a run (`book`), the run settings and the `[fund]` model section (`settings`),
//! partial results and their exact merge (`part`), fund sizing (`size`) and the result types
//! (`result`). Reads scenarios through `crate::scenario` and scheme rules through
//! `crate::scheme`; must not know about the CLI, HTTP, SQL or charts, read files or print.
//!
//! Entry points: [`simulate`] (the whole run), [`simulate_part`] (one shard) and
//! [`merge_parts`] (shards → exactly the whole run). The draws depend only on the scenario, the
//! seed and the paths — never on the initial capital or the thread count — so `fund size`
//! gets common random numbers by setting [`Settings::initial_capital`] (see
//! [`simulate_with_capital`]).

mod book;
mod engine;
mod metrics;

mod part;
pub mod result;
mod settings;
pub mod size;
pub mod sweep;

use std::sync::atomic::{AtomicU64, Ordering};

pub use part::{FundPart, PART_FORMAT, merge_parts};
pub use result::{FundResult, Histogram, HorizonResult, LowerQuantiles, YearResult};
pub use settings::{CollateralParams, FundModel, Progress, Settings};

use crate::money::Money;
use crate::rng::{Domain, run_batches};
use crate::scenario::{PdSpec, Scenario};
use crate::stats::Sample;
use metrics::{HORIZON_METRICS, PathMetrics, YEAR_METRICS};

/// Why a simulation or a merge could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FundError {
    /// A cohort names a grade the model has no PD for.
    #[error("grade `{grade}` has no PD in the model's [fund.grade_pd_1y]")]
    UnknownGrade {
        /// The grade.
        grade: String,
    },
    /// `paths` is zero.
    #[error("paths must be at least 1")]
    NoPaths,
    /// Nothing to merge.
    #[error("no partial results to merge")]
    NoParts,
    /// Parts of different runs.
    #[error(
        "partial results do not belong together: {field} is {expected} in one and {found} in another"
    )]
    PartMismatch {
        /// What differs.
        field: &'static str,
        /// Its value in the first part.
        expected: String,
        /// Its value in another part.
        found: String,
    },
    /// A shard is missing.
    #[error("shard {index} is missing")]
    MissingShard {
        /// 1-based shard number.
        index: u32,
    },
    /// A shard was given twice.
    #[error("shard {index} was given twice")]
    DuplicateShard {
        /// 1-based shard number.
        index: u32,
    },
}

fn check(scenario: &Scenario, settings: &Settings) -> Result<(), FundError> {
    if settings.paths == 0 {
        return Err(FundError::NoPaths);
    }
    for c in &scenario.book.cohorts {
        if let PdSpec::Grades(mix) = &c.pd_1y {
            for g in mix.keys() {
                if !settings.model.grade_pd_1y.contains_key(g) {
                    return Err(FundError::UnknownGrade { grade: g.clone() });
                }
            }
        }
    }
    Ok(())
}

/// Simulates the part of the run selected by `settings.shard`.
pub fn simulate_part(scenario: &Scenario, settings: &Settings) -> Result<FundPart, FundError> {
    check(scenario, settings)?;
    let h = scenario.horizon_years as usize;
    let book = book::Book::build(scenario, settings.seed, &settings.model);
    let capital = settings
        .initial_capital
        .unwrap_or(scenario.fund.initial_capital);
    let plan = engine::Plan::new(scenario, &book, capital.to_f64(), settings.model.collateral);
    let range = settings.shard.batch_range(settings.paths);
    let total = range.end - range.start;
    let done = AtomicU64::new(0);
    let batches = run_batches(
        settings.seed,
        Domain::Fund,
        settings.paths,
        range.clone(),
        |batch, rng| {
            let n = batch.len();
            let mut scratch = engine::Scratch::new(&book, h);
            let mut m = PathMetrics::new(h);
            let mut years = vec![vec![Sample::with_capacity(n); YEAR_METRICS]; h];
            let mut horizon = vec![Sample::with_capacity(n); HORIZON_METRICS];
            for _ in 0..n {
                engine::simulate_path(&plan, rng, &mut scratch, &mut m);
                for (acc, row) in years.iter_mut().zip(&m.year) {
                    for (s, v) in acc.iter_mut().zip(row) {
                        s.push(*v);
                    }
                }
                for (s, v) in horizon.iter_mut().zip(&m.horizon) {
                    s.push(*v);
                }
            }
            if let Some(progress) = settings.progress {
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            }
            (years, horizon)
        },
    );
    let mut year_samples = vec![vec![Sample::new(); YEAR_METRICS]; h];
    let mut horizon_samples = vec![Sample::new(); HORIZON_METRICS];
    for (years, horizon) in batches {
        for (acc, part) in year_samples.iter_mut().zip(years) {
            for (a, s) in acc.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        for (a, s) in horizon_samples.iter_mut().zip(horizon) {
            a.merge(s);
        }
    }
    Ok(FundPart {
        format: PART_FORMAT.to_string(),
        scenario: scenario.name.clone(),
        seed: settings.seed,
        paths: settings.paths,
        model_id: settings.model.id.clone(),
        model_sha256: settings.model.sha256.clone(),
        initial_capital: capital,
        appropriations_total: scenario.fund.appropriations.iter().copied().sum::<Money>(),
        horizon_years: scenario.horizon_years,
        shard_index: settings.shard.index,
        shard_count: settings.shard.count,
        first_batch: range.start,
        end_batch: range.end,
        year_samples,
        horizon_samples,
    })
}

/// Simulates the whole run (`settings.shard` is ignored).
pub fn simulate(scenario: &Scenario, settings: &Settings) -> Result<FundResult, FundError> {
    let whole = Settings {
        shard: crate::rng::Shard::WHOLE,
        ..settings.clone()
    };
    merge_parts(vec![simulate_part(scenario, &whole)?])
}

/// The whole run with `initial_capital` instead of the scenario's, on the same random numbers
/// (common random numbers for `fund size`).
pub fn simulate_with_capital(
    scenario: &Scenario,
    settings: &Settings,
    initial_capital: Money,
) -> Result<FundResult, FundError> {
    let s = Settings {
        initial_capital: Some(initial_capital),
        ..settings.clone()
    };
    simulate(scenario, &s)
}

#[cfg(test)]
mod tests;
