//! Oracles of the backtest: p-values against independently computed exact values, the AUC
//! against a hand case and the Mann–Whitney count, a book drawn from its own PDs passing
//! calibration and failing it with its PDs halved, PSI and LGD by hand.

use super::calibration::{beta_quantile, binomial_p, jeffreys_p};
use super::discrimination::{MAX_ROC_POINTS, auc_delong, roc_curve};
use super::stability::psi;
use super::*;
use crate::rng::{Domain, open_unit, stream};

/// Tolerance of the p-value oracles (Simpson on 200,000 intervals of a smooth integrand).
const P_TOLERANCE: f64 = 1e-9;

fn settings() -> BacktestSettings {
    BacktestSettings::embedded_default()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// A scored application, its outcome given by `status` and dates.
fn obs(grade: &str, pd: f64, scored: &str, outcome: Option<Outcome>) -> Observation {
    Observation {
        application_id: format!("app_{grade}_{pd}_{scored}"),
        scored_on: date(scored),
        grade: grade.to_string(),
        pd_1y: Probability::new(pd).unwrap(),
        lgd_gross: Probability::new(0.45).unwrap(),
        outcome,
    }
}

fn performing(as_of: &str) -> Option<Outcome> {
    Some(Outcome {
        status: OutcomeStatus::Performing,
        as_of: date(as_of),
        default_date: None,
        defaulted: Money::ZERO,
        recovered: Money::ZERO,
    })
}

fn defaulted_on(day: &str) -> Option<Outcome> {
    Some(Outcome {
        status: OutcomeStatus::Defaulted,
        as_of: date(day),
        default_date: Some(date(day)),
        defaulted: Money::from_yuan(100),
        recovered: Money::ZERO,
    })
}

/// `∫₀^p x^(a−1)(1−x)^(b−1) dx / B(a, b)` by Simpson's rule after `x = u²` (which removes
/// the `x^(−½)` singularity at 0 when `a = ½`), with `B` from `ln Γ`: no incomplete beta.
fn beta_cdf_by_quadrature(a: f64, b: f64, p: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    let f = |u: f64| 2.0 * u.powf(2.0 * a - 1.0) * (1.0 - u * u).powf(b - 1.0);
    let upper = p.sqrt();
    let n = 200_000;
    let h = upper / n as f64;
    let mut sum = f(0.0) + f(upper);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(i as f64 * h);
    }
    let integral = sum * h / 3.0;
    integral / (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)).exp()
}

#[test]
fn jeffreys_p_matches_the_beta_cdf_by_quadrature() {
    for (d, n, pd) in [
        (0u64, 50u64, 0.02),
        (0, 1, 0.3),
        (1, 40, 0.01),
        (3, 100, 0.02),
        (7, 120, 0.03),
        (12, 300, 0.05),
        (25, 250, 0.08),
    ] {
        let exact = beta_cdf_by_quadrature(d as f64 + 0.5, (n - d) as f64 + 0.5, pd);
        let got = jeffreys_p(d, n, pd);
        assert!(
            (got - exact).abs() < P_TOLERANCE,
            "D={d} N={n} PD={pd}: {got} vs {exact}"
        );
    }
}

#[test]
fn binomial_p_is_the_upper_tail_of_the_binomial() {
    use statrs::function::gamma::ln_gamma;
    for (d, n, pd) in [
        (0u64, 30u64, 0.05f64),
        (1, 30, 0.05),
        (4, 60, 0.03),
        (9, 200, 0.02),
    ] {
        let ln_pmf = |k: u64| {
            let (k, nf) = (k as f64, n as f64);
            ln_gamma(nf + 1.0) - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0)
                + k * pd.ln()
                + (nf - k) * (1.0 - pd).ln()
        };
        let exact: f64 = (d..=n).map(|k| ln_pmf(k).exp()).sum();
        let got = binomial_p(d, n, pd);
        assert!((got - exact).abs() < 1e-12, "D={d} N={n}: {got} vs {exact}");
    }
}

