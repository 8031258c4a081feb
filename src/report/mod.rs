//! HTML reports (feature `report`): one self-contained page per fund simulation, for a finance
//! bureau: fan chart of the fund balance, histogram of horizon claims with VaR 99 / ES 99,
//! shortfall probability by year and the tables behind them, in Chinese or English.
//!
//! Owns the page template (embedded with `include_str!`), the charts (plotters SVG drawn into
//! strings, inlined) and the number formatting of the page. Reads only a [`FundResult`]; must
//! not run simulations, read files or know about the CLI. The page references nothing outside
//! itself: no scripts, stylesheets, fonts or images are fetched.

mod backtest;
mod charts;
mod decision;
mod labels;

use minijinja::value::Serde;
use minijinja::{Environment, context};
use serde::Serialize;

pub use backtest::render_backtest;
pub use decision::{render_capacity, render_compare, render_optimise, render_size};
pub use labels::{
    EN, EN_TABLE, Labels, Lang, TableLabels, UnknownLang, ZH, ZH_TABLE, compare_figure,
};

use crate::fund::{Assumptions, FundResult, PeriodResult};
use crate::lang::grouped;
use crate::stats::Stats;

const TEMPLATE: &str = include_str!("report.html.j2");
/// The page style every report shares.
const STYLE: &str = include_str!("style.css");

/// What can stop a report from rendering (an internal fault: the inputs are a valid result).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// plotters failed to draw a chart.
    #[error("chart drawing failed: {0}")]
    Chart(String),
    /// The page template failed to render.
    #[error("report template failed: {0}")]
    Template(#[from] minijinja::Error),
}

