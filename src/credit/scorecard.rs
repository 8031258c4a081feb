//! The transparent logistic scorecard: one-year PD from borrower features and the pledged
//! portfolio's IP value score, with each feature's contribution in logit and in points.
//!
//! Owns the feature transformations (ratios, caps, logs) and the logistic link. Must not know
//! about collateral simulation or decisions.

use serde::{Deserialize, Serialize};

use super::params::{CreditParams, ScorecardParams};

/// Tax credit rating (纳税信用等级).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TaxRating {
    /// A: best.
    A,
    /// B.
    B,
    /// M: new or small firms without history.
    M,
    /// C.
    C,
    /// D: worst.
    D,
}

/// The borrower facts the scorecard reads, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    /// Revenue, CNY.
    pub revenue: f64,
    /// Net profit, CNY (may be negative).
    pub net_profit: f64,
    /// Total assets, CNY (> 0).
    pub total_assets: f64,
    /// Total liabilities, CNY.
    pub total_liabilities: f64,
    /// R&D spend, CNY.
    pub rd_spend: f64,
    /// Years in business.
    pub years_in_business: f64,
    /// Overdue events in the last 24 months.
    pub overdue_events_24m: u32,
    /// NPL classifications in the last 36 months.
    pub npl_classifications_36m: u32,
    /// Tax credit rating.
    pub tax_rating: TaxRating,
    /// 高新技术企业.
    pub high_tech_enterprise: bool,
    /// 专精特新.
    pub specialised_new: bool,
    /// 知识产权优势/示范企业.
    pub ip_demonstration_firm: bool,
    /// GB/T 29490 certified.
    pub ip_management_certified: bool,
    /// Composite IP value score of the pledged portfolio, 0–100.
    pub value_score: f64,
}

/// One feature's share of the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contribution {
    /// Feature name (`leverage`, `tax_rating`, …).
    pub feature: String,
    /// The feature's value after transformation (ratio, capped count, 0/1 flag, …).
    pub value: f64,
    /// Change of logit(PD) against the reference firm: positive raises PD.
    pub logit: f64,
    /// Scorecard points: positive is good (lowers PD); `points_to_double_odds` points halve
    /// the odds of default.
    pub points: f64,
}

/// The scorecard's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScorecardResult {
    /// One-year PD after floor and cap.
    pub pd_1y: f64,
    /// logit of the raw (unfloored) PD.
    pub logit: f64,
    /// Total points (reference points + Σ contribution points).
    pub points: f64,
    /// Contributions, largest adverse (most PD-raising) first.
    pub contributions: Vec<Contribution>,
}

const LEVERAGE_CAP: f64 = 2.0;
const MARGIN_RANGE: (f64, f64) = (-1.0, 0.5);
const REVENUE_FLOOR_CNY_M: f64 = 0.1;
const OVERDUE_CAP: u32 = 6;
const NPL_CAP: u32 = 3;
const RD_CAP: f64 = 0.3;

impl Features {
    /// Liabilities over assets, capped (monotone in liabilities).
    pub fn leverage(&self) -> f64 {
        if self.total_assets <= 0.0 {
            return LEVERAGE_CAP;
        }
        (self.total_liabilities / self.total_assets).clamp(0.0, LEVERAGE_CAP)
    }

    fn net_margin(&self) -> f64 {
        if self.revenue <= 0.0 {
            return if self.net_profit < 0.0 {
                MARGIN_RANGE.0
            } else {
                0.0
            };
        }
        (self.net_profit / self.revenue).clamp(MARGIN_RANGE.0, MARGIN_RANGE.1)
    }

    fn rd_intensity(&self) -> f64 {
        if self.revenue <= 0.0 {
            return if self.rd_spend > 0.0 { RD_CAP } else { 0.0 };
        }
        (self.rd_spend / self.revenue).clamp(0.0, RD_CAP)
    }
}

