//! HTML reports (feature `report`): one self-contained page per fund simulation, for a finance
//! bureau: fan chart of the fund balance, histogram of horizon claims with VaR 99 / ES 99,
//! shortfall probability by year and the tables behind them, in Chinese or English.
//!
//! Owns the page template (embedded with `include_str!`), the charts (plotters SVG drawn into
//! strings, inlined) and the number formatting of the page. Reads only a [`FundResult`]; must
//! not run simulations, read files or know about the CLI. The page references nothing outside
//! itself: no scripts, stylesheets, fonts or images are fetched.

mod charts;
mod labels;

use minijinja::value::Serde;
use minijinja::{Environment, context};
use serde::Serialize;

pub use labels::{EN, Labels, Lang, UnknownLang, ZH};

use crate::fund::FundResult;
use crate::stats::Stats;

const TEMPLATE: &str = include_str!("report.html.j2");

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

    let key_figures = vec![
        KeyFigure::new(
            labels.shortfall_horizon,
            format!(
                "{} ± {}",
                pct(h.shortfall_probability),
                pct(h.shortfall_probability_stderr)
            ),
        ),
        KeyFigure::new(
            labels.credit_enabled,
            format!("{} {}", fmt.money(h.credit_enabled), labels.unit),
        ),
        KeyFigure::new(
            labels.leverage_achieved,
            format!("{:.2}×", h.leverage_achieved),
        ),
        KeyFigure::new(labels.cost_per_credit, format!("{:.4}", h.cost_per_credit)),
    ];
    let horizon_rows = vec![
        StatsRow::count(labels.defaults, labels.loans_unit, &h.defaults),
        StatsRow::count(labels.loans_refused, labels.loans_unit, &h.loans_refused),
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
            refused: count(y.loans_refused.mean),
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
        l => Serde(labels),
        scenario => &result.scenario,
        seed => result.seed,
        paths => result.paths,
        model_id => &result.model_id,
        model_sha256 => &result.model_sha256,
        initial_capital => format!("{} {}", fmt.money(result.initial_capital.to_f64()), labels.unit),
        key_figures => Serde(key_figures),
        horizon_rows => Serde(horizon_rows),
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
    label: &'static str,
    value: String,
}

impl KeyFigure {
    fn new(label: &'static str, value: String) -> Self {
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
struct YearRow {
    year: u32,
    enrolled: String,
    refused: String,
    defaults: String,
    claims: String,
    paid: String,
    subsidies: String,
    balance_p50: String,
    balance_p05: String,
    shortfall: String,
    pause: String,
}

/// Formats CNY amounts in the display unit of the language.
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

/// `v` with `decimals` decimals and a comma every three integer digits.
fn grouped(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    let negative = v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests;