/// Renders the whole report page for `result` with the labels of `lang`.
pub fn render_html(result: &FundResult, lang: Lang) -> Result<String, ReportError> {
    let labels = lang.labels();
    let fan = charts::balance_fan(result, labels)?;
    let histogram = charts::claims_histogram(result, labels)?;
    let shortfall = charts::shortfall_by_year(result, labels)?;
    let has_lower =
        !result.years.is_empty() && result.years.iter().all(|y| y.fund_balance_lower.is_some());
    let fmt = Fmt {
        unit: labels.unit_yuan,
    };
    let h = &result.horizon;
    let life = &result.lifetime;
    let zh = lang == Lang::Zh;

    // A probability with its error; none of the paths: the 95 % upper bound 3/N instead of
    // a bare 0 ± 0.
    let probability = |p: f64, se: f64| {
        if p == 0.0 {
            format!(
                "< {} (0 / {})",
                pct(3.0 / result.paths.max(1) as f64),
                result.paths
            )
        } else if result.importance_sampling.is_some() {
            // Rare by design: percent with two decimals would print 0.00 %.
            format!("{p:.3e} ± {se:.2e}")
        } else {
            format!("{} ± {}", pct(p), pct(se))
        }
    };
    let mut key_figures = vec![
        KeyFigure::new(
            labels.shortfall_lifetime,
            probability(
                life.shortfall_probability,
                life.shortfall_probability_stderr,
            ),
        ),
        KeyFigure::new(
            labels.shortfall_horizon,
            probability(h.shortfall_probability, h.shortfall_probability_stderr),
        ),
        KeyFigure::new(
            labels.credit_enabled,
            crate::lang::amount(lang, h.credit_enabled.mean),
        ),
        KeyFigure::new(
            labels.peak_leverage,
            format!("{:.2}×", life.peak_leverage.mean),
        ),
        KeyFigure::new(
            labels.credit_per_public_yuan,
            format!("{:.2}", h.credit_per_public_yuan),
        ),
        KeyFigure::new(
            labels.cost_per_credit,
            format!("{:.4}", life.public_cost_per_credit),
        ),
    ];
    if let Some(is) = &result.importance_sampling {
        key_figures.push(KeyFigure::new(
            labels.importance_sampling,
            format!(
                "{:.2}, {:.2}, {}",
                is.shift,
                is.twist,
                is.variance_reduction_with_pilot
                    .map_or("-".to_string(), |v| format!("{v:.1}×"))
            ),
        ));
    }
    let reading: Vec<&str> = result
        .reading
        .iter()
        .map(|f| if zh { f.zh.as_str() } else { f.en.as_str() })
        .collect();
    let a = &result.assumptions;
    let assumptions = vec![
        (labels.book, book_line(result, lang)),
        (labels.risk, risk_line(a, zh)),
        (labels.scheme, scheme_line(a, lang)),
        (labels.fund_rules, fund_line(a, lang)),
    ];
    let periods = [&result.horizon, &result.run_off, &result.lifetime];
    type Get = fn(&PeriodResult) -> Stats;
    let money_rows: [(&'static str, Get); 10] = [
        (labels.credit_enabled, |p| p.credit_enabled),
        (labels.gross_loss, |p| p.gross_loss),
        (labels.fund_claims, |p| p.fund_claims),
        (labels.fund_paid, |p| p.fund_paid),
        (labels.bank_loss, |p| p.bank_loss),
        (labels.other_parties_loss, |p| p.other_parties_loss),
        (labels.buyer_outlay, |p| p.buyer_outlay),
        (labels.recoveries_to_fund, |p| p.recoveries_to_fund),
        (labels.subsidies, |p| p.subsidies),
        (labels.public_cost, |p| p.public_cost),
    ];
    let mut period_rows = vec![PeriodRow {
        label: labels.defaults,
        cells: periods
            .iter()
            .map(|p| format!("{} ({})", count(p.defaults.mean), count(p.defaults.p99)))
            .collect(),
    }];
    period_rows.extend(money_rows.into_iter().map(|(label, get)| {
        PeriodRow {
            label,
            cells: periods
                .iter()
                .map(|p| {
                    let st = get(p);
                    format!("{} ({})", fmt.money(st.mean), fmt.money(st.p99))
                })
                .collect(),
        }
    }));
    period_rows.push(PeriodRow {
        label: labels.shortfall,
        cells: periods
            .iter()
            .map(|p| {
                format!(
                    "{} ± {}",
                    pct(p.shortfall_probability),
                    pct(p.shortfall_probability_stderr)
                )
            })
            .collect(),
    });
    let horizon_rows = vec![
        StatsRow::count(labels.defaults, labels.loans_unit, &h.defaults),
        StatsRow::count(labels.loans_refused, labels.loans_unit, &h.refused_leverage),
        StatsRow::count(labels.refused_paused, labels.loans_unit, &h.refused_paused),
        StatsRow::count(labels.ineligible, labels.loans_unit, &h.ineligible),
        StatsRow::money(labels.gross_loss, labels.unit, &h.gross_loss, fmt),
        StatsRow::money(labels.fund_claims, labels.unit, &h.fund_claims, fmt),
        StatsRow::money(labels.fund_paid, labels.unit, &h.fund_paid, fmt),
        StatsRow::money(labels.bank_loss, labels.unit, &h.bank_loss, fmt),
        StatsRow::money(
            labels.other_parties_loss,
            labels.unit,
            &h.other_parties_loss,
            fmt,
        ),
        StatsRow::money(labels.subsidies, labels.unit, &h.subsidies, fmt),
    ];
    let year_rows: Vec<YearRow> = result
        .years
        .iter()
        .map(|y| YearRow {
            year: y.year,
            enrolled: count(y.loans_enrolled.mean),
            principal_enrolled: fmt.money(y.principal_enrolled.mean),
            refused: format!(
                "{} ({})",
                count(y.refused_leverage.mean),
                fmt.money(y.refused_leverage_principal.mean)
            ),
            paused: format!(
                "{} ({})",
                count(y.refused_paused.mean),
                fmt.money(y.refused_paused_principal.mean)
            ),
            ineligible: format!(
                "{} ({})",
                count(y.ineligible.mean),
                fmt.money(y.ineligible_principal.mean)
            ),
            defaults: count(y.defaults.mean),
            claims: fmt.money(y.fund_claims.mean),
            paid: fmt.money(y.fund_paid.mean),
            subsidies: fmt.money(y.subsidies.mean),
            balance_p50: fmt.money(y.fund_balance_end.p50),
            balance_p05: y
                .fund_balance_lower
                .as_ref()
                .map_or_else(|| "–".to_string(), |q| fmt.money(q.p05)),
            shortfall: format!(
                "{} ± {}",
                pct(y.shortfall_probability),
                pct(y.shortfall_probability_stderr)
            ),
            pause: format!(
                "{} ± {}",
                pct(y.pause_probability),
                pct(y.pause_probability_stderr)
            ),
        })
        .collect();

    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    let page = env.get_template("report.html")?.render(context! {
        lang => lang.html_code(),
        style => STYLE,
        l => Serde(labels),
        scenario => &result.scenario,
        seed => result.seed,
        paths => result.paths,
        model_id => &result.model_id,
        model_sha256 => &result.model_sha256,
        initial_capital => crate::lang::money(lang, result.initial_capital),
        key_figures => Serde(key_figures),
        horizon_rows => Serde(horizon_rows),
        reading => Serde(reading),
        assumptions => Serde(assumptions),
        period_rows => Serde(period_rows),
        run_off_months => result.run_off.months,
        year_rows => Serde(year_rows),
        fan_svg => fan,
        fan_note => if has_lower { labels.fan_note_full } else { labels.fan_note_upper },
        histogram_svg => histogram,
        shortfall_svg => shortfall,
    })?;
    Ok(page)
}

#[derive(Serialize)]
struct KeyFigure {
    label: String,
    value: String,
}

impl KeyFigure {
    fn new(label: &'static str, value: String) -> Self {
        KeyFigure {
            label: label.to_string(),
            value,
        }
    }

    fn owned(label: String, value: String) -> Self {
        KeyFigure { label, value }
    }
}

#[derive(Serialize)]
struct StatsRow {
    label: &'static str,
    unit: &'static str,
    mean: String,
    stderr: String,
    p50: String,
    p95: String,
    p99: String,
    p999: String,
    es99: String,
}

impl StatsRow {
    fn with(label: &'static str, unit: &'static str, s: &Stats, f: impl Fn(f64) -> String) -> Self {
        StatsRow {
            label,
            unit,
            mean: f(s.mean),
            stderr: f(s.stderr),
            p50: f(s.p50),
            p95: f(s.p95),
            p99: f(s.p99),
            p999: f(s.p999),
            es99: f(s.es99),
        }
    }

    fn money(label: &'static str, unit: &'static str, s: &Stats, fmt: Fmt) -> Self {
        Self::with(label, unit, s, |v| fmt.money(v))
    }

    fn count(label: &'static str, unit: &'static str, s: &Stats) -> Self {
        Self::with(label, unit, s, count)
    }
}

#[derive(Serialize)]
struct PeriodRow {
    label: &'static str,
    cells: Vec<String>,
}

#[derive(Serialize)]
struct YearRow {
    year: u32,
    enrolled: String,
    principal_enrolled: String,
    refused: String,
    paused: String,
    ineligible: String,
    defaults: String,
    claims: String,
    paid: String,
    subsidies: String,
    balance_p50: String,
    balance_p05: String,
    shortfall: String,
    pause: String,
}

/// The loan book in one line.
fn book_line(result: &FundResult, lang: Lang) -> String {
    let b = &result.assumptions.book;
    let money = |v: f64| crate::lang::amount(lang, v);
    let years: Vec<String> = b
        .by_year
        .iter()
        .map(|y| format!("{}: {} / {}", y.year, y.loans, money(y.principal)))
        .collect();
    if lang == Lang::Zh {
        format!(
            "{} 笔贷款，本金 {}（各年 笔数 / 本金：{}）；本金加权平均一年期违约率 {:.2} %；{} 家银行，{} 家企业；最后到期于第 {} 个月",
            b.loans,
            money(b.principal),
            years.join("，"),
            100.0 * b.mean_pd_1y,
            b.banks.len(),
            b.firms,
            b.last_maturity_month
        )
    } else {
        format!(
            "{} loans, principal {} (by year, loans / principal: {}); principal-weighted one-year PD {:.2} %; {} banks, {} firms; last maturity in month {}",
            b.loans,
            money(b.principal),
            years.join(", "),
            100.0 * b.mean_pd_1y,
            b.banks.len(),
            b.firms,
            b.last_maturity_month
        )
    }
}

/// The risk settings in one line.
fn risk_line(a: &Assumptions, zh: bool) -> String {
    let r = &a.risk;
    let rho = match r.asset_correlation {
        crate::scenario::Correlation::Fixed(v) => format!("{v}"),
        crate::scenario::Correlation::BaselSme => "Basel SME".to_string(),
    };
    let lgd = match r.lgd {
        crate::scenario::LgdSpec::Fixed(v) => format!("{v}"),
        crate::scenario::LgdSpec::Collateral => if zh {
            "押品处置模型"
        } else {
            "collateral model"
        }
        .to_string(),
    };
    if zh {
        format!(
            "资产相关系数 {rho}，行业因子占比 {}，周期持续性 {}，违约率乘数 {}，违约损失率 {lgd}",
            r.sector_share, r.cycle_persistence, r.pd_multiplier
        )
    } else {
        format!(
            "asset correlation {rho}, sector share {}, cycle persistence {}, PD multiplier {}, LGD {lgd}",
            r.sector_share, r.cycle_persistence, r.pd_multiplier
        )
    }
}

/// The scheme's rules in one line.
fn scheme_line(a: &Assumptions, lang: Lang) -> String {
    use crate::scheme::Coverage;
    let s = &a.scheme;
    let zh = lang == Lang::Zh;
    let coverage = match &s.coverage {
        Coverage::Ratio(r) => format!("ratio {r}"),
        Coverage::Bands(b) => format!(
            "bands {}",
            b.iter()
                .map(|b| format!("≤ {}: {}", crate::lang::money(lang, b.max_amount), b.ratio))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Coverage::Layers(l) => format!(
            "layers {}",
            l.iter()
                .map(|l| format!("{} {}", l.name, l.ratio))
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        Coverage::Split(x) => format!(
            "loss split fund {} / bank {} / insurer {} / guarantor {} / valuation firm {}",
            x.fund, x.bank, x.insurer, x.guarantor, x.valuation_firm
        ),
        Coverage::EuCapped(e) => format!(
            "EU cap: guarantee rate {}, cap rate {}",
            e.guarantee_rate, e.cap_rate
        ),
    };
    let cap = |m: Option<crate::money::Money>| {
        m.map_or("–".to_string(), |m| crate::lang::money(lang, m))
    };
    let trigger = match s.trigger {
        crate::scheme::Trigger::Npl => format!("NPL + {} m", s.claim_lag_months),
        crate::scheme::Trigger::FinalLoss => format!("final loss, {} m", s.disposal_delay_months),
    };
    let pause = s
        .pause_bank_npl_above
        .map_or("–".to_string(), |t| format!("{:.1} %", 100.0 * t));
    let buyer = s
        .recovery_buyer_share
        .map_or("–".to_string(), |b| format!("{b}"));
    if zh {
        format!(
            "{}：{coverage}；触发 {trigger}；单笔上限 {}（次年起 {}）；年度上限 {}；银行不良率暂停阈值 {pause}；以余额为限 {}；公共收购比例 {buyer}",
            s.name,
            cap(s.per_loan_cap),
            cap(s.per_loan_cap_after_year1.or(s.per_loan_cap)),
            cap(s.annual_cap),
            if s.liability_limited_to_balance {
                "是"
            } else {
                "否"
            },
        )
    } else {
        format!(
            "{}: {coverage}; trigger {trigger}; per-loan cap {} ({} from year 2); annual cap {}; pause above bank NPL {pause}; limited to balance {}; public buyer share {buyer}",
            s.name,
            cap(s.per_loan_cap),
            cap(s.per_loan_cap_after_year1.or(s.per_loan_cap)),
            cap(s.annual_cap),
            s.liability_limited_to_balance,
        )
    }
}

/// The fund's rules in one line.
fn fund_line(a: &Assumptions, lang: Lang) -> String {
    let f = &a.fund;
    let zh = lang == Lang::Zh;
    let approps: Vec<String> = f
        .appropriations
        .iter()
        .map(|&m| crate::lang::money(lang, m))
        .collect();
    let lev = f.leverage_limit.map_or("–".to_string(), |l| {
        format!("{l}× ({})", f.leverage_limit_from)
    });
    let paid_from = match f.subsidies.paid_from {
        crate::scheme::PaidFrom::Budget => {
            if zh {
                "预算"
            } else {
                "budget"
            }
        }
        crate::scheme::PaidFrom::Fund => {
            if zh {
                "基金"
            } else {
                "fund"
            }
        }
    };
    if zh {
        format!(
            "初始资金 {}；各年追加 [{}]；利率 {:.2} %；放大倍数上限 {lev}；补贴来源 {} 由{paid_from}支付",
            crate::lang::money(lang, f.initial_capital),
            approps.join(", "),
            100.0 * f.interest_rate,
            f.subsidies_from
        )
    } else {
        format!(
            "initial capital {}; appropriations [{}]; interest {:.2} %; leverage limit {lev}; subsidies from {} paid from the {paid_from}",
            crate::lang::money(lang, f.initial_capital),
            approps.join(", "),
            100.0 * f.interest_rate,
            f.subsidies_from
        )
    }
}

/// Formats CNY amounts in the display unit of the language, for table cells under a column
/// or axis that names the unit (standalone amounts go through [`crate::lang::amount`]).
#[derive(Clone, Copy)]
struct Fmt {
    unit: f64,
}

impl Fmt {
    /// An amount in display units with two decimals and thousands separators.
    fn money(self, yuan: f64) -> String {
        grouped(yuan / self.unit, 2)
    }
}

/// A count statistic (means carry one decimal, whole numbers none).
fn count(v: f64) -> String {
    if v.fract() == 0.0 {
        grouped(v, 0)
    } else {
        grouped(v, 1)
    }
}

/// A probability in percent with two decimals.
fn pct(p: f64) -> String {
    format!("{:.2} %", 100.0 * p)
}

#[cfg(test)]
mod tests;
