//! `fund optimise`: the policy point that maximises an objective subject to a lifetime
//! shortfall target (and optionally a budget), on common random numbers.
//!
//! The space is a grid: each `--vary KEY=LO..HI:STEPS` gives `STEPS` evenly spaced values (a
//! single `KEY=V` fixes a key), over any numeric scenario key (`scheme.ratio`,
//! `scheme.per_loan_cap`, `fund.leverage_limit`, `scheme.pause_bank_npl_above`,
//! `fund.initial_capital`, …) and `book.multiple` (the book scaled as `fund capacity` scales
//! it). Every grid point is evaluated (an exhaustive search: no point is skipped on an
//! assumption of monotonicity), each on the same default events ([`super::Evaluator`]: a
//! point that changes only ledger rules re-runs only the ledger). When the objective is a
//! varied key (or `book_multiple`), the best feasible grid value is then refined by bisection
//! towards the next, infeasible, grid value on that key, the other keys held.
//!
//! A point is feasible when its lifetime shortfall probability is at most the target and, with
//! a budget, its public outlay (initial capital + appropriations + mean lifetime subsidies when
//! paid from the budget) is within it. The optimum is the feasible point with the largest
//! objective; ties go to the lower shortfall probability, then to the earlier grid point. The
//! frontier is the set of points within budget that no other point beats on both the objective
//! and the shortfall probability.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FundResult;
use super::evaluator::Evaluator;
use super::sweep::{self, Point, SweepError};
use crate::money::Money;
use crate::scenario::{Resolver, Scenario};
use crate::scheme::PaidFrom;

/// The key that scales the book rather than setting a scenario key.
pub const BOOK_MULTIPLE: &str = "book.multiple";

/// Largest number of grid points of one search.
pub const MAX_POINTS: usize = 4096;

/// Why an optimisation cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptimiseError {
    /// A `--vary` argument or another setting is malformed.
    #[error("bad {what} `{arg}`: {reason}")]
    Bad {
        /// Which setting.
        what: &'static str,
        /// As given.
        arg: String,
        /// What is wrong.
        reason: String,
    },
    /// A grid point cannot be built or simulated.
    #[error(transparent)]
    Point(#[from] SweepError),
}

/// One varied key.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// Dotted scenario key or [`BOOK_MULTIPLE`].
    pub key: String,
    /// Its values, in increasing order.
    pub values: Vec<f64>,
}

/// `x` rounded to 12 significant digits (so 0.1 + 0.2 prints as 0.3).
fn tidy(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

impl Vary {
    /// Parses `KEY=LO..HI[:STEPS]` (STEPS evenly spaced values, default 5) or `KEY=V`. Values
    /// are whole numbers when both ends are whole and the range is at least `STEPS − 1`
    /// wide (amounts, counts).
    pub fn parse(arg: &str) -> Result<Vary, OptimiseError> {
        let bad = |reason: &str| OptimiseError::Bad {
            what: "--vary",
            arg: arg.to_string(),
            reason: reason.to_string(),
        };
        let (key, range) = arg
            .split_once('=')
            .ok_or_else(|| bad("expected KEY=LO..HI[:STEPS] or KEY=VALUE"))?;
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(bad("empty key"));
        }
        let number = |t: &str| -> Result<f64, OptimiseError> {
            t.trim()
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(&format!("`{}` is not a number", t.trim())))
        };
        let values = match range.split_once("..") {
            None => vec![number(range)?],
            Some((lo, rest)) => {
                let (hi, steps) = match rest.split_once(':') {
                    Some((hi, steps)) => (
                        hi,
                        steps
                            .trim()
                            .parse::<usize>()
                            .map_err(|_| bad("STEPS must be a whole number"))?,
                    ),
                    None => (rest, 5),
                };
                let (lo, hi) = (number(lo)?, number(hi)?);
                if hi < lo {
                    return Err(bad("HI must be at least LO"));
                }
                if !(2..=MAX_POINTS).contains(&steps) {
                    return Err(bad(&format!("STEPS must be between 2 and {MAX_POINTS}")));
                }
                let whole = lo.fract() == 0.0 && hi.fract() == 0.0 && hi - lo >= (steps - 1) as f64;
                let mut values: Vec<f64> = (0..steps)
                    .map(|i| {
                        let v = lo + (hi - lo) * i as f64 / (steps - 1) as f64;
                        if whole { v.round() } else { tidy(v) }
                    })
                    .collect();
                values.dedup();
                values
            }
        };
        if key == BOOK_MULTIPLE && values.iter().any(|&v| !(v > 0.0 && v <= 64.0)) {
            return Err(bad("book.multiple must be in (0, 64]"));
        }
        Ok(Vary { key, values })
    }
}

