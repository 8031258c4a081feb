use super::*;
use crate::scenario::NoFiles;

pub(super) fn scenario(text: &str) -> Scenario {
    Scenario::from_toml_str(text, &NoFiles).unwrap_or_else(|e| panic!("{e}"))
}

const SIMPLE: &str = r#"
[scenario]
name = "simple"
horizon_years = 2
paths = 3000
seed = 5
[[book.cohort]]
count = 100
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.02 }
[risk]
asset_correlation = 0.12
lgd = 0.6
[scheme]
ratio = 0.5
[fund]
initial_capital = "5000000"
"#;

#[test]
fn simple_run_has_the_expected_shape() {
    let s = scenario(SIMPLE);
    let settings = Settings::for_scenario(&s, FundModel::embedded_default());
    let r = simulate(&s, &settings).unwrap();
    assert_eq!(r.years.len(), 2);
    assert_eq!(r.paths, 3000);
    // 12-month loans at the start of year 1: all defaults in year 1.
    assert_eq!(r.years[1].defaults.mean, 0.0);
    let d = r.years[0].defaults;
    assert!((d.mean - 2.0).abs() < 4.0 * d.stderr, "{d:?}");
    let g = r.horizon.gross_loss;
    assert!((g.mean - 2.0 * 600_000.0).abs() < 4.0 * g.stderr, "{g:?}");
}

use crate::fund::metrics::{Period, Total, YearMetric};

/// The per-path horizon sample of `m`.
fn horizon_sample(p: &FundPart, m: Total) -> &crate::stats::Sample {
    &p.total_samples[Period::Horizon as usize][m as usize]
}

/// The per-path lifetime sample of `m`.
fn lifetime_sample(p: &FundPart, m: Total) -> &crate::stats::Sample {
    &p.total_samples[Period::Lifetime as usize][m as usize]
}
use crate::loss::normal::{cdf as norm_cdf, inverse_cdf as norm_inv};
use crate::money::Money;
use crate::stats::{EventCount, tolerance::ORACLE_SIGMAS};

/// A one-year homogeneous book: `n` bullet loans of 1 m, 12 months, PD `p`, correlation
/// `rho`, LGD 0.6 (loss 600 k per default), the given scheme table body and capital.
pub(super) fn pool(n: u32, p: f64, rho: f64, scheme: &str, capital: &str, paths: u64) -> Scenario {
    scenario(&format!(
        r#"
[scenario]
name = "pool"
horizon_years = 1
paths = {paths}
seed = 11
[[book.cohort]]
count = {n}
amount = {{ fixed = "1000000" }}
pd_1y = {{ fixed = {p} }}
[risk]
asset_correlation = {rho}
lgd = 0.6
[scheme]
{scheme}
[fund]
initial_capital = "{capital}"
"#
    ))
}

fn part(s: &Scenario) -> FundPart {
    let settings = Settings::for_scenario(s, FundModel::embedded_default());
    simulate_part(s, &settings).unwrap()
}

/// Exact `P(D = k)` of the Vasicek finite pool by numerical integration over the factor
/// (composite Simpson on [-12, 12], 6000 intervals).
pub(super) fn finite_pool_pmf(n: u32, p: f64, rho: f64) -> Vec<f64> {
    use statrs::function::gamma::ln_gamma;
    let c = norm_inv(p);
    let intervals = 6000;
    let (lo, hi) = (-12.0f64, 12.0f64);
    let h = (hi - lo) / f64::from(intervals);
    let mut pmf = vec![0.0; n as usize + 1];
    for i in 0..=intervals {
        let z = lo + h * f64::from(i);
        let w = if i == 0 || i == intervals {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let pz = norm_cdf((c - rho.sqrt() * z) / (1.0 - rho).sqrt());
        for (k, slot) in pmf.iter_mut().enumerate() {
            let k = k as f64;
            let nf = f64::from(n);
            let ln_binom = ln_gamma(nf + 1.0) - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0);
            let term = if pz <= 0.0 {
                if k == 0.0 { 1.0 } else { 0.0 }
            } else if pz >= 1.0 {
                if k == nf { 1.0 } else { 0.0 }
            } else {
                (ln_binom + k * pz.ln() + (nf - k) * (1.0 - pz).ln()).exp()
            };
            *slot += w * h / 3.0 * phi * term;
        }
    }
    pmf
}

/// `E[f(Z)]` for a standard normal Z: composite Simpson on [-10, 10], 2000 intervals.
fn normal_expectation(f: impl Fn(f64) -> f64) -> f64 {
    let n = 2000;
    let h = 20.0 / f64::from(n);
    (0..=n)
        .map(|i| {
            let z = -10.0 + h * f64::from(i);
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * h / 3.0 * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() * f(z)
        })
        .sum()
}

fn quantile_of_pmf(pmf: &[f64], alpha: f64) -> usize {
    let mut acc = 0.0;
    for (k, p) in pmf.iter().enumerate() {
        acc += p;
        if acc >= alpha {
            return k;
        }
    }
    pmf.len() - 1
}

