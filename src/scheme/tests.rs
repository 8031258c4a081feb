use super::*;

fn m(yuan: i64) -> Money {
    Money::from_yuan(yuan)
}

fn scheme(text: &str) -> Scheme {
    Scheme::from_toml_str(text, "t").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_preset_validates_and_names_its_source() {
    assert_eq!(presets::PRESETS.len(), 11);
    for (name, text) in presets::PRESETS {
        let s = presets::get(name)
            .expect("listed")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.name, *name);
        assert!(s.source.is_some(), "{name} has no source");
        assert!(text.contains("# Source:"), "{name} has no source comment");
    }
    assert!(presets::get("nowhere").is_none());
}

#[test]
fn ratio_applies_to_the_loss() {
    let s = scheme("ratio = 0.25\n");
    assert_eq!(s.compensation(m(400_000), m(1_000_000), 1), 100_000.0);
    assert_eq!(s.trigger, Trigger::Npl);
    assert!(s.liability_limited_to_balance);
    assert_eq!(s.recoveries, Recoveries::None);
}

#[test]
fn size_bands_pick_the_loan_band_and_leave_larger_loans_uncovered() {
    let s = presets::get("guangzhou-bands").unwrap().unwrap();
    let loss = m(1_000_000);
    assert_eq!(s.compensation(loss, m(5_000_000), 1), 400_000.0);
    assert_eq!(s.compensation(loss, m(5_000_001), 1), 300_000.0);
    assert_eq!(s.compensation(loss, m(30_000_000), 1), 200_000.0);
    assert_eq!(s.compensation(loss, m(30_000_001), 1), 0.0);
    assert_eq!(s.pause_bank_npl_above, Some(0.03));
}

#[test]
fn layers_stack_with_their_own_caps() {
    let s = scheme(
        "[[layer]]\nname = \"province\"\nratio = 0.4\n[[layer]]\nname = \"city\"\nratio = 0.2\nper_loan_cap = \"100000\"\n",
    );
    // 0.4 × 1 m + min(0.2 × 1 m, 100 k)
    assert_eq!(s.compensation(m(1_000_000), m(2_000_000), 1), 500_000.0);
    let mut parts = Vec::new();
    s.part_compensation(1_000_000.0, 2_000_000.0, &mut parts);
    assert_eq!(parts, vec![400_000.0, 100_000.0]);
}

#[test]
fn per_loan_cap_steps_up_after_year_one() {
    let s = presets::get("weihai").unwrap().unwrap();
    let loss = m(4_000_000); // 60 % = 2.4 m, above both caps
    assert_eq!(s.compensation(loss, m(5_000_000), 1), 1_000_000.0);
    assert_eq!(s.compensation(loss, m(5_000_000), 2), 1_500_000.0);
    assert_eq!(s.compensation(loss, m(5_000_000), 5), 1_500_000.0);
    // Below the cap, the layers pay 60 %.
    assert_eq!(s.compensation(m(1_000_000), m(5_000_000), 1), 600_000.0);
}

#[test]
fn loss_split_pays_the_fund_share_and_names_other_parties() {
    let s = presets::get("zhongshan").unwrap().unwrap();
    assert!((s.compensation(m(1_000_000), m(1_000_000), 1) - 540_000.0).abs() < 1e-6);
    assert!((s.other_parties_share() - 0.20).abs() < 1e-12);
    assert_eq!(s.leverage_limit, Some(10.0));
}

#[test]
fn eu_cap_covers_at_guarantee_rate_with_a_portfolio_cap_share() {
    let s = presets::get("eu-capped-guarantee").unwrap().unwrap();
    assert_eq!(s.compensation(m(100), m(1000), 1), 50.0);
    assert!((s.eu_cap_share().unwrap() - 0.1).abs() < 1e-15);
}

#[test]
fn eligibility_and_subsidies_parse() {
    let s = presets::get("sichuan-tianfu").unwrap().unwrap();
    assert_eq!(s.eligibility.max_tenor_months, Some(12));
    assert_eq!(s.eligibility.rate_cap, Some(RateCap::LprPlusBp(150.0)));
    let lpr = crate::money::Rate::new(0.03).unwrap();
    assert!((s.eligibility.rate_cap.unwrap().max_rate(lpr) - 0.045).abs() < 1e-12);
    assert_eq!(s.subsidies.interest.as_ref().unwrap().rate_points, 0.015);
    let z = presets::get("zhongguancun-subsidy").unwrap().unwrap();
    let i = z.subsidies.interest.unwrap();
    assert_eq!(i.cap_per_firm_year, Some(m(500_000)));
    assert_eq!(i.rate_ceiling, Some(RateCap::LprTimes(1.4)));
    let x = presets::get("xuchang-subsidies").unwrap().unwrap();
    assert_eq!(x.subsidies.valuation_fee.unwrap().cap, Some(m(100_000)));
    assert_eq!(x.subsidies.insurance_premium.unwrap().cap, Some(m(20_000)));
}

#[test]
fn bad_scheme_reports_every_field() {
    let err = Scheme::from_toml_str(
        "ratio = 1.5\nper_loan_cap = \"-5\"\nclaim_lag_months = -1\n[eligibility]\nmin_ip_share = 2.0\nrate_cap = { lpr_plus_bp = 1, lpr_times = 1.4 }\n",
        "t",
    )
    .unwrap_err();
    for path in [
        "ratio",
        "per_loan_cap",
        "claim_lag_months",
        "eligibility.min_ip_share",
        "eligibility.rate_cap",
    ] {
        assert!(err.has_path(path), "missing {path} in\n{err}");
    }
}

#[test]
fn loss_split_must_sum_to_one_and_coverage_must_be_unique() {
    let err = Scheme::from_toml_str("loss_split = { fund = 0.5, bank = 0.4 }\n", "t").unwrap_err();
    assert!(err.has_path("loss_split"), "{err}");
    assert!(err.to_string().contains("sum to 1"));
    let err = Scheme::from_toml_str(
        "ratio = 0.5\neu_cap = { guarantee_rate = 0.5, cap_rate = 0.2 }\n",
        "t",
    )
    .unwrap_err();
    assert!(err.to_string().contains("only one"), "{err}");
    let err = Scheme::from_toml_str("trigger = \"npl\"\n", "t").unwrap_err();
    assert!(err.to_string().contains("needs one of"), "{err}");
}

#[test]
fn unknown_keys_are_errors_with_their_path() {
    let err = Scheme::from_toml_str("ratio = 0.5\nratoi = 0.4\n", "t").unwrap_err();
    assert!(err.to_string().contains("ratoi"), "{err}");
    let err = Scheme::from_toml_str("ratio = 0.5\n[eligibility]\nmax_lone = 1\n", "t").unwrap_err();
    assert!(err.has_path("eligibility.max_lone"), "{err}");
}

#[test]
fn compensation_is_monotone_in_ratio_and_cap() {
    for loss in [0.0, 1.0, 1e5, 3e6] {
        let mut last = 0.0;
        for r in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let s = scheme(&format!("ratio = {r}\n"));
            let c = s.compensation_f64(loss, 1e6, 1);
            assert!(c >= last);
            last = c;
        }
        let capped = scheme("ratio = 0.5\nper_loan_cap = \"1000\"\n");
        assert!(
            capped.compensation_f64(loss, 1e6, 1)
                <= scheme("ratio = 0.5\n").compensation_f64(loss, 1e6, 1)
        );
    }
}
