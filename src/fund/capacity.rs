//! `fund capacity`: the largest multiple of the planned book that the scenario's capital
//! carries — every cohort's count scaled, the loans file repeated (`DrawnRun::draw_copies`).
//!
//! A multiple `m` is carried when (a) the lifetime shortfall probability under the rules as
//! written is at most the target and (b) the leverage limit refuses at most
//! `1 − min_enrolled_share` of the principal that passes eligibility and pauses (enrolled +
//! refused for leverage). The search doubles the multiple from 1, drawing enough copies of the
//! book once per doubling, until a multiple fails; then it bisects on the grid of `resolution`
//! between the last multiple carried and the first that fails, re-running only the ledger on
//! the last draw (common random numbers; `ledger_passes` and `draws` say what it cost).
//! Shortfall and refusals grow with the book, so the boundary is one point; the bracket gives
//! the multiples on either side and their shortfall probabilities.
//!
//! Exactness: on a homogeneous one-year book whose fund pays exactly `k` claims, the fund
//! fails iff more than `k` loans default, so the answer is the largest book size `N` with
//! `P(D_N > k) ≤ P` under the finite Vasicek law (tested).

use serde::{Deserialize, Serialize};

use super::size::{Leverage, Probe};
use super::{DrawnRun, FundError, FundResult, Settings, Variant};
use crate::scenario::Scenario;

/// Settings of a capacity search.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacitySettings {
    /// Largest acceptable lifetime shortfall probability.
    pub target: f64,
    /// Share of the principal passing eligibility and pauses that must enrol (1 = the
    /// leverage limit refuses nothing).
    pub min_enrolled_share: f64,
    /// Step of the multiple; the answer is a multiple of it.
    pub resolution: f64,
    /// Largest multiple tried (the draw holds this many copies of the book at most).
    pub max_multiple: f64,
}

impl CapacitySettings {
    /// Default step of the multiple.
    pub const DEFAULT_RESOLUTION: f64 = 0.01;
    /// Default largest multiple tried.
    pub const DEFAULT_MAX_MULTIPLE: f64 = 16.0;

    /// Every setting out of range, by name, with what is wrong (empty when all are valid).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(self.target.is_finite() && (0.0..=1.0).contains(&self.target)) {
            out.push((
                "max_shortfall_prob",
                format!("must be between 0 and 1 (got {})", self.target),
            ));
        }
        if !(self.min_enrolled_share > 0.0 && self.min_enrolled_share <= 1.0) {
            out.push((
                "min_enrolled_share",
                format!("must be in (0, 1] (got {})", self.min_enrolled_share),
            ));
        }
        if !(self.resolution.is_finite() && self.resolution > 0.0 && self.resolution <= 1.0) {
            out.push((
                "resolution",
                format!("must be in (0, 1] (got {})", self.resolution),
            ));
        }
        if !(self.max_multiple.is_finite()
            && self.max_multiple >= self.resolution
            && self.max_multiple <= 1024.0)
        {
            out.push((
                "max_multiple",
                format!(
                    "must be between the resolution and 1024 (got {})",
                    self.max_multiple
                ),
            ));
        }
        out
    }
}

/// Which criterion stops the book from growing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapacityBinding {
    /// The lifetime shortfall target.
    Shortfall,
    /// The leverage limit: the capital has no room to enrol a bigger book.
    Leverage,
    /// Neither, up to the largest multiple tried.
    MaxMultiple,
}

/// The multiples around the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapacityBracket {
    /// The answer (carried).
    pub below: f64,
    /// Lifetime shortfall probability there.
    pub below_shortfall_probability: f64,
    /// The next multiple on the grid, which fails (none when the search stopped at the
    /// largest multiple).
    pub above: Option<f64>,
    /// Lifetime shortfall probability there.
    pub above_shortfall_probability: Option<f64>,
    /// Share of the principal refused by the leverage limit there.
    pub above_refused_leverage_share: Option<f64>,
}

/// The answer of `fund capacity` (its JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapacityResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Paths.
    pub paths: u64,
    /// `[model] id`.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Target lifetime shortfall probability.
    pub target_shortfall_probability: f64,
    /// Required enrolled share (see [`CapacitySettings::min_enrolled_share`]).
    pub min_enrolled_share: f64,
    /// The largest multiple of the planned book carried.
    pub book_multiple: f64,
    /// Loans in the book at that multiple.
    pub loans: u64,
    /// Their principal (CNY).
    pub principal: f64,
    /// Mean principal enrolled over the horizon at that multiple (CNY).
    pub credit_enabled: f64,
    /// Its standard error.
    pub credit_enabled_stderr: f64,
    /// Lifetime shortfall probability at that multiple.
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// What stops a bigger book.
    pub binding: CapacityBinding,
    /// The multiples on either side of the answer.
    pub bracket: CapacityBracket,
    /// Step of the multiple.
    pub resolution: f64,
    /// Largest multiple tried.
    pub max_multiple: f64,
    /// Draws of default events (each one simulation's sampler work).
    pub draws: u32,
    /// Ledger passes over drawn events.
    pub ledger_passes: u32,
    /// The full result at the answer.
    pub result: FundResult,
}

