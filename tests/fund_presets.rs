//! Every shipped scheme preset, simulated on a book made to show its rule, moves the numbers
//! the way the real scheme would: one test per preset, each against the same book under a
//! plain comparator scheme (same seed and paths, so the same defaults).

use ipledge::fund::{FundModel, FundResult, Settings, simulate};
use ipledge::scenario::{NoFiles, Scenario};

/// A book of `count` loans of `amount` yuan (`extra` cohort keys), three years, under
/// `scheme` (a preset reference `"name"` or an inline table body after `[scheme]`).
fn run(scheme: &str, amount: &str, extra: &str, fund: &str, paths: u64) -> FundResult {
    let scheme_part = if scheme.starts_with('"') {
        (format!("scheme = {scheme}\n"), String::new())
    } else {
        (String::new(), format!("[scheme]\n{scheme}\n"))
    };
    let pd = if extra.contains("pd_1y") {
        ""
    } else {
        "pd_1y = { fixed = 0.04 }"
    };
    let text = format!(
        r#"{}
[scenario]
name = "preset-check"
horizon_years = 3
paths = {paths}
seed = 99
[[book.cohort]]
year = 1
count = 150
amount = {{ fixed = "{amount}" }}
{pd}
{extra}
[[book.cohort]]
year = 2
count = 150
amount = {{ fixed = "{amount}" }}
{pd}
{extra}
[risk]
asset_correlation = 0.15
lgd = 0.6
{}
[fund]
{fund}
"#,
        scheme_part.0, scheme_part.1
    );
    let s = Scenario::from_toml_str(&text, &NoFiles).unwrap_or_else(|e| panic!("{e}"));
    simulate(
        &s,
        &Settings::for_scenario(&s, FundModel::embedded_default()),
    )
    .unwrap()
}

const RICH: &str = "initial_capital = \"10000000000\"";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn zhongshan_splits_each_loss_54_26_16_4_and_levers_ten_times() {
    let r = run("\"zhongshan\"", "1000000", "", RICH, 400);
    let l = &r.lifetime;
    // Rich fund: every loss compensated at 54 %, insurer and valuation firm bear 20 %.
    assert!(close(l.fund_claims.mean, 0.54 * l.gross_loss.mean));
    assert!(close(l.other_parties_loss.mean, 0.20 * l.gross_loss.mean));
    assert!(close(l.bank_loss.mean, 0.26 * l.gross_loss.mean));
    // A fund of 10 m enrols at most 100 m outstanding: the second cohort waits.
    let small = run(
        "\"zhongshan\"",
        "1000000",
        "",
        "initial_capital = \"10000000\"",
        400,
    );
    assert!(small.horizon.refused_leverage.mean > 0.0);
    assert!(small.years[0].loans_enrolled.mean <= 100.0);
    assert!(small.lifetime.other_parties_loss.mean < l.other_parties_loss.mean);
}

#[test]
fn weihai_stacks_two_layers_under_a_per_loan_cap_that_steps_up() {
    // 10 m loans lose 6 m; the two layers owe 60 % = 3.6 m, capped at 1 m in year 1 and
    // 1.5 m from year 2.
    let r = run("\"weihai\"", "10000000", "", RICH, 400);
    let plain = run(
        "ratio = 0.6\ntrigger = \"final_loss\"",
        "10000000",
        "",
        RICH,
        400,
    );
    assert!(r.lifetime.fund_claims.mean < 0.5 * plain.lifetime.fund_claims.mean);
    let y1 = &r.years[0];
    // Year-1 defaults are claimed a year later (final loss): year 2 owes 1 m per year-1 default.
    assert!(close(
        r.years[1].fund_claims.mean,
        1_000_000.0 * y1.defaults.mean
    ));
    // Small loans are not capped: 60 % of the loss.
    let small = run("\"weihai\"", "1000000", "", RICH, 400);
    assert!(close(
        small.lifetime.fund_claims.mean,
        0.6 * small.lifetime.gross_loss.mean
    ));
}

