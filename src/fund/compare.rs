//! `fund compare`: one book, one seed, several schemes side by side. The scenario's own scheme
//! comes first, then each scheme named (a preset name, or a scheme file next to the scenario),
//! set in the scenario exactly as `fund sweep --set scheme=NAME` would; every scheme is
//! evaluated on the same default events ([`super::Evaluator`]: common random numbers).

use serde::{Deserialize, Serialize};

use super::FundResult;
use super::evaluator::Evaluator;
use super::sweep::{self, Point, SweepError};
use crate::scenario::{Resolver, Scenario};
use crate::stats::Stats;

/// A mean with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Mean {
    /// Mean over paths.
    pub mean: f64,
    /// Its standard error.
    pub stderr: f64,
}

impl From<Stats> for Mean {
    fn from(s: Stats) -> Self {
        Mean {
            mean: s.mean,
            stderr: s.stderr,
        }
    }
}

/// A probability with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Probability {
    /// The estimate.
    pub p: f64,
    /// Its standard error.
    pub stderr: f64,
}

/// The figures compared, one column per scheme (CNY unless said otherwise; "lifetime" is the
/// horizon plus the run-off, refusals are over the horizon).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompareFigures {
    /// Compensation owed under the rules, lifetime.
    pub fund_claims: Mean,
    /// Compensation paid, lifetime.
    pub fund_paid: Mean,
    /// Loss left with the banks, lifetime.
    pub bank_loss: Mean,
    /// Loss borne by insurers, guarantors and valuation firms, lifetime.
    pub other_parties_loss: Mean,
    /// Public money spent (paid claims, subsidies, buyer outlays net of recoveries), lifetime.
    pub public_cost: Mean,
    /// Principal enrolled over the horizon.
    pub credit_enabled: Mean,
    /// Principal refused as ineligible.
    pub ineligible_principal: Mean,
    /// Principal refused because its bank was paused.
    pub refused_paused_principal: Mean,
    /// Principal refused by the leverage limit.
    pub refused_leverage_principal: Mean,
    /// Highest ratio of enrolled exposure to balance.
    pub peak_leverage: Mean,
    /// Principal enrolled per yuan of public money put in.
    pub credit_per_public_yuan: f64,
    /// P(some claim in the horizon years is not paid in full).
    pub horizon_shortfall: Probability,
    /// P(some claim over the lifetime is not paid in full).
    pub lifetime_shortfall: Probability,
}

/// One compared figure, as it reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    /// An amount (CNY) with its standard error.
    Money(Mean),
    /// A multiple (leverage) with its standard error.
    Times(Mean),
    /// A ratio of means.
    Ratio(f64),
    /// A probability with its standard error.
    Probability(Probability),
}

impl Figure {
    /// The value and, where it has one, its standard error.
    pub fn value(self) -> (f64, Option<f64>) {
        match self {
            Figure::Money(m) | Figure::Times(m) => (m.mean, Some(m.stderr)),
            Figure::Ratio(x) => (x, None),
            Figure::Probability(p) => (p.p, Some(p.stderr)),
        }
    }
}

