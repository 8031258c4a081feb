//! The `[credit]` section of the model file, read and validated into [`CreditParams`].
//!
//! Owns the credit layer's parameters and their constraints (coefficient signs that make the
//! scorecard monotone, an increasing master scale, rates in range). Must not read files: the
//! caller hands over a loaded [`Model`].

use serde::Deserialize;

use crate::input::{FieldPath, InputErrors, Problems};
use crate::model::Model;

/// Every parameter of the credit layer, validated.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditParams {
    /// Lowest one-year PD any borrower gets (Basel corporate floor).
    pub pd_floor: f64,
    /// Highest one-year PD the scorecard returns.
    pub pd_cap: f64,
    /// The logistic scorecard.
    pub scorecard: ScorecardParams,
    /// Grades by one-year PD, best first.
    pub master_scale: Vec<GradeBand>,
    /// Default timing and wrong-way risk in the LGD simulation.
    pub default_model: DefaultModelParams,
    /// Pledge rates by asset kind and value grade.
    pub pledge_rate: PledgeRateParams,
    /// Basel IRB capital settings.
    pub capital: CapitalParams,
    /// Pricing floor and loan prime rate.
    pub pricing: PricingParams,
    /// Decision thresholds.
    pub decision: DecisionParams,
}

/// Scorecard: `logit(pd) = intercept + Σ coefficient × (feature − reference)`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardParams {
    /// Logit of the reference firm's one-year PD.
    pub intercept: f64,
    /// Points that double the odds of default (presentation of contributions).
    pub points_to_double_odds: f64,
    /// Points of the reference firm.
    pub reference_points: f64,
    /// The reference firm's features.
    pub reference: ScorecardReference,
    /// Logit change per unit of each feature.
    pub coefficients: ScorecardCoefficients,
    /// Logit shift by tax credit rating.
    pub tax_rating: TaxRatingShifts,
}

/// Feature values of the reference firm (all contributions zero).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardReference {
    /// Liabilities / assets.
    pub leverage: f64,
    /// Net profit / revenue.
    pub net_margin: f64,
    /// Revenue in CNY millions.
    pub revenue_cny_m: f64,
    /// Years in business.
    pub years_in_business: f64,
    /// R&D spend / revenue.
    pub rd_intensity: f64,
    /// Composite IP value score 0–100.
    pub value_score: f64,
}

/// Logit per unit of each feature.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardCoefficients {
    /// Per unit of leverage (≥ 0).
    pub leverage: f64,
    /// Per unit of net margin (≤ 0).
    pub net_margin: f64,
    /// Per ln(revenue CNY m) (≤ 0).
    pub log_revenue: f64,
    /// Per ln(1 + years) (≤ 0).
    pub log_age: f64,
    /// Per overdue event in 24 months (≥ 0).
    pub overdue_events: f64,
    /// Per NPL classification in 36 months (≥ 0).
    pub npl_classifications: f64,
    /// Per unit of R&D intensity (≤ 0).
    pub rd_intensity: f64,
    /// Per point of IP value score (≤ 0).
    pub value_score: f64,
    /// High-tech enterprise flag (≤ 0).
    pub high_tech_enterprise: f64,
    /// 专精特新 flag (≤ 0).
    pub specialised_new: f64,
    /// IP demonstration / advantage firm flag (≤ 0).
    pub ip_demonstration_firm: f64,
    /// GB/T 29490 certification flag (≤ 0).
    pub ip_management_certified: f64,
}

/// Logit shift per tax credit rating.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(non_snake_case, reason = "the keys are the official rating letters")]
pub struct TaxRatingShifts {
    /// Rating A.
    pub A: f64,
    /// Rating B.
    pub B: f64,
    /// Rating M (new firms).
    pub M: f64,
    /// Rating C.
    pub C: f64,
    /// Rating D.
    pub D: f64,
}

/// One band of the master scale.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBand {
    /// Grade label (`AAA` … `C`).
    pub grade: String,
    /// Highest one-year PD in this grade.
    pub max_pd_1y: f64,
}

/// Default timing and collateral settings of the LGD simulation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultModelParams {
    /// Asset correlation ρ of the borrower's latent variable with the systematic factors.
    pub asset_correlation: f64,
    /// Share of systematic variance carried by the borrower's industry factor.
    pub sector_share: f64,
    /// Haircut on other (non-IP) collateral.
    pub other_collateral_haircut: f64,
}

/// Pledge rates.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PledgeRateParams {
    /// Highest pledge rate per asset kind.
    pub max_by_kind: KindRates,
    /// Multiplier of the kind's rate per value grade.
    pub grade_factor: GradeFactors,
}