fn check_finite_pool(paths: u64) {
    let pmf = finite_pool_pmf(100, 0.02, 0.12);
    // The published oracle's figures (docs/models.md, 6 decimals).
    for (k, want) in [(0, 0.294683), (1, 0.246811), (2, 0.165752)] {
        assert!((pmf[k] - want).abs() < 5e-6, "P({k}) = {}", pmf[k]);
    }
    assert_eq!(quantile_of_pmf(&pmf, 0.95), 7);
    assert_eq!(quantile_of_pmf(&pmf, 0.99), 11);
    assert_eq!(quantile_of_pmf(&pmf, 0.999), 17);
    let s = pool(100, 0.02, 0.12, "ratio = 0.5", "1000000000", paths);
    let part = part(&s);
    let defaults = &horizon_sample(&part, Total::Defaults);
    // Every P(D = k) and P(D <= k) within 4 stderr of the exact value.
    let mut cdf = 0.0;
    for (k, exact) in pmf.iter().enumerate().take(30) {
        cdf += exact;
        let mut eq = EventCount::default();
        let mut le = EventCount::default();
        for d in defaults.values() {
            eq.record(*d as usize == k);
            le.record(*d as usize <= k);
        }
        let (e, l) = (eq.estimate(), le.estimate());
        assert!(
            (e.value - exact).abs()
                <= ORACLE_SIGMAS * e.stderr.max((exact * (1.0 - exact) / paths as f64).sqrt()),
            "P(D={k}): mc {} vs exact {exact}",
            e.value
        );
        assert!(
            (l.value - cdf).abs()
                <= ORACLE_SIGMAS * (cdf * (1.0 - cdf) / paths as f64).sqrt() + 1e-12,
            "P(D<={k}): mc {} vs exact {cdf}",
            l.value
        );
    }
    let mean = defaults.mean();
    assert!(mean.agrees_with(2.0), "{mean:?}");
}

#[test]
fn finite_homogeneous_pool_matches_the_exact_distribution() {
    check_finite_pool(20_000);
}

fn large_pool_quantile(p: f64, rho: f64, alpha: f64) -> f64 {
    norm_cdf((norm_inv(p) + rho.sqrt() * norm_inv(alpha)) / (1.0 - rho).sqrt())
}

fn check_large_pool(n: u32, paths: u64) {
    let q99 = large_pool_quantile(0.02, 0.12, 0.99);
    let q999 = large_pool_quantile(0.02, 0.12, 0.999);
    assert!((q99 - 0.09172).abs() < 5e-6, "{q99}");
    assert!((q999 - 0.14728).abs() < 5e-6, "{q999}");
    let s = pool(n, 0.02, 0.12, "ratio = 0.5", "1000000000000", paths);
    let part = part(&s);
    let fractions: Vec<f64> = horizon_sample(&part, Total::Defaults)
        .values()
        .iter()
        .map(|d| d / f64::from(n))
        .collect();
    for (q, alpha) in [(q99, 0.99), (q999, 0.999)] {
        let mut below = EventCount::default();
        for f in &fractions {
            below.record(*f <= q);
        }
        let e = below.estimate();
        let se = (alpha * (1.0 - alpha) / paths as f64).sqrt();
        assert!(
            (e.value - alpha).abs() <= ORACLE_SIGMAS * se + 2e-3,
            "P(L <= {q}) = {} vs {alpha}",
            e.value
        );
    }
}

#[test]
fn large_pool_loss_fraction_quantiles() {
    check_large_pool(20_000, 4_000);
}

#[test]
fn caps_move_quantiles_exactly() {
    // Per-loan compensation: min(0.5 × 600 k, 200 k) = 200 k; annual cap 1.5 m.
    let base = part(&pool(100, 0.02, 0.12, "ratio = 0.5", "1000000000", 5_000));
    let capped = part(&pool(
        100,
        0.02,
        0.12,
        "ratio = 0.5\nper_loan_cap = \"200000\"\nannual_cap = \"1500000\"",
        "1000000000",
        5_000,
    ));
    let g = |claims: f64| (claims / 300_000.0 * 200_000.0).min(1_500_000.0);
    let a = &horizon_sample(&base, Total::Claims);
    let b = &horizon_sample(&capped, Total::Claims);
    for (x, y) in a.values().iter().zip(b.values()) {
        assert!((g(*x) - y).abs() < 1e-6, "{x} -> {y}");
    }
    for alpha in [0.5, 0.95, 0.99, 0.999] {
        assert!((b.quantile(alpha) - g(a.quantile(alpha))).abs() < 1e-6);
    }
    // A cap never raises a claim.
    assert!(a.values().iter().zip(b.values()).all(|(x, y)| y <= x));
}

