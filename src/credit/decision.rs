//! The credit decision (docs/models.md, "Decision"): approve, refer or decline, with ordered reason codes that a
//! credit officer can read, in Chinese and English.
//!
//! Reasons come in four effects, listed in this order: `decline` (each one alone declines),
//! `refer` (each one alone sends the file to a credit officer), `adverse` (scorecard drivers
//! that raise the PD, for information) and `favourable`. Within an effect the order is fixed
//! (the order of the checks below, scorecard drivers by size). Thresholds come from
//! `[credit.decision]`. Owns the decision rules and their texts; must not simulate.

use serde::Serialize;

use super::eligibility::{CollateralFacts, Eligibility};
use super::params::DecisionParams;
use super::pricing::Pricing;
use super::scorecard::Contribution;

/// The outcome of a scoring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Within appetite: approve.
    Approve,
    /// Needs a credit officer's review.
    Refer,
    /// Outside appetite: decline.
    Decline,
}

/// How a reason bears on the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Declines the application on its own.
    Decline,
    /// Refers the application on its own.
    Refer,
    /// Raises the risk but does not decide alone.
    Adverse,
    /// Speaks for the application.
    Favourable,
}

/// One reason code with its texts.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Reason {
    /// Stable code (`pd_above_appetite`, `driver_leverage`, …).
    pub code: String,
    /// Its effect on the decision.
    pub effect: Effect,
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

/// Everything the decision reads.
#[derive(Clone, Copy, Debug)]
pub struct DecisionInputs<'a> {
    /// One-year PD.
    pub pd_1y: f64,
    /// Master-scale grade.
    pub grade: &'a str,
    /// Net LGD (bank's share after guarantee, insurance and fund).
    pub lgd_net: f64,
    /// Loan principal, CNY.
    pub loan_amount: f64,
    /// Pledge limit `Σ pledge_rate × appraised value`, CNY.
    pub max_loan: f64,
    /// Pricing floor against the loan rate and the scheme ceiling.
    pub pricing: &'a Pricing,
    /// Scheme eligibility.
    pub eligibility: &'a Eligibility,
    /// Facts about the pledged collateral.
    pub collateral: &'a CollateralFacts,
    /// Green channel flag.
    pub green_channel: bool,
    /// Pledged invention patents that meet the high-value definition.
    pub high_value_count: usize,
    /// Scorecard contributions, largest adverse first.
    pub contributions: &'a [Contribution],
}

/// Scorecard contributions smaller than this (in logit) are not worth a reason.
pub const DRIVER_MIN_LOGIT: f64 = 0.10;
/// At most this many scorecard drivers are listed per direction.
pub const MAX_DRIVERS: usize = 3;

