//! `fund capacity`, `compare` and `optimise`: the re-run ledger against full simulations and
//! the searches against exact answers.

use super::*;
use crate::fund::capacity::{CapacityBinding, CapacitySettings, capacity};
use crate::fund::optimise::{Objective, OptimiseSettings, Vary, optimise};
use crate::fund::sweep::{Point, scenario_at};

const RULES: &str = r#"
[scenario]
name = "rules"
horizon_years = 3
paths = 1500
seed = 21
[[book.cohort]]
year = 1
origination = "uniform"
count = 120
amount = { median = "2000000", p90 = "5000000" }
tenor_months = { 12 = 0.5, 24 = 0.5 }
pd_1y = { mean = 0.04, dispersion = 0.6 }
industry = { next_gen_it = 0.5, biomedicine = 0.5 }
bank = { a = 0.6, b = 0.4 }
[[book.cohort]]
year = 2
origination = "uniform"
count = 150
amount = { fixed = "3000000" }
tenor_months = 24
pd_1y = { fixed = 0.05 }
bank = { a = 0.5, b = 0.5 }
[risk]
asset_correlation = 0.15
sector_share = 0.3
lgd = 0.6
[scheme]
ratio = 0.5
per_loan_cap = "1000000"
pause_bank_npl_above = 0.06
[fund]
initial_capital = "30000000"
leverage_limit = 10
"#;

