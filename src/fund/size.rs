//! Fund sizing (`ipledge fund size`): the smallest initial capital that (a) lets the leverage
//! limit refuse at most `1 − min_enrolled_share` of the principal that would enrol with
//! unlimited capital and (b) keeps the lifetime shortfall probability at most a target.
//!
//! Three searches on the same drawn events (common random numbers: the default events are
//! drawn once, only the ledger is re-run, see [`super::DrawnRun`]):
//! * `capital_for_leverage`: the smallest capital meeting (a) (0 without a leverage limit:
//!   enrolment then does not depend on the capital);
//! * `capital_for_shortfall`: the smallest capital meeting (b) with the leverage limit lifted,
//!   i.e. for the whole eligible book (so a capital that enrols nothing can never answer);
//! * the answer: the smallest capital at or above both that meets (a) and (b) with the rules
//!   as written (`binding` says which of the two set it).
//!
//! Each search doubles from a start until the criterion holds, then bisects on a grid of
//! `resolution`; the answer carries the Monte Carlo error of its shortfall probability and
//! the bracket it was found in. Owns the search only; must not print or read files.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::FundResult;
use crate::money::Money;

/// Settings of a sizing search.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeSettings {
    /// Largest acceptable lifetime shortfall probability, in [0, 1].
    pub target: f64,
    /// Share of the principal enrolling with unlimited capital that must still enrol, in
    /// (0, 1] (default 1: the leverage limit refuses nothing).
    pub min_enrolled_share: f64,
    /// Width of the final bracket (CNY); the answer is a multiple of it.
    pub resolution: Money,
    /// The search gives up above this capital.
    pub max_capital: Money,
    /// First upper candidate (e.g. the scenario's own capital); doubled until it meets the
    /// target.
    pub start: Money,
}

/// What one ledger pass tells the search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probe {
    /// Lifetime shortfall probability.
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// Mean principal refused by the leverage limit.
    pub refused_leverage_principal: f64,
    /// Mean principal enrolled.
    pub credit_enabled: f64,
}

impl Probe {
    /// The probe of a full result.
    pub fn of(r: &FundResult) -> Probe {
        Probe {
            shortfall_probability: r.lifetime.shortfall_probability,
            shortfall_probability_stderr: r.lifetime.shortfall_probability_stderr,
            refused_leverage_principal: r.horizon.refused_leverage_principal.mean,
            credit_enabled: r.horizon.credit_enabled.mean,
        }
    }
}

/// How a ledger pass treats the leverage limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leverage {
    /// As the scenario says.
    AsWritten,
    /// Lifted: every eligible loan of an unpaused bank enrols whatever the capital.
    Lifted,
}

/// Which criterion set the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// The capital the leverage limit needs to enrol the book.
    Leverage,
    /// The capital the claims need to keep the shortfall probability at the target.
    Shortfall,
}

/// The answer of a sizing search (the JSON of `fund size`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SizeResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed of every ledger pass.
    pub seed: u64,
    /// Paths of every ledger pass.
    pub paths: u64,
    /// `[model] id` of the model file.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// SHA-256 of the scenario and settings at the answer.
    pub input_sha256: String,
    /// The target: largest acceptable lifetime shortfall probability.
    pub target_shortfall_probability: f64,
    /// The share of the unlimited-capital enrolment that must enrol.
    pub min_enrolled_share: f64,
    /// The answer: smallest initial capital meeting both criteria.
    pub initial_capital: Money,
    /// Smallest capital whose leverage limit enrols the required share of the book.
    pub capital_for_leverage: Money,
    /// Smallest capital keeping the lifetime shortfall at the target for the whole eligible
    /// book (leverage limit lifted).
    pub capital_for_shortfall: Money,
    /// Which criterion set the answer.
    pub binding: Binding,
    /// Mean principal enrolling with unlimited capital (CNY).
    pub unlimited_credit_enabled: f64,
    /// Estimated lifetime shortfall probability at `initial_capital`.
    pub shortfall_probability: f64,
    /// Its Monte Carlo standard error.
    pub shortfall_probability_stderr: f64,
    /// The bracket the answer was found in.
    pub bracket: Bracket,
    /// Width of the final bracket (CNY).
    pub resolution: Money,
    /// Ledger passes run (each on the same drawn events; one simulation drew them).
    pub ledger_passes: u32,
    /// The full simulation at the answer.
    pub result: FundResult,
}

