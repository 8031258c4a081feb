//! The `[eligibility]` table of a scheme: which loans may enrol. Parsed and validated here;
//! evaluated by loan scoring (`credit`), which owns the application data.

use serde::{Deserialize, Serialize};

use super::{check_money, check_share};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::{Money, Rate};

/// Borrower size class.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FirmSize {
    /// Micro enterprise.
    Micro,
    /// Small enterprise.
    Small,
    /// Medium enterprise.
    Medium,
    /// Large enterprise.
    Large,
}

/// A ceiling on the loan's annual rate relative to the loan prime rate (LPR).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateCap {
    /// Rate ≤ LPR + this many basis points (Sichuan Tianfu: 150).
    LprPlusBp(f64),
    /// Rate ≤ LPR × this factor (Zhongguancun: 1.4).
    LprTimes(f64),
}

impl RateCap {
    /// The highest allowed annual rate given the loan prime rate.
    pub fn max_rate(&self, lpr: Rate) -> f64 {
        match *self {
            RateCap::LprPlusBp(bp) => lpr.get() + bp / 10_000.0,
            RateCap::LprTimes(f) => lpr.get() * f,
        }
    }

    /// True when `rate` is within the ceiling.
    pub fn allows(&self, rate: Rate, lpr: Rate) -> bool {
        rate.get() <= self.max_rate(lpr) + 1e-12
    }
}

/// `rate_cap = { lpr_plus_bp = 150 }` or `{ lpr_times = 1.4 }` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateCap {
    /// Spread over LPR in basis points.
    pub lpr_plus_bp: Option<f64>,
    /// Multiple of LPR.
    pub lpr_times: Option<f64>,
}

impl RawRateCap {
    /// Builds the cap (exactly one of the two keys).
    pub fn validate(&self, at: &FieldPath) -> Result<RateCap, InputErrors> {
        match (self.lpr_plus_bp, self.lpr_times) {
            (Some(bp), None) if bp.is_finite() && bp >= 0.0 => Ok(RateCap::LprPlusBp(bp)),
            (Some(bp), None) => Err(InputErrors::one(
                &at.field("lpr_plus_bp"),
                format!("must be >= 0 (got {bp})"),
            )),
            (None, Some(f)) if f.is_finite() && f > 0.0 => Ok(RateCap::LprTimes(f)),
            (None, Some(f)) => Err(InputErrors::one(
                &at.field("lpr_times"),
                format!("must be > 0 (got {f})"),
            )),
            _ => Err(InputErrors::one(
                at,
                "give exactly one of lpr_plus_bp or lpr_times",
            )),
        }
    }
}

/// Validated eligibility rules; `None`/`false` means the rule is not imposed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EligibilityRules {
    /// Allowed borrower size classes.
    pub firm_sizes: Option<Vec<FirmSize>>,
    /// Allowed regions (administrative names or codes as the scheme writes them).
    pub regions: Option<Vec<String>>,
    /// Years without substandard/doubtful/loss classification or overdue events.
    pub clean_credit_years: Option<u32>,
    /// Minimum share of IP in the collateral (Wuhan: 50 %).
    pub min_ip_share: Option<f64>,
    /// Largest eligible loan.
    pub max_loan: Option<Money>,
    /// Longest eligible tenor.
    pub max_tenor_months: Option<u32>,
    /// Ceiling on the loan's annual rate.
    pub rate_cap: Option<RateCap>,
    /// Highest guarantee fee (annual share of the loan).
    pub max_guarantee_fee: Option<f64>,
    /// Pledged assets must be valid (in force).
    pub require_valid_assets: bool,
    /// Pledged assets must not be already pledged.
    pub require_not_pledged: bool,
    /// Title must be clear (no litigation, sole ownership or consent).
    pub require_clear_title: bool,
}

/// `[eligibility]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEligibility {
    /// Allowed size classes.
    pub firm_sizes: Option<Vec<FirmSize>>,
    /// Allowed regions.
    pub regions: Option<Vec<String>>,
    /// Clean credit years.
    pub clean_credit_years: Option<i64>,
    /// Minimum IP share of collateral.
    pub min_ip_share: Option<f64>,
    /// Largest loan.
    pub max_loan: Option<Money>,
    /// Longest tenor in months.
    pub max_tenor_months: Option<i64>,
    /// Rate ceiling.
    pub rate_cap: Option<RawRateCap>,
    /// Highest guarantee fee.
    pub max_guarantee_fee: Option<f64>,
    /// Require valid assets.
    pub require_valid_assets: Option<bool>,
    /// Require assets not already pledged.
    pub require_not_pledged: Option<bool>,
    /// Require clear title.
    pub require_clear_title: Option<bool>,
}

impl RawEligibility {
    /// Builds the rules, reporting every bad field under `at`.
    pub fn validate(&self, at: &FieldPath) -> Result<EligibilityRules, InputErrors> {
        let mut p = Problems::new();
        let count = |p: &mut Problems, v: Option<i64>, name: &str, max: i64| {
            v.and_then(|v| {
                if (0..=max).contains(&v) {
                    Some(v as u32)
                } else {
                    p.push(
                        &at.field(name),
                        format!("must be between 0 and {max} (got {v})"),
                    );
                    None
                }
            })
        };
        let clean_credit_years = count(&mut p, self.clean_credit_years, "clean_credit_years", 50);
        let max_tenor_months = count(&mut p, self.max_tenor_months, "max_tenor_months", 600);
        if let Some(v) = self.min_ip_share {
            check_share(&mut p, v, &at.field("min_ip_share"));
        }
        if let Some(v) = self.max_guarantee_fee {
            check_share(&mut p, v, &at.field("max_guarantee_fee"));
        }
        check_money(&mut p, self.max_loan, &at.field("max_loan"));
        if let Some(sizes) = &self.firm_sizes {
            p.check(
                !sizes.is_empty(),
                &at.field("firm_sizes"),
                "must name at least one size",
            );
        }
        if let Some(regions) = &self.regions {
            p.check(
                !regions.is_empty(),
                &at.field("regions"),
                "must name at least one region",
            );
        }
        let rate_cap = match &self.rate_cap {
            Some(r) => p.take(r.validate(&at.field("rate_cap"))).map(Some),
            None => Some(None),
        };
        p.finish(|| EligibilityRules {
            firm_sizes: self.firm_sizes.clone(),
            regions: self.regions.clone(),
            clean_credit_years,
            min_ip_share: self.min_ip_share,
            max_loan: self.max_loan,
            max_tenor_months,
            rate_cap: rate_cap.flatten(),
            max_guarantee_fee: self.max_guarantee_fee,
            require_valid_assets: self.require_valid_assets.unwrap_or(false),
            require_not_pledged: self.require_not_pledged.unwrap_or(false),
            require_clear_title: self.require_clear_title.unwrap_or(false),
        })
    }
}