fn text_point(pairs: &[(&str, toml::Value)]) -> Point {
    Point(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn the_evaluator_gives_exactly_the_full_simulation_of_every_rule_variant() {
    let base = scenario(RULES);
    let settings = Settings::for_scenario(&base, FundModel::embedded_default());
    let mut evaluator = Evaluator::new(&settings, 1);
    let variants = [
        text_point(&[]),
        text_point(&[("scheme.ratio", toml::Value::Float(0.3))]),
        text_point(&[("scheme.per_loan_cap", toml::Value::Integer(400_000))]),
        text_point(&[("fund.leverage_limit", toml::Value::Integer(4))]),
        text_point(&[("scheme.pause_bank_npl_above", toml::Value::Float(0.02))]),
        text_point(&[("fund.initial_capital", toml::Value::Integer(5_000_000))]),
        text_point(&[(
            "scheme.eligibility.max_loan",
            toml::Value::Integer(2_500_000),
        )]),
        // Moves the sale discount: needs its own draw, on the same seed.
        text_point(&[("scheme.disposal_delay_months", toml::Value::Integer(30))]),
    ];
    for point in &variants {
        let s = scenario_at(RULES, point, &NoFiles).unwrap();
        let reused = evaluator.evaluate(&s, 1.0).unwrap();
        let fresh = simulate(&s, &settings).unwrap();
        assert_eq!(reused, fresh, "at {point}");
    }
    assert_eq!(
        evaluator.draws, 2,
        "only the disposal delay needs a draw of its own"
    );
    assert_eq!(evaluator.ledger_passes, variants.len() as u32);
    // The rules moved the numbers (the comparison above is not between equal results).
    let ratio = scenario_at(RULES, &variants[1], &NoFiles).unwrap();
    let a = evaluator.evaluate(&base, 1.0).unwrap();
    let b = evaluator.evaluate(&ratio, 1.0).unwrap();
    assert!(b.lifetime.fund_claims.mean < a.lifetime.fund_claims.mean);
}

#[test]
fn a_variant_that_moves_the_draws_is_refused_by_a_kept_draw() {
    let base = scenario(RULES);
    let settings = Settings::for_scenario(&base, FundModel::embedded_default());
    let run = DrawnRun::draw(&base, &settings).unwrap();
    let point = text_point(&[("risk.asset_correlation", toml::Value::Float(0.3))]);
    let other = scenario_at(RULES, &point, &NoFiles).unwrap();
    let v = Variant {
        scenario: &other,
        multiple: 1.0,
        capital: other.fund.initial_capital,
        leverage: size::Leverage::AsWritten,
    };
    assert!(matches!(
        run.evaluate_variant(&v),
        Err(FundError::NotSameDraw)
    ));
    let v = Variant {
        scenario: &base,
        multiple: 1.5,
        ..v
    };
    assert!(matches!(
        run.evaluate_variant(&v),
        Err(FundError::BadMultiple { .. })
    ));
}

#[test]
fn book_multiples_scale_every_cohort_and_copy_zero_is_the_planned_book() {
    let base = scenario(RULES);
    let settings = Settings::for_scenario(&base, FundModel::embedded_default());
    let planned = simulate(&base, &settings).unwrap().assumptions.book;
    let run = DrawnRun::draw_copies(&base, &settings, 3).unwrap();
    let at = |m: f64| {
        run.evaluate_variant(&Variant {
            scenario: &base,
            multiple: m,
            capital: base.fund.initial_capital,
            leverage: size::Leverage::AsWritten,
        })
        .unwrap()
        .assumptions
        .book
    };
    // Copy 0 is exactly the scenario's book.
    assert_eq!(at(1.0), planned);
    let two = at(2.0);
    assert_eq!(two.loans, 2 * planned.loans);
    assert_eq!(two.by_year[0].loans, 240);
    assert_eq!(two.by_year[1].loans, 300);
    // Half a copy more: 60 + 75 more loans, and year 1's extra loans spread over the year (a
    // partial copy takes bit-reversed positions, not the first months).
    let half = at(2.5);
    assert_eq!(half.by_year[0].loans, 300);
    assert_eq!(half.by_year[1].loans, 375);
    let loans = run.book_loans();
    assert_eq!(loans.len(), 3 * 270);
    assert_eq!(at(0.0).loans, 0);
}

#[test]
fn capacity_is_the_largest_book_of_the_exact_finite_pool_law() {
    // Ten loans per copy; each default owes 300 k and the fund holds 4 × 300 k, so the fund
    // fails iff more than 4 loans default: the capacity (step 0.1 = one loan) is the largest
    // N with P(D_N > 4) <= 5 % under the finite Vasicek law. The empirical answer N must be
    // such that its exact tail is within 4 standard errors of the target from below and the
    // next size's from above.
    let paths = 20_000u64;
    let s = pool(10, 0.02, 0.12, "ratio = 0.5", "1200000", paths);
    let settings = Settings::for_scenario(&s, FundModel::embedded_default());
    let cs = CapacitySettings {
        target: 0.05,
        min_enrolled_share: 1.0,
        resolution: 0.1,
        max_multiple: 16.0,
    };
    let r = capacity(&s, &settings, &cs).unwrap();
    assert_eq!(r.binding, CapacityBinding::Shortfall);
    let n = (r.book_multiple * 10.0).round() as u32;
    assert_eq!(r.loans, u64::from(n));
    let tail = |n: u32| finite_pool_pmf(n, 0.02, 0.12)[5..].iter().sum::<f64>();
    let se = (0.05f64 * 0.95 / paths as f64).sqrt();
    assert!(tail(n) <= 0.05 + 4.0 * se, "N = {n}: tail {}", tail(n));
    assert!(
        tail(n + 1) >= 0.05 - 4.0 * se,
        "N + 1 = {}: tail {}",
        n + 1,
        tail(n + 1)
    );
    assert!(r.shortfall_probability <= 0.05);
    let above = r.bracket.above.unwrap();
    assert!((above - r.book_multiple - 0.1).abs() < 1e-9);
    assert!(r.bracket.above_shortfall_probability.unwrap() > 0.05);
    assert!(
        r.draws <= 5 && r.ledger_passes < 30,
        "{} draws, {} passes",
        r.draws,
        r.ledger_passes
    );
}

#[test]
fn capacity_stops_where_the_leverage_limit_starts_refusing() {
    // No default can make the fund short (PD tiny, capital large), but a limit of 10 × 5 m
    // leaves room for exactly 50 loans of 1 m: 5 copies of 10.
    let s = pool(
        10,
        0.0001,
        0.12,
        "ratio = 0.5\nleverage_limit = 10",
        "5000000",
        500,
    );
    let settings = Settings::for_scenario(&s, FundModel::embedded_default());
    let cs = CapacitySettings {
        target: 0.05,
        min_enrolled_share: 1.0,
        resolution: 0.1,
        max_multiple: 16.0,
    };
    let r = capacity(&s, &settings, &cs).unwrap();
    assert_eq!(r.binding, CapacityBinding::Leverage);
    assert!((r.book_multiple - 5.0).abs() < 1e-9, "{}", r.book_multiple);
    assert!((r.credit_enabled - 50e6).abs() < 1.0);
}

const SMALL: &str = r#"
[scenario]
name = "small"
horizon_years = 2
paths = 1200
seed = 3
[[book.cohort]]
year = 1
origination = "uniform"
count = 60
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.04 }
[[book.cohort]]
year = 2
origination = "uniform"
count = 60
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.04 }
[risk]
asset_correlation = 0.2
lgd = 0.6
[scheme]
ratio = 0.5
[fund]
initial_capital = "3000000"
leverage_limit = 12
"#;