#[test]
fn a_fund_that_pays_k_defaults_falls_short_exactly_when_more_default() {
    // Each default owes 300 k; the fund holds 4 × 300 k.
    let k = 4;
    let s = pool(100, 0.02, 0.12, "ratio = 0.5", "1200000", 20_000);
    let part = part(&s);
    let d = &horizon_sample(&part, Total::Defaults);
    let short = &horizon_sample(&part, Total::Shortfall);
    for (dv, sv) in d.values().iter().zip(short.values()) {
        assert_eq!(*sv > 0.5, *dv > f64::from(k));
    }
    let exact: f64 = finite_pool_pmf(100, 0.02, 0.12)[(k as usize + 1)..]
        .iter()
        .sum();
    let r = merge_parts(vec![part]).unwrap();
    let se = (exact * (1.0 - exact) / 20_000.0).sqrt();
    assert!(
        (r.horizon.shortfall_probability - exact).abs() <= ORACLE_SIGMAS * se,
        "{} vs {exact}",
        r.horizon.shortfall_probability
    );
    // Limited liability: never pays more than it holds.
    let paid = &merge_parts(vec![self::part(&s)]).unwrap().horizon.fund_paid;
    assert!(paid.p999 <= 1_200_000.0 + 1e-6);
}

fn run_with_threads(s: &Scenario, threads: usize) -> FundResult {
    let settings = Settings::for_scenario(s, FundModel::embedded_default());
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| simulate(s, &settings).unwrap())
}

pub(super) fn rich_scenario(paths: u64) -> Scenario {
    scenario(&format!(
        r#"
[scenario]
name = "rich"
horizon_years = 3
paths = {paths}
seed = 3
[[book.cohort]]
origination = "uniform"
count = 300
amount = {{ median = "2000000", p90 = "6000000", min = "200000", max = "20000000" }}
tenor_months = {{ 12 = 0.5, 24 = 0.3, 36 = 0.2 }}
pd_1y = {{ mean = 0.03, dispersion = 0.6, levels = 20 }}
industry = {{ next_gen_it = 0.5, biomedicine = 0.3, other = 0.2 }}
bank = {{ "bank-a" = 0.6, "bank-b" = 0.4 }}
repayment = "amortising"
[book.growth]
annual_growth = 0.2
[risk]
asset_correlation = "basel_sme"
sector_share = 0.4
cycle_persistence = 0.5
lgd = "collateral"
[scheme]
ratio = 0.5
trigger = "npl"
recoveries = "pro_rata"
claim_lag_months = 3
per_loan_cap = "1000000"
pause_bank_npl_above = 0.05
[fund]
initial_capital = "30000000"
appropriations = ["0", "10000000"]
interest_rate = 0.02
leverage_limit = 15
[subsidies]
interest = {{ share = 0.4, cap_per_firm_year = "50000" }}
valuation_fee = {{ share = 0.5, cap = "100000" }}
"#
    ))
}

#[test]
fn one_and_two_threads_give_identical_results() {
    let s = rich_scenario(2_500);
    assert_eq!(run_with_threads(&s, 1), run_with_threads(&s, 2));
}

