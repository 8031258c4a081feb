//! The CNIPA definition of a high-value invention patent (高价值发明专利, as the Daye and
//! Yichang plans quote it; docs/schemes.md, "Policy documents"):
//! a valid invention patent meeting any of five criteria.

use serde::{Deserialize, Serialize};

use super::ValuationParams;
use crate::asset::{Asset, AssetKind, AssetStatus, Date, Industry};

/// One of the five CNIPA criteria.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// (1) In a strategic emerging industry.
    StrategicEmergingIndustry,
    /// (2) Has an overseas patent family member.
    OverseasFamily,
    /// (3) Maintained more than 10 years from the filing date.
    #[serde(rename = "maintained_over_10_years")]
    MaintainedOver10Years,
    /// (4) Achieved a relatively high pledge-financing amount (threshold in the model).
    HighPledgeAmount,
    /// (5) Won a National Science and Technology Award or the China Patent Award.
    MajorAward,
}

/// The high-value verdict of one asset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HighValue {
    /// True for a valid invention patent meeting at least one criterion.
    pub is_high_value: bool,
    /// The criteria the asset meets (listed for every asset; only valid inventions qualify).
    pub criteria: Vec<Criterion>,
}

/// Evaluates the rule for `asset` in `industry` (already resolved) at `as_of`.
///
/// "Valid" means status `valid`: a patent under invalidation does not qualify until the
/// request is decided.
pub fn high_value(
    asset: &Asset,
    industry: Industry,
    params: &ValuationParams,
    as_of: Date,
) -> HighValue {
    let mut criteria = Vec::new();
    if industry.is_strategic() {
        criteria.push(Criterion::StrategicEmergingIndustry);
    }
    if asset.overseas_family() > 0 {
        criteria.push(Criterion::OverseasFamily);
    }
    if asset.status().is_in_force() && as_of > asset.filing_date().add_years(10) {
        criteria.push(Criterion::MaintainedOver10Years);
    }
    let threshold = params.high_pledge_threshold();
    if asset.pledge_history().iter().any(|a| *a >= threshold) {
        criteria.push(Criterion::HighPledgeAmount);
    }
    if asset
        .awards()
        .iter()
        .any(|a| params.major_awards().iter().any(|m| m == a))
    {
        criteria.push(Criterion::MajorAward);
    }
    HighValue {
        is_high_value: asset.kind() == AssetKind::Invention
            && asset.status() == AssetStatus::Valid
            && !criteria.is_empty(),
        criteria,
    }
}