#[test]
fn shenzhen_pool_pays_at_npl_on_the_whole_exposure_and_shares_recoveries() {
    let r = run("\"shenzhen-pool\"", "1000000", "", RICH, 400);
    let l = &r.lifetime;
    // Claims on the exposure (50 % of 1 m per default), recoveries (40 % of what was paid)
    // flow back: net 50 % of the loss.
    assert!(close(l.fund_claims.mean, 500_000.0 * l.defaults.mean));
    assert!(close(l.recoveries_to_fund.mean, 0.4 * l.fund_paid.mean));
    assert!(close(
        l.fund_paid.mean - l.recoveries_to_fund.mean,
        0.5 * l.gross_loss.mean
    ));
    // NPL + 3 months: year-1 claims fall due in year 1 (most of them).
    assert!(r.years[0].fund_claims.mean > 0.0);
}

#[test]
fn guangzhou_bands_pay_less_on_bigger_loans_and_pause_high_npl_banks() {
    let small = run("\"guangzhou-bands\"", "3000000", "", RICH, 400);
    let mid = run("\"guangzhou-bands\"", "10000000", "", RICH, 400);
    let big = run("\"guangzhou-bands\"", "40000000", "", RICH, 400);
    // Year-1 loans all enrol (no pause before year 2) and are claimed a year after default.
    let band = |r: &FundResult| r.years[1].fund_claims.mean / r.years[0].gross_loss.mean;
    assert!(close(band(&small), 0.4), "{}", band(&small));
    assert!(close(band(&mid), 0.3), "{}", band(&mid));
    // Above 30 m: ineligible, nothing enrols, nothing is claimed.
    assert_eq!(big.horizon.ineligible.mean, 300.0);
    assert_eq!(big.lifetime.fund_claims.mean, 0.0);
    // PD 4 % against a 3 % pause threshold: banks get paused in year 2 and refused.
    assert!(small.years[1].pause_probability > 0.3);
    assert!(small.horizon.refused_paused.mean > 0.0);
}

#[test]
fn shenzhen_ip_2018_pays_a_quarter_of_loans_up_to_five_million() {
    let r = run("\"shenzhen-ip-2018\"", "2000000", "", RICH, 400);
    assert!(close(
        r.lifetime.fund_claims.mean,
        0.25 * r.lifetime.gross_loss.mean
    ));
    let big = run("\"shenzhen-ip-2018\"", "20000000", "", RICH, 400);
    assert_eq!(big.horizon.ineligible.mean, 300.0);
    assert_eq!(big.lifetime.fund_claims.mean, 0.0);
}

#[test]
fn sichuan_tianfu_takes_one_year_loans_under_its_rate_cap_and_subsidises_interest() {
    let r = run(
        "\"sichuan-tianfu\"",
        "1000000",
        "annual_rate = 0.04",
        RICH,
        200,
    );
    // 1.5 points on 1 m for a year: 15 k per performing loan-year.
    assert!(r.horizon.subsidies.mean > 150.0 * 15_000.0 * 0.9);
    assert_eq!(r.horizon.ineligible.mean, 0.0);
    let long = run(
        "\"sichuan-tianfu\"",
        "1000000",
        "annual_rate = 0.04\ntenor_months = 24",
        RICH,
        200,
    );
    assert_eq!(long.horizon.ineligible.mean, 300.0);
    let dear = run(
        "\"sichuan-tianfu\"",
        "1000000",
        "annual_rate = 0.06",
        RICH,
        200,
    );
    assert_eq!(dear.horizon.ineligible.mean, 300.0);
    assert_eq!(dear.lifetime.subsidies.mean, 0.0);
}

#[test]
fn zhongguancun_subsidises_40_percent_of_interest_capped_per_firm_year() {
    // 10 m at 4 %: 40 % of 400 k = 160 k a year, under the 500 k cap.
    let r = run(
        "\"zhongguancun-subsidy\"",
        "10000000",
        "annual_rate = 0.04",
        RICH,
        200,
    );
    assert_eq!(r.lifetime.fund_claims.mean, 0.0);
    let per_year_max = 150.0 * 160_000.0;
    assert!(r.years[0].subsidies.mean <= per_year_max + 1.0);
    assert!(r.years[0].subsidies.mean > 0.9 * per_year_max);
    // 50 m loans: 800 k a year, capped at 500 k per firm-year.
    let big = run(
        "\"zhongguancun-subsidy\"",
        "50000000",
        "annual_rate = 0.04",
        RICH,
        200,
    );
    assert!(big.years[0].subsidies.mean <= 150.0 * 500_000.0 + 1.0);
    // Above LPR × 1.4 (4.2 %): not eligible, no subsidy.
    let dear = run(
        "\"zhongguancun-subsidy\"",
        "10000000",
        "annual_rate = 0.05",
        RICH,
        200,
    );
    assert_eq!(dear.lifetime.subsidies.mean, 0.0);
}