#[test]
fn jeffreys_interval_brackets_the_rate() {
    let (a, b) = (5.5, 95.5);
    let lo = beta_quantile(a, b, 0.025);
    let hi = beta_quantile(a, b, 0.975);
    assert!(lo < 0.05 && 0.05 < hi, "{lo} {hi}");
    assert!((beta_cdf_by_quadrature(a, b, lo) - 0.025).abs() < 1e-9);
    assert!((beta_cdf_by_quadrature(a, b, hi) - 0.975).abs() < 1e-9);
}

#[test]
fn traffic_light_follows_the_model_thresholds() {
    let s = settings();
    assert_eq!(calibration::light(0.05, &s), TrafficLight::Green);
    assert_eq!(calibration::light(0.049, &s), TrafficLight::Yellow);
    assert_eq!(calibration::light(0.01, &s), TrafficLight::Yellow);
    assert_eq!(calibration::light(0.0099, &s), TrafficLight::Red);
}

#[test]
fn auc_and_delong_stderr_by_hand() {
    // Defaulters 0.3, 0.2, 0.1; non-defaulters 0.25, 0.1, 0.05 (one tie at 0.1).
    // Pairs won: 3 + 2 + 1.5 = 6.5 of 9. Placements V10 = 1, 2/3, 1/2; V01 = 5/6, 1, 1/3.
    let scored = [
        (0.3, true),
        (0.2, true),
        (0.1, true),
        (0.25, false),
        (0.1, false),
        (0.05, false),
    ];
    let (auc, se) = auc_delong(&scored).unwrap();
    assert!((auc - 6.5 / 9.0).abs() < 1e-15, "{auc}");
    // S10 = 42/324/2, S01 = 78/324/2; Var = S10/3 + S01/3 = 60/972.
    assert!((se - (60.0f64 / 972.0).sqrt()).abs() < 1e-15, "{se}");
    let roc = roc_curve(&scored);
    let corners: Vec<(f64, f64)> = roc.iter().map(|p| (p.fpr, p.tpr)).collect();
    let third = 1.0 / 3.0;
    assert_eq!(
        corners,
        [
            (0.0, 0.0),
            (0.0, third),
            (third, third),
            (third, 2.0 * third),
            (2.0 * third, 1.0),
            (1.0, 1.0)
        ]
    );
}

