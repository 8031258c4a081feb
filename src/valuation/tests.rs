//! Unit tests of the valuation layer: the high-value rule, the score, the precomputed terms
//! and the liquidation at default (oracles, determinism and CLI tests live in `tests/`).

use serde_json::json;

use super::*;
use crate::asset::{AssetKind, Industry, RawAsset, parse_csv, parse_json};
use crate::input::FieldPath;
use crate::loss::CollateralAtDefault;
use crate::stats::Sample;

fn sample() -> Vec<Asset> {
    parse_json(include_str!("../../scenarios/samples/next-gen-it-10.json")).unwrap()
}

fn params() -> ValuationParams {
    ValuationParams::embedded_default()
}

fn asset(value: serde_json::Value) -> Asset {
    let raw: RawAsset = serde_json::from_value(value).unwrap();
    raw.validate(&FieldPath::root()).unwrap()
}

fn invention() -> serde_json::Value {
    json!({
        "id": "CN201710601862.3", "kind": "invention",
        "filing_date": "2017-07-26", "grant_date": "2020-03-10", "status": "valid",
        "owners": ["A"], "ipc": "G06F 16/27", "claims": 12, "independent_claims": 2,
        "economics": { "attributable_revenue": "10000000" }
    })
}

#[test]
fn the_first_sample_patent_meets_all_five_criteria() {
    let assets = sample();
    let p = params();
    let a = &assets[0];
    let hv = high_value(a, p.resolve_industry(a), &p, DEFAULT_AS_OF);
    assert!(hv.is_high_value);
    assert_eq!(
        hv.criteria,
        [
            Criterion::StrategicEmergingIndustry,
            Criterion::OverseasFamily,
            Criterion::MaintainedOver10Years,
            Criterion::HighPledgeAmount,
            Criterion::MajorAward
        ]
    );
    assert_eq!(
        serde_json::to_value(&hv.criteria).unwrap(),
        json!([
            "strategic_emerging_industry",
            "overseas_family",
            "maintained_over_10_years",
            "high_pledge_amount",
            "major_award"
        ])
    );
}

#[test]
fn only_valid_inventions_qualify() {
    let p = params();
    let pending = asset(json!({
        "id": "CN201710601862.3", "kind": "invention", "filing_date": "2017-07-26",
        "grant_date": "2020-03-10", "status": "under_invalidation", "owners": ["A"],
        "ipc": "G06F", "economics": { "attributable_revenue": 1 }
    }));
    let hv = high_value(&pending, Industry::NextGenIt, &p, DEFAULT_AS_OF);
    assert!(!hv.is_high_value);
    assert_eq!(hv.criteria, [Criterion::StrategicEmergingIndustry]);
    let utility = asset(json!({
        "id": "CN201720601862.9", "kind": "utility_model", "filing_date": "2017-07-26",
        "grant_date": "2018-03-10", "status": "valid", "owners": ["A"],
        "family_countries": ["US"], "economics": { "attributable_revenue": 1 }
    }));
    let hv = high_value(&utility, Industry::NextGenIt, &p, DEFAULT_AS_OF);
    assert!(!hv.is_high_value);
    assert!(hv.criteria.contains(&Criterion::OverseasFamily));
    // Exactly ten years is not "more than ten years".
    let ten = asset(json!({
        "id": "CN201610601862.9", "kind": "invention", "filing_date": "2016-01-01",
        "grant_date": "2018-03-10", "status": "valid", "owners": ["A"], "ipc": "A01B",
        "pledge_history": ["9999999.99"], "awards": ["provincial_patent_award"],
        "economics": { "attributable_revenue": 1 }
    }));
    let hv = high_value(&ten, Industry::Other, &p, DEFAULT_AS_OF);
    assert!(hv.criteria.is_empty() && !hv.is_high_value, "{hv:?}");
}