#[test]
fn three_shards_merge_into_the_whole_run() {
    let s = rich_scenario(5 * 1024 + 17);
    let model = FundModel::embedded_default();
    let whole = simulate(&s, &Settings::for_scenario(&s, model.clone())).unwrap();
    let mut parts = Vec::new();
    for i in [3, 1, 2] {
        let mut settings = Settings::for_scenario(&s, model.clone());
        settings.shard = crate::rng::Shard::parse(&format!("{i}/3")).unwrap();
        parts.push(simulate_part(&s, &settings).unwrap());
    }
    // Through JSON, as the files travel.
    let parts: Vec<FundPart> = parts
        .iter()
        .map(|p| serde_json::from_str(&serde_json::to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(merge_parts(parts.clone()).unwrap(), whole);
    assert_eq!(
        merge_parts(parts[..2].to_vec()),
        Err(FundError::MissingShard { index: 2 })
    );
    let mut dup = parts.clone();
    dup[0] = parts[1].clone();
    assert!(matches!(
        merge_parts(dup),
        Err(FundError::DuplicateShard { .. })
    ));
    let mut other = parts;
    other[0].seed += 1;
    assert!(matches!(
        merge_parts(other),
        Err(FundError::PartMismatch { field: "seed", .. })
    ));
}

#[test]
fn draws_do_not_depend_on_the_capital() {
    let s = rich_scenario(1_500);
    let model = FundModel::embedded_default();
    let settings = Settings::for_scenario(&s, model);
    let a = simulate_with_capital(&s, &settings, crate::money::Money::from_yuan(1)).unwrap();
    let b = simulate_with_capital(&s, &settings, crate::money::Money::from_yuan(1_000_000_000))
        .unwrap();
    // Leverage refuses loans but never changes which loans default or what they lose.
    assert_eq!(a.horizon.gross_loss, b.horizon.gross_loss);
    assert_eq!(a.horizon.defaults, b.horizon.defaults);
    assert!(a.horizon.refused_leverage.mean > b.horizon.refused_leverage.mean);
}

/// A two-year book of 200 one-year (or `tenor`-month) loans of 1 m in year 1, LGD 0.6.
fn book2(scheme: &str, fund: &str, cohort_extra: &str, paths: u64) -> Scenario {
    let pd = if cohort_extra.contains("pd_1y") {
        ""
    } else {
        "pd_1y = { fixed = 0.03 }"
    };
    scenario(&format!(
        r#"
[scenario]
name = "rules"
horizon_years = 2
paths = {paths}
seed = 17
[[book.cohort]]
count = 200
amount = {{ fixed = "1000000" }}
{pd}
{cohort_extra}
[risk]
asset_correlation = 0.15
lgd = 0.6
[scheme]
{scheme}
[fund]
{fund}
"#
    ))
}

const RICH_FUND: &str = "initial_capital = \"1000000000\"";

fn year_values(p: &FundPart, year: usize, q: YearMetric) -> &[f64] {
    p.year_samples[year][q as usize].values()
}

fn horizon_values(p: &FundPart, q: Total) -> &[f64] {
    horizon_sample(p, q).values()
}

fn lifetime_values(p: &FundPart, q: Total) -> &[f64] {
    lifetime_sample(p, q).values()
}

#[test]
fn npl_trigger_claims_at_default_and_final_loss_after_disposal() {
    let npl = part(&book2("ratio = 0.5", RICH_FUND, "", 800));
    let fin = part(&book2(
        "ratio = 0.5\ntrigger = \"final_loss\"\ndisposal_delay_months = 12",
        RICH_FUND,
        "",
        800,
    ));
    for (i, loss) in year_values(&npl, 0, YearMetric::GrossLoss)
        .iter()
        .enumerate()
    {
        assert!((year_values(&npl, 0, YearMetric::Claims)[i] - 0.5 * loss).abs() < 1e-6);
        assert_eq!(year_values(&fin, 0, YearMetric::Claims)[i], 0.0);
        assert!((year_values(&fin, 1, YearMetric::Claims)[i] - 0.5 * loss).abs() < 1e-6);
    }
}

#[test]
fn pro_rata_recoveries_flow_back_after_an_npl_claim() {
    let p = part(&book2(
        "ratio = 0.5\ntrigger = \"npl\"\nrecoveries = \"pro_rata\"\ndisposal_delay_months = 6",
        RICH_FUND,
        "",
        800,
    ));
    for i in 0..800 {
        let defaults = horizon_values(&p, Total::Defaults)[i];
        // Claim on the whole NPL principal (0.5 × 1 m), 0.5 × 400 k recovered back.
        assert!((horizon_values(&p, Total::Paid)[i] - defaults * 500_000.0).abs() < 1e-6);
        assert!(
            (horizon_values(&p, Total::RecoveriesToFund)[i] - defaults * 200_000.0).abs() < 1e-6
        );
    }
}

#[test]
fn leverage_limit_refuses_enrolments_and_reports_them() {
    let p = part(&book2(
        "ratio = 0.5",
        "initial_capital = \"10000000\"\nleverage_limit = 10",
        "",
        300,
    ));
    assert!(
        year_values(&p, 0, YearMetric::Enrolled)
            .iter()
            .all(|v| *v == 100.0)
    );
    assert!(
        year_values(&p, 0, YearMetric::RefusedLeverage)
            .iter()
            .all(|v| *v == 100.0)
    );
    assert!(
        horizon_values(&p, Total::CreditEnabled)
            .iter()
            .all(|v| *v == 100e6)
    );
    // Claims only for enrolled loans.
    for i in 0..300 {
        assert!(
            horizon_values(&p, Total::Claims)[i] <= 0.5 * horizon_values(&p, Total::GrossLoss)[i]
        );
    }
}

#[test]
fn loss_split_assigns_every_party_its_share() {
    let p = part(&book2(
        "loss_split = { fund = 0.54, bank = 0.26, insurer = 0.16, valuation_firm = 0.04 }",
        RICH_FUND,
        "",
        500,
    ));
    for i in 0..500 {
        let g = horizon_values(&p, Total::GrossLoss)[i];
        assert!((horizon_values(&p, Total::Claims)[i] - 0.54 * g).abs() < 1e-6);
        assert!((horizon_values(&p, Total::OtherPartiesLoss)[i] - 0.20 * g).abs() < 1e-6);
        assert!((horizon_values(&p, Total::BankLoss)[i] - 0.26 * g).abs() < 1e-3);
    }
}

#[test]
fn eu_cap_limits_total_payments_to_the_capped_volume() {
    let s = scenario(
        r#"
[scenario]
name = "eu"
horizon_years = 1
paths = 500
seed = 4
[[book.cohort]]
count = 200
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.1 }
[risk]
asset_correlation = 0.2
lgd = 0.6
[scheme]
eu_cap = { guarantee_rate = 0.5, cap_rate = 0.2 }
[fund]
initial_capital = "1000000000"
"#,
    );
    let p = part(&s);
    let cap = 200e6 * 0.5 * 0.2;
    let mut binding = 0;
    for i in 0..500 {
        let g = horizon_values(&p, Total::GrossLoss)[i];
        let c = horizon_values(&p, Total::Claims)[i];
        assert!((c - (0.5 * g).min(cap)).abs() < 1e-6, "{c} vs {g}");
        binding += usize::from(0.5 * g > cap);
    }
    assert!(binding > 0, "the cap should bind on some paths");
}

#[test]
fn a_bank_over_the_npl_threshold_is_paused_the_next_year_and_its_enrolled_claims_stay_payable() {
    let p = part(&book2(
        "ratio = 0.5\npause_bank_npl_above = 0.0",
        RICH_FUND,
        "tenor_months = 24",
        600,
    ));
    let mut paused_paths = 0;
    for i in 0..600 {
        let paused = year_values(&p, 1, YearMetric::Pause)[i] > 0.5;
        assert_eq!(paused, year_values(&p, 0, YearMetric::Defaults)[i] > 0.0);
        paused_paths += usize::from(paused);
        // The loans of year 1 are enrolled: their year-2 defaults are compensated whether or
        // not their bank is paused.
        let g = year_values(&p, 1, YearMetric::GrossLoss)[i];
        assert!((year_values(&p, 1, YearMetric::Claims)[i] - 0.5 * g).abs() < 1e-6);
    }
    assert!(paused_paths > 0);
}

#[test]
fn a_paused_bank_has_its_new_loans_refused_and_counted() {
    let s = scenario(
        r#"
[scenario]
name = "pause"
horizon_years = 2
paths = 500
seed = 3
[[book.cohort]]
year = 1
count = 100
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.05 }
[[book.cohort]]
year = 2
count = 50
amount = { fixed = "2000000" }
pd_1y = { fixed = 0.05 }
[risk]
asset_correlation = 0.1
lgd = 0.6
[scheme]
ratio = 0.5
pause_bank_npl_above = 0.03
[fund]
initial_capital = "1000000000"
"#,
    );
    let p = part(&s);
    for i in 0..500 {
        // One bank; its NPL ratio in year 1 is defaults × 1 m / 100 m.
        let d1 = year_values(&p, 0, YearMetric::Defaults)[i];
        let paused = d1 / 100.0 > 0.03;
        assert_eq!(year_values(&p, 1, YearMetric::Pause)[i] > 0.5, paused);
        let refused = year_values(&p, 1, YearMetric::RefusedPaused)[i];
        let principal = year_values(&p, 1, YearMetric::RefusedPausedPrincipal)[i];
        let enrolled = year_values(&p, 1, YearMetric::Enrolled)[i];
        if paused {
            assert_eq!((refused, principal, enrolled), (50.0, 100_000_000.0, 0.0));
            // Defaults of refused loans are the bank's alone.
            let g = year_values(&p, 1, YearMetric::GrossLoss)[i];
            assert!(g == 0.0 || year_values(&p, 1, YearMetric::Claims)[i] < 0.5 * g);
        } else {
            assert_eq!((refused, enrolled), (0.0, 50.0));
        }
    }
}

