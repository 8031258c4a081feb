//! Stability: the population stability index of the grade distribution between the first
//! half of the window (the base) and the second half (recent), over every scored application
//! whether or not an outcome was reported.
//!
//! `PSI = Σ_g (r_g − b_g)·ln(r_g / b_g)` over the grades `g` present in either half, `b_g` and
//! `r_g` the shares of applications in the base and recent half. A grade empty in one half
//! would make the term infinite; its share there is taken as [`EMPTY_SHARE`] (the customary
//! floor of credit-scoring practice). Bands: stable below `psi_watch`, watch up to
//! `psi_shift`, shift at or above it. The window is `[from, to]`; the base is the first
//! `⌈days / 2⌉` days of it.

use serde::Serialize;

use super::{BacktestSettings, DataStatus, Observation};
use crate::asset::Date;

/// The share used for a grade with no application in one half.
pub const EMPTY_SHARE: f64 = 1e-4;

/// What the PSI says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PsiBand {
    /// Below `psi_watch`: no meaningful shift.
    Stable,
    /// From `psi_watch` to below `psi_shift`: some shift; watch it.
    Watch,
    /// At or above `psi_shift`: significant shift; investigate.
    Shift,
}

/// One half of the window.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StabilityPeriod {
    /// First scoring day.
    pub from: Date,
    /// Last scoring day.
    pub to: Date,
    /// Scored applications in it.
    pub n: u64,
}

/// One grade's contribution.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PsiBin {
    /// Grade.
    pub grade: String,
    /// Applications in the base half.
    pub base_n: u64,
    /// Their share of the base half.
    pub base_share: f64,
    /// Applications in the recent half.
    pub recent_n: u64,
    /// Their share of the recent half.
    pub recent_share: f64,
    /// `(r − b)·ln(r / b)` with empty shares floored.
    pub contribution: f64,
}

/// The stability figures.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Stability {
    /// The distribution compared: `grade`.
    pub distribution: String,
    /// The first half of the window (`null` without any application).
    pub base: Option<StabilityPeriod>,
    /// The second half.
    pub recent: Option<StabilityPeriod>,
    /// `insufficient_data` when either half has fewer than `min_period_observations`.
    pub status: DataStatus,
    /// The index.
    pub psi: Option<f64>,
    /// Its band.
    pub band: Option<PsiBand>,
    /// Per grade, in master-scale order.
    pub bins: Vec<PsiBin>,
}

/// PSI of two count vectors over the same bins (each with a positive total); the terms in
/// bin order.
pub fn psi(base: &[u64], recent: &[u64]) -> (f64, Vec<f64>) {
    let (tb, tr) = (
        base.iter().sum::<u64>().max(1) as f64,
        recent.iter().sum::<u64>().max(1) as f64,
    );
    let terms: Vec<f64> = base
        .iter()
        .zip(recent)
        .map(|(&b, &r)| {
            let b = (b as f64 / tb).max(EMPTY_SHARE);
            let r = (r as f64 / tr).max(EMPTY_SHARE);
            (r - b) * (r / b).ln()
        })
        .collect();
    (terms.iter().sum(), terms)
}

/// The PSI of the grades of `observations` between the halves of `[from, to]`.
pub fn stability(
    observations: &[Observation],
    from: Option<Date>,
    to: Option<Date>,
    settings: &BacktestSettings,
) -> Stability {
    let empty = |base, recent| Stability {
        distribution: "grade".to_string(),
        base,
        recent,
        status: DataStatus::InsufficientData,
        psi: None,
        band: None,
        bins: Vec::new(),
    };
    let (Some(from), Some(to)) = (from, to) else {
        return empty(None, None);
    };
    let (start, end) = (
        from.days_since_epoch(),
        to.days_since_epoch().max(from.days_since_epoch()),
    );
    // Base: the first ⌈days / 2⌉ days of the window; recent: the rest (may be empty on a
    // one-day window).
    let recent_start = start + (end - start + 2) / 2;
    let in_base = |d: Date| d.days_since_epoch() < recent_start;
    let rank = |grade: &str| {
        settings
            .grades
            .iter()
            .position(|g| g == grade)
            .unwrap_or(settings.grades.len())
    };
    let mut grades: Vec<&str> = observations.iter().map(|o| o.grade.as_str()).collect();
    grades.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    grades.dedup();
    let count = |grade: &str, base: bool| {
        observations
            .iter()
            .filter(|o| o.grade == grade && in_base(o.scored_on) == base)
            .count() as u64
    };
    let base_counts: Vec<u64> = grades.iter().map(|g| count(g, true)).collect();
    let recent_counts: Vec<u64> = grades.iter().map(|g| count(g, false)).collect();
    let base_period = StabilityPeriod {
        from,
        to: Date::from_days_since_epoch((recent_start - 1).max(start)),
        n: base_counts.iter().sum(),
    };
    let recent_period = StabilityPeriod {
        from: Date::from_days_since_epoch(recent_start),
        to: Date::from_days_since_epoch(end),
        n: recent_counts.iter().sum(),
    };
    let enough = base_period.n >= settings.min_period_observations
        && recent_period.n >= settings.min_period_observations;
    if !enough {
        return empty(Some(base_period), Some(recent_period));
    }
    let (index, terms) = psi(&base_counts, &recent_counts);
    let share = |n: u64, total: u64| n as f64 / total.max(1) as f64;
    let bins = grades
        .iter()
        .zip(base_counts.iter().zip(&recent_counts))
        .zip(terms)
        .map(|((g, (&b, &r)), term)| PsiBin {
            grade: (*g).to_string(),
            base_n: b,
            base_share: share(b, base_period.n),
            recent_n: r,
            recent_share: share(r, recent_period.n),
            contribution: term,
        })
        .collect();
    let band = if index >= settings.psi_shift {
        PsiBand::Shift
    } else if index >= settings.psi_watch {
        PsiBand::Watch
    } else {
        PsiBand::Stable
    };
    Stability {
        distribution: "grade".to_string(),
        base: Some(base_period),
        recent: Some(recent_period),
        status: DataStatus::Ok,
        psi: Some(index),
        band: Some(band),
        bins,
    }
}