/// Why a capacity search failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CapacityError {
    /// Settings out of range.
    #[error("bad capacity setting {name}: {reason}")]
    BadSetting {
        /// The setting.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The engine failed.
    #[error(transparent)]
    Fund(#[from] FundError),
}

struct Point {
    probe: Probe,
    refused_share: f64,
    result: FundResult,
}

/// Share of the principal passing eligibility and pauses that the leverage limit refused.
fn refused_share(p: &Probe) -> f64 {
    let asked = p.credit_enabled + p.refused_leverage_principal;
    if asked > 0.0 {
        p.refused_leverage_principal / asked
    } else {
        0.0
    }
}

/// `fund capacity` of `scenario` under `settings` (seed, paths, model).
pub fn capacity(
    scenario: &Scenario,
    settings: &Settings,
    cs: &CapacitySettings,
) -> Result<CapacityResult, CapacityError> {
    if let Some((name, reason)) = cs.problems().into_iter().next() {
        return Err(CapacityError::BadSetting { name, reason });
    }
    let capital = settings
        .initial_capital
        .unwrap_or(scenario.fund.initial_capital);
    let max_j = (cs.max_multiple / cs.resolution + 1e-9).floor() as u64;
    let at = |j: u64| j as f64 * cs.resolution;
    let mut passes = 0u32;
    let mut draws = 0u32;
    let meets = |p: &Point| {
        p.probe.shortfall_probability <= cs.target
            && p.refused_share <= 1.0 - cs.min_enrolled_share + 1e-12
    };
    let mut eval = |run: &DrawnRun, j: u64| -> Result<Point, FundError> {
        passes += 1;
        let result = run.evaluate_variant(&Variant {
            scenario,
            multiple: at(j),
            capital,
            leverage: Leverage::AsWritten,
        })?;
        let probe = Probe::of(&result);
        Ok(Point {
            refused_share: refused_share(&probe),
            probe,
            result,
        })
    };

    // Doubling: draw enough copies for the multiple tried, until one fails.
    let mut lo_j = 0u64;
    let mut hi_j = ((1.0 / cs.resolution).round() as u64).clamp(1, max_j);
    let (run, hi) = loop {
        let copies = at(hi_j).ceil().max(1.0) as u32;
        draws += 1;
        let run = DrawnRun::draw_copies(scenario, settings, copies)?;
        let p = eval(&run, hi_j)?;
        if !meets(&p) {
            break (run, Some((hi_j, p)));
        }
        if hi_j >= max_j {
            lo_j = hi_j;
            break (run, None);
        }
        lo_j = hi_j;
        hi_j = (hi_j * 2).min(max_j);
    };
    // Bisection on the last draw between the last multiple carried and the first failing.
    let (best_j, best, above) = match hi {
        None => {
            let p = eval(&run, lo_j)?;
            (lo_j, p, None)
        }
        Some((mut hi_j, mut hi_p)) => {
            // The multiple carried on an earlier draw is checked again on this one.
            let mut lo = eval(&run, lo_j)?;
            while !meets(&lo) && lo_j > 0 {
                (hi_j, hi_p) = (lo_j, lo);
                lo_j /= 2;
                lo = eval(&run, lo_j)?;
            }
            while hi_j - lo_j > 1 {
                let mid = lo_j + (hi_j - lo_j) / 2;
                let p = eval(&run, mid)?;
                if meets(&p) {
                    (lo_j, lo) = (mid, p);
                } else {
                    (hi_j, hi_p) = (mid, p);
                }
            }
            (lo_j, lo, Some((hi_j, hi_p)))
        }
    };
    let binding = match &above {
        None => CapacityBinding::MaxMultiple,
        Some((_, p)) if p.refused_share > 1.0 - cs.min_enrolled_share + 1e-12 => {
            CapacityBinding::Leverage
        }
        Some(_) => CapacityBinding::Shortfall,
    };
    let r = best.result;
    Ok(CapacityResult {
        scenario: r.scenario.clone(),
        seed: r.seed,
        paths: r.paths,
        model_id: r.model_id.clone(),
        model_sha256: r.model_sha256.clone(),
        target_shortfall_probability: cs.target,
        min_enrolled_share: cs.min_enrolled_share,
        book_multiple: at(best_j),
        loans: r.assumptions.book.loans,
        principal: r.assumptions.book.principal,
        credit_enabled: r.horizon.credit_enabled.mean,
        credit_enabled_stderr: r.horizon.credit_enabled.stderr,
        shortfall_probability: best.probe.shortfall_probability,
        shortfall_probability_stderr: best.probe.shortfall_probability_stderr,
        binding,
        bracket: CapacityBracket {
            below: at(best_j),
            below_shortfall_probability: best.probe.shortfall_probability,
            above: above.as_ref().map(|(j, _)| at(*j)),
            above_shortfall_probability: above.as_ref().map(|(_, p)| p.probe.shortfall_probability),
            above_refused_leverage_share: above.as_ref().map(|(_, p)| p.refused_share),
        },
        resolution: cs.resolution,
        max_multiple: cs.max_multiple,
        draws,
        ledger_passes: passes,
        result: r,
    })
}