/// Capitals just below and at the answer, with their lifetime shortfall probabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Bracket {
    /// Largest capital tried below the answer that misses a criterion (absent when the
    /// answer is the lower end of its search).
    pub below: Option<Money>,
    /// Shortfall probability at `below`.
    pub below_shortfall_probability: Option<f64>,
    /// The answer.
    pub above: Money,
    /// Shortfall probability at `above`.
    pub above_shortfall_probability: f64,
}

impl SizeSettings {
    /// Every setting out of range, by name, with what is wrong (empty when all are valid).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(self.target.is_finite() && (0.0..=1.0).contains(&self.target)) {
            out.push((
                "max_shortfall_prob",
                format!("must be between 0 and 1 (got {})", self.target),
            ));
        }
        let share = self.min_enrolled_share;
        if !(share.is_finite() && share > 0.0 && share <= 1.0) {
            out.push((
                "min_enrolled_share",
                format!("must be in (0, 1] (got {share})"),
            ));
        }
        if self.resolution <= Money::ZERO {
            out.push((
                "resolution",
                format!("must be > 0 (got {})", self.resolution),
            ));
        }
        out
    }
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
        "no initial capital up to {max_capital} meets the {criterion} criterion (shortfall \
         probability {shortfall} at {max_capital}, target {target})"
    )]
    Unreachable {
        /// The largest capital tried.
        max_capital: Money,
        /// Which criterion.
        criterion: &'static str,
        /// Shortfall probability there.
        shortfall: f64,
        /// The target.
        target: f64,
    },
    /// A ledger pass failed.
    #[error("simulation failed at initial capital {capital}: {message}")]
    Simulation {
        /// The capital simulated.
        capital: Money,
        /// The engine's message.
        message: String,
    },
}

/// The outcome of [`size_with`], before the full result at the answer is attached.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeSearch {
    /// The answer.
    pub initial_capital: Money,
    /// See [`SizeResult::capital_for_leverage`].
    pub capital_for_leverage: Money,
    /// See [`SizeResult::capital_for_shortfall`].
    pub capital_for_shortfall: Money,
    /// See [`SizeResult::binding`].
    pub binding: Binding,
    /// Mean principal enrolling with unlimited capital.
    pub unlimited_credit_enabled: f64,
    /// The probe at the answer (rules as written).
    pub at_answer: Probe,
    /// The bracket of the search that set the answer.
    pub bracket: Bracket,
    /// Ledger passes run.
    pub ledger_passes: u32,
}