#[test]
fn optimise_finds_the_best_point_of_an_exhaustive_grid_of_full_simulations() {
    let base = scenario(SMALL);
    let settings = Settings::for_scenario(&base, FundModel::embedded_default());
    let vary = vec![
        Vary::parse("scheme.ratio=0.2..0.8:4").unwrap(),
        Vary::parse("fund.initial_capital=2000000..6000000:3").unwrap(),
        Vary::parse("scheme.per_loan_cap=200000..600000:3").unwrap(),
    ];
    let target = 0.10;
    let budget = Money::from_yuan(5_000_000);
    for objective in [
        Objective::CreditEnabled,
        Objective::Key("scheme.ratio".to_string()),
        Objective::LeastPublicCostPerCredit,
    ] {
        let mut evaluator = Evaluator::new(&settings, 1);
        let search = OptimiseSettings {
            target,
            budget: Some(budget),
            refine: 0,
        };
        let r = optimise(SMALL, &NoFiles, &vary, &objective, &search, &mut evaluator).unwrap();
        assert_eq!(r.points.len(), 36);
        assert_eq!(r.simulations, 1, "one draw for the whole grid");
        // Brute force: a full simulation of every grid point, the same rule for the best.
        // (objective, shortfall, point) of the best feasible point so far.
        type Best = (f64, f64, Vec<(String, f64)>);
        let mut best: Option<Best> = None;
        for (i, p) in r.points.iter().enumerate() {
            let point = Point(
                p.point
                    .iter()
                    .map(|(k, v)| {
                        let value = if v.fract() == 0.0 {
                            toml::Value::Integer(*v as i64)
                        } else {
                            toml::Value::Float(*v)
                        };
                        (k.clone(), value)
                    })
                    .collect(),
            );
            let s = scenario_at(SMALL, &point, &NoFiles).unwrap();
            let full = simulate(&s, &settings).unwrap();
            assert_eq!(
                p.shortfall_probability, full.lifetime.shortfall_probability,
                "point {i}"
            );
            assert_eq!(
                p.credit_enabled, full.horizon.credit_enabled.mean,
                "point {i}"
            );
            let objective_value = match &objective {
                Objective::CreditEnabled => full.horizon.credit_enabled.mean,
                Objective::Key(k) => p.point[k],
                _ => -full.lifetime.public_cost_per_credit,
            };
            let within = s.fund.initial_capital <= budget;
            let feasible = within && full.lifetime.shortfall_probability <= target;
            assert_eq!(p.feasible, feasible, "point {i}");
            if feasible {
                let sf = full.lifetime.shortfall_probability;
                let better = best.as_ref().is_none_or(|(o, b, _)| {
                    objective_value > *o || (objective_value == *o && sf < *b)
                });
                if better {
                    best = Some((
                        objective_value,
                        sf,
                        p.point.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                    ));
                }
            }
        }
        let (value, _, point) = best.expect("the grid has feasible points");
        let optimum = r.optimum.expect("an optimum");
        assert_eq!(optimum.objective, value, "{objective:?}");
        assert_eq!(
            optimum.point.into_iter().collect::<Vec<_>>(),
            point,
            "{objective:?}"
        );
        // The frontier: no point within budget beats a frontier point on both counts.
        for f in &r.frontier {
            assert!(r.points.iter().filter(|p| p.within_budget).all(|p| {
                !(p.objective > f.objective && p.shortfall_probability < f.shortfall_probability)
            }));
        }
    }
}