#[test]
fn public_recovery_buyer_pays_its_share_of_the_value_at_default() {
    // Appraised = 1 m / 0.5 = 2 m; the buyer offers 30 % of the value at default
    // V_d = 2 m · exp(σz − σ²/2), the fixed LGD recovers 400 k; the bank takes the better,
    // at most the exposure. Expected gross loss = N ∫ p(z) (1 m − min(1 m, max(400 k,
    // 0.3 V_d(z)))) φ(z) dz, with one common factor (sector share 0).
    let paths = 4000;
    let p = part(&book2(
        "ratio = 0.5\nrecovery_buyer_share = 0.3",
        RICH_FUND,
        "pledge_rate = 0.5",
        paths,
    ));
    let sigma = FundModel::embedded_default()
        .collateral
        .industry_factor_volatility;
    let c = norm_inv(0.03);
    let rho = 0.15f64;
    let pz = |z: f64| norm_cdf((c - rho.sqrt() * z) / (1.0 - rho).sqrt());
    let offer = |z: f64| 0.3 * 2_000_000.0 * (sigma * z - 0.5 * sigma * sigma).exp();
    let loss =
        normal_expectation(|z| pz(z) * (1_000_000.0 - offer(z).clamp(400_000.0, 1_000_000.0)));
    let outlay = normal_expectation(|z| {
        let o = offer(z);
        pz(z)
            * if o > 400_000.0 {
                o.min(1_000_000.0)
            } else {
                0.0
            }
    });
    let g = horizon_sample(&p, Total::GrossLoss).mean();
    assert!(g.agrees_with(200.0 * loss), "{g:?} vs {}", 200.0 * loss);
    let o = horizon_sample(&p, Total::BuyerOutlay).mean();
    assert!(o.agrees_with(200.0 * outlay), "{o:?} vs {}", 200.0 * outlay);
    // The outlay is public money.
    for i in 0..paths as usize {
        let v = |m| lifetime_values(&p, m)[i];
        let cost = v(Total::Paid) - v(Total::RecoveriesToFund)
            + v(Total::Subsidies)
            + v(Total::BuyerOutlay);
        assert!((v(Total::PublicCost) - cost).abs() < 1e-6);
    }
}