/// Scores a borrower.
pub fn score(features: &Features, params: &CreditParams) -> ScorecardResult {
    let sc: &ScorecardParams = &params.scorecard;
    let r = &sc.reference;
    let c = &sc.coefficients;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let revenue_m = (features.revenue / 1e6).max(REVENUE_FLOOR_CNY_M);
    let tax = |t: TaxRating| match t {
        TaxRating::A => sc.tax_rating.A,
        TaxRating::B => sc.tax_rating.B,
        TaxRating::M => sc.tax_rating.M,
        TaxRating::C => sc.tax_rating.C,
        TaxRating::D => sc.tax_rating.D,
    };
    let tax_value = match features.tax_rating {
        TaxRating::A => 1.0,
        TaxRating::B => 2.0,
        TaxRating::M => 3.0,
        TaxRating::C => 4.0,
        TaxRating::D => 5.0,
    };
    // (name, transformed value, logit contribution)
    let rows: [(&str, f64, f64); 13] = [
        (
            "leverage",
            features.leverage(),
            c.leverage * (features.leverage() - r.leverage),
        ),
        (
            "net_margin",
            features.net_margin(),
            c.net_margin * (features.net_margin() - r.net_margin),
        ),
        (
            "revenue",
            revenue_m,
            c.log_revenue * (revenue_m.ln() - r.revenue_cny_m.ln()),
        ),
        (
            "years_in_business",
            features.years_in_business,
            c.log_age
                * ((1.0 + features.years_in_business).ln() - (1.0 + r.years_in_business).ln()),
        ),
        (
            "overdue_events_24m",
            f64::from(features.overdue_events_24m.min(OVERDUE_CAP)),
            c.overdue_events * f64::from(features.overdue_events_24m.min(OVERDUE_CAP)),
        ),
        (
            "npl_classifications_36m",
            f64::from(features.npl_classifications_36m.min(NPL_CAP)),
            c.npl_classifications * f64::from(features.npl_classifications_36m.min(NPL_CAP)),
        ),
        (
            "rd_intensity",
            features.rd_intensity(),
            c.rd_intensity * (features.rd_intensity() - r.rd_intensity),
        ),
        (
            "tax_rating",
            tax_value,
            tax(features.tax_rating) - tax(TaxRating::B),
        ),
        (
            "high_tech_enterprise",
            flag(features.high_tech_enterprise),
            c.high_tech_enterprise * flag(features.high_tech_enterprise),
        ),
        (
            "specialised_new",
            flag(features.specialised_new),
            c.specialised_new * flag(features.specialised_new),
        ),
        (
            "ip_demonstration_firm",
            flag(features.ip_demonstration_firm),
            c.ip_demonstration_firm * flag(features.ip_demonstration_firm),
        ),
        (
            "ip_management_certified",
            flag(features.ip_management_certified),
            c.ip_management_certified * flag(features.ip_management_certified),
        ),
        (
            "ip_value_score",
            features.value_score,
            c.value_score * (features.value_score.clamp(0.0, 100.0) - r.value_score),
        ),
    ];
    let factor = sc.points_to_double_odds / std::f64::consts::LN_2;
    let mut logit = sc.intercept;
    let mut contributions = Vec::with_capacity(rows.len());
    for (name, value, l) in rows {
        // A flag at 0 times a negative coefficient is −0.0; + 0.0 makes it 0 in the output.
        let l = l + 0.0;
        logit += l;
        contributions.push(Contribution {
            feature: name.to_string(),
            value,
            logit: l,
            points: (0.0 - l) * factor, // 0 − l, not −l: no −0.0 in the output
        });
    }
    // Largest adverse first; ties keep the fixed feature order (stable sort).
    contributions.sort_by(|a, b| b.logit.total_cmp(&a.logit));
    let raw = logistic(logit);
    ScorecardResult {
        pd_1y: raw.clamp(params.pd_floor, params.pd_cap),
        logit,
        points: sc.reference_points - (logit - sc.intercept) * factor,
        contributions,
    }
}

/// The logistic function `1 / (1 + e^(−x))`, stable for large |x|.
pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Model;
    use proptest::prelude::*;

    pub(crate) fn reference_features() -> Features {
        Features {
            revenue: 30e6,
            net_profit: 1.5e6,
            total_assets: 20e6,
            total_liabilities: 11e6,
            rd_spend: 1.2e6,
            years_in_business: 6.0,
            overdue_events_24m: 0,
            npl_classifications_36m: 0,
            tax_rating: TaxRating::B,
            high_tech_enterprise: false,
            specialised_new: false,
            ip_demonstration_firm: false,
            ip_management_certified: false,
            value_score: 50.0,
        }
    }

    fn params() -> CreditParams {
        CreditParams::from_model(&Model::embedded_default()).unwrap()
    }

    #[test]
    fn the_reference_firm_sits_in_the_published_small_micro_npl_range() {
        let s = score(&reference_features(), &params());
        assert!((0.022..=0.036).contains(&s.pd_1y), "pd {}", s.pd_1y);
        assert!(s.contributions.iter().all(|c| c.logit.abs() < 1e-12));
        assert!((s.points - 600.0).abs() < 1e-9);
    }

    #[test]
    fn contributions_add_up_to_the_logit_and_points() {
        let mut f = reference_features();
        f.overdue_events_24m = 2;
        f.tax_rating = TaxRating::A;
        f.high_tech_enterprise = true;
        let p = params();
        let s = score(&f, &p);
        let sum: f64 = s.contributions.iter().map(|c| c.logit).sum();
        assert!((p.scorecard.intercept + sum - s.logit).abs() < 1e-12);
        let pts: f64 = s.contributions.iter().map(|c| c.points).sum();
        assert!((600.0 + pts - s.points).abs() < 1e-9);
        assert_eq!(s.contributions[0].feature, "overdue_events_24m");
        assert!((s.pd_1y - logistic(s.logit)).abs() < 1e-15);
    }

    proptest! {
        #[test]
        fn higher_leverage_never_lowers_pd(
            liabilities in 0.0f64..1e8,
            extra in 0.0f64..1e8,
            assets in 1e5f64..1e8,
            revenue in 0.0f64..1e8,
            profit in -1e7f64..1e7,
            overdue in 0u32..10,
            score_v in 0.0f64..100.0,
        ) {
            let p = params();
            let mut f = reference_features();
            f.total_assets = assets;
            f.total_liabilities = liabilities;
            f.revenue = revenue;
            f.net_profit = profit;
            f.overdue_events_24m = overdue;
            f.value_score = score_v;
            let low = score(&f, &p).pd_1y;
            f.total_liabilities = liabilities + extra;
            let high = score(&f, &p).pd_1y;
            prop_assert!(high >= low, "{high} < {low}");
        }
    }
}
