use super::*;
use crate::scenario::NoFiles;

fn scenario(text: &str) -> Scenario {
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