#[test]
fn subsidies_pay_shares_with_caps() {
    // Interest: 0.4 × 5 % × 1 m = 20 k a year, capped at 15 k; valuation fee 1 % of the
    // appraised 1 m / 0.3, half refunded, capped at 10 k → 10 k; PD tiny so nobody defaults.
    let p = part(&book2(
        "ratio = 0.5",
        RICH_FUND,
        "annual_rate = 0.05\npd_1y = { fixed = 1e-12 }\n[subsidies]\ninterest = { share = 0.4, cap_per_firm_year = \"15000\" }\nvaluation_fee = { share = 0.5, cap = \"10000\" }",
        50,
    ));
    for i in 0..50 {
        assert_eq!(horizon_values(&p, Total::Defaults)[i], 0.0);
        assert!((year_values(&p, 0, YearMetric::Subsidies)[i] - 200.0 * 25_000.0).abs() < 1e-6);
        assert_eq!(year_values(&p, 1, YearMetric::Subsidies)[i], 0.0);
    }
    // Without the caps: 20 k interest + 16 667 valuation fee per loan.
    let p = part(&book2(
        "ratio = 0.5",
        RICH_FUND,
        "annual_rate = 0.05\npd_1y = { fixed = 1e-12 }\n[subsidies]\ninterest = { share = 0.4 }\nvaluation_fee = { share = 0.5 }",
        50,
    ));
    let want = 200.0 * (20_000.0 + 0.5 * 0.01 * 1e6 / 0.3);
    assert!((year_values(&p, 0, YearMetric::Subsidies)[0] - want).abs() < 1e-3);
}

#[test]
fn unlimited_liability_lets_the_balance_go_negative_and_counts_a_shortfall() {
    let p = part(&pool(
        100,
        0.02,
        0.12,
        "ratio = 0.5\nliability_limited_to_balance = false",
        "600000",
        3_000,
    ));
    for i in 0..3_000 {
        let d = horizon_values(&p, Total::Defaults)[i];
        assert!((horizon_values(&p, Total::Paid)[i] - d * 300_000.0).abs() < 1e-6);
        assert_eq!(horizon_values(&p, Total::Shortfall)[i] > 0.5, d > 2.0);
        assert!(
            (year_values(&p, 0, YearMetric::BalanceEnd)[i] - (600_000.0 - d * 300_000.0)).abs()
                < 1e-6
        );
    }
}

mod decisions;

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn claims_are_monotone_in_ratio_and_caps(
            r1 in 0.0f64..1.0, r2 in 0.0f64..1.0,
            c1 in 0u32..600_000, c2 in 0u32..600_000,
        ) {
            let (rl, rh) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
            let (cl, ch) = if c1 <= c2 { (c1, c2) } else { (c2, c1) };
            let run = |r: f64, c: u32| part(&pool(
                60, 0.04, 0.15,
                &format!("ratio = {r}\nper_loan_cap = \"{c}\""),
                "1000000000", 300,
            ));
            let lo = run(rl, cl);
            let hi_ratio = run(rh, cl);
            let hi_cap = run(rl, ch);
            for i in 0..300 {
                let base = horizon_values(&lo, Total::Claims)[i];
                prop_assert!(base <= horizon_values(&hi_ratio, Total::Claims)[i] + 1e-6);
                prop_assert!(base <= horizon_values(&hi_cap, Total::Claims)[i] + 1e-6);
            }
        }

        #[test]
        fn a_limited_fund_never_pays_more_than_it_holds_and_losses_add_up(
            capital in 0u64..20_000_000, ratio in 0.0f64..1.0, appropriation in 0u64..5_000_000,
        ) {
            let s = scenario(&format!(r#"
[scenario]
name = "prop"
horizon_years = 3
paths = 200
seed = 8
[[book.cohort]]
origination = "uniform"
count = 80
amount = {{ fixed = "1000000" }}
tenor_months = {{ 12 = 0.5, 24 = 0.5 }}
pd_1y = {{ fixed = 0.05 }}
[risk]
asset_correlation = 0.2
lgd = 0.7
[scheme]
ratio = {ratio}
trigger = "npl"
recoveries = "pro_rata"
disposal_delay_months = 9
[fund]
initial_capital = "{capital}"
appropriations = ["0", "{appropriation}", "{appropriation}"]
"#));
            let p = part(&s);
            for i in 0..200 {
                for y in 0..3 {
                    prop_assert!(year_values(&p, y, YearMetric::BalanceEnd)[i] >= -1e-6);
                    prop_assert!(year_values(&p, y, YearMetric::Paid)[i] <= year_values(&p, y, YearMetric::Claims)[i] + 1e-6);
                }
                // Over the lifetime (claims of the horizon settle in the run-off).
                let paid = lifetime_values(&p, Total::Paid)[i];
                let recovered = lifetime_values(&p, Total::RecoveriesToFund)[i];
                prop_assert!(paid <= capital as f64 + 2.0 * appropriation as f64 + recovered + 1e-6);
                let total = lifetime_values(&p, Total::BankLoss)[i] + paid - recovered
                    + lifetime_values(&p, Total::OtherPartiesLoss)[i];
                prop_assert!((total - lifetime_values(&p, Total::GrossLoss)[i]).abs() < 1e-3);
            }
        }
    }
}

