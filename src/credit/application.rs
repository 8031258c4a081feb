//! The loan application (docs/cli.md, `ipledge score`): the JSON document a bank submits, as written
//! ([`RawApplication`], serde, `deny_unknown_fields`), and its validation into an
//! [`Application`] that reports every bad field with its path
//! (`borrower.credit_code: check character (GB 32100-2015) is `4`, expected `3``).
//!
//! Owns the application schema and its checks only: scoring lives in [`super::score`]. The
//! compensation scheme may be named (a preset of `scenarios/schemes/`), written inline (the
//! same keys as a preset file) or supplied by the caller (`--scheme FILE`), which overrides it.
//! Must not read files.

use serde::{Deserialize, Serialize};

use super::code::CreditCode;
use super::scorecard::{Features, TaxRating};
use crate::asset::{Asset, Date, Industry, RawAsset, validate_assets};
use crate::input::{FieldPath, InputErrors, Problems, from_json, from_json_value};
use crate::loss::schedule::Repayment;
use crate::money::{Money, Rate};
use crate::scheme::{FirmSize, RawScheme, Scheme, presets};

/// Longest tenor accepted, in months (30 years).
pub const MAX_TENOR_MONTHS: i64 = 360;
/// Name given to a scheme written inline without a `name`.
pub const INLINE_SCHEME_NAME: &str = "inline";

/// The application as written.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApplication {
    /// The lending bank.
    pub bank_id: String,
    /// Date of the application: the valuation date of the pledged assets (default: the
    /// valuation's fixed default date, so that scorings are reproducible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// The borrower.
    pub borrower: RawBorrower,
    /// The loan applied for.
    pub loan: RawLoan,
    /// Pledged IP (asset records).
    pub pledged_assets: Vec<RawAsset>,
    /// Value of other (non-IP) collateral, CNY.
    pub other_collateral: Option<Money>,
    /// Third-party guarantee.
    pub guarantee: Option<RawGuarantee>,
    /// Credit insurance.
    pub insurance: Option<RawInsurance>,
    /// Compensation scheme: a preset name (`"sichuan-tianfu"`) or an inline scheme table.
    pub scheme: Option<serde_json::Value>,
}

/// `borrower` as written.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBorrower {
    /// Unified social credit code (统一社会信用代码), 18 characters, GB 32100-2015.
    pub credit_code: String,
    /// Registered name.
    pub name: String,
    /// Industry (the 7 strategic emerging industries or `other`).
    pub industry: Industry,
    /// Size class `micro|small|medium|large`.
    pub size: FirmSize,
    /// Years in business.
    pub years_in_business: f64,
    /// Annual revenue (sales), CNY.
    pub revenue: Money,
    /// Annual net profit, CNY (may be negative).
    pub net_profit: Money,
    /// Total assets, CNY.
    pub total_assets: Money,
    /// Total liabilities, CNY.
    pub total_liabilities: Money,
    /// Annual R&D spend, CNY.
    pub rd_spend: Money,
    /// Overdue events in the last 24 months.
    pub overdue_events_24m: i64,
    /// NPL classifications in the last 36 months (default 0).
    pub npl_classifications_36m: Option<i64>,
    /// Tax credit rating `A|B|M|C|D`.
    pub tax_rating: TaxRating,
    /// Qualification flags (absent = false).
    #[serde(default)]
    pub flags: RawFlags,
    /// Registration region as the schemes write it (name or administrative division code).
    pub region: String,
    /// Years of clean credit history (no overdue, no NPL classification).
    pub clean_credit_years: i64,
}

/// `borrower.flags` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFlags {
    /// 高新技术企业.
    #[serde(default)]
    pub high_tech_enterprise: bool,
    /// 专精特新.
    #[serde(default)]
    pub specialised_new: bool,
    /// 知识产权优势/示范企业.
    #[serde(default)]
    pub ip_demonstration_firm: bool,
    /// GB/T 29490 IP management certification.
    #[serde(default)]
    pub ip_management_certified: bool,
}

/// `loan` as written.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLoan {
    /// Principal, CNY.
    pub amount: Money,
    /// Tenor in months.
    pub tenor_months: i64,
    /// Annual interest rate (0.045 = 4.5 %).
    pub annual_rate: f64,
    /// `bullet` or `amortising`.
    pub repayment: Repayment,
}

/// `guarantee` as written.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGuarantee {
    /// Share of the loss after collateral the guarantor pays.
    pub share: f64,
    /// Probability the guarantor cannot pay.
    pub guarantor_pd: f64,
    /// Annual guarantee fee as a share of the loan (checked against a scheme's ceiling).
    pub fee_rate: Option<f64>,
}