#[test]
fn optimise_finds_the_closed_form_largest_ratio() {
    // One-year pool, 100 loans of 1 m, LGD 0.6, capital K = 2 m, liability limited to the
    // balance: at ratio r each default owes 600 k · r and the fund pays floor(K / (600 k r))
    // of them, so P(shortfall) <= P iff floor(K / (600 k r)) >= k*, the smallest k with
    // P(D > k) <= P: the largest ratio is K / (600 k · k*) exactly. P sits midway between the
    // exact tails at k* − 1 and k* (far from both in standard errors).
    let paths = 20_000u64;
    let pmf = finite_pool_pmf(100, 0.02, 0.12);
    let tail = |k: usize| pmf[(k + 1)..].iter().sum::<f64>();
    let k_star = 7;
    let target = (tail(k_star) + tail(k_star - 1)) / 2.0;
    let se = (target * (1.0 - target) / paths as f64).sqrt();
    assert!(tail(k_star - 1) - target > 4.0 * se && target - tail(k_star) > 4.0 * se);
    let text = r#"
[scenario]
name = "ratio"
horizon_years = 1
paths = 20000
seed = 11
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
initial_capital = "2000000"
"#;
    let base = scenario(text);
    let settings = Settings::for_scenario(&base, FundModel::embedded_default());
    let mut evaluator = Evaluator::new(&settings, 1);
    let vary = vec![Vary::parse("scheme.ratio=0.1..1.0:10").unwrap()];
    let search = OptimiseSettings {
        target,
        budget: None,
        refine: 10,
    };
    let r = optimise(
        text,
        &NoFiles,
        &vary,
        &Objective::Key("scheme.ratio".to_string()),
        &search,
        &mut evaluator,
    )
    .unwrap();
    let exact = 2_000_000.0 / (600_000.0 * k_star as f64);
    let found = r.optimum.unwrap().objective;
    let step = 0.1 / 1024.0;
    assert!(
        found <= exact + 1e-12 && exact - found <= step + 1e-12,
        "{found} vs {exact}"
    );
    let refinement = r.refinement.unwrap();
    assert!(refinement.infeasible > exact && refinement.infeasible - exact <= step + 1e-12);
    assert_eq!(r.simulations, 1);
    assert_eq!(r.ledger_passes, 10 + refinement.points);
}

#[test]
fn compare_puts_the_scenarios_scheme_first_and_runs_every_scheme_on_one_draw() {
    let base = scenario(SMALL);
    let settings = Settings::for_scenario(&base, FundModel::embedded_default());
    let mut evaluator = Evaluator::new(&settings, 1);
    let schemes = vec!["sba-7a".to_string(), "shenzhen-pool".to_string()];
    let r = crate::fund::compare::compare(SMALL, &NoFiles, &schemes, &mut evaluator).unwrap();
    assert_eq!(r.schemes.len(), 3);
    assert_eq!(r.schemes[0].label, crate::fund::compare::OWN);
    assert_eq!(r.schemes[1].scheme, "sba-7a");
    for c in &r.schemes[1..] {
        let point = text_point(&[("scheme", toml::Value::String(c.label.clone()))]);
        let s = scenario_at(SMALL, &point, &NoFiles).unwrap();
        assert_eq!(c.result, simulate(&s, &settings).unwrap());
    }
    // The same defaults under every scheme: equal default counts path for path in mean.
    let d = |i: usize| r.schemes[i].result.lifetime.defaults.mean;
    assert_eq!(d(0), d(1));
    // Shenzhen's pool (NPL trigger, disposal 18 months) needs its own draw of recoveries.
    assert_eq!(r.simulations, 2);
    assert!(r.schemes[1].figures.fund_claims.mean > r.schemes[0].figures.fund_claims.mean);
}

#[test]
fn a_probe_is_exactly_the_probe_of_the_full_result_for_every_capital_and_both_leverages() {
    // RULES has a leverage limit, a pause rule and two banks: months enrol at once, loan by
    // loan and not at all, depending on the capital.
    let base = scenario(RULES);
    let mut settings = Settings::for_scenario(&base, FundModel::embedded_default());
    settings.paths = 1200;
    let run = DrawnRun::draw(&base, &settings).unwrap();
    for capital in [0, 2_000_000, 9_000_000, 30_000_000, 400_000_000] {
        let capital = Money::new(rust_decimal::Decimal::from(capital));
        for leverage in [size::Leverage::AsWritten, size::Leverage::Lifted] {
            assert_eq!(
                run.probe(capital, leverage),
                size::Probe::of(&run.evaluate_with(capital, leverage)),
                "{capital} {leverage:?}"
            );
        }
    }
}