/// What the optimiser maximises.
#[derive(Clone, Debug, PartialEq)]
pub enum Objective {
    /// Mean principal enrolled over the horizon.
    CreditEnabled,
    /// The book multiple.
    BookMultiple,
    /// The value of a varied key (the most generous rule: `scheme.ratio`, a cap).
    Key(String),
    /// Minus the public cost per yuan of credit enabled (lifetime public cost ÷ credit).
    LeastPublicCostPerCredit,
}

impl Objective {
    /// Parses `credit_enabled`, `book_multiple`, `-public_cost_per_credit` or a key.
    pub fn parse(text: &str) -> Result<Objective, OptimiseError> {
        Ok(match text.trim() {
            "credit_enabled" => Objective::CreditEnabled,
            "book_multiple" | BOOK_MULTIPLE => Objective::BookMultiple,
            "-public_cost_per_credit" => Objective::LeastPublicCostPerCredit,
            "public_cost_per_credit" => {
                return Err(OptimiseError::Bad {
                    what: "--objective",
                    arg: text.to_string(),
                    reason: "a cost is minimised: write -public_cost_per_credit".to_string(),
                });
            }
            key if key.contains('.') => Objective::Key(key.to_string()),
            other => {
                return Err(OptimiseError::Bad {
                    what: "--objective",
                    arg: other.to_string(),
                    reason: "expected credit_enabled, book_multiple, -public_cost_per_credit \
                             or a varied key such as scheme.ratio"
                        .to_string(),
                });
            }
        })
    }

    /// The name as written on the command line.
    pub fn name(&self) -> String {
        match self {
            Objective::CreditEnabled => "credit_enabled".to_string(),
            Objective::BookMultiple => "book_multiple".to_string(),
            Objective::Key(k) => k.clone(),
            Objective::LeastPublicCostPerCredit => "-public_cost_per_credit".to_string(),
        }
    }

    /// The key along which the optimum can be refined, if any.
    fn axis(&self) -> Option<&str> {
        match self {
            Objective::BookMultiple => Some(BOOK_MULTIPLE),
            Objective::Key(k) => Some(k),
            _ => None,
        }
    }
}

/// Settings of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimiseSettings {
    /// Largest acceptable lifetime shortfall probability.
    pub target: f64,
    /// Largest public outlay (capital + appropriations + subsidies from the budget).
    pub budget: Option<Money>,
    /// Bisection steps refining the optimum along the objective's key.
    pub refine: u32,
}

/// One evaluated point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OptimisePoint {
    /// The value of every varied key.
    pub point: BTreeMap<String, f64>,
    /// The objective.
    pub objective: f64,
    /// Its Monte Carlo standard error (0 for a key's value, none for a ratio of means).
    pub objective_stderr: Option<f64>,
    /// Lifetime shortfall probability.
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// Shortfall probability over the horizon years.
    pub horizon_shortfall_probability: f64,
    /// Mean principal enrolled over the horizon (CNY).
    pub credit_enabled: f64,
    /// Mean public cost over the lifetime (CNY).
    pub public_cost: f64,
    /// Capital + appropriations + mean lifetime subsidies paid from the budget (CNY).
    pub budget_used: f64,
    /// Within the budget (true without one).
    pub within_budget: bool,
    /// Within the budget and the shortfall target.
    pub feasible: bool,
}