/// `insurance` as written.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInsurance {
    /// Share of the loss left after the guarantee that the insurer pays.
    pub cover_share: f64,
    /// Most the insurer pays, CNY.
    pub limit: Money,
    /// Annual premium as a share of the loan.
    pub premium_rate: f64,
}

/// Qualification flags of the borrower.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    /// 高新技术企业.
    pub high_tech_enterprise: bool,
    /// 专精特新.
    pub specialised_new: bool,
    /// 知识产权优势/示范企业.
    pub ip_demonstration_firm: bool,
    /// GB/T 29490 certified.
    pub ip_management_certified: bool,
}

/// A validated borrower.
#[derive(Clone, Debug, PartialEq)]
pub struct Borrower {
    /// Unified social credit code, both check characters right.
    pub credit_code: CreditCode,
    /// Name.
    pub name: String,
    /// Industry: the borrower's default loads on this industry's factor.
    pub industry: Industry,
    /// Size class.
    pub size: FirmSize,
    /// Years in business (≥ 0).
    pub years_in_business: f64,
    /// Revenue (≥ 0).
    pub revenue: Money,
    /// Net profit.
    pub net_profit: Money,
    /// Total assets (> 0).
    pub total_assets: Money,
    /// Total liabilities (≥ 0).
    pub total_liabilities: Money,
    /// R&D spend (≥ 0).
    pub rd_spend: Money,
    /// Overdue events in 24 months.
    pub overdue_events_24m: u32,
    /// NPL classifications in 36 months.
    pub npl_classifications_36m: u32,
    /// Tax credit rating.
    pub tax_rating: TaxRating,
    /// Qualification flags.
    pub flags: Flags,
    /// Registration region as written.
    pub region: String,
    /// Years of clean credit.
    pub clean_credit_years: u32,
}

impl Borrower {
    /// The scorecard's view of the borrower, with the pledged portfolio's value score.
    pub fn features(&self, value_score: f64) -> Features {
        Features {
            revenue: self.revenue.to_f64(),
            net_profit: self.net_profit.to_f64(),
            total_assets: self.total_assets.to_f64(),
            total_liabilities: self.total_liabilities.to_f64(),
            rd_spend: self.rd_spend.to_f64(),
            years_in_business: self.years_in_business,
            overdue_events_24m: self.overdue_events_24m,
            npl_classifications_36m: self.npl_classifications_36m,
            tax_rating: self.tax_rating,
            high_tech_enterprise: self.flags.high_tech_enterprise,
            specialised_new: self.flags.specialised_new,
            ip_demonstration_firm: self.flags.ip_demonstration_firm,
            ip_management_certified: self.flags.ip_management_certified,
            value_score,
        }
    }

    /// Clean credit for at least `years`: that many clean years and no overdue event or NPL
    /// classification on record.
    pub fn has_clean_credit(&self, years: u32) -> bool {
        self.clean_credit_years >= years
            && self.overdue_events_24m == 0
            && self.npl_classifications_36m == 0
    }
}

/// A validated loan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loan {
    /// Principal (> 0).
    pub amount: Money,
    /// Tenor in months (1..=360).
    pub tenor_months: u32,
    /// Annual rate in [0, 1).
    pub annual_rate: Rate,
    /// Repayment profile.
    pub repayment: Repayment,
}

impl Loan {
    /// Tenor in years.
    pub fn tenor_years(&self) -> f64 {
        f64::from(self.tenor_months) / 12.0
    }
}

/// A validated guarantee.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Guarantee {
    /// Share of the loss after collateral the guarantor pays, in [0, 1].
    pub share: f64,
    /// Guarantor PD in [0, 1].
    pub guarantor_pd: f64,
    /// Annual fee as a share of the loan, if given.
    pub fee_rate: Option<f64>,
}

/// Validated credit insurance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Insurance {
    /// Cover share in [0, 1].
    pub cover_share: f64,
    /// Limit (≥ 0).
    pub limit: Money,
    /// Annual premium rate in [0, 1).
    pub premium_rate: f64,
}

/// A validated loan application. A value that exists is valid.
#[derive(Clone, Debug)]
pub struct Application {
    /// The lending bank.
    pub bank_id: String,
    /// Application (valuation) date, when given.
    pub as_of: Option<Date>,
    /// The borrower.
    pub borrower: Borrower,
    /// The loan.
    pub loan: Loan,
    /// Pledged assets (at least one, unique ids).
    pub pledged_assets: Vec<Asset>,
    /// Other collateral (0 when absent).
    pub other_collateral: Money,
    /// Guarantee.
    pub guarantee: Option<Guarantee>,
    /// Insurance.
    pub insurance: Option<Insurance>,
    /// The scheme named or written in the application.
    pub scheme: Option<Scheme>,
}

