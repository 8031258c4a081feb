//! Slow convergence runs of the fund engine against closed forms (listed in
//! `.ci/ignored-tests.list`, run in release mode by CI). The fast versions of these oracles run
//! in `cargo test` (`fund::tests`).

use ipledge::fund::{FundModel, Settings, simulate};
use ipledge::scenario::{NoFiles, Scenario};

fn pool(n: u32, paths: u64) -> Scenario {
    let text = format!(
        r#"
[scenario]
name = "pool"
horizon_years = 1
paths = {paths}
seed = 2024
[[book.cohort]]
count = {n}
amount = {{ fixed = "1000000" }}
pd_1y = {{ fixed = 0.02 }}
[risk]
asset_correlation = 0.12
lgd = 0.6
[scheme]
ratio = 0.5
[fund]
initial_capital = "1000000000000"
"#
    );
    Scenario::from_toml_str(&text, &NoFiles).unwrap()
}

#[test]
#[ignore = "million-path convergence run (CI, by name)"]
fn finite_pool_quantiles_at_a_million_paths() {
    let s = pool(100, 1_000_000);
    let r = simulate(
        &s,
        &Settings::for_scenario(&s, FundModel::embedded_default()),
    )
    .unwrap();
    let d = r.horizon.defaults;
    // docs/models.md, "Checks": 95/99/99.9 % quantiles 7/11/17; mean N·p = 2 within 4 stderr.
    assert_eq!((d.p95, d.p99, d.p999), (7.0, 11.0, 17.0), "{d:?}");
    assert!((d.mean - 2.0).abs() < 4.0 * d.stderr, "{d:?}");
    // Fund claims are 300 k per default: quantiles move exactly.
    assert_eq!(r.horizon.fund_claims.p99, 11.0 * 300_000.0);
}

#[test]
#[ignore = "convergence run (CI, by name)"]
fn large_pool_quantiles_of_the_loss_fraction() {
    let n = 50_000;
    let s = pool(n, 200_000);
    let r = simulate(
        &s,
        &Settings::for_scenario(&s, FundModel::embedded_default()),
    )
    .unwrap();
    let d = r.horizon.defaults;
    // q99 = 9.172 %, q99.9 = 14.728 % (large-pool Vasicek); finite N and sampling error of an
    // upper quantile at 200k paths keep the empirical quantiles within a few tenths of a point.
    let q99 = d.p99 / f64::from(n);
    let q999 = d.p999 / f64::from(n);
    assert!((q99 - 0.09172).abs() < 0.003, "{q99}");
    assert!((q999 - 0.14728).abs() < 0.006, "{q999}");
}
