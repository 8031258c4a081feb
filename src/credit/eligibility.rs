//! Evaluation of a scheme's `[eligibility]` rules against an application (docs/schemes.md): which
//! rules the loan fails, by name, and the green channel.
//!
//! Rule names, in evaluation order: `firm_size`, `region`, `clean_credit`, `ip_share`,
//! `max_loan`, `max_tenor`, `rate_cap`, `guarantee_fee`, `assets_valid`,
//! `not_already_pledged`, `clear_title`. A rule the scheme does not impose always passes.
//! Owns the rule arithmetic; the facts about the pledged collateral come in as
//! [`CollateralFacts`], computed by scoring from the asset records and their valuation.
//! Must not simulate or know about the CLI or HTTP.

use serde::Serialize;

use super::application::Application;
use super::params::PricingParams;
use crate::asset::{Asset, AssetStatus};
use crate::lang::{Lang, money};
use crate::money::{Money, Rate};
use crate::scheme::{FirmSize, Scheme};

/// Tenor above which the 5-year LPR is the reference rate (PBoC: loans over 5 years).
pub const LPR_5Y_ABOVE_MONTHS: u32 = 60;

/// What scoring knows about the pledged collateral when it checks eligibility.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CollateralFacts {
    /// Appraised value of the pledged IP, CNY.
    pub ip_appraised: f64,
    /// Every pledged asset has status `valid`.
    pub all_valid: bool,
    /// No pledged asset is already pledged elsewhere.
    pub none_already_pledged: bool,
    /// Every pledged asset has a clear title: sole owner, not already pledged, no litigation.
    pub clear_title: bool,
}

impl CollateralFacts {
    /// The facts about `assets`, appraised in total at `ip_appraised` CNY. Clear title: a
    /// single owner (co-owned IP needs every owner's consent, which the record does not
    /// carry), not already pledged, no litigation.
    pub fn of(assets: &[Asset], ip_appraised: f64) -> CollateralFacts {
        CollateralFacts {
            ip_appraised,
            all_valid: assets.iter().all(|a| a.status() == AssetStatus::Valid),
            none_already_pledged: assets.iter().all(|a| !a.encumbrances().already_pledged),
            clear_title: assets.iter().all(|a| {
                let e = a.encumbrances();
                !a.is_co_owned() && !e.already_pledged && !e.litigation
            }),
        }
    }
}

/// One failed rule with a plain explanation in each language.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RuleFailure {
    /// Rule name (`max_loan`, …), for machines.
    pub rule: String,
    /// Why it failed, with the numbers, in Chinese (amounts in 元 / 万元 / 亿元).
    pub zh: String,
    /// Why it failed, with the numbers, in English.
    pub en: String,
}

/// A firm size as a person reads it: (Chinese, English).
fn size_words(size: FirmSize) -> (&'static str, &'static str) {
    match size {
        FirmSize::Micro => ("微型企业", "micro"),
        FirmSize::Small => ("小型企业", "small"),
        FirmSize::Medium => ("中型企业", "medium"),
        FirmSize::Large => ("大型企业", "large"),
    }
}

/// The eligibility verdict for the application's scheme.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Eligibility {
    /// The scheme evaluated; `None` when the application names none (then `eligible` is false).
    pub scheme: Option<String>,
    /// True when a scheme was given and every rule passed.
    pub eligible: bool,
    /// Names of the failed rules, in evaluation order.
    pub failed_rules: Vec<String>,
    /// The failed rules with their numbers.
    pub details: Vec<RuleFailure>,
}

/// The loan prime rate that prices a loan of `tenor_months`: the 1-year LPR up to five
/// years, the 5-year LPR above.
pub fn reference_lpr(pricing: &PricingParams, tenor_months: u32) -> Rate {
    let lpr = if tenor_months > LPR_5Y_ABOVE_MONTHS {
        pricing.lpr_5y
    } else {
        pricing.lpr_1y
    };
    Rate::new(lpr).unwrap_or_else(|_| unreachable!("lpr validated in [0, 1) by CreditParams"))
}