#[test]
fn contributions_sum_to_the_composite_and_stay_in_range() {
    let mut raw = RawValuationParams::from_model(&Model::embedded_default()).unwrap();
    raw.score.drivers = 100;
    let p = raw.validate().unwrap();
    for a in sample() {
        let s = score::value_score(
            &a,
            score::ScoreInputs {
                industry: p.resolve_industry(&a),
                remaining_legal_years: 8.0,
                revenue_growth: 0.06,
                as_of: DEFAULT_AS_OF,
                major_award: false,
            },
            p.score(),
        );
        let sum: f64 = s.drivers.iter().map(|d| d.contribution).sum();
        assert!((sum - s.composite).abs() < 1e-9, "{sum} vs {}", s.composite);
        for x in [s.legal, s.technical, s.economic, s.composite] {
            assert!((0.0..=100.0).contains(&x), "{x}");
        }
        assert!(
            s.drivers
                .windows(2)
                .all(|w| w[0].contribution >= w[1].contribution)
        );
    }
}

#[test]
fn a_trademark_is_scored_without_patent_proxies() {
    let tm = asset(json!({
        "id": "24518836", "kind": "trademark", "filing_date": "2017-06-08",
        "grant_date": "2018-06-07", "status": "valid", "owners": ["A"],
        "industry": "new_energy_vehicles",
        "economics": { "attributable_revenue": "45000000" }
    }));
    let mut raw = RawValuationParams::from_model(&Model::embedded_default()).unwrap();
    raw.score.drivers = 100;
    let p = raw.validate().unwrap();
    let s = score::value_score(
        &tm,
        score::ScoreInputs {
            industry: Industry::NewEnergyVehicles,
            remaining_legal_years: f64::INFINITY,
            revenue_growth: 0.05,
            as_of: DEFAULT_AS_OF,
            major_award: false,
        },
        p.score(),
    );
    let names: Vec<&str> = s.drivers.iter().map(|d| d.proxy.as_str()).collect();
    for absent in ["claims", "independent_claims", "citations", "family"] {
        assert!(!names.contains(&absent), "{names:?}");
    }
    assert_eq!(s.technical, 100.0 * 0.20 / 0.40);
}

#[test]
fn grades_follow_the_thresholds() {
    let p = params();
    let g = |x| Grade::of(x, p.score());
    assert_eq!(
        [
            g(95.0),
            g(80.0),
            g(79.9),
            g(65.0),
            g(50.0),
            g(35.0),
            g(10.0)
        ],
        [
            Grade::A,
            Grade::A,
            Grade::B,
            Grade::B,
            Grade::C,
            Grade::D,
            Grade::E
        ]
    );
}

#[test]
fn remaining_lives_follow_kind_and_status() {
    let p = params();
    let mut lapsed = invention();
    lapsed["status"] = json!("lapsed");
    let tm = json!({
        "id": "24518836", "kind": "trademark", "filing_date": "2017-06-08",
        "grant_date": "2018-06-07", "status": "valid", "owners": ["A"],
        "economics": { "attributable_revenue": "1000000" }
    });
    let sw = json!({
        "id": "2021SR0845127", "kind": "software_copyright", "filing_date": "2021-04-30",
        "status": "valid", "owners": ["A"],
        "economics": { "attributable_revenue": "1000000", "economic_life_years": 6 }
    });
    let assets: Vec<Asset> = [invention(), lapsed, tm, sw]
        .into_iter()
        .map(asset)
        .collect();
    let v = PortfolioValuer::new(&assets, &p, DEFAULT_AS_OF).unwrap();
    let life = v.remaining_life_years();
    // 2026-01-01 → 2037-07-26.
    assert!((life[0] - 11.5647).abs() < 1e-3, "{}", life[0]);
    assert_eq!(life[1], 0.0);
    assert_eq!(life[2], 15.0);
    assert_eq!(life[3], 6.0);
    assert_eq!(
        v.industries(),
        [
            Industry::NextGenIt,
            Industry::NextGenIt,
            Industry::Other,
            Industry::Other
        ]
    );
    let mut late = invention();
    late["filing_date"] = json!("2026-02-01");
    late["grant_date"] = json!("2026-03-01");
    assert!(matches!(
        PortfolioValuer::new(&[asset(late)], &p, DEFAULT_AS_OF),
        Err(ValuationError::AfterValuationDate { .. })
    ));
    assert_eq!(
        PortfolioValuer::new(&[], &p, DEFAULT_AS_OF).unwrap_err(),
        ValuationError::EmptyPortfolio
    );
}

