//! Subsidy rules (`[subsidies]`): interest, valuation-fee and insurance-premium subsidies,
//! each a share of the cost with a cap per firm-year (Zhongguancun, Xuchang, Sichuan).

use serde::{Deserialize, Serialize};

use super::{RateCap, RawRateCap, check_money, check_share};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::Money;

/// Interest subsidy: `share` of the interest paid and/or `rate_points` of the principal per
/// year, capped per firm-year, only for loans whose rate is within `rate_ceiling`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InterestSubsidy {
    /// Share of the interest paid (Zhongguancun: 40 %).
    pub share: f64,
    /// Annual subsidy in rate points of the outstanding principal (Sichuan: 1.5 %/yr).
    pub rate_points: f64,
    /// Cap per firm and year (Zhongguancun: CNY 0.5 m).
    pub cap_per_firm_year: Option<Money>,
    /// Only loans with a rate within this ceiling qualify (Zhongguancun: LPR × 1.4).
    pub rate_ceiling: Option<RateCap>,
}

/// A fee subsidy: `share` of the fee, capped per firm-year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeeSubsidy {
    /// Share of the fee refunded (Xuchang: 50 %).
    pub share: f64,
    /// Cap per firm and year (Xuchang: valuation 0.1 m, insurance 20 k).
    pub cap: Option<Money>,
}

/// Where subsidies are paid from.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PaidFrom {
    /// A separate budget line: subsidies are a public cost but do not touch the fund.
    #[default]
    Budget,
    /// The fund's balance: subsidies drain it and can cause a shortfall.
    Fund,
}

/// All subsidies of a scheme or scenario; `None` = not offered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubsidyRules {
    /// Where they are paid from.
    #[serde(default)]
    pub paid_from: PaidFrom,
    /// Interest subsidy.
    pub interest: Option<InterestSubsidy>,
    /// Valuation-fee subsidy.
    pub valuation_fee: Option<FeeSubsidy>,
    /// Insurance-premium subsidy.
    pub insurance_premium: Option<FeeSubsidy>,
}

impl SubsidyRules {
    /// True when no subsidy is offered.
    pub fn is_empty(&self) -> bool {
        self.interest.is_none() && self.valuation_fee.is_none() && self.insurance_premium.is_none()
    }
}

/// `[subsidies]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubsidies {
    /// `budget` (default) or `fund`.
    pub paid_from: Option<PaidFrom>,
    /// Interest subsidy.
    pub interest: Option<RawInterestSubsidy>,
    /// Valuation-fee subsidy.
    pub valuation_fee: Option<RawFeeSubsidy>,
    /// Insurance-premium subsidy.
    pub insurance_premium: Option<RawFeeSubsidy>,
}

/// `interest = { share, rate_points, cap_per_firm_year, rate_ceiling }` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInterestSubsidy {
    /// Share of interest.
    pub share: Option<f64>,
    /// Rate points per year.
    pub rate_points: Option<f64>,
    /// Cap per firm-year.
    pub cap_per_firm_year: Option<Money>,
    /// Rate ceiling.
    pub rate_ceiling: Option<RawRateCap>,
}

/// `{ share, cap }` as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeeSubsidy {
    /// Share of the fee.
    pub share: f64,
    /// Cap per firm-year.
    pub cap: Option<Money>,
}

impl RawFeeSubsidy {
    fn validate(&self, p: &mut Problems, at: &FieldPath) -> FeeSubsidy {
        check_share(p, self.share, &at.field("share"));
        check_money(p, self.cap, &at.field("cap"));
        FeeSubsidy {
            share: self.share,
            cap: self.cap,
        }
    }
}

impl RawSubsidies {
    /// Builds the rules, reporting every bad field under `at`.
    pub fn validate(&self, at: &FieldPath) -> Result<SubsidyRules, InputErrors> {
        let mut p = Problems::new();
        let interest = match &self.interest {
            None => Some(None),
            Some(i) => {
                let ip = at.field("interest");
                let share = i.share.unwrap_or(0.0);
                let points = i.rate_points.unwrap_or(0.0);
                check_share(&mut p, share, &ip.field("share"));
                check_share(&mut p, points, &ip.field("rate_points"));
                p.check(
                    i.share.is_some() || i.rate_points.is_some(),
                    &ip,
                    "needs share or rate_points",
                );
                check_money(&mut p, i.cap_per_firm_year, &ip.field("cap_per_firm_year"));
                let ceiling = match &i.rate_ceiling {
                    Some(r) => p.take(r.validate(&ip.field("rate_ceiling"))).map(Some),
                    None => Some(None),
                };
                ceiling.map(|rate_ceiling| {
                    Some(InterestSubsidy {
                        share,
                        rate_points: points,
                        cap_per_firm_year: i.cap_per_firm_year,
                        rate_ceiling,
                    })
                })
            }
        };
        let valuation_fee = self
            .valuation_fee
            .as_ref()
            .map(|f| f.validate(&mut p, &at.field("valuation_fee")));
        let insurance_premium = self
            .insurance_premium
            .as_ref()
            .map(|f| f.validate(&mut p, &at.field("insurance_premium")));
        p.finish(|| SubsidyRules {
            paid_from: self.paid_from.unwrap_or_default(),
            interest: interest.flatten(),
            valuation_fee,
            insurance_premium,
        })
    }
}
