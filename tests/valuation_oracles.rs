//! Valuation against closed forms (|MC − exact| < 4·stderr, or exact where the path is
//! deterministic), determinism across thread counts, a golden fixed-seed output, and the
//! financial invariants as property tests.

use ipledge::asset::{Asset, AssetKind, RawAsset, parse_json};
use ipledge::input::FieldPath;
use ipledge::model::Model;
use ipledge::money::Money;
use ipledge::stats::tolerance::CLOSED_FORM_REL;
use ipledge::stats::{EventCount, Sample};
use ipledge::valuation::{
    DEFAULT_AS_OF, PortfolioValuer, RawValuationParams, ValuationParams, ValuationSettings,
    value_portfolio,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const R: f64 = 0.12;

fn raw_params() -> RawValuationParams {
    RawValuationParams::from_model(&Model::embedded_default()).expect("default model")
}

/// Default parameters with no invalidation hazard, no obsolescence and no fees, so that a
/// path's value is the plain discounted royalty stream.
fn quiet_params() -> RawValuationParams {
    let mut p = raw_params();
    for kind in AssetKind::ALL {
        let k = p.kind.get_mut(kind);
        k.invalidation_hazard = 0.0;
        for b in &mut k.annual_fee {
            b.fee = Money::ZERO;
        }
        k.renewal_fee = None;
    }
    for i in ipledge::asset::Industry::ALL {
        p.industry.get_mut(i).obsolescence = 0.0;
    }
    p
}

fn asset(v: Value) -> Asset {
    let raw: RawAsset = serde_json::from_value(v).expect("a raw asset");
    raw.validate(&FieldPath::root()).expect("a valid asset")
}

/// An invention patent (filed 2016, term to 2036) with the given economics.
fn patent(economics: Value) -> Value {
    json!({
        "id": "CN201610601862.9", "kind": "invention",
        "filing_date": "2016-03-01", "grant_date": "2018-05-02", "status": "valid",
        "owners": ["A"], "ipc": "G06F 16/27", "economics": economics
    })
}

fn settings(paths: u64, seed: u64) -> ValuationSettings {
    ValuationSettings {
        paths,
        seed,
        as_of: DEFAULT_AS_OF,
    }
}

#[test]
fn zero_volatility_and_no_hazards_give_the_exact_discounted_annuity() {
    let params = quiet_params().validate().unwrap();
    let a = asset(patent(json!({
        "attributable_revenue": "10000000", "royalty_rate": 0.05,
        "revenue_growth": 0.0, "revenue_volatility": 0.0, "economic_life_years": 8
    })));
    let r = value_portfolio(
        &[a],
        &params,
        &Model::embedded_default(),
        &settings(2000, 1),
    )
    .unwrap();
    let exact = 0.05 * 10_000_000.0 * (1.0 - (1.0 + R).powi(-8)) / R;
    let v = &r.assets[0].value;
    assert!(
        (v.mean - exact).abs() <= CLOSED_FORM_REL * exact,
        "{} vs {exact}",
        v.mean
    );
    assert_eq!(v.sd, 0.0);
    assert_eq!(v.p5, v.p95);
    assert_eq!(
        r.assets[0].appraised_value,
        Money::from_f64_fen(exact).unwrap()
    );
}

#[test]
fn zero_volatility_with_growth_obsolescence_and_a_partial_last_year() {
    let mut raw = quiet_params();
    raw.industry.next_gen_it.obsolescence = 0.1;
    let params = raw.validate().unwrap();
    let (g, life, base) = (0.04, 7.5, 0.05 * 8_000_000.0 + 100_000.0);
    let a = asset(patent(json!({
        "attributable_revenue": "8000000", "royalty_rate": 0.05, "license_income": "100000",
        "revenue_growth": g, "revenue_volatility": 0.0, "economic_life_years": life
    })));
    let v = PortfolioValuer::new(&[a], &params, DEFAULT_AS_OF).unwrap();
    let sim = v.simulate(1, 100).unwrap();
    // Year k pays base·e^((g − λ)·t_k)·Δ_k at t_k = min(k, life).
    let exact: f64 = (1..=8)
        .map(|k| {
            let t = f64::from(k).min(life);
            let dt = t - f64::from(k - 1);
            base * ((g - 0.1) * t).exp() * dt * (1.0 + R).powf(-t)
        })
        .sum();
    let m = sim.values[0].mean().value;
    assert!(
        (m - exact).abs() <= CLOSED_FORM_REL * exact,
        "{m} vs {exact}"
    );
    assert!((v.expected_values()[0] - exact).abs() <= CLOSED_FORM_REL * exact);
}

#[test]
fn lognormal_revenue_without_hazards_matches_the_expected_royalty_stream() {
    let params = quiet_params().validate().unwrap();
    let (g, s) = (0.05, 0.4);
    let a = asset(patent(json!({
        "attributable_revenue": "10000000", "royalty_rate": 0.05,
        "revenue_growth": g, "revenue_volatility": s, "economic_life_years": 8
    })));
    let v = PortfolioValuer::new(&[a], &params, DEFAULT_AS_OF).unwrap();
    let sim = v.simulate(11, 20_000).unwrap();
    // revenue_growth is the growth of expected revenue: E[R_t] = R_0·e^(g·t).
    let exact: f64 = (1..=8)
        .map(|t| 0.05 * 10_000_000.0 * (g * f64::from(t)).exp() / (1.0 + R).powi(t))
        .sum();
    let est = sim.values[0].mean();
    assert!(est.agrees_with(exact), "{est:?} vs {exact}");
    assert!(est.stderr > 0.0);
}

#[test]
fn under_invalidation_outcomes_have_the_cnipa_frequencies() {
    let raw = quiet_params();
    let params = raw.validate().unwrap();
    let cases = [
        (AssetKind::Invention, "CN201610601862.9", 0.253, 0.149),
        (AssetKind::UtilityModel, "CN201620601862.4", 0.392, 0.182),
        (AssetKind::Design, "CN201630601862.X", 0.46, 0.011),
    ];
    for (kind, id, whole, partial) in cases {
        let mut v = patent(json!({
            "attributable_revenue": "1000000", "revenue_volatility": 0.0,
            "economic_life_years": 5
        }));
        v["kind"] = json!(kind.name());
        v["id"] = json!(id);
        v["status"] = json!("under_invalidation");
        let valuer = PortfolioValuer::new(&[asset(v)], &params, DEFAULT_AS_OF).unwrap();
        let full = valuer.expected_values()[0] / (1.0 - whole - partial * 0.5);
        let sim = valuer.simulate(21, 20_000).unwrap();
        let (mut w, mut p) = (EventCount::default(), EventCount::default());
        for &x in sim.values[0].values() {
            w.record(x == 0.0);
            p.record((x - 0.5 * full).abs() < 1e-6 * full);
            assert!(
                x == 0.0 || (x - 0.5 * full).abs() < 1e-6 * full || (x - full).abs() < 1e-6 * full
            );
        }
        assert!(
            w.estimate().agrees_with(whole),
            "{kind:?} whole {:?}",
            w.estimate()
        );
        assert!(
            p.estimate().agrees_with(partial),
            "{kind:?} partial {:?}",
            p.estimate()
        );
    }
}

#[test]
fn liquidation_mean_is_value_mean_times_realisation_mean_when_independent() {
    let mut raw = raw_params();
    raw.liquidation.min_realisation = 0.0;
    raw.liquidation.disposal_cost = 0.0;
    raw.liquidation.disposal_delay_months_min = 0.0;
    raw.liquidation.disposal_delay_months_max = 0.0;
    let params = raw.validate().unwrap();
    let assets = parse_json(include_str!("../scenarios/samples/next-gen-it-10.json")).unwrap();
    let v = PortfolioValuer::new(&assets, &params, DEFAULT_AS_OF).unwrap();
    let sim = v.simulate(5, 20_000).unwrap();
    // L − 0.25·V = V·(f − 0.25) has mean zero when f is independent of V.
    let diff: Sample = sim
        .portfolio_liquidation
        .values()
        .iter()
        .zip(sim.portfolio_value.values())
        .map(|(l, v)| l - 0.25 * v)
        .collect();
    let est = diff.mean();
    assert!(est.agrees_with(0.0), "{est:?}");
    let ratio = sim.portfolio_liquidation.mean().value / sim.portfolio_value.mean().value;
    assert!((ratio - 0.25).abs() < 0.01, "{ratio}");
}

fn sample_result(threads: usize, paths: u64) -> String {
    let assets = parse_json(include_str!("../scenarios/samples/next-gen-it-10.json")).unwrap();
    let params = ValuationParams::embedded_default();
    let model = Model::embedded_default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let r = pool
        .install(|| value_portfolio(&assets, &params, &model, &settings(paths, 42)))
        .unwrap();
    serde_json::to_string(&r).unwrap()
}

#[test]
fn same_seed_gives_identical_json_at_one_and_two_threads() {
    let one = sample_result(1, 3 * 1024 + 77);
    let two = sample_result(2, 3 * 1024 + 77);
    assert_eq!(one, two);
    assert_ne!(one, sample_result(1, 3 * 1024 + 78));
}

#[test]
fn golden_mixed_pledge_at_seed_7() {
    let assets = parse_json(include_str!("../scenarios/samples/mixed-pledge.json")).unwrap();
    let r = value_portfolio(
        &assets,
        &ValuationParams::embedded_default(),
        &Model::embedded_default(),
        &settings(2000, 7),
    )
    .unwrap();
    insta::assert_json_snapshot!(r, { ".model_sha256" => "[sha256]" });
}

fn one_asset(
    royalty: f64,
    revenue: u64,
    vol: f64,
    growth: f64,
    status: &str,
    kind: usize,
) -> Value {
    let (kind, id, grant) = [
        ("invention", "CN201610601862.9", "2018-05-02"),
        ("utility_model", "CN201620601862.4", "2016-09-01"),
        ("trademark", "12345678", "2017-03-01"),
    ][kind];
    json!({
        "id": id, "kind": kind, "filing_date": "2016-03-01", "grant_date": grant,
        "status": status, "owners": ["A"], "ipc": "H04L",
        "economics": {
            "attributable_revenue": revenue, "royalty_rate": royalty,
            "revenue_volatility": vol, "revenue_growth": growth
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn values_are_non_negative_monotone_in_royalty_and_liquidation_is_below_value(
        royalty in 0.0f64..0.1,
        bump in 0.0f64..0.05,
        revenue in 0u64..20_000_000,
        vol in 0.0f64..1.0,
        growth in -0.2f64..0.2,
        status in prop::sample::select(vec!["valid", "under_invalidation", "lapsed"]),
        kind in 0usize..3,
        seed in 0u64..1000,
    ) {
        let params = ValuationParams::embedded_default();
        let other = asset(patent(json!({ "attributable_revenue": "3000000" })));
        let run = |r: f64| {
            let a = asset(one_asset(r, revenue, vol, growth, status, kind));
            let v = PortfolioValuer::new(&[a, other.clone()], &params, DEFAULT_AS_OF).unwrap();
            v.simulate(seed, 300).unwrap()
        };
        let low = run(royalty);
        let high = run(royalty + bump);
        for (i, (lo, hi)) in low.values[0].values().iter().zip(high.values[0].values()).enumerate() {
            prop_assert!(*lo >= 0.0);
            prop_assert!(lo <= hi, "path {}: {} > {}", i, lo, hi);
        }
        // The other asset's paths do not move when this one's royalty changes.
        prop_assert_eq!(low.values[1].values(), high.values[1].values());
        for (v, l) in low.values.iter().zip(&low.liquidation) {
            for (x, y) in v.values().iter().zip(l.values()) {
                prop_assert!(*y >= 0.0 && y <= x);
            }
        }
        for (x, y) in low.portfolio_value.values().iter().zip(low.portfolio_liquidation.values()) {
            prop_assert!(*y >= 0.0 && y <= x);
        }
    }
}