impl Application {
    /// Parses and validates an application document (JSON).
    pub fn from_json(text: &str) -> Result<Application, InputErrors> {
        let raw: RawApplication = from_json(text)?;
        raw.validate()
    }
}

fn share(p: &mut Problems, value: f64, path: &FieldPath) {
    p.check(
        value.is_finite() && (0.0..=1.0).contains(&value),
        path,
        format!("must be between 0 and 1 (got {value})"),
    );
}

fn annual_rate(p: &mut Problems, value: f64, path: &FieldPath) {
    p.check(
        value.is_finite() && (0.0..1.0).contains(&value),
        path,
        format!("must be an annual rate in [0, 1) (got {value})"),
    );
}

fn count(p: &mut Problems, value: i64, max: i64, path: &FieldPath) -> u32 {
    if (0..=max).contains(&value) {
        value as u32
    } else {
        p.push(path, format!("must be between 0 and {max} (got {value})"));
        0
    }
}

fn non_negative(p: &mut Problems, value: Money, path: &FieldPath) {
    p.check(
        !value.is_negative(),
        path,
        format!("must be >= 0 (got {value})"),
    );
}

/// Resolves the `scheme` field: a preset name or an inline table.
fn scheme_from_value(value: &serde_json::Value, at: &FieldPath) -> Result<Scheme, InputErrors> {
    match value {
        serde_json::Value::String(name) => match presets::get(name) {
            Some(result) => result.map_err(|e| e.within(at)),
            None => Err(InputErrors::one(
                at,
                format!(
                    "unknown scheme preset `{name}` (known: {})",
                    presets::names().collect::<Vec<_>>().join(", ")
                ),
            )),
        },
        serde_json::Value::Object(_) => {
            let raw: RawScheme = from_json_value(value.clone()).map_err(|e| e.within(at))?;
            raw.validate(at, INLINE_SCHEME_NAME)
        }
        _ => Err(InputErrors::one(
            at,
            "must be a preset name or a scheme table",
        )),
    }
}

impl RawBorrower {
    fn validate(&self, at: &FieldPath, p: &mut Problems) -> Option<Borrower> {
        let credit_code = match CreditCode::parse(&self.credit_code) {
            Ok(code) => Some(code),
            Err(e) => {
                p.push(&at.field("credit_code"), e.to_string());
                None
            }
        };
        p.check(
            !self.name.trim().is_empty(),
            &at.field("name"),
            "must not be empty",
        );
        p.check(
            self.years_in_business.is_finite() && (0.0..=300.0).contains(&self.years_in_business),
            &at.field("years_in_business"),
            format!("must be between 0 and 300 (got {})", self.years_in_business),
        );
        non_negative(p, self.revenue, &at.field("revenue"));
        p.check(
            self.total_assets > Money::ZERO,
            &at.field("total_assets"),
            format!("must be > 0 (got {})", self.total_assets),
        );
        non_negative(p, self.total_liabilities, &at.field("total_liabilities"));
        non_negative(p, self.rd_spend, &at.field("rd_spend"));
        let overdue = count(
            p,
            self.overdue_events_24m,
            1000,
            &at.field("overdue_events_24m"),
        );
        let npl = count(
            p,
            self.npl_classifications_36m.unwrap_or(0),
            100,
            &at.field("npl_classifications_36m"),
        );
        let clean = count(
            p,
            self.clean_credit_years,
            300,
            &at.field("clean_credit_years"),
        );
        p.check(
            !self.region.trim().is_empty(),
            &at.field("region"),
            "must not be empty",
        );
        Some(Borrower {
            credit_code: credit_code?,
            name: self.name.trim().to_string(),
            industry: self.industry,
            size: self.size,
            years_in_business: self.years_in_business,
            revenue: self.revenue,
            net_profit: self.net_profit,
            total_assets: self.total_assets,
            total_liabilities: self.total_liabilities,
            rd_spend: self.rd_spend,
            overdue_events_24m: overdue,
            npl_classifications_36m: npl,
            tax_rating: self.tax_rating,
            flags: Flags {
                high_tech_enterprise: self.flags.high_tech_enterprise,
                specialised_new: self.flags.specialised_new,
                ip_demonstration_firm: self.flags.ip_demonstration_firm,
                ip_management_certified: self.flags.ip_management_certified,
            },
            region: self.region.trim().to_string(),
            clean_credit_years: clean,
        })
    }
}

