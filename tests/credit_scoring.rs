//! Loan application scoring through the library (issue 3): golden outputs of the sample
//! applications, thread-count independence, and the financial invariants as property tests.

use std::path::Path;

use ipledge::credit::application::Application;
use ipledge::credit::basel::{self, IrbInputs};
use ipledge::credit::decision::Decision;
use ipledge::credit::score::{ScoreResult, ScoreSettings, score_application};
use ipledge::loss::pd::basel_correlation;
use ipledge::model::Model;
use ipledge::scenario::Correlation;
use ipledge::scheme::Scheme;
use proptest::prelude::*;

/// Paths of the golden snapshots: small, fixed.
const GOLDEN_PATHS: u64 = 2000;
const GOLDEN_SEED: u64 = 7;

fn sample_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/applications")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sample(name: &str) -> Application {
    Application::from_json(&sample_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn score(app: &Application, paths: u64, seed: u64) -> ScoreResult {
    score_application(
        app,
        &Model::embedded_default(),
        &ScoreSettings {
            paths,
            seed,
            scheme: None,
        },
    )
    .unwrap()
}

#[test]
fn the_samples_reach_their_decisions() {
    for (name, decision) in [
        ("approve.json", Decision::Approve),
        ("refer.json", Decision::Refer),
        ("decline.json", Decision::Decline),
    ] {
        let r = score(&sample(name), GOLDEN_PATHS, GOLDEN_SEED);
        assert_eq!(r.decision, decision, "{name}: {:#?}", r.reasons);
    }
    let mixed = score(&sample("mixed-pledge.json"), GOLDEN_PATHS, GOLDEN_SEED);
    let kinds: Vec<_> = mixed
        .collateral
        .assets
        .iter()
        .map(|a| a.pledge.kind)
        .collect();
    assert!(kinds.contains(&ipledge::asset::AssetKind::Invention));
    assert!(kinds.contains(&ipledge::asset::AssetKind::Trademark));
    assert_eq!(mixed.decision, Decision::Approve, "{:#?}", mixed.reasons);
}

#[test]
fn golden_outputs_of_the_samples() {
    for name in ["approve", "refer", "decline", "mixed-pledge"] {
        let r = score(&sample(&format!("{name}.json")), GOLDEN_PATHS, GOLDEN_SEED);
        insta::assert_json_snapshot!(format!("score_{name}"), r, {
            ".model_sha256" => "[sha256]",
        });
    }
}

#[test]
fn identical_at_one_and_two_threads() {
    let app = sample("mixed-pledge.json");
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| serde_json::to_string(&score(&app, 3000, 5)).unwrap())
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn the_result_carries_the_spec_keys_and_money_strings() {
    let r = serde_json::to_value(score(&sample("approve.json"), 1000, 1)).unwrap();
    for key in [
        "decision",
        "reasons",
        "pd_1y",
        "pd_tenor",
        "grade",
        "ead",
        "lgd_gross",
        "lgd_net",
        "expected_loss",
        "appraised_value",
        "liquidation_value",
        "pledge_rate",
        "max_loan",
        "high_value",
        "value_score",
        "capital",
        "pricing",
        "eligibility",
        "green_channel",
        "seed",
        "paths",
        "model_id",
        "model_sha256",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    for key in [
        "ead",
        "expected_loss",
        "appraised_value",
        "liquidation_value",
        "max_loan",
    ] {
        assert!(r[key].is_string(), "{key} is not a money string");
    }
    assert!(r["capital"]["rwa"].is_string());
    assert!(r["capital"]["k"].is_number());
    assert!(r["pricing"]["min_rate"].is_number());
    assert!(r["pricing"]["fits"].is_boolean());
    assert!(r["eligibility"]["failed_rules"].is_array());
    assert!(r["value_score"]["portfolio"]["composite"].is_number());
    assert_eq!(r["seed"], 1);
    assert_eq!(r["paths"], 1000);
}

#[test]
fn a_scheme_setting_overrides_the_applications_scheme() {
    let app = sample("approve.json");
    let strict = Scheme::from_toml_str(
        "ratio = 0.5\n[eligibility]\nmax_loan = \"1000000\"\nmax_tenor_months = 6\n",
        "strict",
    )
    .unwrap();
    let r = score_application(
        &app,
        &Model::embedded_default(),
        &ScoreSettings {
            paths: 500,
            seed: 1,
            scheme: Some(strict),
        },
    )
    .unwrap();
    assert_eq!(r.eligibility.scheme.as_deref(), Some("strict"));
    assert_eq!(r.eligibility.failed_rules, ["max_loan", "max_tenor"]);
    assert!(r.reasons.iter().any(|x| x.code == "scheme_ineligible"));
}

#[test]
fn a_public_recovery_buyer_lowers_the_lgd_and_reports_its_outlay() {
    // Recovery model step 3 (docs/models.md): the buyer offers `recovery_buyer_share × V_d`, the bank takes the
    // better of that and the sale. Same seed, same draws: only the recovery can change.
    let app = sample("approve.json");
    let run = |scheme: &str| {
        let scheme = Scheme::from_toml_str(scheme, "buyer-test").unwrap();
        score_application(
            &app,
            &Model::embedded_default(),
            &ScoreSettings {
                paths: 2000,
                seed: 3,
                scheme: Some(scheme),
            },
        )
        .unwrap()
    };
    let plain = run("ratio = 0.5\n");
    let idle = run("ratio = 0.5\nrecovery_buyer_share = 0.0\n");
    let bought = run("ratio = 0.5\nrecovery_buyer_share = 0.5\n");
    assert!(plain.eligibility.eligible && bought.eligibility.eligible);
    let (p, i, b) = (
        &plain.loss_given_default,
        &idle.loss_given_default,
        &bought.loss_given_default,
    );
    assert_eq!(p.buyer_outlay.value, 0.0);
    assert_eq!(i, p, "a buyer that never bids changes nothing");
    assert!(b.buyer_outlay.value > 0.0 && b.buyer_outlay.stderr > 0.0);
    assert!(b.lgd_gross.value < p.lgd_gross.value);
    assert!(b.recovery.mean > p.recovery.mean);
    assert!(b.recovery.p999 <= b.ead.p999);
    assert_eq!(b.ead, p.ead);
    let json = serde_json::to_value(&bought).unwrap();
    assert!(json["loss_given_default"]["buyer_outlay"]["value"].is_number());
}

#[test]
fn basel_oracle_risk_weights_and_sme_adjustment() {
    // Published oracle (docs/models.md): LGD 45 %, M 2.5, corporate: 92.32 / 114.85 / 149.85 %.
    for (pd, rw) in [(0.01, 92.32), (0.02, 114.85), (0.05, 149.85)] {
        let irb = basel::capital(IrbInputs {
            pd,
            lgd: 0.45,
            maturity_years: 2.5,
            sales_eur_m: None,
            confidence: 0.999,
        });
        assert!((irb.risk_weight() * 100.0 - rw).abs() < 0.005, "pd {pd}");
    }
    // SME adjustment (`loss::pd`, the fund's `basel_sme` too): −0.04 at S = 5, none at S = 50.
    let correlation = |sales_eur_m| {
        basel::capital(IrbInputs {
            pd: 0.02,
            lgd: 0.45,
            maturity_years: 2.5,
            sales_eur_m,
            confidence: 0.999,
        })
        .correlation
    };
    let plain = correlation(None);
    assert_eq!(plain, basel_correlation(0.02, None));
    assert!((correlation(Some(5.0)) - (plain - 0.04)).abs() < 1e-15);
    assert!((correlation(Some(50.0)) - plain).abs() < 1e-15);
    assert_eq!(
        Correlation::BaselSme.rho(0.02),
        basel_correlation(0.02, Some(5.0))
    );
}

fn with(app: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Application {
    let mut v: serde_json::Value = serde_json::from_str(app).unwrap();
    edit(&mut v);
    Application::from_json(&v.to_string()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn scoring_invariants(
        amount in 200_000u64..20_000_000,
        tenor in 1u32..60,
        other in 0u64..5_000_000,
        extra in 1u64..5_000_000,
        share in 0.0f64..=1.0,
        cover in 0.0f64..=1.0,
        seed in 0u64..1000,
    ) {
        let text = sample_text("refer.json");
        let base = |v: &mut serde_json::Value| {
            v["loan"]["amount"] = amount.to_string().into();
            v["loan"]["tenor_months"] = tenor.into();
            v["guarantee"] = serde_json::json!({ "share": share, "guarantor_pd": 0.05 });
            v["insurance"] = serde_json::json!({ "cover_share": cover, "limit": "800000", "premium_rate": 0.01 });
            v["scheme"] = serde_json::json!({ "ratio": 0.4 });
        };
        let app = with(&text, |v| { base(v); v["other_collateral"] = other.to_string().into(); });
        let r = score(&app, 256, seed);
        // EL ≤ EAD; lgd_net ≤ lgd_gross.
        prop_assert!(r.expected_loss <= r.ead);
        prop_assert!(r.lgd_net <= r.lgd_gross + 1e-12);
        // More collateral never raises LGD (same seed).
        let richer = with(&text, |v| { base(v); v["other_collateral"] = (other + extra).to_string().into(); });
        let r2 = score(&richer, 256, seed);
        prop_assert!(r2.lgd_gross <= r.lgd_gross + 1e-12);
        prop_assert!(r2.lgd_net <= r.lgd_net + 1e-12);
        // A fund ratio of 0 leaves lgd_net = the LGD after guarantee and insurance.
        let zero = with(&text, |v| { base(v); v["other_collateral"] = other.to_string().into(); v["scheme"] = serde_json::json!({ "ratio": 0.0 }); });
        let none = with(&text, |v| { base(v); v["other_collateral"] = other.to_string().into(); v.as_object_mut().unwrap().remove("scheme"); });
        prop_assert_eq!(score(&zero, 256, seed).lgd_net, score(&none, 256, seed).lgd_net);
    }

    #[test]
    fn higher_leverage_never_lowers_pd(
        liabilities in 0u64..30_000_000,
        extra in 1u64..30_000_000,
    ) {
        let text = sample_text("refer.json");
        let low = with(&text, |v| v["borrower"]["total_liabilities"] = liabilities.to_string().into());
        let high = with(&text, |v| v["borrower"]["total_liabilities"] = (liabilities + extra).to_string().into());
        prop_assert!(score(&high, 64, 1).pd_1y >= score(&low, 64, 1).pd_1y);
    }
}

#[test]
fn zero_paths_is_an_input_error() {
    let err = score_application(
        &sample("approve.json"),
        &Model::embedded_default(),
        &ScoreSettings {
            paths: 0,
            seed: 1,
            scheme: None,
        },
    )
    .unwrap_err();
    assert!(err.is_bad_input(), "{err}");
}