/// The scheme's rate ceiling for this loan, if it has one.
pub fn rate_cap(
    scheme: Option<&Scheme>,
    pricing: &PricingParams,
    tenor_months: u32,
) -> Option<f64> {
    let cap = scheme?.eligibility.rate_cap?;
    Some(cap.max_rate(reference_lpr(pricing, tenor_months)))
}

/// True when the borrower's region matches a scheme entry: a digit entry matches the credit
/// code's administrative division code by prefix (trailing `00` pairs dropped, so `510000`
/// covers all of Sichuan); a name matches the written region when it starts with the entry.
pub fn region_matches(entry: &str, region: &str, division_code: &str) -> bool {
    let entry = entry.trim();
    if !entry.is_empty() && entry.chars().all(|c| c.is_ascii_digit()) {
        let mut prefix = entry;
        while prefix.len() > 2 && prefix.ends_with("00") {
            prefix = &prefix[..prefix.len() - 2];
        }
        return division_code.starts_with(prefix) || region.trim().starts_with(prefix);
    }
    let region = region.trim();
    !entry.is_empty()
        && (region == entry || region.starts_with(entry) || region.eq_ignore_ascii_case(entry))
}

/// Checks the application against `scheme`'s rules (`None`: no scheme, not eligible).
pub fn evaluate(
    app: &Application,
    scheme: Option<&Scheme>,
    collateral: &CollateralFacts,
    pricing: &PricingParams,
) -> Eligibility {
    let Some(scheme) = scheme else {
        return Eligibility {
            scheme: None,
            eligible: false,
            failed_rules: Vec::new(),
            details: Vec::new(),
        };
    };
    let rules = &scheme.eligibility;
    let b = &app.borrower;
    let loan = &app.loan;
    let mut failed: Vec<RuleFailure> = Vec::new();
    let mut fail = |rule: &str, zh: String, en: String| {
        failed.push(RuleFailure {
            rule: rule.to_string(),
            zh,
            en,
        })
    };
    if let Some(sizes) = rules.firm_sizes.as_ref().filter(|s| !s.contains(&b.size)) {
        let words = |pick: fn((&'static str, &'static str)) -> &'static str, sep: &str| {
            sizes
                .iter()
                .map(|&s| pick(size_words(s)))
                .collect::<Vec<_>>()
                .join(sep)
        };
        fail(
            "firm_size",
            format!(
                "企业规模为{}，不在方案准入的{}之列",
                size_words(b.size).0,
                words(|w| w.0, "、")
            ),
            format!(
                "firm size {} is not among {}",
                size_words(b.size).1,
                words(|w| w.1, ", ")
            ),
        );
    }
    let region_ok = |r: &String| region_matches(r, &b.region, b.credit_code.region_code());
    if let Some(regions) = rules
        .regions
        .as_ref()
        .filter(|rs| !rs.iter().any(region_ok))
    {
        fail(
            "region",
            format!(
                "所在地区 {}（行政区划代码 {}）不在方案适用地区（{}）之内",
                b.region,
                b.credit_code.region_code(),
                regions.join("、")
            ),
            format!(
                "region {} (division code {}) is not among {}",
                b.region,
                b.credit_code.region_code(),
                regions.join(", ")
            ),
        );
    }
    if let Some(years) = rules.clean_credit_years.filter(|&y| !b.has_clean_credit(y)) {
        fail(
            "clean_credit",
            format!(
                "方案要求连续 {years} 年信用良好、无逾期和不良记录（现有 {} 年良好记录，近24个月逾期 {} 次，近36个月不良分类 {} 次）",
                b.clean_credit_years, b.overdue_events_24m, b.npl_classifications_36m
            ),
            format!(
                "needs {years} clean years without overdue or NPL records (has {} clean years, {} overdue events in 24 months, {} NPL classifications in 36 months)",
                b.clean_credit_years, b.overdue_events_24m, b.npl_classifications_36m
            ),
        );
    }
    if let Some(min) = rules.min_ip_share {
        let total = collateral.ip_appraised + app.other_collateral.to_f64();
        let ip_share = if total > 0.0 {
            collateral.ip_appraised / total
        } else {
            0.0
        };
        if ip_share + 1e-12 < min {
            fail(
                "ip_share",
                format!(
                    "知识产权占押品价值的 {:.1} %，方案要求至少 {:.1} %",
                    ip_share * 100.0,
                    min * 100.0
                ),
                format!(
                    "IP is {:.1} % of the collateral, needs at least {:.1} %",
                    ip_share * 100.0,
                    min * 100.0
                ),
            );
        }
    }
    if let Some(max) = rules.max_loan.filter(|&m| loan.amount > m) {
        fail(
            "max_loan",
            format!(
                "贷款金额 {} 超过方案单笔上限 {}",
                money(Lang::Zh, loan.amount),
                money(Lang::Zh, max)
            ),
            format!(
                "loan {} exceeds the scheme's cap {}",
                money(Lang::En, loan.amount),
                money(Lang::En, max)
            ),
        );
    }
    if let Some(max) = rules.max_tenor_months.filter(|&m| loan.tenor_months > m) {
        fail(
            "max_tenor",
            format!("贷款期限 {} 个月超过方案上限 {max} 个月", loan.tenor_months),
            format!("tenor {} months exceeds {max} months", loan.tenor_months),
        );
    }
    if let Some(cap) = rules.rate_cap {
        let lpr = reference_lpr(pricing, loan.tenor_months);
        if !cap.allows(loan.annual_rate, lpr) {
            let (rate, ceiling, lpr) = (
                loan.annual_rate.get() * 100.0,
                cap.max_rate(lpr) * 100.0,
                lpr.get() * 100.0,
            );
            fail(
                "rate_cap",
                format!("贷款利率 {rate:.2} % 超过方案利率上限 {ceiling:.2} %（LPR {lpr:.2} %）"),
                format!("rate {rate:.2} % exceeds the ceiling {ceiling:.2} % (LPR {lpr:.2} %)"),
            );
        }
    }
    let fee = app.guarantee.and_then(|g| g.fee_rate);
    if let Some((max, fee)) = rules
        .max_guarantee_fee
        .zip(fee)
        .filter(|&(max, fee)| fee > max + 1e-12)
    {
        fail(
            "guarantee_fee",
            format!(
                "担保费率 {:.2} % 超过方案上限 {:.2} %",
                fee * 100.0,
                max * 100.0
            ),
            format!(
                "guarantee fee {:.2} % exceeds {:.2} %",
                fee * 100.0,
                max * 100.0
            ),
        );
    }
    if rules.require_valid_assets && !collateral.all_valid {
        fail(
            "assets_valid",
            "有质押知识产权不处于有效状态".to_string(),
            "a pledged asset is not in force (status other than valid)".to_string(),
        );
    }
    if rules.require_not_pledged && !collateral.none_already_pledged {
        fail(
            "not_already_pledged",
            "有质押知识产权已在别处出质".to_string(),
            "a pledged asset is already pledged".to_string(),
        );
    }
    if rules.require_clear_title && !collateral.clear_title {
        fail(
            "clear_title",
            "有质押知识产权为共有、已出质或涉诉，权属不清".to_string(),
            "a pledged asset is co-owned, already pledged or in litigation".to_string(),
        );
    }
    Eligibility {
        scheme: Some(scheme.name.clone()),
        eligible: failed.is_empty(),
        failed_rules: failed.iter().map(|f| f.rule.clone()).collect(),
        details: failed,
    }
}