impl RawLoan {
    fn validate(&self, at: &FieldPath, p: &mut Problems) -> Option<Loan> {
        p.check(
            self.amount > Money::ZERO,
            &at.field("amount"),
            format!("must be > 0 (got {})", self.amount),
        );
        let tenor_ok = (1..=MAX_TENOR_MONTHS).contains(&self.tenor_months);
        p.check(
            tenor_ok,
            &at.field("tenor_months"),
            format!(
                "must be between 1 and {MAX_TENOR_MONTHS} (got {})",
                self.tenor_months
            ),
        );
        annual_rate(p, self.annual_rate, &at.field("annual_rate"));
        let rate = Rate::new(self.annual_rate).ok()?;
        tenor_ok.then_some(Loan {
            amount: self.amount,
            tenor_months: self.tenor_months as u32,
            annual_rate: rate,
            repayment: self.repayment,
        })
    }
}

impl RawApplication {
    /// Builds the application, reporting every bad field with its path.
    pub fn validate(&self) -> Result<Application, InputErrors> {
        let root = FieldPath::root();
        let mut p = Problems::new();
        p.check(
            !self.bank_id.trim().is_empty(),
            &root.field("bank_id"),
            "must not be empty",
        );
        let borrower = self.borrower.validate(&root.field("borrower"), &mut p);
        let loan = self.loan.validate(&root.field("loan"), &mut p);
        let pledged_assets = p.take(validate_assets(
            &self.pledged_assets,
            &root.field("pledged_assets"),
        ));
        let other_collateral = self.other_collateral.unwrap_or(Money::ZERO);
        non_negative(&mut p, other_collateral, &root.field("other_collateral"));
        let guarantee = self.guarantee.as_ref().map(|g| {
            let at = root.field("guarantee");
            share(&mut p, g.share, &at.field("share"));
            share(&mut p, g.guarantor_pd, &at.field("guarantor_pd"));
            if let Some(fee) = g.fee_rate {
                annual_rate(&mut p, fee, &at.field("fee_rate"));
            }
            Guarantee {
                share: g.share,
                guarantor_pd: g.guarantor_pd,
                fee_rate: g.fee_rate,
            }
        });
        let insurance = self.insurance.as_ref().map(|i| {
            let at = root.field("insurance");
            share(&mut p, i.cover_share, &at.field("cover_share"));
            non_negative(&mut p, i.limit, &at.field("limit"));
            annual_rate(&mut p, i.premium_rate, &at.field("premium_rate"));
            Insurance {
                cover_share: i.cover_share,
                limit: i.limit,
                premium_rate: i.premium_rate,
            }
        });
        let scheme = match &self.scheme {
            None => Some(None),
            Some(v) => p
                .take(scheme_from_value(v, &root.field("scheme")))
                .map(Some),
        };
        p.finish(|| Application {
            bank_id: self.bank_id.trim().to_string(),
            as_of: self.as_of,
            borrower: borrower.expect("no problems, so the borrower was built"),
            loan: loan.expect("no problems, so the loan was built"),
            pledged_assets: pledged_assets.expect("no problems, so the assets were built"),
            other_collateral,
            guarantee,
            insurance,
            scheme: scheme.expect("no problems, so the scheme was built"),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid pledged invention patent record.
    pub(crate) fn patent_json(id: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id,
            "kind": "invention",
            "filing_date": "2017-07-21",
            "grant_date": "2019-11-05",
            "status": "valid",
            "owners": ["福州示例科技有限公司"],
            "ipc": "G06F 16/27",
            "claims": 12,
            "independent_claims": 2,
            "forward_citations": 6,
            "economics": { "attributable_revenue": "8000000" }
        })
    }

    /// A valid application.
    pub(crate) fn sample_json() -> serde_json::Value {
        serde_json::json!({
            "bank_id": "bank-a",
            "borrower": {
                "credit_code": "91350100M000100Y43",
                "name": "福州示例科技有限公司",
                "industry": "next_gen_it",
                "size": "small",
                "years_in_business": 8,
                "revenue": "30000000",
                "net_profit": "2400000",
                "total_assets": "25000000",
                "total_liabilities": "12000000",
                "rd_spend": "2100000",
                "overdue_events_24m": 0,
                "tax_rating": "A",
                "flags": { "high_tech_enterprise": true, "ip_demonstration_firm": true },
                "region": "350100",
                "clean_credit_years": 5
            },
            "loan": {
                "amount": "3000000",
                "tenor_months": 12,
                "annual_rate": 0.042,
                "repayment": "bullet"
            },
            "pledged_assets": [ patent_json("CN201710601862.3") ],
            "guarantee": { "share": 0.5, "guarantor_pd": 0.01 },
            "scheme": "sichuan-tianfu"
        })
    }

    fn validate(v: &serde_json::Value) -> Result<Application, InputErrors> {
        Application::from_json(&v.to_string())
    }

    #[test]
    fn a_valid_application_builds_with_its_preset_scheme() {
        let app = validate(&sample_json()).unwrap();
        assert_eq!(app.borrower.credit_code.region_code(), "350100");
        assert_eq!(app.pledged_assets[0].id(), "CN201710601862.3");
        assert_eq!(app.scheme.as_ref().unwrap().name, "sichuan-tianfu");
        assert_eq!(app.loan.tenor_months, 12);
        assert!(app.borrower.has_clean_credit(3));
        assert!(!app.borrower.has_clean_credit(6));
    }

    #[test]
    fn a_flipped_credit_code_check_character_is_reported_with_its_path() {
        let mut v = sample_json();
        v["borrower"]["credit_code"] = "91350100M000100Y44".into();
        let err = validate(&v).unwrap_err();
        assert!(err.has_path("borrower.credit_code"), "{err}");
        assert!(
            err.to_string().contains(
                "borrower.credit_code: check character (GB 32100-2015) is `4`, expected `3`"
            ),
            "{err}"
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut v = sample_json();
        v["bank_id"] = " ".into();
        v["borrower"]["total_assets"] = "0".into();
        v["borrower"]["overdue_events_24m"] = (-1).into();
        v["loan"]["amount"] = "-5".into();
        v["loan"]["tenor_months"] = 0.into();
        v["loan"]["annual_rate"] = 1.5.into();
        v["pledged_assets"] = serde_json::json!([]);
        v["guarantee"]["share"] = 1.2.into();
        v["insurance"] =
            serde_json::json!({ "cover_share": 0.5, "limit": "-1", "premium_rate": 0.01 });
        v["other_collateral"] = "-3".into();
        let err = validate(&v).unwrap_err();
        for path in [
            "bank_id",
            "borrower.total_assets",
            "borrower.overdue_events_24m",
            "loan.amount",
            "loan.tenor_months",
            "loan.annual_rate",
            "pledged_assets",
            "guarantee.share",
            "insurance.limit",
            "other_collateral",
        ] {
            assert!(err.has_path(path), "{path} missing from\n{err}");
        }
    }

    #[test]
    fn schemes_resolve_by_name_or_inline_with_paths() {
        let mut v = sample_json();
        v["scheme"] = "atlantis".into();
        let err = validate(&v).unwrap_err();
        assert!(err.has_path("scheme"), "{err}");
        v["scheme"] = serde_json::json!({ "ratio": 0.4, "eligibility": { "max_loan": "5000000" } });
        let app = validate(&v).unwrap();
        assert_eq!(app.scheme.unwrap().name, INLINE_SCHEME_NAME);
        v["scheme"] = serde_json::json!({ "ratio": 1.4 });
        assert!(validate(&v).unwrap_err().has_path("scheme.ratio"));
        v["scheme"] = serde_json::json!({ "ratio": 0.4, "bogus": 1 });
        let err = validate(&v).unwrap_err();
        assert!(err.errors[0].path.starts_with("scheme"), "{err}");
    }

    #[test]
    fn pledged_assets_are_validated_as_asset_records_with_their_paths() {
        let mut v = sample_json();
        let mut bad = patent_json("CN201710601862.4");
        bad["grant_date"] = "2016-01-01".into();
        v["pledged_assets"] = serde_json::json!([patent_json("CN201710601862.3"), bad]);
        let err = validate(&v).unwrap_err();
        assert!(err.has_path("pledged_assets[1].id"), "{err}");
        assert!(err.has_path("pledged_assets[1].grant_date"), "{err}");
        v["pledged_assets"] = serde_json::json!([
            patent_json("CN201710601862.3"),
            patent_json("CN201710601862.3")
        ]);
        assert!(validate(&v).unwrap_err().has_path("pledged_assets[1].id"));
    }

    #[test]
    fn type_errors_name_their_path() {
        let mut v = sample_json();
        v["borrower"]["size"] = "huge".into();
        assert!(validate(&v).unwrap_err().has_path("borrower.size"));
        let mut v = sample_json();
        v["loan"]["repayment"] = "balloon".into();
        assert!(validate(&v).unwrap_err().has_path("loan.repayment"));
    }
}