/// The smallest capital on the grid of `step`, at or above `floor`, meeting `meets`: doubling
/// from `start`, then bisection. Returns the answer, its probe and the bracket.
fn smallest(
    floor: Money,
    start: Money,
    step: Decimal,
    max_capital: Money,
    criterion: &'static str,
    run: &mut dyn FnMut(Money) -> Result<Probe, SizeError>,
    meets: &dyn Fn(&Probe) -> bool,
) -> Result<(Money, Probe, Bracket), SizeError> {
    let floor = round_up(floor, step);
    let at_floor = run(floor)?;
    if meets(&at_floor) {
        let bracket = Bracket {
            below: None,
            below_shortfall_probability: None,
            above: floor,
            above_shortfall_probability: at_floor.shortfall_probability,
        };
        return Ok((floor, at_floor, bracket));
    }
    let mut lo = (floor, at_floor);
    let mut candidate = round_up(start.max(floor).max(Money::new(step)), step);
    if candidate <= floor {
        candidate = round_up(
            floor.scale(Decimal::TWO).max(Money::new(step) + floor),
            step,
        );
    }
    let (mut hi, mut hi_probe) = loop {
        let p = run(candidate)?;
        if meets(&p) {
            break (candidate, p);
        }
        if candidate >= max_capital {
            return Err(SizeError::Unreachable {
                max_capital: candidate,
                criterion,
                shortfall: p.shortfall_probability,
                target: f64::NAN,
            });
        }
        lo = (candidate, p);
        candidate = round_up(candidate.scale(Decimal::TWO).min(max_capital), step);
    };
    loop {
        let gap = (hi.amount() - lo.0.amount()) / step;
        if gap <= Decimal::ONE {
            break;
        }
        let mid = Money::new(lo.0.amount() + (gap / Decimal::TWO).floor() * step);
        let p = run(mid)?;
        if meets(&p) {
            (hi, hi_probe) = (mid, p);
        } else {
            lo = (mid, p);
        }
    }
    let bracket = Bracket {
        below: Some(lo.0),
        below_shortfall_probability: Some(lo.1.shortfall_probability),
        above: hi,
        above_shortfall_probability: hi_probe.shortfall_probability,
    };
    Ok((hi, hi_probe, bracket))
}

/// Runs the three searches; `probe(capital, leverage)` must run the ledger on the same drawn
/// events with only the capital (and the leverage treatment) changed. `has_leverage_limit`
/// says whether the scenario has one.
pub fn size_with<E: std::fmt::Display>(
    settings: &SizeSettings,
    has_leverage_limit: bool,
    mut probe: impl FnMut(Money, Leverage) -> Result<Probe, E>,
) -> Result<SizeSearch, SizeError> {
    let SizeSettings {
        target,
        min_enrolled_share,
        resolution,
        max_capital,
        start,
    } = settings.clone();
    if let Some((name, reason)) = settings.problems().into_iter().next() {
        return Err(SizeError::BadSetting { name, reason });
    }
    let step = resolution.amount();
    let mut passes = 0u32;
    let mut run = |capital: Money, leverage: Leverage| -> Result<Probe, SizeError> {
        passes += 1;
        probe(capital, leverage).map_err(|e| SizeError::Simulation {
            capital,
            message: e.to_string(),
        })
    };
    let unlimited = run(max_capital, Leverage::Lifted)?.credit_enabled;
    let allowed_refusal = (1.0 - min_enrolled_share) * unlimited;
    // Relative slack for sums of f64 principal.
    let slack = 1e-9 * unlimited.max(1.0);
    let leverage_ok = |p: &Probe| p.refused_leverage_principal <= allowed_refusal + slack;
    let shortfall_ok = |p: &Probe| p.shortfall_probability <= target;

    let capital_for_leverage = if has_leverage_limit {
        smallest(
            Money::ZERO,
            start,
            step,
            max_capital,
            "leverage",
            &mut |c| run(c, Leverage::AsWritten),
            &leverage_ok,
        )?
        .0
    } else {
        Money::ZERO
    };
    let (capital_for_shortfall, _, shortfall_bracket) = smallest(
        Money::ZERO,
        start,
        step,
        max_capital,
        "shortfall",
        &mut |c| run(c, Leverage::Lifted),
        &shortfall_ok,
    )
    .map_err(|e| with_target(e, target))?;
    let floor = capital_for_leverage.max(capital_for_shortfall);
    let (answer, at_answer, bracket) = smallest(
        floor,
        floor,
        step,
        max_capital,
        "combined",
        &mut |c| run(c, Leverage::AsWritten),
        &|p| leverage_ok(p) && shortfall_ok(p),
    )
    .map_err(|e| with_target(e, target))?;
    let binding = if has_leverage_limit
        && answer == capital_for_leverage
        && capital_for_leverage >= capital_for_shortfall
    {
        Binding::Leverage
    } else {
        Binding::Shortfall
    };
    // The answer's bracket: the combined search's when it moved above the floor, else the
    // bracket of the criterion that set the floor.
    let bracket = if bracket.below.is_none() && binding == Binding::Shortfall {
        shortfall_bracket
    } else {
        bracket
    };
    Ok(SizeSearch {
        initial_capital: answer,
        capital_for_leverage,
        capital_for_shortfall,
        binding,
        unlimited_credit_enabled: unlimited,
        at_answer,
        bracket,
        ledger_passes: passes,
    })
}