#[test]
fn monte_carlo_mean_matches_the_closed_form_expected_value() {
    let assets = sample();
    let v = PortfolioValuer::new(&assets, &params(), DEFAULT_AS_OF).unwrap();
    let sim = v.simulate(3, 8192).unwrap();
    for (i, exact) in v.expected_values().iter().enumerate() {
        let est = sim.values[i].estimate_mean(sim.draws);
        assert!(est.agrees_with(*exact), "asset {i}: {est:?} vs {exact}");
    }
}

#[test]
fn the_portable_kernel_gives_the_same_bits_as_the_vectorised_ones() {
    // Every vector width the CPU has (CI machines have AVX2, this project's also AVX-512)
    // against the portable build.
    let assets = parse_csv(include_str!("../../scenarios/samples/portfolio-60.csv")).unwrap();
    let v = PortfolioValuer::new(&assets, &params(), DEFAULT_AS_OF).unwrap();
    let bits = |s: &Sample| s.values().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let portable = v
        .clone()
        .with_vectors(crate::cpu::Vectors::Portable)
        .simulate(4, 2049)
        .unwrap();
    for vectors in crate::cpu::Vectors::available() {
        let fast = v.clone().with_vectors(vectors).simulate(4, 2049).unwrap();
        for (a, b) in fast.values.iter().zip(&portable.values) {
            assert_eq!(bits(a), bits(b), "{vectors:?}");
        }
    }
}

/// Default states for the liquidation tests: times from 0 to past every life, factors of
/// both signs, the borrower's industry and another one.
fn default_states(n: usize, industry: Industry) -> Vec<DefaultState> {
    (0..n)
        .map(|i| DefaultState {
            years: (i % 13) as f64 * 1.7,
            common_z: ((i % 7) as f64 - 3.0) * 0.5,
            industry: if i % 5 == 0 {
                Industry::Other
            } else {
                industry
            },
            industry_z: ((i % 11) as f64 - 5.0) * 0.3,
        })
        .collect()
}

#[test]
fn the_portable_liquidation_lanes_give_the_same_bits_as_the_vectorised_ones() {
    // Every kind and status of the CSV sample (pending requests, hazards, lapses), more
    // states than one group of lanes and a partial last group.
    let assets = parse_csv(include_str!("../../scenarios/samples/portfolio-60.csv")).unwrap();
    let v = PortfolioValuer::new(&assets, &params(), DEFAULT_AS_OF).unwrap();
    let states = default_states(2 * valuer::LIQUIDATION_LANES + 5, v.borrower_industry());
    let run = |v: PortfolioValuer| {
        let mut rng = crate::rng::stream(8, crate::rng::Domain::Credit, 0);
        let mut out = vec![CollateralAtDefault::default(); states.len()];
        v.liquidation_given_each(&mut rng, &states, &mut out);
        out.iter()
            .flat_map(|x| [x.value.to_bits(), x.sale.to_bits()])
            .collect::<Vec<_>>()
    };
    let portable = run(v.clone().with_vectors(crate::cpu::Vectors::Portable));
    assert!(portable.iter().any(|b| f64::from_bits(*b) > 0.0));
    assert!(portable.iter().any(|b| f64::from_bits(*b) == 0.0));
    for vectors in crate::cpu::Vectors::available() {
        assert_eq!(
            run(v.clone().with_vectors(vectors)),
            portable,
            "{vectors:?}"
        );
    }
}

#[test]
fn liquidation_at_default_at_time_zero_is_expected_value_times_the_sale_factor() {
    let assets = sample();
    let p = params();
    let v = PortfolioValuer::new(&assets, &p, DEFAULT_AS_OF).unwrap();
    let lq = p.liquidation();
    let a = p.discount_rate().get().ln_1p();
    let (d0, d1) = (lq.delay_min_years, lq.delay_max_years);
    let mean_discount = ((-a * d0).exp() - (-a * d1).exp()) / (a * (d1 - d0));
    let exact: f64 = v.expected_values().iter().sum::<f64>()
        * lq.realisation_mean
        * (1.0 - lq.disposal_cost)
        * mean_discount;
    let mut rng = crate::rng::stream(5, crate::rng::Domain::Credit, 0);
    let s: Sample = (0..20_000)
        .map(|_| v.liquidation_at_default(&mut rng, 0.0, 0.0).sale)
        .collect();
    let est = s.mean();
    assert!(est.agrees_with(exact), "{est:?} vs {exact}");
}

