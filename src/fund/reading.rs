//! A short plain-language reading of a fund result, in Chinese and English: which constraint
//! binds (leverage refusals, pauses, eligibility, caps, the balance), what was refused or left
//! unpaid, how much falls due in the run-off and whether the fund looks oversized. The table
//! of `fund simulate` and the HTML report print it; the result JSON carries it (`reading`).
//! Reads only the result's statistics; every sentence states the numbers it rests on.

use serde::{Deserialize, Serialize};

use super::result::{Assumptions, PeriodResult, YearResult};

/// One sentence of the reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable code (`shortfall`, `leverage_binds`, `paused`, `ineligible`, `unpaid`,
    /// `caps`, `run_off`, `buyer`, `oversized`, `leverage_after_claims`,
    /// `balance_near_zero`, `nothing_enrolled`, `not_checked`).
    pub code: String,
    /// The sentence in English.
    pub en: String,
    /// The sentence in Chinese.
    pub zh: String,
}

fn finding(code: &str, en: String, zh: String) -> Finding {
    Finding {
        code: code.to_string(),
        en,
        zh,
    }
}

/// CNY in millions, English style.
fn en_money(v: f64) -> String {
    if v.abs() >= 1e8 {
        format!("CNY {:.2} bn", v / 1e9)
    } else {
        format!("CNY {:.1} m", v / 1e6)
    }
}

/// CNY in 万元 or 亿元, Chinese style.
fn zh_money(v: f64) -> String {
    if v.abs() >= 1e8 {
        format!("{:.2} 亿元", v / 1e8)
    } else {
        format!("{:.0} 万元", v / 1e4)
    }
}

fn pct(p: f64) -> String {
    format!("{:.2} %", 100.0 * p)
}