#[test]
fn size_finds_the_capital_of_the_exact_finite_pool_quantile() {
    // Each default owes 300 k. With liability limited to the balance the fund falls short iff
    // more than capital / 300 k loans default, so the smallest capital with
    // P(shortfall) <= 5 % is 300 k x the smallest k with P(D > k) <= 5 % (Vasicek finite
    // pool, numerical integration). With resolution 300 k the search lands on a multiple of
    // 300 k: the empirical k* must be the exact one or a neighbour whose exact tail is within
    // 4 standard errors of the target.
    let paths = 20_000u64;
    let s = pool(
        100,
        0.02,
        0.12,
        "ratio = 0.5\nliability_limited_to_balance = true",
        "300000",
        paths,
    );
    let settings = Settings::for_scenario(&s, FundModel::embedded_default());
    let search = size::SizeSettings {
        target: 0.05,
        min_enrolled_share: 1.0,
        resolution: Money::from_yuan(300_000),
        max_capital: Money::from_yuan(30_000_000),
        start: Money::from_yuan(300_000),
    };
    let run = DrawnRun::draw(&s, &settings).unwrap();
    let answer = size::size(&run, &search).unwrap();
    assert_eq!(answer.binding, size::Binding::Shortfall);
    assert_eq!(answer.capital_for_leverage, Money::ZERO);
    // The re-run ledger gives exactly the full simulation at the answer.
    assert_eq!(
        answer.result,
        simulate_with_capital(&s, &settings, answer.initial_capital).unwrap()
    );
    let pmf = finite_pool_pmf(100, 0.02, 0.12);
    let tail = |k: usize| pmf[(k + 1)..].iter().sum::<f64>();
    let exact_k = (0..100).find(|&k| tail(k) <= 0.05).unwrap();
    let k = (answer.initial_capital.to_f64() / 300_000.0).round() as usize;
    let se = (0.05f64 * 0.95 / paths as f64).sqrt();
    assert!(
        k == exact_k || (tail(k.min(exact_k)) - 0.05).abs() <= ORACLE_SIGMAS * se,
        "search gave k = {k}, exact k = {exact_k} (tails {} / {})",
        tail(k),
        tail(exact_k)
    );
    assert!(answer.shortfall_probability <= 0.05);
    assert!(answer.bracket.below_shortfall_probability.unwrap() > 0.05);
    assert!((answer.shortfall_probability - tail(k)).abs() <= ORACLE_SIGMAS * se);
}

#[test]
fn collateral_lgd_is_the_valuations_liquidation_model() {
    // Independent one-year bullet loans of 1 m at pledge rate 0.3 (appraised 3.33 m), no
    // industry shock: a default loses max(1 m - 3.33 m x R x (1 - cost) x discount, 0) with R
    // the valuation's Beta realisation fraction. Exact mean by Simpson integration over R
    // (and over the factor, which the shock would move).
    let text = crate::model::DEFAULT_MODEL_TOML.replace(
        "industry_factor_volatility = 0.3",
        "industry_factor_volatility = 0.0",
    );
    let model =
        crate::model::Model::from_toml_str(&text, crate::model::ModelOrigin::Embedded).unwrap();
    let fund_model = FundModel::from_model(&model).unwrap();
    let liq = *crate::valuation::params::ValuationParams::from_model(&model)
        .unwrap()
        .liquidation();
    assert_eq!(
        fund_model.collateral.realisation_alpha,
        liq.realisation_alpha
    );
    let s = scenario(
        r#"
[scenario]
name = "collateral"
horizon_years = 1
paths = 4000
seed = 21
[[book.cohort]]
count = 200
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.05 }
pledge_rate = 0.3
[risk]
asset_correlation = 0.0
lgd = "collateral"
[scheme]
ratio = 0.5
[fund]
initial_capital = "100000000"
"#,
    );
    let settings = Settings::for_scenario(&s, fund_model.clone());
    let r = simulate(&s, &settings).unwrap();
    let (a, b) = (liq.realisation_alpha, liq.realisation_beta);
    let ln_beta = statrs::function::gamma::ln_gamma(a) + statrs::function::gamma::ln_gamma(b)
        - statrs::function::gamma::ln_gamma(a + b);
    let pdf = |x: f64| ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta).exp();
    // The sale: value at default × realisation × (1 − cost), received after the scheme's
    // 12-month disposal delay, discounted at the valuation's rate; the value at default is
    // the appraised value (1 m / 0.3) moved by the industry factor (independent of the
    // default at ρ = 0).
    let discount = 1.0 / (1.0 + fund_model.collateral.discount_rate);
    let sigma = fund_model.collateral.industry_factor_volatility;
    let sale = 1.0 / 0.3 * (1.0 - liq.disposal_cost) * discount;
    let n = 2_000;
    let h = 1.0 / n as f64;
    let integral = normal_expectation(|z| {
        let shock = (sigma * z - 0.5 * sigma * sigma).exp();
        let mut inner = 0.0;
        for i in 1..n {
            let x = i as f64 * h;
            let loss = (1.0 - sale * shock * x).max(0.0);
            inner += if i % 2 == 1 { 4.0 } else { 2.0 } * pdf(x) * loss;
        }
        inner * h / 3.0
    });
    let expected_loss_per_default = integral * 1_000_000.0;
    let g = r.horizon.gross_loss;
    let exact = 200.0 * 0.05 * expected_loss_per_default;
    assert!(
        (g.mean - exact).abs() < ORACLE_SIGMAS * g.stderr,
        "{} vs {exact} (stderr {})",
        g.mean,
        g.stderr
    );
}