#[test]
fn liquidation_at_default_falls_with_the_borrowers_industry_factor() {
    let assets = sample();
    let v = PortfolioValuer::new(&assets, &params(), DEFAULT_AS_OF).unwrap();
    assert_eq!(v.borrower_industry(), Industry::NextGenIt);
    let mean = |z: f64| {
        let mut rng = crate::rng::stream(9, crate::rng::Domain::Credit, 0);
        (0..4000)
            .map(|_| v.liquidation_at_default(&mut rng, 2.0, z).sale)
            .sum::<f64>()
            / 4000.0
    };
    let (down, up) = (mean(-2.0), mean(2.0));
    assert!(down < 0.6 * up, "{down} vs {up}");
    // Past every asset's life nothing is left.
    let mut rng = crate::rng::stream(9, crate::rng::Domain::Credit, 0);
    assert_eq!(
        v.liquidation_at_default(&mut rng, 30.0, 0.0),
        CollateralAtDefault::default()
    );
}

#[test]
fn the_csv_sample_values_every_kind() {
    let assets = parse_csv(include_str!("../../scenarios/samples/portfolio-60.csv")).unwrap();
    assert!(assets.len() >= 50);
    for k in AssetKind::ALL {
        assert!(assets.iter().any(|a| a.kind() == k), "{k:?}");
    }
    let p = params();
    let v = PortfolioValuer::new(&assets, &p, DEFAULT_AS_OF).unwrap();
    let sim = v.simulate(1, 300).unwrap();
    assert!(sim.portfolio_value.mean().value > 0.0);
}

/// `appraise` is `value_portfolio` without the quantiles: the same means, errors, verdicts
/// and scores, number for number.
#[test]
fn an_appraisal_is_the_valuation_without_its_quantiles() {
    let assets = sample();
    let p = params();
    let settings = ValuationSettings {
        paths: 2_000,
        seed: 5,
        as_of: DEFAULT_AS_OF,
    };
    let full = value_portfolio(
        &assets,
        &p,
        &crate::model::Model::embedded_default(),
        &settings,
    )
    .unwrap();
    let brief = appraise(&assets, &p, &settings).unwrap();
    let moments = |s: &ValueStats| Moments {
        mean: s.mean,
        stderr: s.stderr,
        sd: s.sd,
    };
    assert_eq!(brief.assets.len(), full.assets.len());
    for (b, f) in brief.assets.iter().zip(&full.assets) {
        assert_eq!(b.appraised_value, f.appraised_value);
        assert_eq!(b.value, moments(&f.value));
        assert_eq!(b.liquidation_value, moments(&f.liquidation_value));
        assert_eq!(b.high_value, f.high_value);
        assert_eq!(b.value_score, f.value_score);
        assert_eq!(b.industry, f.industry);
    }
    assert_eq!(brief.appraised_value, full.portfolio.appraised_value);
    assert_eq!(brief.value, moments(&full.portfolio.value));
    assert_eq!(
        brief.liquidation_value,
        moments(&full.portfolio.liquidation_value)
    );
    assert_eq!(brief.value_score, full.portfolio.value_score);
}

#[test]
fn a_realisation_floor_of_one_without_costs_or_delay_sells_at_value() {
    // `min_realisation` floors the Beta fraction (`loss::recovery::distressed_sale`): at 1,
    // with no disposal cost or delay, the sale factor is exactly 1 on every path.
    let mut raw = RawValuationParams::from_model(&crate::model::Model::embedded_default()).unwrap();
    raw.liquidation.min_realisation = 1.0;
    raw.liquidation.disposal_cost = 0.0;
    raw.liquidation.disposal_delay_months_min = 0.0;
    raw.liquidation.disposal_delay_months_max = 0.0;
    let p = raw.validate().unwrap();
    let v = PortfolioValuer::new(&sample(), &p, DEFAULT_AS_OF).unwrap();
    let sim = v.simulate(3, 300).unwrap();
    assert_eq!(
        sim.portfolio_liquidation.values(),
        sim.portfolio_value.values()
    );
    assert!(sim.portfolio_value.values().iter().any(|x| *x > 0.0));
}