/// Share of `part` in `whole` (0 when the whole is 0).
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// The reading of one result.
pub(crate) fn read(
    assumptions: &Assumptions,
    years: &[YearResult],
    horizon: &PeriodResult,
    run_off: &PeriodResult,
    lifetime: &PeriodResult,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let fund = &assumptions.fund;
    let public_in =
        fund.initial_capital.to_f64() + fund.appropriations.iter().map(|m| m.to_f64()).sum::<f64>();
    let eligible: f64 = assumptions
        .book
        .by_year
        .iter()
        .map(|y| y.eligible_principal)
        .sum();
    let credit = horizon.credit_enabled.mean;

    if credit <= 0.0 {
        out.push(finding(
            "nothing_enrolled",
            format!(
                "No loan enrolled: of {} of eligible principal, the leverage limit refused {} and \
                 bank pauses {}; {} failed the eligibility rules.",
                en_money(eligible),
                en_money(horizon.refused_leverage_principal.mean),
                en_money(horizon.refused_paused_principal.mean),
                en_money(horizon.ineligible_principal.mean),
            ),
            format!(
                "没有贷款纳入补偿范围：符合条件的本金 {} 中，杠杆上限拒绝 {}，银行暂停拒绝 {}；另有 {} 不符合准入条件。",
                zh_money(eligible),
                zh_money(horizon.refused_leverage_principal.mean),
                zh_money(horizon.refused_paused_principal.mean),
                zh_money(horizon.ineligible_principal.mean),
            ),
        ));
    }

    let p = lifetime.shortfall_probability;
    let paths = assumptions.paths;
    if p == 0.0 {
        out.push(finding(
            "shortfall",
            format!(
                "No path of {paths} ran short over the fund's lifetime (horizon and run-off): \
                 the shortfall probability is below {} with 95 % confidence.",
                pct(3.0 / paths.max(1) as f64),
            ),
            format!(
                "{paths} 条模拟路径在全部存续期（政策期与清算期）内均未出现资金缺口：缺口概率低于 {}（95 % 置信）。",
                pct(3.0 / paths.max(1) as f64),
            ),
        ));
    } else {
        out.push(finding(
        "shortfall",
        format!(
            "The fund cannot pay some claim in full with probability {} ± {} over its lifetime \
             (horizon {}, run-off {}).",
            pct(p),
            pct(lifetime.shortfall_probability_stderr),
            pct(horizon.shortfall_probability),
            pct(run_off.shortfall_probability),
        ),
        format!(
            "资金池在全部存续期内无法足额支付某笔补偿的概率为 {} ± {}（政策期内 {}，清算期 {}）。",
            pct(p),
            pct(lifetime.shortfall_probability_stderr),
            pct(horizon.shortfall_probability),
            pct(run_off.shortfall_probability),
        ),
    ));
    }

    let unpaid = lifetime.fund_claims.mean - lifetime.fund_paid.mean;
    if unpaid > 1e-3 * lifetime.fund_claims.mean.max(1.0) {
        out.push(finding(
            "unpaid",
            format!(
                "Claims left unpaid for lack of balance average {} ({} of lifetime claims); \
                 the banks bear them.",
                en_money(unpaid),
                pct(share(unpaid, lifetime.fund_claims.mean)),
            ),
            format!(
                "因余额不足未能支付的补偿平均为 {}（占全部补偿申请的 {}），由银行承担。",
                zh_money(unpaid),
                pct(share(unpaid, lifetime.fund_claims.mean)),
            ),
        ));
    }

    let lev = horizon.refused_leverage_principal.mean;
    if lev > 0.0 {
        out.push(finding(
            "leverage_binds",
            format!(
                "The leverage limit ({}) binds: it refuses on average {:.1} loans, {} ({} of \
                 eligible principal); more capital or a higher limit would enrol them.",
                fund.leverage_limit
                    .map_or("none".to_string(), |l| format!("{l}x")),
                horizon.refused_leverage.mean,
                en_money(lev),
                pct(share(lev, eligible)),
            ),
            format!(
                "杠杆上限（{}）起约束作用：平均拒绝 {:.1} 笔贷款、{}（占符合条件本金的 {}）；增加资本或提高杠杆倍数可纳入这些贷款。",
                fund.leverage_limit
                    .map_or("无".to_string(), |l| format!("{l} 倍")),
                horizon.refused_leverage.mean,
                zh_money(lev),
                pct(share(lev, eligible)),
            ),
        ));
    }

    let paused = horizon.refused_paused_principal.mean;
    if paused > 0.0 {
        let worst = years
            .iter()
            .map(|y| y.pause_probability)
            .fold(0.0, f64::max);
        out.push(finding(
            "paused",
            format!(
                "Bank pauses refuse on average {:.1} new loans, {} (a bank is paused in some year \
                 with probability up to {}); claims on loans already enrolled stay payable.",
                horizon.refused_paused.mean,
                en_money(paused),
                pct(worst),
            ),
            format!(
                "银行暂停新增业务平均拒绝 {:.1} 笔新贷款、{}（单一年度暂停概率最高 {}）；已纳入贷款的补偿仍照常支付。",
                horizon.refused_paused.mean,
                zh_money(paused),
                pct(worst),
            ),
        ));
    }

    let inel = horizon.ineligible_principal.mean;
    if inel > 0.0 {
        out.push(finding(
            "ineligible",
            format!(
                "{:.0} loans, {}, fail the scheme's eligibility rules (loan size, tenor or rate \
                 cap) and are the banks' loss alone.",
                horizon.ineligible.mean,
                en_money(inel),
            ),
            format!(
                "{:.0} 笔贷款、{} 不符合补偿准入条件（贷款额度、期限或利率上限），损失全部由银行承担。",
                horizon.ineligible.mean,
                zh_money(inel),
            ),
        ));
    }

    let claims = lifetime.fund_claims.mean;
    let enrolled_loss = lifetime.gross_loss.mean;
    if claims > 0.0 {
        out.push(finding(
            "caps",
            format!(
                "The fund owes {} over the lifetime, {} of the gross loss of all defaults ({}) \
                 after coverage ratio, caps and enrolment.",
                en_money(claims),
                pct(share(claims, enrolled_loss)),
                en_money(enrolled_loss),
            ),
            format!(
                "存续期内资金池应补偿 {}，占全部违约损失（{}）的 {}（已计入补偿比例、上限和纳入范围）。",
                zh_money(claims),
                zh_money(enrolled_loss),
                pct(share(claims, enrolled_loss)),
            ),
        ));
    }

    if run_off.months > 0 && lifetime.fund_claims.mean > 0.0 {
        out.push(finding(
            "run_off",
            format!(
                "{} months of run-off follow the horizon: {} of claims ({} of the lifetime's) \
                 fall due after the last loan is granted.",
                run_off.months,
                en_money(run_off.fund_claims.mean),
                pct(share(run_off.fund_claims.mean, lifetime.fund_claims.mean)),
            ),
            format!(
                "政策期结束后还有 {} 个月的清算期：{} 的补偿（占全部的 {}）在最后一笔贷款发放后才到期。",
                run_off.months,
                zh_money(run_off.fund_claims.mean),
                pct(share(run_off.fund_claims.mean, lifetime.fund_claims.mean)),
            ),
        ));
    }

    if lifetime.buyer_outlay.mean > 0.0 {
        out.push(finding(
            "buyer",
            format!(
                "The public recovery buyer pays {} on average for defaulted IP; it is counted in \
                 the public cost ({}).",
                en_money(lifetime.buyer_outlay.mean),
                en_money(lifetime.public_cost.mean),
            ),
            format!(
                "公共收购机构平均支付 {} 收购违约知识产权，已计入公共成本（{}）。",
                zh_money(lifetime.buyer_outlay.mean),
                zh_money(lifetime.public_cost.mean),
            ),
        ));
    }

    if credit > 0.0 && p < 0.001 && public_in > 0.0 && lifetime.fund_claims.p99 < 0.5 * public_in {
        out.push(if lev > 0.0 {
            finding(
                "oversized",
                format!(
                    "The leverage limit, not the risk, sizes this fund: even its 99th-percentile \
                     lifetime claims ({}) use less than half of the public money put in ({}), \
                     yet the limit refuses loans. A higher limit would lever more credit from the \
                     same money.",
                    en_money(lifetime.fund_claims.p99),
                    en_money(public_in),
                ),
                format!(
                    "约束本资金池的是杠杆上限而非风险：99% 分位的全部补偿（{}）不到投入资金（{}）的一半，但杠杆上限仍在拒绝贷款；提高杠杆倍数可用同样的资金撬动更多贷款。",
                    zh_money(lifetime.fund_claims.p99),
                    zh_money(public_in),
                ),
            )
        } else {
            finding(
                "oversized",
                format!(
                    "The fund looks oversized: even its 99th-percentile lifetime claims ({}) use \
                     less than half of the public money put in ({}), and nothing is refused for \
                     leverage.",
                    en_money(lifetime.fund_claims.p99),
                    en_money(public_in),
                ),
                format!(
                    "资金池规模偏大：即使 99% 分位的全部补偿（{}）也不到投入资金（{}）的一半，且没有贷款因杠杆上限被拒。",
                    zh_money(lifetime.fund_claims.p99),
                    zh_money(public_in),
                ),
            )
        });
    }

    if fund.leverage_limit.is_none() && lifetime.peak_leverage.p99 > 50.0 {
        out.push(finding(
            "balance_near_zero",
            format!(
                "With no leverage limit, paid claims bring the balance close to zero on some \
                 paths: outstanding enrolled exposure reaches {:.0}x the remaining balance (p99; \
                 mean of the paths' peaks {:.1}x).",
                lifetime.peak_leverage.p99, lifetime.peak_leverage.mean,
            ),
            format!(
                "未设杠杆上限时，部分路径上补偿支出使基金余额接近于零：在保余额最高达剩余余额的 {:.0} 倍（p99；各路径峰值均值 {:.1} 倍）。",
                lifetime.peak_leverage.p99, lifetime.peak_leverage.mean,
            ),
        ));
    }

    if let Some(limit) = fund.leverage_limit {
        let peak = lifetime.peak_leverage;
        if peak.p99 > limit * (1.0 + 1e-9) {
            out.push(finding(
                "leverage_after_claims",
                format!(
                    "Outstanding enrolled exposure exceeds {limit}x the balance on some paths \
                     (peak mean {:.2}x, p99 {:.2}x) because paid claims lower the balance after \
                     the loans enrolled; no loan is enrolled above the limit, and new loans wait \
                     until repayments restore the room.",
                    peak.mean, peak.p99,
                ),
                format!(
                    "部分路径上在保余额超过基金余额的 {limit} 倍（峰值均值 {:.2} 倍，p99 {:.2} 倍），原因是贷款入池后支付补偿使余额下降；没有贷款在超过上限时入池，新贷款须待还款腾出额度。",
                    peak.mean, peak.p99,
                ),
            ));
        }
    }

    if !assumptions.eligibility_not_checked.is_empty() {
        let rules = assumptions.eligibility_not_checked.join(", ");
        out.push(finding(
            "not_checked",
            format!("Eligibility rules the loan book carries no data for, not applied: {rules}."),
            format!("贷款数据中没有相应信息、未予检查的准入条件：{rules}。"),
        ));
    }
    out
}