fn reason(code: &str, effect: Effect, zh: String, en: String) -> Reason {
    Reason {
        code: code.to_string(),
        effect,
        zh,
        en,
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// An amount in Chinese (元 / 万元 / 亿元).
fn zh_yuan(x: f64) -> String {
    crate::lang::amount(crate::lang::Lang::Zh, x)
}

/// An amount in English (`CNY 1,250,000`).
fn en_yuan(x: f64) -> String {
    crate::lang::amount(crate::lang::Lang::En, x)
}

/// (feature, zh adverse, zh favourable, en adverse, en favourable).
const DRIVER_TEXT: &[(&str, &str, &str, &str, &str)] = &[
    (
        "leverage",
        "资产负债率偏高",
        "资产负债率较低",
        "high leverage (liabilities / assets)",
        "low leverage (liabilities / assets)",
    ),
    (
        "net_margin",
        "净利润率偏低",
        "净利润率较高",
        "low net margin",
        "high net margin",
    ),
    (
        "revenue",
        "营业收入规模较小",
        "营业收入规模较大",
        "small revenue",
        "large revenue",
    ),
    (
        "years_in_business",
        "经营年限较短",
        "经营年限较长",
        "few years in business",
        "long track record",
    ),
    (
        "overdue_events_24m",
        "近24个月有逾期记录",
        "近24个月无逾期记录",
        "overdue events in the last 24 months",
        "no overdue events in 24 months",
    ),
    (
        "npl_classifications_36m",
        "近36个月有不良分类记录",
        "近36个月无不良分类记录",
        "npl classifications in the last 36 months",
        "no npl classification in 36 months",
    ),
    (
        "rd_intensity",
        "研发投入强度偏低",
        "研发投入强度较高",
        "low r&d intensity",
        "high r&d intensity",
    ),
    (
        "tax_rating",
        "纳税信用等级较低",
        "纳税信用等级较高",
        "weak tax credit rating",
        "strong tax credit rating",
    ),
    (
        "high_tech_enterprise",
        "非高新技术企业",
        "高新技术企业",
        "not a high-tech enterprise",
        "high-tech enterprise",
    ),
    (
        "specialised_new",
        "非专精特新企业",
        "专精特新企业",
        "not a specialised-new firm",
        "specialised-new (专精特新) firm",
    ),
    (
        "ip_demonstration_firm",
        "非知识产权示范/优势企业",
        "知识产权示范/优势企业",
        "not an ip demonstration firm",
        "ip demonstration / advantage firm",
    ),
    (
        "ip_management_certified",
        "未通过知识产权管理体系认证",
        "通过知识产权管理体系认证（GB/T 29490）",
        "no ip management certification",
        "ip management certified (GB/T 29490)",
    ),
    (
        "ip_value_score",
        "质押知识产权价值评分偏低",
        "质押知识产权价值评分较高",
        "low value score of the pledged ip",
        "high value score of the pledged ip",
    ),
];

fn driver_reason(c: &Contribution) -> Reason {
    let (zh_bad, zh_good, en_bad, en_good) =
        DRIVER_TEXT.iter().find(|(f, ..)| *f == c.feature).map_or(
            (
                c.feature.as_str(),
                c.feature.as_str(),
                c.feature.as_str(),
                c.feature.as_str(),
            ),
            |(_, a, b, d, e)| (*a, *b, *d, *e),
        );
    let points = c.points.abs();
    if c.logit > 0.0 {
        reason(
            &format!("driver_{}", c.feature),
            Effect::Adverse,
            format!("{zh_bad}（评分 −{points:.0} 分）"),
            format!("{en_bad} (−{points:.0} points)"),
        )
    } else {
        reason(
            &format!("driver_{}", c.feature),
            Effect::Favourable,
            format!("{zh_good}（评分 +{points:.0} 分）"),
            format!("{en_good} (+{points:.0} points)"),
        )
    }
}

/// Decides and explains.
pub fn decide(inputs: &DecisionInputs<'_>, params: &DecisionParams) -> (Decision, Vec<Reason>) {
    let mut reasons = Vec::new();
    let DecisionInputs {
        pd_1y,
        grade,
        lgd_net,
        loan_amount,
        max_loan,
        pricing,
        eligibility,
        collateral,
        ..
    } = *inputs;

    // Decline.
    if pd_1y >= params.decline_min_pd_1y {
        reasons.push(reason(
            "pd_too_high",
            Effect::Decline,
            format!(
                "一年期违约概率 {} 达到拒绝阈值 {}（等级 {grade}）",
                pct(pd_1y),
                pct(params.decline_min_pd_1y)
            ),
            format!(
                "one-year pd {} is at or above the decline threshold {} (grade {grade})",
                pct(pd_1y),
                pct(params.decline_min_pd_1y)
            ),
        ));
    }
    if loan_amount > params.decline_loan_to_limit * max_loan {
        reasons.push(reason(
            "loan_far_above_limit",
            Effect::Decline,
            format!(
                "贷款金额 {} 超过质押额度 {} 的 {} 倍",
                zh_yuan(loan_amount),
                zh_yuan(max_loan),
                params.decline_loan_to_limit
            ),
            format!(
                "loan {} exceeds {} times the pledge limit {}",
                en_yuan(loan_amount),
                params.decline_loan_to_limit,
                en_yuan(max_loan)
            ),
        ));
    }

    // Refer.
    if pd_1y > params.approve_max_pd_1y && pd_1y < params.decline_min_pd_1y {
        reasons.push(reason(
            "pd_above_appetite",
            Effect::Refer,
            format!(
                "一年期违约概率 {} 高于自动审批上限 {}（等级 {grade}）",
                pct(pd_1y),
                pct(params.approve_max_pd_1y)
            ),
            format!(
                "one-year pd {} is above the approval limit {} (grade {grade})",
                pct(pd_1y),
                pct(params.approve_max_pd_1y)
            ),
        ));
    }
    if lgd_net > params.approve_max_lgd_net {
        reasons.push(reason(
            "lgd_net_high",
            Effect::Refer,
            format!(
                "净违约损失率 {} 高于上限 {}",
                pct(lgd_net),
                pct(params.approve_max_lgd_net)
            ),
            format!(
                "net lgd {} is above the limit {}",
                pct(lgd_net),
                pct(params.approve_max_lgd_net)
            ),
        ));
    }
    if loan_amount > max_loan && loan_amount <= params.decline_loan_to_limit * max_loan {
        reasons.push(reason(
            "loan_above_limit",
            Effect::Refer,
            format!(
                "贷款金额 {} 超过质押额度 {}",
                zh_yuan(loan_amount),
                zh_yuan(max_loan)
            ),
            format!(
                "loan {} exceeds the pledge limit {}",
                en_yuan(loan_amount),
                en_yuan(max_loan)
            ),
        ));
    }
    if !pricing.covers_floor {
        reasons.push(reason(
            "rate_below_floor",
            Effect::Refer,
            format!(
                "贷款利率 {} 低于定价底线 {}",
                pct(pricing.loan_rate),
                pct(pricing.min_rate)
            ),
            format!(
                "loan rate {} is below the pricing floor {}",
                pct(pricing.loan_rate),
                pct(pricing.min_rate)
            ),
        ));
    }
    if let (false, Some(cap)) = (pricing.fits, pricing.rate_cap) {
        reasons.push(reason(
            "floor_above_rate_cap",
            Effect::Refer,
            format!(
                "定价底线 {} 高于补偿方案利率上限 {}",
                pct(pricing.min_rate),
                pct(cap)
            ),
            format!(
                "pricing floor {} is above the scheme's rate cap {}",
                pct(pricing.min_rate),
                pct(cap)
            ),
        ));
    }
    if let (false, Some(name)) = (eligibility.eligible, &eligibility.scheme) {
        // The failed rules in words, each language its own; the codes are in
        // `eligibility.failed_rules` for machines.
        let join = |text: fn(&super::eligibility::RuleFailure) -> &str, sep: &str| {
            eligibility
                .details
                .iter()
                .map(text)
                .collect::<Vec<_>>()
                .join(sep)
        };
        reasons.push(reason(
            "scheme_ineligible",
            Effect::Refer,
            format!(
                "不符合风险补偿方案 {name} 的条件：{}",
                join(|d| d.zh.as_str(), "；")
            ),
            format!(
                "not eligible for the compensation scheme {name}: {}",
                join(|d| d.en.as_str(), "; ")
            ),
        ));
    }
    if !collateral.all_valid {
        reasons.push(reason(
            "assets_not_valid",
            Effect::Refer,
            "部分质押知识产权不处于有效状态".to_string(),
            "some pledged ip is not in force".to_string(),
        ));
    }
    if !collateral.none_already_pledged {
        reasons.push(reason(
            "already_pledged",
            Effect::Refer,
            "部分质押知识产权已出质".to_string(),
            "some pledged ip is already pledged".to_string(),
        ));
    }
    if !collateral.clear_title {
        reasons.push(reason(
            "title_not_clear",
            Effect::Refer,
            "部分质押知识产权权属不清（共有、已质押或涉诉）".to_string(),
            "title to some pledged ip is not clear (co-owned, pledged or in litigation)"
                .to_string(),
        ));
    }

    // Adverse scorecard drivers, largest first (contributions come sorted that way).
    reasons.extend(
        inputs
            .contributions
            .iter()
            .filter(|c| c.logit >= DRIVER_MIN_LOGIT)
            .take(MAX_DRIVERS)
            .map(driver_reason),
    );

    // Favourable.
    if inputs.green_channel {
        reasons.push(reason(
            "green_channel",
            Effect::Favourable,
            "符合绿色通道条件（知识产权示范/优势企业、信用良好、权属清晰）".to_string(),
            "green channel: ip demonstration / advantage firm with clean credit and clear title"
                .to_string(),
        ));
    }
    if eligibility.eligible {
        let name = eligibility.scheme.as_deref().unwrap_or_default();
        reasons.push(reason(
            "scheme_eligible",
            Effect::Favourable,
            format!("符合风险补偿方案 {name} 的条件"),
            format!("eligible for the compensation scheme {name}"),
        ));
    }
    if inputs.high_value_count > 0 {
        let n = inputs.high_value_count;
        reasons.push(reason(
            "high_value_patents",
            Effect::Favourable,
            format!("质押物含 {n} 件高价值发明专利"),
            format!("the pledge includes {n} high-value invention patent(s)"),
        ));
    }
    if loan_amount <= max_loan {
        reasons.push(reason(
            "within_pledge_limit",
            Effect::Favourable,
            format!(
                "贷款金额 {} 在质押额度 {} 以内",
                zh_yuan(loan_amount),
                zh_yuan(max_loan)
            ),
            format!(
                "loan {} is within the pledge limit {}",
                en_yuan(loan_amount),
                en_yuan(max_loan)
            ),
        ));
    }
    if pd_1y <= params.approve_max_pd_1y {
        reasons.push(reason(
            "pd_within_appetite",
            Effect::Favourable,
            format!("一年期违约概率 {}（等级 {grade}）在审批范围内", pct(pd_1y)),
            format!(
                "one-year pd {} (grade {grade}) is within appetite",
                pct(pd_1y)
            ),
        ));
    }
    let mut favourable: Vec<&Contribution> = inputs
        .contributions
        .iter()
        .filter(|c| c.logit <= -DRIVER_MIN_LOGIT)
        .collect();
    favourable.sort_by(|a, b| a.logit.total_cmp(&b.logit));
    reasons.extend(favourable.into_iter().take(MAX_DRIVERS).map(driver_reason));

    let decision = if reasons.iter().any(|r| r.effect == Effect::Decline) {
        Decision::Decline
    } else if reasons.iter().any(|r| r.effect == Effect::Refer) {
        Decision::Refer
    } else {
        Decision::Approve
    };
    (decision, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::params::CreditParams;
    use crate::model::Model;

    fn params() -> DecisionParams {
        CreditParams::from_model(&Model::embedded_default())
            .unwrap()
            .decision
    }

    const FACTS: CollateralFacts = CollateralFacts {
        ip_appraised: 1e7,
        all_valid: true,
        none_already_pledged: true,
        clear_title: true,
    };

    fn pricing(covers: bool) -> Pricing {
        Pricing {
            min_rate: 0.04,
            rate_cap: None,
            fits: true,
            loan_rate: if covers { 0.05 } else { 0.03 },
            covers_floor: covers,
            funding_rate: 0.02,
            el_rate: 0.01,
            capital_rate: 0.002,
            opex_rate: 0.008,
        }
    }

    fn eligible() -> Eligibility {
        Eligibility {
            scheme: Some("s".into()),
            eligible: true,
            failed_rules: vec![],
            details: vec![],
        }
    }

    fn contributions() -> Vec<Contribution> {
        vec![
            Contribution {
                feature: "leverage".into(),
                value: 0.9,
                logit: 0.77,
                points: -22.0,
            },
            Contribution {
                feature: "tax_rating".into(),
                value: 1.0,
                logit: -0.4,
                points: 11.5,
            },
        ]
    }

    fn run(pd: f64, lgd: f64, amount: f64, covers: bool) -> (Decision, Vec<Reason>) {
        let p = pricing(covers);
        let e = eligible();
        let c = contributions();
        decide(
            &DecisionInputs {
                pd_1y: pd,
                grade: "B",
                lgd_net: lgd,
                loan_amount: amount,
                max_loan: 3e6,
                pricing: &p,
                eligibility: &e,
                collateral: &FACTS,
                green_channel: true,
                high_value_count: 2,
                contributions: &c,
            },
            &params(),
        )
    }

    #[test]
    fn a_good_file_is_approved_with_favourable_reasons_after_adverse_ones() {
        let (d, reasons) = run(0.01, 0.3, 2e6, true);
        assert_eq!(d, Decision::Approve);
        assert_eq!(reasons[0].code, "driver_leverage");
        assert_eq!(reasons[0].effect, Effect::Adverse);
        let effects: Vec<Effect> = reasons.iter().map(|r| r.effect).collect();
        let mut sorted = effects.clone();
        sorted.sort();
        assert_eq!(effects, sorted, "adverse first");
        assert!(reasons.iter().any(|r| r.code == "green_channel"));
        assert!(reasons.iter().all(|r| !r.zh.is_empty() && !r.en.is_empty()));
    }

    #[test]
    fn amounts_and_failed_rules_read_in_each_language() {
        let (_, reasons) = run(0.01, 0.3, 4e6, true);
        let above = reasons
            .iter()
            .find(|r| r.code == "loan_above_limit")
            .unwrap();
        assert_eq!(above.zh, "贷款金额 400 万元 超过质押额度 300 万元");
        assert_eq!(
            above.en,
            "loan CNY 4,000,000 exceeds the pledge limit CNY 3,000,000"
        );
        let p = pricing(true);
        let e = Eligibility {
            scheme: Some("s".into()),
            eligible: false,
            failed_rules: vec!["max_tenor".into()],
            details: vec![crate::credit::eligibility::RuleFailure {
                rule: "max_tenor".into(),
                zh: "贷款期限 12 个月超过方案上限 6 个月".into(),
                en: "tenor 12 months exceeds 6 months".into(),
            }],
        };
        let (d, reasons) = decide(
            &DecisionInputs {
                pd_1y: 0.01,
                grade: "B",
                lgd_net: 0.3,
                loan_amount: 1e6,
                max_loan: 3e6,
                pricing: &p,
                eligibility: &e,
                collateral: &FACTS,
                green_channel: false,
                high_value_count: 0,
                contributions: &[],
            },
            &params(),
        );
        assert_eq!(d, Decision::Refer);
        let r = reasons
            .iter()
            .find(|r| r.code == "scheme_ineligible")
            .unwrap();
        assert_eq!(
            r.zh,
            "不符合风险补偿方案 s 的条件：贷款期限 12 个月超过方案上限 6 个月"
        );
        assert!(!r.zh.contains("max_tenor") && r.en.ends_with("tenor 12 months exceeds 6 months"));
    }

    #[test]
    fn thresholds_refer_and_decline() {
        assert_eq!(run(0.05, 0.3, 2e6, true).0, Decision::Refer);
        assert_eq!(run(0.01, 0.9, 2e6, true).0, Decision::Refer);
        assert_eq!(run(0.01, 0.3, 4e6, true).0, Decision::Refer);
        assert_eq!(run(0.01, 0.3, 2e6, false).0, Decision::Refer);
        let (d, reasons) = run(0.2, 0.3, 7e6, true);
        assert_eq!(d, Decision::Decline);
        assert_eq!(reasons[0].code, "pd_too_high");
        assert_eq!(reasons[1].code, "loan_far_above_limit");
        assert!(!reasons.iter().any(|r| r.code == "pd_above_appetite"));
    }
}
