//! Report tests on synthetic results (no engine run): the page is self-contained, carries its
//! three charts and tables, and renders in both languages.

use super::*;
use crate::fund::{Histogram, HorizonResult, LowerQuantiles, YearResult};
use crate::money::Money;
use crate::stats::Sample;

/// A deterministic skewed per-path sample: most paths small, a heavy upper tail.
fn skewed(paths: usize, scale: f64, shift: f64) -> Sample {
    (0..paths)
        .map(|i| {
            let u = (i as f64 + 0.5) / paths as f64;
            // Pareto-like quantile function, clipped to keep it finite.
            shift + scale * ((1.0 - u).powf(-0.7) - 1.0)
        })
        .collect()
}

fn synthetic(with_extras: bool) -> FundResult {
    let paths = 2000;
    let capital = 70_000_000.0;
    let years: Vec<YearResult> = (1..=5)
        .map(|year| {
            let claims = skewed(paths, 2.0e6 * f64::from(year), 0.0);
            let balance: Sample = claims.values().iter().map(|c| capital - 3.0 * c).collect();
            let shortfall = 0.002 * f64::from(year);
            YearResult {
                year,
                loans_enrolled: skewed(paths, 1.0, 200.0).stats(),
                loans_refused: Sample::from_iter([0.0; 10]).stats(),
                defaults: skewed(paths, 2.0, 3.0).stats(),
                gross_loss: claims.stats(),
                fund_claims: claims.stats(),
                fund_paid: claims.stats(),
                subsidies: Sample::from_iter([1.0e5; 10]).stats(),
                fund_balance_end: balance.stats(),
                fund_balance_lower: with_extras.then(|| LowerQuantiles::of(&balance)),
                shortfall_probability: shortfall,
                shortfall_probability_stderr: (shortfall * (1.0 - shortfall) / paths as f64).sqrt(),
                pause_probability: 0.0,
                pause_probability_stderr: 0.0,
            }
        })
        .collect();
    let horizon_claims = skewed(paths, 8.0e6, 0.0);
    let s = horizon_claims.stats();
    FundResult {
        scenario: "yichang <test> & co".to_string(),
        seed: 7,
        paths: paths as u64,
        model_id: "default-2025".to_string(),
        model_sha256: "ab".repeat(32),
        initial_capital: Money::from_yuan(70_000_000),
        years,
        horizon: HorizonResult {
            defaults: skewed(paths, 5.0, 10.0).stats(),
            gross_loss: s,
            fund_claims: s,
            fund_paid: s,
            bank_loss: s,
            other_parties_loss: Sample::from_iter([0.0; 10]).stats(),
            subsidies: Sample::from_iter([5.0e5; 10]).stats(),
            loans_refused: Sample::from_iter([0.0; 10]).stats(),
            shortfall_probability: 0.0125,
            shortfall_probability_stderr: 0.0025,
            credit_enabled: 7.0e8,
            leverage_achieved: 10.0,
            cost_per_credit: 0.0213,
            claims_histogram: with_extras
                .then(|| Histogram::of(&horizon_claims, Histogram::DEFAULT_BINS)),
        },
    }
}

fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    for banned in ["http", "src=", "<script", "<link", "@import", "url("] {
        assert!(!lower.contains(banned), "page mentions `{banned}`");
    }
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
        "Fund claims over the horizon",
        "Shortfall probability by year",
        "VaR 99 = ",
        "ES 99 = ",
        "1.25 % ± 0.25 %",
        "10.00×",
        "70.00 CNY m",
    ] {
        assert!(page.contains(text), "missing {text}");
    }
    // One table row per year, and the horizon table.
    assert_eq!(page.matches("<tr><td>").count(), 5 + 8);
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
        "各年度资金缺口概率",
        "7,000.00 万元",
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
    let var = result.horizon.fund_claims.p99 / 1e6;
    let es = result.horizon.fund_claims.es99 / 1e6;
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