#[test]
fn auc_is_mann_whitney_u_over_pairs_on_random_data() {
    let mut rng = stream(42, Domain::Other(0xb7), 0);
    // Scores rounded to 2 decimals: many ties.
    let scored: Vec<(f64, bool)> = (0..700)
        .map(|_| {
            let s = (open_unit(&mut rng) * 100.0).round() / 100.0;
            let defaulted = open_unit(&mut rng) < 0.1 + 0.5 * s;
            (s, defaulted)
        })
        .collect();
    let mut u = 0.0;
    let (mut n1, mut n0) = (0.0, 0.0);
    for &(s1, d1) in &scored {
        if d1 {
            n1 += 1.0;
        } else {
            n0 += 1.0;
        }
        for &(s0, d0) in &scored {
            if d1 && !d0 {
                u += if s1 > s0 {
                    1.0
                } else if s1 == s0 {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    let (auc, se) = auc_delong(&scored).unwrap();
    assert!(
        (auc - u / (n1 * n0)).abs() < 1e-12,
        "{auc} vs {}",
        u / (n1 * n0)
    );
    assert!(auc > 0.6 && se > 0.0 && se < 0.05, "{auc} ± {se}");
}

#[test]
fn roc_is_thinned_keeping_both_corners() {
    let scored: Vec<(f64, bool)> = (0..5000).map(|i| (i as f64, i % 3 == 0)).collect();
    let roc = roc_curve(&scored);
    assert_eq!(roc.len(), MAX_ROC_POINTS);
    assert_eq!((roc[0].fpr, roc[0].tpr), (0.0, 0.0));
    let last = roc[roc.len() - 1];
    assert_eq!((last.fpr, last.tpr), (1.0, 1.0));
    assert!(
        roc.windows(2)
            .all(|w| w[0].fpr <= w[1].fpr && w[0].tpr <= w[1].tpr)
    );
}

/// A book of `per_grade` loans in each of five grades, scored in 2024, every loan's first
/// year drawn from `true_pd(grade PD)` with a fixed seed, its outcome reported in 2025.
fn drawn_book(per_grade: usize, stated: impl Fn(f64) -> f64) -> Vec<Observation> {
    let grades = [
        ("A", 0.002),
        ("BBB", 0.0025),
        ("BB", 0.006),
        ("B", 0.009),
        ("CCC", 0.03),
    ];
    let mut rng = stream(7, Domain::Other(0xb7), 1);
    let mut book = Vec::new();
    for (grade, pd) in grades {
        for i in 0..per_grade {
            let day = format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
            let outcome = if open_unit(&mut rng) < pd {
                defaulted_on("2024-12-31")
            } else {
                performing("2025-12-31")
            };
            book.push(obs(grade, stated(pd), &day, outcome));
        }
    }
    book
}

#[test]
fn a_book_drawn_from_its_own_pds_passes_and_fails_with_halved_pds() {
    let s = settings();
    let honest = run(&drawn_book(10_000, |pd| pd), &s, Scope::default());
    assert_eq!(honest.population.cohort, 50_000);
    for row in honest
        .calibration
        .grades
        .iter()
        .chain([&honest.calibration.overall])
    {
        assert!(
            matches!(row.status, TrafficLight::Green | TrafficLight::Yellow),
            "{row:?}"
        );
    }
    assert_eq!(honest.calibration.overall.status, TrafficLight::Green);

    let halved = run(&drawn_book(10_000, |pd| pd / 2.0), &s, Scope::default());
    assert_eq!(halved.calibration.overall.status, TrafficLight::Red);
    // Every grade expecting enough defaults to tell a PD from its half (at 30 expected under
    // the halved PD, the true 60 exceed the 1 % critical value of about 44 with probability
    // above 0.98) fails; the sparser grades are not asserted on.
    let mut tested = 0;
    for row in &halved.calibration.grades {
        if row.expected_defaults >= 30.0 {
            tested += 1;
            assert_eq!(row.status, TrafficLight::Red, "{row:?}");
        }
    }
    assert_eq!(tested, 3);
    // The same defaults: only the PD changed.
    assert_eq!(
        honest.calibration.overall.defaults,
        halved.calibration.overall.defaults
    );
}

#[test]
fn too_few_loans_are_not_tested() {
    let s = settings();
    let book: Vec<Observation> = (0..5)
        .map(|i| {
            obs(
                "BB",
                0.006,
                &format!("2024-01-0{}", i + 1),
                performing("2025-06-30"),
            )
        })
        .collect();
    let r = run(&book, &s, Scope::default());
    let row = &r.calibration.overall;
    assert_eq!((row.n, row.defaults), (5, 0));
    let empty = run(&[], &s, Scope::default());
    assert_eq!(
        serde_json::to_value(&empty.calibration.overall).unwrap()["expected_defaults"],
        serde_json::json!(0.0)
    );
    assert!(
        empty
            .calibration
            .overall
            .expected_defaults
            .is_sign_positive()
    );
    assert_eq!(row.status, TrafficLight::InsufficientData);
    assert_eq!(row.jeffreys_p, None);
    assert_eq!(r.discrimination.status, DataStatus::InsufficientData);
    assert_eq!(r.discrimination.n_non_defaults, 5);
    assert!(r.discrimination.auc.is_none() && r.discrimination.roc.is_empty());
    assert_eq!(r.lgd.overall.status, DataStatus::InsufficientData);
    assert_eq!(r.stability.status, DataStatus::InsufficientData);
    assert_eq!(r.stability.base.as_ref().map(|p| p.n), Some(3));
    assert_eq!(r.stability.recent.as_ref().map(|p| p.n), Some(2));
}

#[test]
fn first_year_verdicts() {
    let scored = "2024-03-01";
    let at = |o| obs("B", 0.01, scored, o).first_year();
    assert_eq!(at(None), FirstYear::Unreported);
    assert_eq!(at(performing("2024-12-01")), FirstYear::Immature);
    assert_eq!(at(performing("2025-03-01")), FirstYear::NoDefault);
    assert_eq!(at(defaulted_on("2025-03-01")), FirstYear::Default);
    assert_eq!(at(defaulted_on("2025-03-02")), FirstYear::NoDefault);
    let repaid = Some(Outcome {
        status: OutcomeStatus::Repaid,
        ..performing("2024-06-01").unwrap()
    });
    assert_eq!(at(repaid), FirstYear::NoDefault);
}

#[test]
fn psi_by_hand() {
    // (0.4 − 0.5)·ln 0.8 + 0 + (0.3 − 0.2)·ln 1.5.
    let (index, terms) = psi(&[50, 30, 20], &[40, 30, 30]);
    let expected = -0.1 * 0.8f64.ln() + 0.1 * 1.5f64.ln();
    assert!((index - expected).abs() < 1e-15, "{index} vs {expected}");
    assert_eq!(terms.len(), 3);
    assert_eq!(terms[1], 0.0);
    // An empty bin counts at the floor share, not as infinity.
    let (index, _) = psi(&[100, 0], &[50, 50]);
    let floor = stability::EMPTY_SHARE;
    let expected = (0.5 - 1.0) * 0.5f64.ln() + (0.5 - floor) * (0.5 / floor).ln();
    assert!((index - expected).abs() < 1e-12, "{index} vs {expected}");
}

#[test]
fn psi_splits_the_window_in_halves_and_bands_the_shift() {
    let s = settings();
    let mut book = Vec::new();
    // January: all A; February: half A, half CCC.
    for i in 0..40 {
        book.push(obs("A", 0.002, &format!("2024-01-{:02}", 1 + i % 28), None));
        let grade = if i % 2 == 0 { "A" } else { "CCC" };
        book.push(obs(
            grade,
            0.03,
            &format!("2024-02-{:02}", 1 + i % 28),
            None,
        ));
    }
    let scope = Scope {
        from: Some(date("2024-01-01")),
        to: Some(date("2024-02-28")),
        ..Scope::default()
    };
    let r = run(&book, &s, scope);
    let st = &r.stability;
    // 59 days: the base is the first 30 (1–30 January), the recent half the other 29.
    assert_eq!(st.base.as_ref().unwrap().to, date("2024-01-30"));
    assert_eq!(st.recent.as_ref().unwrap().from, date("2024-01-31"));
    assert_eq!(
        (st.base.as_ref().unwrap().n, st.recent.as_ref().unwrap().n),
        (40, 40)
    );
    let (expected, _) = psi(&[40, 0], &[20, 20]);
    assert!((st.psi.unwrap() - expected).abs() < 1e-15);
    assert_eq!(st.band, Some(PsiBand::Shift));
    assert_eq!(r.population.reported, 0);
}

#[test]
fn realised_lgd_discounts_recoveries_to_the_default_date() {
    let s = settings();
    let recovered = |exposure: i64, back: i64, resolved: &str, lgd: f64| Observation {
        lgd_gross: Probability::new(lgd).unwrap(),
        ..obs(
            "B",
            0.01,
            "2023-01-01",
            Some(Outcome {
                status: OutcomeStatus::Recovered,
                as_of: date(resolved),
                default_date: Some(date("2024-01-01")),
                defaulted: Money::from_yuan(exposure),
                recovered: Money::from_yuan(back),
            }),
        )
    };
    // 2024-01-01 to 2025-01-01 is 366 days (a leap year) = 366 / 365.25 years.
    let mut book: Vec<Observation> = (0..10)
        .map(|_| recovered(100, 50, "2025-01-01", 0.5))
        .collect();
    book.push(obs("B", 0.01, "2023-01-01", defaulted_on("2024-05-01")));
    let r = run(&book, &s, Scope::default());
    let t = 366.0 / 365.25;
    let lgd = 1.0 - 0.5 * 1.08f64.powf(-t);
    let overall = &r.lgd.overall;
    assert_eq!(overall.n, 10);
    assert_eq!(r.lgd.unresolved, 1);
    assert_eq!(overall.status, DataStatus::Ok);
    assert!((overall.mean_realised.unwrap() - lgd).abs() < 1e-12);
    assert!(overall.mean_realised_stderr.unwrap().abs() < 1e-12);
    assert_eq!(overall.mean_predicted, Some(0.5));
    assert_eq!(overall.exposure, Money::from_yuan(1000));
    assert_eq!(overall.recovered, Money::from_yuan(500));
    // Predicted 0.5 falls in the [0.4, 0.6) bucket.
    let counts: Vec<u64> = r.lgd.buckets.iter().map(|b| b.n).collect();
    assert_eq!(counts, [0, 0, 10, 0, 0]);
}