/// A rate per asset kind.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRates {
    /// Invention patents.
    pub invention: f64,
    /// Utility models.
    pub utility_model: f64,
    /// Designs.
    pub design: f64,
    /// Trademarks.
    pub trademark: f64,
    /// Software copyrights.
    pub software_copyright: f64,
}

/// A factor per value grade A–E.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(non_snake_case, reason = "the keys are the grade letters")]
pub struct GradeFactors {
    /// Grade A.
    pub A: f64,
    /// Grade B.
    pub B: f64,
    /// Grade C.
    pub C: f64,
    /// Grade D.
    pub D: f64,
    /// Grade E.
    pub E: f64,
}

/// Basel IRB settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalParams {
    /// CNY per EUR for the SME size adjustment.
    pub cny_per_eur: f64,
    /// Confidence level (0.999).
    pub confidence: f64,
}

/// Pricing floor settings (annual rates).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingParams {
    /// Funding cost.
    pub funding_rate: f64,
    /// Return required on capital.
    pub hurdle_rate: f64,
    /// Operating cost rate.
    pub opex_rate: f64,
    /// One-year loan prime rate.
    pub lpr_1y: f64,
    /// Five-year loan prime rate.
    pub lpr_5y: f64,
    /// Date the LPR quotes took effect.
    pub lpr_date: String,
}

/// Decision thresholds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionParams {
    /// Above this one-year PD: refer.
    pub approve_max_pd_1y: f64,
    /// At or above this one-year PD: decline.
    pub decline_min_pd_1y: f64,
    /// Above this net LGD: refer.
    pub approve_max_lgd_net: f64,
    /// Loan above this multiple of `max_loan`: decline.
    pub decline_loan_to_limit: f64,
    /// Clean-credit years required for the green channel without a scheme.
    pub green_channel_clean_years: u32,
}

impl CreditParams {
    /// Reads and validates the `[credit]` section, reporting every bad field with its path.
    pub fn from_model(model: &Model) -> Result<CreditParams, InputErrors> {
        let params: CreditParams = model.section("credit")?;
        params.validate()?;
        Ok(params)
    }