#[test]
fn xuchang_pays_half_the_valuation_fee_and_premium_up_to_their_caps() {
    let r = run(
        "\"xuchang-subsidies\"",
        "1000000",
        "valuation_fee_rate = 0.02\ninsurance_premium_rate = 0.01",
        RICH,
        100,
    );
    // Appraised 1 m / 0.3; fee 2 % = 66.7 k, half = 33.3 k; premium 10 k, half = 5 k.
    let per_loan = 0.5 * 0.02 * 1_000_000.0 / 0.3 + 0.5 * 10_000.0;
    assert!(close(r.years[0].subsidies.mean, 150.0 * per_loan));
    assert_eq!(r.lifetime.fund_claims.mean, 0.0);
}

#[test]
fn the_eu_cap_limits_total_payments_to_ten_percent_of_the_volume() {
    let r = run(
        "\"eu-capped-guarantee\"",
        "1000000",
        "pd_1y = { fixed = 0.2 }",
        RICH,
        200,
    );
    let plain = run(
        "ratio = 0.5",
        "1000000",
        "pd_1y = { fixed = 0.2 }",
        RICH,
        200,
    );
    // 300 loans of 1 m: the fund never pays more than 0.5 × 0.2 × 300 m = 30 m.
    assert!(r.lifetime.fund_paid.p999 <= 30_000_000.0 + 1e-6);
    assert!(r.lifetime.fund_claims.mean < plain.lifetime.fund_claims.mean);
}

#[test]
fn sba_7a_guarantees_85_or_75_percent_without_a_balance_limit() {
    let small = run("\"sba-7a\"", "100000", "", "initial_capital = \"0\"", 200);
    assert!(close(
        small.lifetime.fund_claims.mean,
        0.85 * small.lifetime.gross_loss.mean
    ));
    // Federal guarantee: paid in full even with no capital (the balance goes negative).
    assert!(close(
        small.lifetime.fund_paid.mean,
        small.lifetime.fund_claims.mean
    ));
    let mid = run("\"sba-7a\"", "1000000", "", RICH, 200);
    assert!(close(
        mid.lifetime.fund_claims.mean,
        0.75 * mid.lifetime.gross_loss.mean
    ));
}

#[test]
fn korea_recovery_buyer_lowers_the_banks_losses_at_a_public_outlay() {
    let korea = run(
        "\"korea-recovery\"",
        "1000000",
        "pledge_rate = 0.6",
        RICH,
        400,
    );
    let plain = run(
        "ratio = 0.5\ntrigger = \"final_loss\"",
        "1000000",
        "pledge_rate = 0.6",
        RICH,
        400,
    );
    // Same defaults; the buyer's offer (half the collateral's value at default) beats the
    // 40 % a fixed LGD of 0.6 recovers on most paths.
    assert_eq!(korea.lifetime.defaults, plain.lifetime.defaults);
    assert!(korea.lifetime.gross_loss.mean < plain.lifetime.gross_loss.mean);
    assert!(korea.lifetime.bank_loss.mean < plain.lifetime.bank_loss.mean);
    // The purchase is public money, reported and counted.
    assert!(korea.lifetime.buyer_outlay.mean > 0.0);
    assert!(close(
        korea.lifetime.public_cost.mean,
        korea.lifetime.fund_paid.mean + korea.lifetime.buyer_outlay.mean
    ));
    assert!(korea.lifetime.public_cost.mean > 0.0);
    assert!(korea.reading.iter().any(|f| f.code == "buyer"));
}