fn with_target(e: SizeError, target: f64) -> SizeError {
    match e {
        SizeError::Unreachable {
            max_capital,
            criterion,
            shortfall,
            ..
        } => SizeError::Unreachable {
            max_capital,
            criterion,
            shortfall,
            target,
        },
        other => other,
    }
}

/// `fund size` on drawn events: the searches of [`size_with`], then the full result at the
/// answer.
pub fn size(run: &super::DrawnRun, settings: &SizeSettings) -> Result<SizeResult, SizeError> {
    let has_limit = run.has_leverage_limit();
    let search = size_with(settings, has_limit, |capital, leverage| {
        Ok::<_, String>(run.probe(capital, leverage))
    })?;
    let result = run.evaluate_with(search.initial_capital, Leverage::AsWritten);
    Ok(SizeResult {
        scenario: result.scenario.clone(),
        seed: result.seed,
        paths: result.paths,
        model_id: result.model_id.clone(),
        model_sha256: result.model_sha256.clone(),
        input_sha256: result.input_sha256.clone(),
        target_shortfall_probability: settings.target,
        min_enrolled_share: settings.min_enrolled_share,
        initial_capital: search.initial_capital,
        capital_for_leverage: search.capital_for_leverage,
        capital_for_shortfall: search.capital_for_shortfall,
        binding: search.binding,
        unlimited_credit_enabled: search.unlimited_credit_enabled,
        shortfall_probability: search.at_answer.shortfall_probability,
        shortfall_probability_stderr: search.at_answer.shortfall_probability_stderr,
        bracket: search.bracket,
        resolution: settings.resolution,
        ledger_passes: search.ledger_passes + 1,
        result,
    })
}