    /// Checks ranges, signs and orderings.
    pub fn validate(&self) -> Result<(), InputErrors> {
        let root = FieldPath::new("credit");
        let mut p = Problems::new();
        let unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        p.check(
            unit(self.pd_floor) && self.pd_floor > 0.0,
            &root.field("pd_floor"),
            "must be in (0, 1]",
        );
        p.check(
            unit(self.pd_cap) && self.pd_cap > self.pd_floor && self.pd_cap < 1.0,
            &root.field("pd_cap"),
            "must be in (pd_floor, 1)",
        );

        let sc = root.field("scorecard");
        p.check(
            self.scorecard.intercept.is_finite(),
            &sc.field("intercept"),
            "must be finite",
        );
        p.check(
            self.scorecard.points_to_double_odds > 0.0,
            &sc.field("points_to_double_odds"),
            "must be > 0",
        );
        let r = &self.scorecard.reference;
        let rp = sc.field("reference");
        p.check(r.leverage >= 0.0, &rp.field("leverage"), "must be >= 0");
        p.check(
            r.revenue_cny_m > 0.0,
            &rp.field("revenue_cny_m"),
            "must be > 0",
        );
        p.check(
            r.years_in_business >= 0.0,
            &rp.field("years_in_business"),
            "must be >= 0",
        );
        p.check(
            (0.0..=100.0).contains(&r.value_score),
            &rp.field("value_score"),
            "must be in [0, 100]",
        );
        let c = &self.scorecard.coefficients;
        let cp = sc.field("coefficients");
        let non_negative = [
            ("leverage", c.leverage),
            ("overdue_events", c.overdue_events),
            ("npl_classifications", c.npl_classifications),
        ];
        for (name, v) in non_negative {
            p.check(
                v.is_finite() && v >= 0.0,
                &cp.field(name),
                "must be >= 0 (more of this never lowers PD)",
            );
        }
        let non_positive = [
            ("net_margin", c.net_margin),
            ("log_revenue", c.log_revenue),
            ("log_age", c.log_age),
            ("rd_intensity", c.rd_intensity),
            ("value_score", c.value_score),
            ("high_tech_enterprise", c.high_tech_enterprise),
            ("specialised_new", c.specialised_new),
            ("ip_demonstration_firm", c.ip_demonstration_firm),
            ("ip_management_certified", c.ip_management_certified),
        ];
        for (name, v) in non_positive {
            p.check(
                v.is_finite() && v <= 0.0,
                &cp.field(name),
                "must be <= 0 (more of this never raises PD)",
            );
        }
        let t = &self.scorecard.tax_rating;
        let tp = sc.field("tax_rating");
        p.check(
            t.A <= t.B && t.B <= t.M && t.M <= t.C && t.C <= t.D,
            &tp,
            "shifts must not decrease from A to B, M, C, D",
        );

        let ms = root.field("master_scale");
        p.check(self.master_scale.len() >= 8, &ms, "needs at least 8 grades");
        let mut previous = 0.0;
        for (i, band) in self.master_scale.iter().enumerate() {
            p.check(
                band.max_pd_1y > previous && band.max_pd_1y <= 1.0,
                &ms.index(i).field("max_pd_1y"),
                "must increase down the scale and be <= 1",
            );
            p.check(
                !band.grade.trim().is_empty() && band.grade != "D",
                &ms.index(i).field("grade"),
                "must be a non-empty label other than D (reserved for default)",
            );
            previous = band.max_pd_1y;
        }
        if let Some(last) = self.master_scale.last() {
            p.check(
                last.max_pd_1y >= 1.0,
                &ms.index(self.master_scale.len() - 1).field("max_pd_1y"),
                "the last grade must reach 1",
            );
        }

        let dm = root.field("default_model");
        let d = &self.default_model;
        p.check(
            unit(d.asset_correlation) && d.asset_correlation < 1.0,
            &dm.field("asset_correlation"),
            "must be in [0, 1)",
        );
        p.check(
            unit(d.sector_share),
            &dm.field("sector_share"),
            "must be in [0, 1]",
        );
        p.check(
            unit(d.other_collateral_haircut),
            &dm.field("other_collateral_haircut"),
            "must be in [0, 1]",
        );

        let pr = root.field("pledge_rate");
        let k = &self.pledge_rate.max_by_kind;
        for (name, v) in [
            ("invention", k.invention),
            ("utility_model", k.utility_model),
            ("design", k.design),
            ("trademark", k.trademark),
            ("software_copyright", k.software_copyright),
        ] {
            p.check(
                unit(v),
                &pr.field("max_by_kind").field(name),
                "must be in [0, 1]",
            );
        }
        let g = &self.pledge_rate.grade_factor;
        for (name, v) in [("A", g.A), ("B", g.B), ("C", g.C), ("D", g.D), ("E", g.E)] {
            p.check(
                unit(v),
                &pr.field("grade_factor").field(name),
                "must be in [0, 1]",
            );
        }

        let cap = root.field("capital");
        p.check(
            self.capital.cny_per_eur > 0.0 && self.capital.cny_per_eur.is_finite(),
            &cap.field("cny_per_eur"),
            "must be > 0",
        );
        p.check(
            self.capital.confidence > 0.5 && self.capital.confidence < 1.0,
            &cap.field("confidence"),
            "must be in (0.5, 1)",
        );

        let pp = root.field("pricing");
        let pr = &self.pricing;
        for (name, v) in [
            ("funding_rate", pr.funding_rate),
            ("hurdle_rate", pr.hurdle_rate),
            ("opex_rate", pr.opex_rate),
            ("lpr_1y", pr.lpr_1y),
            ("lpr_5y", pr.lpr_5y),
        ] {
            p.check(
                v.is_finite() && (0.0..1.0).contains(&v),
                &pp.field(name),
                "must be in [0, 1)",
            );
        }

        let dp = root.field("decision");
        let dc = &self.decision;
        p.check(
            dc.approve_max_pd_1y > 0.0 && dc.approve_max_pd_1y < dc.decline_min_pd_1y,
            &dp.field("approve_max_pd_1y"),
            "must be > 0 and below decline_min_pd_1y",
        );
        p.check(
            dc.decline_min_pd_1y <= 1.0,
            &dp.field("decline_min_pd_1y"),
            "must be <= 1",
        );
        p.check(
            unit(dc.approve_max_lgd_net),
            &dp.field("approve_max_lgd_net"),
            "must be in [0, 1]",
        );
        p.check(
            dc.decline_loan_to_limit >= 1.0,
            &dp.field("decline_loan_to_limit"),
            "must be >= 1",
        );
        p.finish(|| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelOrigin;

    #[test]
    fn the_default_model_has_valid_credit_params() {
        let params = CreditParams::from_model(&Model::embedded_default()).unwrap();
        assert!(params.master_scale.len() >= 8);
    }

    #[test]
    fn wrong_signs_and_orderings_are_reported_with_paths() {
        let text = crate::model::DEFAULT_MODEL_TOML
            .replace("leverage = 2.2 ", "leverage = -2.2 ")
            .replace("max_pd_1y = 0.0045", "max_pd_1y = 0.0001");
        let model = Model::from_toml_str(&text, ModelOrigin::Inline).unwrap();
        let err = CreditParams::from_model(&model).unwrap_err();
        assert!(
            err.has_path("credit.scorecard.coefficients.leverage"),
            "{err}"
        );
        assert!(err.has_path("credit.master_scale[3].max_pd_1y"), "{err}");
    }
}