#[test]
fn a_one_year_final_loss_book_owes_its_claims_in_the_run_off() {
    // 200 one-year loans of 1 m, PD 3 %, LGD 0.6, ratio 0.5, claims 12 months after default:
    // every claim falls due after the one-year horizon. Lifetime claims have the exact mean
    // ratio × LGD × amount × N × p; none is dropped.
    let paths = 4000;
    let s = pool(
        200,
        0.03,
        0.12,
        "ratio = 0.5\ntrigger = \"final_loss\"\ndisposal_delay_months = 12",
        "1000000000",
        paths,
    );
    let r = simulate(
        &s,
        &Settings::for_scenario(&s, FundModel::embedded_default()),
    )
    .unwrap();
    assert_eq!(r.horizon.fund_claims.mean, 0.0);
    assert_eq!(r.run_off.months, 12);
    let exact = 0.5 * 0.6 * 1_000_000.0 * 200.0 * 0.03;
    let c = r.lifetime.fund_claims;
    assert!(
        (c.mean - exact).abs() <= ORACLE_SIGMAS * c.stderr,
        "{} vs {exact} (stderr {})",
        c.mean,
        c.stderr
    );
    assert_eq!(r.lifetime.fund_claims, r.run_off.fund_claims);
    assert_eq!(r.lifetime.gross_loss, r.horizon.gross_loss);
}

/// `count` one-year loans of 1 m a year for `years` years, originated uniformly, ratio 0 (the
/// balance never moves), the given leverage room.
fn steady(count: u32, years: u32, capital: &str) -> FundResult {
    let s = scenario(&format!(
        r#"
[scenario]
name = "steady"
horizon_years = {years}
paths = 50
seed = 4
[[book.cohort]]
origination = "uniform"
count = {count}
amount = {{ fixed = "1000000" }}
pd_1y = {{ fixed = 0.02 }}
[book.growth]
annual_growth = 0
[risk]
asset_correlation = 0.1
lgd = 0.6
[scheme]
ratio = 0.0
[fund]
initial_capital = "{capital}"
leverage_limit = 10
"#
    ));
    simulate(
        &s,
        &Settings::for_scenario(&s, FundModel::embedded_default()),
    )
    .unwrap()
}

#[test]
fn steady_uniform_origination_enrols_everything_when_the_limit_covers_a_years_volume() {
    // 120 loans a year, ten a month, each outstanding 12 months: at most 120 m outstanding
    // at any month. A 10× limit on 12 m covers it exactly: nothing is refused, every year.
    let r = steady(120, 4, "12000000");
    assert_eq!(r.horizon.refused_leverage.mean, 0.0);
    assert_eq!(r.horizon.loans_enrolled.mean, 480.0);
    for y in &r.years {
        assert_eq!(y.loans_enrolled.mean, 120.0);
    }
    assert!(r.lifetime.peak_leverage.p999 <= 10.0 + 1e-9);
    // Half the room: loans wait for earlier ones to mature, about half enrol, and no
    // enrolment ever passes the limit.
    let half = steady(120, 4, "6000000");
    assert!(half.horizon.refused_leverage.mean > 0.0);
    let share = half.horizon.loans_enrolled.mean / 480.0;
    assert!((0.45..=0.6).contains(&share), "{share}");
    assert!(half.lifetime.peak_leverage.p999 <= 10.0 + 1e-9);
}

#[test]
fn the_reading_names_the_binding_constraint() {
    let codes = |r: &FundResult| r.reading.iter().map(|f| f.code.clone()).collect::<Vec<_>>();
    let tight = steady(120, 4, "6000000");
    assert!(
        codes(&tight).contains(&"leverage_binds".to_string()),
        "{:?}",
        codes(&tight)
    );
    let roomy = steady(120, 4, "12000000");
    assert!(!codes(&roomy).contains(&"leverage_binds".to_string()));
    // Ratio 0: nothing is ever owed, no path falls short, and the reading says so with the
    // bound rather than a bare 0 ± 0.
    let shortfall = roomy
        .reading
        .iter()
        .find(|f| f.code == "shortfall")
        .unwrap();
    assert!(
        shortfall.en.starts_with("No path of 50"),
        "{}",
        shortfall.en
    );
    // Every finding has both languages.
    for f in tight.reading.iter().chain(&roomy.reading) {
        assert!(!f.en.is_empty() && !f.zh.is_empty(), "{}", f.code);
    }
}