/// The smallest multiple of `step` at or above `m`.
fn round_up(m: Money, step: Decimal) -> Money {
    Money::new((m.amount() / step).ceil() * step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::EventCount;

    /// A fake ledger: path `i` needs `need[i]` yuan; with the leverage limit as written, a
    /// capital below `lever` refuses `(lever − capital)` yuan of principal.
    fn fake(need: &[f64], lever: f64, capital: Money, leverage: Leverage) -> Probe {
        let mut count = EventCount::default();
        for &n in need {
            count.record(n > capital.to_f64());
        }
        let e = count.estimate();
        let refused = match leverage {
            Leverage::AsWritten => (lever - capital.to_f64()).max(0.0),
            Leverage::Lifted => 0.0,
        };
        Probe {
            shortfall_probability: e.value,
            shortfall_probability_stderr: e.stderr,
            refused_leverage_principal: refused,
            credit_enabled: 1e6 - refused,
        }
    }

    fn settings(target: f64) -> SizeSettings {
        SizeSettings {
            target,
            min_enrolled_share: 1.0,
            resolution: Money::from_yuan(1),
            max_capital: Money::from_yuan(1_000_000_000),
            start: Money::from_yuan(1_000),
        }
    }

    #[test]
    fn shortfall_binds_at_the_empirical_quantile_of_the_capital_each_path_needs() {
        // 1000 paths needing 0, 500, 1000, ... yuan: P(need > K) <= 10 % first at K = 449,500.
        let need: Vec<f64> = (0..1000).map(|i| 500.0 * f64::from(i)).collect();
        let r = size_with(&settings(0.10), true, |k, l| {
            Ok::<_, String>(fake(&need, 20_000.0, k, l))
        })
        .unwrap();
        assert_eq!(r.initial_capital, Money::from_yuan(449_500));
        assert_eq!(r.capital_for_shortfall, Money::from_yuan(449_500));
        assert_eq!(r.capital_for_leverage, Money::from_yuan(20_000));
        assert_eq!(r.binding, Binding::Shortfall);
        assert_eq!(r.at_answer.shortfall_probability, 0.1);
        assert_eq!(r.bracket.below, Some(Money::from_yuan(449_499)));
        assert_eq!(r.bracket.below_shortfall_probability, Some(0.101));
        assert!(r.ledger_passes < 80, "{} passes", r.ledger_passes);
    }

    #[test]
    fn leverage_binds_when_the_book_needs_more_room_than_the_claims_need_money() {
        // Nothing ever needs money, but the limit refuses loans below 2.5 m of capital: the
        // answer is never zero.
        let need = vec![0.0; 100];
        let r = size_with(&settings(0.05), true, |k, l| {
            Ok::<_, String>(fake(&need, 2_500_000.0, k, l))
        })
        .unwrap();
        assert_eq!(r.capital_for_shortfall, Money::ZERO);
        assert_eq!(r.capital_for_leverage, Money::from_yuan(2_500_000));
        assert_eq!(r.initial_capital, Money::from_yuan(2_500_000));
        assert_eq!(r.binding, Binding::Leverage);
    }

    #[test]
    fn a_share_below_one_allows_that_much_refused_principal() {
        let need = vec![0.0; 100];
        let mut s = settings(0.05);
        s.min_enrolled_share = 0.9;
        // Unlimited enrolment 1 m; refusals (2.5 m − K) ≤ 100 k from K = 2.4 m.
        let r = size_with(&s, true, |k, l| {
            Ok::<_, String>(fake(&need, 2_500_000.0, k, l))
        })
        .unwrap();
        assert_eq!(r.capital_for_leverage, Money::from_yuan(2_400_000));
    }

    #[test]
    fn without_a_leverage_limit_zero_capital_answers_only_when_no_path_needs_money() {
        let need = vec![0.0; 10];
        let r = size_with(&settings(0.0), false, |k, l| {
            Ok::<_, String>(fake(&need, 0.0, k, l))
        })
        .unwrap();
        assert_eq!(r.initial_capital, Money::ZERO);
        assert_eq!(r.binding, Binding::Shortfall);
    }

    #[test]
    fn unreachable_targets_bad_settings_and_engine_errors_are_reported() {
        let need = vec![f64::INFINITY; 10];
        let fake_ok = |k, l| Ok::<_, String>(fake(&need, 0.0, k, l));
        let err = size_with(&settings(0.5), true, fake_ok).unwrap_err();
        assert!(matches!(err, SizeError::Unreachable { .. }), "{err}");
        let err = size_with(&settings(1.5), true, fake_ok).unwrap_err();
        assert!(matches!(
            err,
            SizeError::BadSetting {
                name: "max_shortfall_prob",
                ..
            }
        ));
        let mut s = settings(0.5);
        s.min_enrolled_share = 0.0;
        let err = size_with(&s, true, fake_ok).unwrap_err();
        assert!(matches!(
            err,
            SizeError::BadSetting {
                name: "min_enrolled_share",
                ..
            }
        ));
        let err = size_with(&settings(0.5), true, |_, _| Err::<Probe, _>("boom")).unwrap_err();
        assert!(err.to_string().contains("boom"));
    }

    #[test]
    fn the_answer_is_a_multiple_of_the_resolution() {
        let need: Vec<f64> = (0..1000).map(|i| 123.0 * f64::from(i)).collect();
        let mut s = settings(0.25);
        s.resolution = Money::from_yuan(1000);
        let r = size_with(&s, false, |k, l| Ok::<_, String>(fake(&need, 0.0, k, l))).unwrap();
        // Exact quantile 123 × 750 = 92,250 → the next multiple of 1,000.
        assert_eq!(r.initial_capital, Money::from_yuan(93_000));
        assert_eq!(r.bracket.below, Some(Money::from_yuan(92_000)));
    }
}