/// The refinement of the optimum along the objective's key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refinement {
    /// The key refined.
    pub key: String,
    /// The largest value found feasible (the optimum's).
    pub feasible: f64,
    /// The smallest value found infeasible above it.
    pub infeasible: f64,
    /// Points evaluated by the refinement.
    pub points: u32,
}

/// The answer of `fund optimise` (its JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OptimiseResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed shared by every point.
    pub seed: u64,
    /// Paths.
    pub paths: u64,
    /// `[model] id`.
    pub model_id: String,
    /// The objective maximised.
    pub objective: String,
    /// The lifetime shortfall target.
    pub max_shortfall_probability: f64,
    /// The budget, if any.
    pub budget: Option<Money>,
    /// The varied keys.
    pub keys: Vec<String>,
    /// The best feasible point (none when no point is feasible).
    pub optimum: Option<OptimisePoint>,
    /// How the optimum was refined between grid values.
    pub refinement: Option<Refinement>,
    /// Points within budget that no other beats on objective and shortfall, by objective.
    pub frontier: Vec<OptimisePoint>,
    /// Every grid point evaluated, in grid order (first key slowest).
    pub points: Vec<OptimisePoint>,
    /// Draws of default events (each the sampler work of one simulation).
    pub simulations: u32,
    /// Ledger passes.
    pub ledger_passes: u32,
    /// The full result at the optimum.
    pub result: Option<FundResult>,
}

struct Space<'a> {
    text: &'a str,
    files: &'a dyn Resolver,
    objective: &'a Objective,
    settings: &'a OptimiseSettings,
}

impl Space<'_> {
    fn scenario(&self, point: &BTreeMap<String, f64>) -> Result<(Scenario, f64), SweepError> {
        let mut set = Vec::new();
        let mut multiple = 1.0;
        for (k, &v) in point {
            if k == BOOK_MULTIPLE {
                multiple = v;
            } else {
                let value = if v.fract() == 0.0 && v.abs() < 9e15 {
                    toml::Value::Integer(v as i64)
                } else {
                    toml::Value::Float(v)
                };
                set.push((k.clone(), value));
            }
        }
        Ok((
            sweep::scenario_at(self.text, &Point(set), self.files)?,
            multiple,
        ))
    }

    fn evaluate(
        &self,
        evaluator: &mut Evaluator,
        point: &BTreeMap<String, f64>,
    ) -> Result<(OptimisePoint, FundResult), SweepError> {
        let (scenario, multiple) = self.scenario(point)?;
        let name = || {
            point
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let r = evaluator
            .evaluate(&scenario, multiple)
            .map_err(|e| SweepError::Simulation {
                point: name(),
                message: e.to_string(),
            })?;
        let (objective, objective_stderr) = match self.objective {
            Objective::CreditEnabled => (
                r.horizon.credit_enabled.mean,
                Some(r.horizon.credit_enabled.stderr),
            ),
            Objective::BookMultiple => (multiple, Some(0.0)),
            Objective::Key(k) => (point.get(k).copied().unwrap_or(f64::NAN), Some(0.0)),
            Objective::LeastPublicCostPerCredit => (-r.lifetime.public_cost_per_credit, None),
        };
        let subsidies = match scenario.subsidies.paid_from {
            PaidFrom::Budget => r.lifetime.subsidies.mean,
            PaidFrom::Fund => 0.0,
        };
        let appropriations: f64 = scenario
            .fund
            .appropriations
            .iter()
            .map(|m| m.to_f64())
            .sum();
        let budget_used = scenario.fund.initial_capital.to_f64() + appropriations + subsidies;
        let within_budget = self
            .settings
            .budget
            .is_none_or(|b| budget_used <= b.to_f64() + 1e-6);
        let shortfall = r.lifetime.shortfall_probability;
        let p = OptimisePoint {
            point: point.clone(),
            objective,
            objective_stderr,
            shortfall_probability: shortfall,
            shortfall_probability_stderr: r.lifetime.shortfall_probability_stderr,
            horizon_shortfall_probability: r.horizon.shortfall_probability,
            credit_enabled: r.horizon.credit_enabled.mean,
            public_cost: r.lifetime.public_cost.mean,
            budget_used,
            within_budget,
            feasible: within_budget && shortfall <= self.settings.target && objective.is_finite(),
        };
        Ok((p, r))
    }
}