impl CompareFigures {
    /// Every figure compared, in the order the tables show them, each by its name (the name
    /// of the CSV and the key the table and the report label).
    pub fn rows(&self) -> [(&'static str, Figure); 13] {
        [
            ("lifetime_fund_claims", Figure::Money(self.fund_claims)),
            ("lifetime_fund_paid", Figure::Money(self.fund_paid)),
            ("lifetime_bank_loss", Figure::Money(self.bank_loss)),
            (
                "lifetime_other_parties_loss",
                Figure::Money(self.other_parties_loss),
            ),
            ("lifetime_public_cost", Figure::Money(self.public_cost)),
            ("credit_enabled", Figure::Money(self.credit_enabled)),
            (
                "ineligible_principal",
                Figure::Money(self.ineligible_principal),
            ),
            (
                "refused_paused_principal",
                Figure::Money(self.refused_paused_principal),
            ),
            (
                "refused_leverage_principal",
                Figure::Money(self.refused_leverage_principal),
            ),
            ("peak_leverage", Figure::Times(self.peak_leverage)),
            (
                "credit_per_public_yuan",
                Figure::Ratio(self.credit_per_public_yuan),
            ),
            (
                "horizon_shortfall_probability",
                Figure::Probability(self.horizon_shortfall),
            ),
            (
                "lifetime_shortfall_probability",
                Figure::Probability(self.lifetime_shortfall),
            ),
        ]
    }

    /// The figures of one result.
    pub fn of(r: &FundResult) -> Self {
        CompareFigures {
            fund_claims: r.lifetime.fund_claims.into(),
            fund_paid: r.lifetime.fund_paid.into(),
            bank_loss: r.lifetime.bank_loss.into(),
            other_parties_loss: r.lifetime.other_parties_loss.into(),
            public_cost: r.lifetime.public_cost.into(),
            credit_enabled: r.horizon.credit_enabled.into(),
            ineligible_principal: r.horizon.ineligible_principal.into(),
            refused_paused_principal: r.horizon.refused_paused_principal.into(),
            refused_leverage_principal: r.horizon.refused_leverage_principal.into(),
            peak_leverage: r.horizon.peak_leverage.into(),
            credit_per_public_yuan: r.horizon.credit_per_public_yuan,
            horizon_shortfall: Probability {
                p: r.horizon.shortfall_probability,
                stderr: r.horizon.shortfall_probability_stderr,
            },
            lifetime_shortfall: Probability {
                p: r.lifetime.shortfall_probability,
                stderr: r.lifetime.shortfall_probability_stderr,
            },
        }
    }
}

/// One scheme's column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompareColumn {
    /// The scheme as asked for (`(scenario)` for the scenario's own).
    pub label: String,
    /// The scheme's name.
    pub scheme: String,
    /// The figures compared.
    pub figures: CompareFigures,
    /// The full result.
    pub result: FundResult,
}

/// The comparison (the JSON of `fund compare --format json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompareResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed shared by every scheme.
    pub seed: u64,
    /// Paths.
    pub paths: u64,
    /// `[model] id`.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// One column per scheme, the scenario's own first.
    pub schemes: Vec<CompareColumn>,
    /// Draws of default events (each the sampler work of one simulation).
    pub simulations: u32,
    /// Ledger passes.
    pub ledger_passes: u32,
}

/// Label of the scenario's own scheme.
pub const OWN: &str = "(scenario)";

/// Compares the scenario `text` (whose files resolve through `files`) under its own scheme
/// and each of `schemes`, on `evaluator`'s shared draws. Every scheme's scenario is built and
/// validated before any simulation.
pub fn compare(
    text: &str,
    files: &dyn Resolver,
    schemes: &[String],
    evaluator: &mut Evaluator,
) -> Result<CompareResult, SweepError> {
    let mut labelled: Vec<(String, Scenario)> = vec![(
        OWN.to_string(),
        sweep::scenario_at(text, &Point(Vec::new()), files)?,
    )];
    for name in schemes {
        let point = Point(vec![(
            "scheme".to_string(),
            toml::Value::String(name.clone()),
        )]);
        labelled.push((name.clone(), sweep::scenario_at(text, &point, files)?));
    }
    let mut columns = Vec::with_capacity(labelled.len());
    for (label, scenario) in &labelled {
        let result = evaluator
            .evaluate(scenario, 1.0)
            .map_err(|e| SweepError::Simulation {
                point: format!("scheme={label}"),
                message: e.to_string(),
            })?;
        columns.push(CompareColumn {
            label: label.clone(),
            scheme: scenario.scheme.name.clone(),
            figures: CompareFigures::of(&result),
            result,
        });
    }
    let first = &columns[0].result;
    Ok(CompareResult {
        scenario: first.scenario.clone(),
        seed: first.seed,
        paths: first.paths,
        model_id: first.model_id.clone(),
        model_sha256: first.model_sha256.clone(),
        simulations: evaluator.draws,
        ledger_passes: evaluator.ledger_passes,
        schemes: columns,
    })
}
