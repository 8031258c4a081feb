//! Run settings of a fund simulation and the `[fund]` section of the model file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::input::{FieldPath, InputErrors, Problems};
use crate::model::Model;
use crate::money::Money;
use crate::rng::Shard;
use crate::scenario::Scenario;

/// The `[fund]` section of the model file, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFundParams {
    lpr_1y: f64,
    grade_pd_1y: BTreeMap<String, f64>,
    collateral: RawCollateral,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollateral {
    industry_factor_volatility: f64,
}

/// Parameters of the recovery model of fund loans (`loss::recovery`): the distressed sale of
/// the valuation's `[valuation.liquidation]` (Beta realisation fraction, its floor, disposal
/// cost) applied to the loan's collateral value at default (appraised = amount / pledge rate,
/// moved by its industry factor with `[fund.collateral] industry_factor_volatility`), the
/// proceeds discounted over the scheme's disposal delay at the valuation's discount rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CollateralParams {
    /// Beta shape α of the realisation fraction.
    pub realisation_alpha: f64,
    /// Beta shape β of the realisation fraction.
    pub realisation_beta: f64,
    /// Mean realisation fraction of the value at default.
    pub realisation_mean: f64,
    /// Volatility of the lognormal industry-factor shock on the collateral value.
    pub industry_factor_volatility: f64,
    /// Realisation floor and disposal cost of the sale.
    pub sale_terms: crate::loss::SaleTerms,
    /// Annual rate discounting the sale proceeds over the disposal delay.
    pub discount_rate: f64,
}

/// The model's fund parameters with the model's identity.
#[derive(Clone, Debug, PartialEq)]
pub struct FundModel {
    /// `[model] id`.
    pub id: String,
    /// SHA-256 of the model file.
    pub sha256: String,
    /// Default one-year LPR.
    pub lpr_1y: f64,
    /// One-year PD per master-scale grade.
    pub grade_pd_1y: BTreeMap<String, f64>,
    /// Collateral liquidation parameters.
    pub collateral: CollateralParams,
}

impl FundModel {
    /// Reads and validates the `[fund]` section of `model`.
    pub fn from_model(model: &Model) -> Result<FundModel, InputErrors> {
        let raw: RawFundParams = model.section("fund")?;
        let at = FieldPath::new("fund");
        let mut p = Problems::new();
        p.check(
            raw.lpr_1y.is_finite() && (0.0..1.0).contains(&raw.lpr_1y),
            &at.field("lpr_1y"),
            "must be in [0, 1)",
        );
        for (grade, pd) in &raw.grade_pd_1y {
            p.check(
                pd.is_finite() && *pd > 0.0 && *pd < 1.0,
                &at.field("grade_pd_1y").field(grade),
                format!("must be a probability in (0, 1) (got {pd})"),
            );
        }
        let c = &raw.collateral;
        p.check(
            c.industry_factor_volatility >= 0.0 && c.industry_factor_volatility <= 2.0,
            &at.field("collateral").field("industry_factor_volatility"),
            "must be between 0 and 2",
        );
        // The liquidation model is the valuation's: one set of numbers for both.
        let liquidation = p.take(
            crate::valuation::params::ValuationParams::from_model(model)
                .map(|v| (*v.liquidation(), v.discount_rate().get())),
        );
        let (l, discount_rate) = p.finish(|| liquidation)?.ok_or_else(|| {
            InputErrors::one(
                &FieldPath::new("valuation.liquidation"),
                "missing (the fund's collateral model is the valuation's liquidation model)",
            )
        })?;
        Ok(FundModel {
            id: model.id().to_string(),
            sha256: model.sha256().to_string(),
            lpr_1y: raw.lpr_1y,
            grade_pd_1y: raw.grade_pd_1y.clone(),
            collateral: CollateralParams {
                realisation_alpha: l.realisation_alpha,
                realisation_beta: l.realisation_beta,
                realisation_mean: l.realisation_mean,
                industry_factor_volatility: c.industry_factor_volatility,
                sale_terms: l.sale_terms(),
                discount_rate,
            },
        })
    }

    /// The embedded default model's fund parameters.
    pub fn embedded_default() -> FundModel {
        FundModel::from_model(&Model::embedded_default())
            .expect("the embedded default model has a valid [fund] section (checked by tests)")
    }
}

/// Progress callback: `(batches done, batches in this run)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// How to run one simulation. The draws depend only on `seed`, `paths` and the scenario,
/// never on `initial_capital` or the thread count, so runs that differ only in capital share
/// common random numbers (what `fund size` relies on).
#[derive(Clone)]
pub struct Settings<'a> {
    /// Number of paths.
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Which part of the run to compute ([`Shard::WHOLE`] for all of it).
    pub shard: Shard,
    /// Overrides the scenario's initial capital.
    pub initial_capital: Option<Money>,
    /// Model parameters and identity.
    pub model: FundModel,
    /// Called after each batch, from worker threads.
    pub progress: Option<Progress<'a>>,
    /// Draw the paths under a tilted measure and weight them (`None`: plain sampling, the
    /// default; every draw and number is then the plain one).
    pub importance_sampling: Option<super::ImportanceSampling>,
}

impl std::fmt::Debug for Settings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("paths", &self.paths)
            .field("seed", &self.seed)
            .field("shard", &self.shard)
            .field("initial_capital", &self.initial_capital)
            .field("model", &self.model.id)
            .field("importance_sampling", &self.importance_sampling)
            .finish_non_exhaustive()
    }
}

impl<'a> Settings<'a> {
    /// The scenario's own paths and seed, the whole run, no override, no progress.
    pub fn for_scenario(scenario: &Scenario, model: FundModel) -> Settings<'a> {
        Settings {
            paths: scenario.paths,
            seed: scenario.seed,
            shard: Shard::WHOLE,
            initial_capital: None,
            model,
            progress: None,
            importance_sampling: None,
        }
    }
}