/// Whether `a` is a better optimum than `b` (both feasible).
fn better(a: &OptimisePoint, b: &OptimisePoint) -> bool {
    a.objective > b.objective
        || (a.objective == b.objective && a.shortfall_probability < b.shortfall_probability)
}

/// The points within budget not beaten on both objective and shortfall, by objective.
fn frontier(points: &[OptimisePoint]) -> Vec<OptimisePoint> {
    let mut candidates: Vec<&OptimisePoint> = points
        .iter()
        .filter(|p| p.within_budget && p.objective.is_finite())
        .collect();
    candidates.sort_by(|a, b| {
        b.objective
            .total_cmp(&a.objective)
            .then(a.shortfall_probability.total_cmp(&b.shortfall_probability))
    });
    let mut out: Vec<OptimisePoint> = Vec::new();
    let mut lowest = f64::INFINITY;
    for p in candidates {
        if p.shortfall_probability < lowest {
            lowest = p.shortfall_probability;
            out.push(p.clone());
        }
    }
    out.reverse();
    out
}

/// Every combination of the varied values, first key slowest.
fn grid(vary: &[Vary]) -> Vec<BTreeMap<String, f64>> {
    let mut points = vec![BTreeMap::new()];
    for v in vary {
        points = points
            .into_iter()
            .flat_map(|p| {
                v.values.iter().map(move |&x| {
                    let mut next = p.clone();
                    next.insert(v.key.clone(), x);
                    next
                })
            })
            .collect();
    }
    points
}

/// Checks the varied keys against the objective and each other; the number of points.
fn check(vary: &[Vary], objective: &Objective, target: f64) -> Result<usize, OptimiseError> {
    let bad = |what, arg: &str, reason: String| OptimiseError::Bad {
        what,
        arg: arg.to_string(),
        reason,
    };
    if vary.is_empty() {
        return Err(bad(
            "--vary",
            "",
            "give at least one key to vary".to_string(),
        ));
    }
    if !(target.is_finite() && (0.0..=1.0).contains(&target)) {
        return Err(bad(
            "--max-shortfall-prob",
            &target.to_string(),
            "must be between 0 and 1".to_string(),
        ));
    }
    for (i, v) in vary.iter().enumerate() {
        if vary[..i].iter().any(|w| w.key == v.key) {
            return Err(bad("--vary", &v.key, "the key is varied twice".to_string()));
        }
        if matches!(v.key.as_str(), "scenario.seed" | "scenario.paths") {
            return Err(bad(
                "--vary",
                &v.key,
                "every point runs on the same seed and paths (common random numbers); use \
                 --seed and --paths"
                    .to_string(),
            ));
        }
    }
    if let Objective::Key(k) = objective {
        if !vary.iter().any(|v| &v.key == k) {
            return Err(bad(
                "--objective",
                k,
                "a key to maximise must be one of the varied keys".to_string(),
            ));
        }
    }
    let points = vary
        .iter()
        .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| {
            bad(
                "--vary",
                "",
                format!("the grid has more than {MAX_POINTS} points; use fewer steps"),
            )
        })?;
    Ok(points)
}

