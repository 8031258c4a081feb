//! Pledge rates (质押率) and the pledge limit (docs/models.md): each asset's rate is the highest rate
//! of its kind times the factor of its value grade (`[credit.pledge_rate]`), and
//! `max_loan = Σ pledge_rate × appraised value`.
//!
//! Only an asset that is `valid` and not already pledged elsewhere counts toward the limit: a
//! lapsed, invalidated, expired or contested right (`under_invalidation`) and an asset pledged
//! to another creditor cannot secure a new loan, so its rate is 0 and the reason is given.
//! Owns the rate table lookups; must not value assets.

use serde::Serialize;

use super::params::PledgeRateParams;
use crate::asset::{Asset, AssetKind, AssetStatus};
use crate::money::Money;

/// The value grades A–E of the indicator score.
pub const VALUE_GRADES: [&str; 5] = ["A", "B", "C", "D", "E"];

/// One asset's pledge rate and loan limit.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AssetPledge {
    /// Asset id.
    pub id: String,
    /// Asset kind.
    pub kind: AssetKind,
    /// Value grade A–E used.
    pub grade: String,
    /// Pledge rate applied (0 when the asset cannot secure the loan).
    pub pledge_rate: f64,
    /// Appraised value, CNY.
    pub appraised_value: Money,
    /// `pledge_rate × appraised value`, CNY.
    pub loan_limit: Money,
    /// Why the rate is 0, when it is (`not_valid`, `already_pledged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

/// The highest pledge rate of `kind` times the factor of value grade `grade` (`A`–`E`; an
/// unknown grade gets the factor of `E`).
pub fn rate(params: &PledgeRateParams, kind: AssetKind, grade: &str) -> f64 {
    let k = &params.max_by_kind;
    let max = match kind {
        AssetKind::Invention => k.invention,
        AssetKind::UtilityModel => k.utility_model,
        AssetKind::Design => k.design,
        AssetKind::Trademark => k.trademark,
        AssetKind::SoftwareCopyright => k.software_copyright,
    };
    let g = &params.grade_factor;
    let factor = match grade {
        "A" => g.A,
        "B" => g.B,
        "C" => g.C,
        "D" => g.D,
        _ => g.E,
    };
    max * factor
}

/// The pledge of one asset with its appraised value and value grade.
pub fn asset_pledge(
    params: &PledgeRateParams,
    asset: &Asset,
    grade: &str,
    appraised_value: Money,
) -> AssetPledge {
    let excluded = if asset.status() != AssetStatus::Valid {
        Some("not_valid")
    } else if asset.encumbrances().already_pledged {
        Some("already_pledged")
    } else {
        None
    };
    let pledge_rate = if excluded.is_some() {
        0.0
    } else {
        rate(params, asset.kind(), grade)
    };
    let factor = rust_decimal::Decimal::try_from(pledge_rate).unwrap_or_default();
    AssetPledge {
        id: asset.id().to_string(),
        kind: asset.kind(),
        grade: grade.to_string(),
        pledge_rate,
        appraised_value,
        loan_limit: appraised_value.scale(factor).round_fen(),
        excluded: excluded.map(str::to_string),
    }
}

/// `max_loan = Σ loan limits` and the portfolio pledge rate `max_loan / Σ appraised` (0 for
/// a portfolio appraised at 0).
pub fn limit(pledges: &[AssetPledge]) -> (Money, f64) {
    let max_loan: Money = pledges.iter().map(|p| p.loan_limit).sum();
    let appraised: Money = pledges.iter().map(|p| p.appraised_value).sum();
    let rate = if appraised > Money::ZERO {
        max_loan.to_f64() / appraised.to_f64()
    } else {
        0.0
    };
    (max_loan, rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::application::tests::patent_json;
    use crate::credit::params::CreditParams;
    use crate::input::FieldPath;
    use crate::model::Model;

    fn params() -> PledgeRateParams {
        CreditParams::from_model(&Model::embedded_default())
            .unwrap()
            .pledge_rate
    }

    fn asset(v: serde_json::Value) -> Asset {
        let raw: crate::asset::RawAsset = serde_json::from_value(v).unwrap();
        raw.validate(&FieldPath::root()).unwrap()
    }

    #[test]
    fn rates_follow_kind_and_grade() {
        let p = params();
        assert_eq!(rate(&p, AssetKind::Invention, "A"), 0.5);
        assert!((rate(&p, AssetKind::Invention, "C") - 0.3).abs() < 1e-15);
        assert_eq!(rate(&p, AssetKind::Trademark, "A"), 0.5);
        assert_eq!(rate(&p, AssetKind::UtilityModel, "A"), 0.3);
        assert_eq!(rate(&p, AssetKind::Invention, "E"), 0.0);
        for kind in [AssetKind::Invention, AssetKind::Trademark] {
            let rates: Vec<f64> = VALUE_GRADES.iter().map(|g| rate(&p, kind, g)).collect();
            assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
        }
    }

    #[test]
    fn invalid_or_already_pledged_assets_do_not_count() {
        let p = params();
        let good = asset(patent_json("CN201710601862.3"));
        let m = Money::from_yuan(1_000_000);
        let a = asset_pledge(&p, &good, "A", m);
        assert_eq!(a.loan_limit, Money::from_yuan(500_000));
        let mut v = patent_json("CN201710601862.3");
        v["status"] = "lapsed".into();
        let lapsed = asset_pledge(&p, &asset(v), "A", m);
        assert_eq!(lapsed.loan_limit, Money::ZERO);
        assert_eq!(lapsed.excluded.as_deref(), Some("not_valid"));
        let mut v = patent_json("CN201710601862.3");
        v["encumbrances"] = serde_json::json!({ "already_pledged": true });
        let pledged = asset_pledge(&p, &asset(v), "A", m);
        assert_eq!(pledged.excluded.as_deref(), Some("already_pledged"));
        let (max_loan, r) = limit(&[a, lapsed, pledged]);
        assert_eq!(max_loan, Money::from_yuan(500_000));
        assert!((r - 0.5 / 3.0).abs() < 1e-12);
    }
}