/// The green channel (绿色通道, Daye plan; docs/models.md): an IP demonstration or advantage firm with clean
/// credit and clear title. Clean credit needs the scheme's `clean_credit_years` when it sets
/// them, else the model's `green_channel_clean_years`.
pub fn green_channel(
    app: &Application,
    scheme: Option<&Scheme>,
    collateral: &CollateralFacts,
    default_clean_years: u32,
) -> bool {
    let years = scheme
        .and_then(|s| s.eligibility.clean_credit_years)
        .unwrap_or(default_clean_years);
    app.borrower.flags.ip_demonstration_firm
        && app.borrower.has_clean_credit(years)
        && collateral.clear_title
}

/// Share of the collateral that is IP, for reports: `ip / (ip + other)`, 0 when both are 0.
pub fn ip_share(ip_appraised: f64, other_collateral: Money) -> f64 {
    let total = ip_appraised + other_collateral.to_f64();
    if total > 0.0 {
        ip_appraised / total
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::application::tests::sample_json;
    use crate::credit::params::CreditParams;
    use crate::model::Model;
    use crate::scheme::Scheme;

    const GOOD: CollateralFacts = CollateralFacts {
        ip_appraised: 10_000_000.0,
        all_valid: true,
        none_already_pledged: true,
        clear_title: true,
    };

    fn app(v: &serde_json::Value) -> Application {
        Application::from_json(&v.to_string()).unwrap()
    }

    fn pricing() -> PricingParams {
        CreditParams::from_model(&Model::embedded_default())
            .unwrap()
            .pricing
    }

    const STRICT: &str = r#"
ratio = 0.5
[eligibility]
firm_sizes = ["micro", "small"]
regions = ["510000"]
clean_credit_years = 3
min_ip_share = 0.5
max_loan = "2000000"
max_tenor_months = 6
rate_cap = { lpr_plus_bp = 100 }
max_guarantee_fee = 0.01
require_valid_assets = true
require_not_pledged = true
require_clear_title = true
"#;

    #[test]
    fn every_failed_rule_is_named_in_order() {
        let scheme = Scheme::from_toml_str(STRICT, "strict").unwrap();
        let mut v = sample_json();
        v["borrower"]["size"] = "medium".into();
        v["borrower"]["overdue_events_24m"] = 1.into();
        v["loan"]["tenor_months"] = 12.into();
        v["loan"]["annual_rate"] = 0.05.into();
        v["guarantee"]["fee_rate"] = 0.02.into();
        v["other_collateral"] = "20000000".into();
        let a = app(&v);
        let bad = CollateralFacts {
            ip_appraised: 10_000_000.0,
            all_valid: false,
            none_already_pledged: false,
            clear_title: false,
        };
        let e = evaluate(&a, Some(&scheme), &bad, &pricing());
        assert!(!e.eligible);
        assert_eq!(
            e.failed_rules,
            [
                "firm_size",
                "region",
                "clean_credit",
                "ip_share",
                "max_loan",
                "max_tenor",
                "rate_cap",
                "guarantee_fee",
                "assets_valid",
                "not_already_pledged",
                "clear_title"
            ]
        );
        assert_eq!(e.details.len(), e.failed_rules.len());
        // Every detail reads in both languages: the Chinese carries no rule code and no
        // English word, amounts are written for people.
        for d in &e.details {
            assert!(!d.zh.is_empty() && !d.en.is_empty(), "{d:?}");
            assert!(!d.zh.contains(&d.rule), "{d:?}");
            let latin =
                d.zh.split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() > 1 && *w != "LPR")
                    .collect::<Vec<_>>();
            assert!(latin.is_empty(), "{}: {latin:?} in {}", d.rule, d.zh);
        }
        let max_loan = &e.details[4];
        assert!(max_loan.zh.contains("万元"), "{}", max_loan.zh);
        assert!(max_loan.en.contains("CNY 2,000,000"), "{}", max_loan.en);
    }

    #[test]
    fn a_conforming_loan_is_eligible() {
        let scheme = Scheme::from_toml_str(STRICT, "strict").unwrap();
        let mut v = sample_json();
        v["borrower"]["credit_code"] = {
            // A Chengdu (510100) code with both check characters computed.
            let first16 = "91510100MA6CXXXX";
            let org = crate::credit::code::organisation_check(&first16[8..16]).unwrap();
            let first17 = format!("{first16}{org}");
            let check = crate::credit::code::check_character(&first17).unwrap();
            format!("{first17}{check}").into()
        };
        v["loan"]["amount"] = "2000000".into();
        v["loan"]["tenor_months"] = 6.into();
        v["loan"]["annual_rate"] = 0.04.into();
        v["guarantee"]["fee_rate"] = 0.01.into();
        let e = evaluate(&app(&v), Some(&scheme), &GOOD, &pricing());
        assert!(e.eligible, "{e:?}");
        assert!(e.failed_rules.is_empty());
    }

    #[test]
    fn no_scheme_means_not_eligible_without_failed_rules() {
        let e = evaluate(&app(&sample_json()), None, &GOOD, &pricing());
        assert!(!e.eligible && e.failed_rules.is_empty() && e.scheme.is_none());
    }

    #[test]
    fn collateral_facts_read_status_encumbrances_and_owners() {
        use crate::credit::application::tests::patent_json;
        let build = |v: serde_json::Value| {
            let raw: crate::asset::RawAsset = serde_json::from_value(v).unwrap();
            raw.validate(&crate::input::FieldPath::root()).unwrap()
        };
        let good = build(patent_json("CN201710601862.3"));
        let f = CollateralFacts::of(std::slice::from_ref(&good), 1.0);
        assert!(f.all_valid && f.none_already_pledged && f.clear_title);
        let mut v = patent_json("CN201810234567.3");
        v["owners"] = serde_json::json!(["a", "b"]);
        let f = CollateralFacts::of(&[good.clone(), build(v)], 1.0);
        assert!(f.all_valid && f.none_already_pledged && !f.clear_title);
        let mut v = patent_json("CN201810234567.3");
        v["status"] = "under_invalidation".into();
        v["encumbrances"] = serde_json::json!({ "litigation": true });
        let f = CollateralFacts::of(&[good, build(v)], 1.0);
        assert!(!f.all_valid && f.none_already_pledged && !f.clear_title);
    }

    #[test]
    fn regions_match_codes_by_prefix_and_names_by_start() {
        assert!(region_matches("510000", "成都", "510100"));
        assert!(region_matches("510100", "", "510104"));
        assert!(!region_matches("510100", "", "520100"));
        assert!(region_matches("四川", "四川省成都市", "510100"));
        assert!(!region_matches("广东", "四川省成都市", "510100"));
        assert!(region_matches("zhongshan", "Zhongshan", "442000"));
    }

    #[test]
    fn the_green_channel_needs_all_three_conditions() {
        let a = app(&sample_json());
        assert!(green_channel(&a, None, &GOOD, 3));
        let clouded = CollateralFacts {
            clear_title: false,
            ..GOOD
        };
        assert!(!green_channel(&a, None, &clouded, 3));
        assert!(!green_channel(&a, None, &GOOD, 6));
        let mut v = sample_json();
        v["borrower"]["flags"]["ip_demonstration_firm"] = false.into();
        assert!(!green_channel(&app(&v), None, &GOOD, 3));
    }

    #[test]
    fn the_five_year_lpr_prices_long_loans() {
        let p = pricing();
        assert_eq!(reference_lpr(&p, 60).get(), p.lpr_1y);
        assert_eq!(reference_lpr(&p, 61).get(), p.lpr_5y);
        let tianfu = crate::scheme::presets::get("sichuan-tianfu")
            .unwrap()
            .unwrap();
        let cap = rate_cap(Some(&tianfu), &p, 12).unwrap();
        assert!((cap - (p.lpr_1y + 0.015)).abs() < 1e-15);
    }
}