/// Checks a search without running it, as [`optimise`] does before its first simulation: the
/// varied keys against the objective, the target and each other, then every grid point's
/// scenario built from `text` and validated. Returns the number of grid points (the refinement
/// adds at most `refine` more).
pub fn validate(
    text: &str,
    files: &dyn Resolver,
    vary: &[Vary],
    objective: &Objective,
    target: f64,
) -> Result<usize, OptimiseError> {
    let points = check(vary, objective, target)?;
    let settings = OptimiseSettings {
        target,
        budget: None,
        refine: 0,
    };
    let space = Space {
        text,
        files,
        objective,
        settings: &settings,
    };
    for p in &grid(vary) {
        space.scenario(p)?;
    }
    Ok(points)
}

/// The largest book multiple a search can ask for.
pub fn max_multiple(vary: &[Vary]) -> f64 {
    vary.iter()
        .filter(|v| v.key == BOOK_MULTIPLE)
        .flat_map(|v| v.values.iter().copied())
        .fold(1.0, f64::max)
}

/// Runs the search on the scenario `text` (files through `files`) with `evaluator`, whose
/// draws must hold at least [`max_multiple`] copies. Every grid point is built and validated
/// before any simulation.
pub fn optimise(
    text: &str,
    files: &dyn Resolver,
    vary: &[Vary],
    objective: &Objective,
    settings: &OptimiseSettings,
    evaluator: &mut Evaluator,
) -> Result<OptimiseResult, OptimiseError> {
    check(vary, objective, settings.target)?;
    let space = Space {
        text,
        files,
        objective,
        settings,
    };
    let grid = grid(vary);
    for p in &grid {
        space.scenario(p)?;
    }
    let mut points = Vec::with_capacity(grid.len());
    let mut best: Option<(usize, FundResult)> = None;
    for p in &grid {
        let (point, result) = space.evaluate(evaluator, p)?;
        let replace = point.feasible
            && best
                .as_ref()
                .is_none_or(|(i, _)| better(&point, &points[*i]));
        points.push(point);
        if replace {
            best = Some((points.len() - 1, result));
        }
    }
    let mut refinement = None;
    let mut optimum = best.as_ref().map(|(i, _)| points[*i].clone());
    let mut result = best.map(|(_, r)| r);
    if let (Some(axis), Some(opt)) = (objective.axis(), optimum.clone()) {
        let values = &vary
            .iter()
            .find(|v| v.key == axis)
            .map(|v| v.values.clone())
            .unwrap_or_default();
        let here = opt.point.get(axis).copied().unwrap_or(f64::NAN);
        let next = values.iter().copied().find(|&v| v > here);
        let mut neighbour = opt.point.clone();
        if let Some(next) = next {
            neighbour.insert(axis.to_string(), next);
        }
        let infeasible = next.and_then(|next| {
            points
                .iter()
                .find(|p| p.point == neighbour && !p.feasible)
                .map(|_| next)
        });
        if let Some(mut hi) = infeasible {
            let mut lo = here;
            let mut evaluated = 0;
            for _ in 0..settings.refine {
                let mid = tidy(lo + (hi - lo) / 2.0);
                if mid <= lo || mid >= hi {
                    break;
                }
                let mut p = opt.point.clone();
                p.insert(axis.to_string(), mid);
                let (point, r) = space.evaluate(evaluator, &p)?;
                evaluated += 1;
                if point.feasible {
                    lo = mid;
                    optimum = Some(point);
                    result = Some(r);
                } else {
                    hi = mid;
                }
            }
            refinement = Some(Refinement {
                key: axis.to_string(),
                feasible: lo,
                infeasible: hi,
                points: evaluated,
            });
        }
    }
    let base = sweep::scenario_at(text, &Point(Vec::new()), files)?;
    let run = evaluator.settings();
    Ok(OptimiseResult {
        scenario: base.name.clone(),
        seed: run.seed,
        paths: run.paths,
        model_id: run.model.id.clone(),
        objective: objective.name(),
        max_shortfall_probability: settings.target,
        budget: settings.budget,
        keys: vary.iter().map(|v| v.key.clone()).collect(),
        frontier: frontier(&points),
        optimum,
        refinement,
        points,
        simulations: evaluator.draws,
        ledger_passes: evaluator.ledger_passes,
        result,
    })
}
