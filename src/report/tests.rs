//! Report tests on synthetic results (no engine run): the page is self-contained, carries its
//! three charts and tables, and renders in both languages.

use super::*;
use crate::fund::{FundModel, Settings, simulate};
use crate::scenario::{NoFiles, Scenario};

/// A real small run (five years, leverage-limited, a bank pause, a run-off year), so the
/// page is tested on what the engine writes; `with_extras = false` strips the histogram and
/// lower quantiles as an older result would lack them.
fn synthetic(with_extras: bool) -> FundResult {
    let text = r#"
[scenario]
name = "yichang <test> & co"
horizon_years = 5
paths = 2000
seed = 7
[[book.cohort]]
year = 1
origination = "uniform"
count = 120
amount = { median = "3000000", p90 = "8000000", min = "300000", max = "20000000" }
tenor_months = { 12 = 0.7, 24 = 0.3 }
pd_1y = { mean = 0.04, dispersion = 0.5 }
bank = { "bank-a" = 0.5, "bank-b" = 0.5 }
[book.growth]
annual_growth = 0.1
[risk]
asset_correlation = 0.15
lgd = 0.6
[scheme]
ratio = 0.5
trigger = "final_loss"
disposal_delay_months = 12
pause_bank_npl_above = 0.05
[fund]
initial_capital = "70000000"
leverage_limit = 10
"#;
    let s = Scenario::from_toml_str(text, &NoFiles).unwrap();
    let mut r = simulate(
        &s,
        &Settings::for_scenario(&s, FundModel::embedded_default()),
    )
    .unwrap();
    if !with_extras {
        for y in &mut r.years {
            y.fund_balance_lower = None;
        }
        r.lifetime.claims_histogram = None;
    }
    r
}

fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    for banned in ["http", "src=", "<script", "<link", "@import", "url("] {
        assert!(!lower.contains(banned), "page mentions `{banned}`");
    }
}

/// `text` as the template's HTML auto-escaping writes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn result_en() -> FundResult {
    synthetic(true)
}

#[test]
fn english_page_has_three_svgs_tables_and_no_external_reference() {
    let page = render_html(&synthetic(true), Lang::En).unwrap();
    assert_eq!(page.matches("<svg").count(), 3, "fan, histogram, shortfall");
    assert_eq!(page.matches("</svg>").count(), 3);
    assert_self_contained(&page);
    assert!(page.contains(r#"<html lang="en">"#));
    for text in [
        "Fund balance at year end",
        "Fund claims over the lifetime",
        "Shortfall probability by year",
        "VaR 99 = ",
        "ES 99 = ",
        "CNY 70,000,000",
        "What the result says",
        "Assumptions used",
        "Refused (bank paused)",
    ] {
        assert!(page.contains(text), "missing {text}");
    }
    assert!(page.contains(&format!("Run-off ({} months)", result_en().run_off.months)));
    // The lifetime shortfall probability as the result has it.
    let l = &result_en().lifetime;
    assert!(page.contains(&format!(
        "{} ± {}",
        pct(l.shortfall_probability),
        pct(l.shortfall_probability_stderr)
    )));
    // Rows: enrolment and by-year tables (5 each), the period table (12), the horizon table
    // (10).
    assert_eq!(page.matches("<tr><td>").count(), 5 + 5 + 12 + 10);
    // Every finding of the reading is on the page.
    for f in &result_en().reading {
        assert!(page.contains(&escaped(&f.en)), "missing finding {}", f.code);
    }
    // The scenario name is escaped, not injected.
    assert!(page.contains("yichang &lt;test&gt; &amp; co"));
    assert!(!page.contains("<test>"));
}

#[test]
fn chinese_page_renders_with_chinese_labels_and_wan_yuan() {
    let page = render_html(&synthetic(true), Lang::Zh).unwrap();
    assert_eq!(page.matches("<svg").count(), 3);
    assert_self_contained(&page);
    assert!(page.contains(r#"<html lang="zh-CN">"#));
    for text in [
        "年末基金余额",
        "补偿申请额分布",
        "结果解读",
        "所用假设",
        "各年度资金缺口概率",
        "7,000 万元",
        "资金缺口概率",
    ] {
        assert!(page.contains(text), "missing {text}");
    }
    assert!(!page.contains("Fund balance at year end"));
}

#[test]
fn var_and_es_markers_sit_at_the_result_quantiles() {
    let result = synthetic(true);
    let page = render_html(&result, Lang::En).unwrap();
    let var = result.lifetime.fund_claims.p99 / 1e6;
    let es = result.lifetime.fund_claims.es99 / 1e6;
    assert!(var < es);
    assert!(page.contains(&format!("VaR 99 = {var:.0}")), "var {var}");
    assert!(page.contains(&format!("ES 99 = {es:.0}")), "es {es}");
}

#[test]
fn result_without_histogram_or_lower_quantiles_still_renders_and_says_so() {
    let page = render_html(&synthetic(false), Lang::En).unwrap();
    assert_eq!(page.matches("<svg").count(), 2);
    assert!(page.contains("carries no per-path histogram"));
    assert!(page.contains("the result carries no lower quantiles"));
    assert_self_contained(&page);
}

#[test]
fn numbers_are_grouped_and_rounded() {
    assert_eq!(grouped(1_234_567.891, 2), "1,234,567.89");
    assert_eq!(grouped(-1_000.0, 0), "-1,000");
    assert_eq!(grouped(999.999, 2), "1,000.00");
    assert_eq!(grouped(-0.001, 2), "0.00");
    assert_eq!(count(12.0), "12");
    assert_eq!(count(12.25), "12.2");
    assert_eq!(pct(0.0125), "1.25 %");
}

#[test]
fn lang_parses_zh_and_en_only() {
    assert_eq!("zh".parse::<Lang>(), Ok(Lang::Zh));
    assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
    assert!("fr".parse::<Lang>().is_err());
}
