use super::*;

struct Files(Vec<(&'static str, &'static str)>);

impl Resolver for Files {
    fn read(&self, relative: &str) -> Result<String, String> {
        self.0
            .iter()
            .find(|(n, _)| *n == relative)
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| format!("no file {relative}"))
    }
}

const MINIMAL: &str = r#"
[scenario]
name = "t"
horizon_years = 3
[[book.cohort]]
count = 100
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.02 }
[scheme]
ratio = 0.5
[fund]
initial_capital = "10000000"
"#;

#[test]
fn minimal_scenario_takes_the_spec_defaults() {
    let s = Scenario::from_toml_str(MINIMAL, &NoFiles).unwrap();
    let c = &s.book.cohorts[0];
    assert_eq!(c.year, 1);
    assert_eq!(c.origination, Origination::Start);
    assert_eq!(c.tenor_months, vec![(12, 1.0)]);
    assert_eq!(c.industry, vec![(Industry::Other, 1.0)]);
    assert_eq!(c.bank, vec![("bank".to_string(), 1.0)]);
    assert_eq!(s.risk.sector_share, 0.0);
    assert_eq!(s.risk.cycle_persistence, 0.0);
    assert_eq!(s.risk.pd_multiplier, 1.0);
    assert_eq!(s.scheme.claim_lag_months, 0);
    assert!(s.scheme.liability_limited_to_balance);
    assert_eq!(s.scheme.recoveries, crate::scheme::Recoveries::None);
    assert_eq!(s.scheme.per_loan_cap, None);
    assert_eq!(s.fund.interest_rate, 0.0);
    assert!(s.fund.appropriations.is_empty());
    assert_eq!(s.leverage_limit(), None);
    assert!(s.subsidies.is_empty());
}

#[test]
fn growth_expands_year_one_cohorts() {
    let text = MINIMAL.replace("[scheme]", "[book.growth]\nannual_growth = 0.2\n[scheme]");
    let s = Scenario::from_toml_str(&text, &NoFiles).unwrap();
    let counts: Vec<(u32, u32)> = s.book.cohorts.iter().map(|c| (c.year, c.count)).collect();
    assert_eq!(counts, vec![(1, 100), (2, 120), (3, 144)]);
}

#[test]
fn scheme_reference_resolves_a_file_then_a_preset() {
    let text = format!(
        "scheme = \"schemes/zhongshan.toml\"\n{}",
        MINIMAL.replace("[scheme]\nratio = 0.5", "")
    );
    let s = Scenario::from_toml_str(&text, &NoFiles).unwrap();
    assert_eq!(s.scheme.name, "zhongshan");
    let files = Files(vec![(
        "schemes/zhongshan.toml",
        "name = \"local\"\nratio = 0.3\n",
    )]);
    let s = Scenario::from_toml_str(&text, &files).unwrap();
    assert_eq!(s.scheme.name, "local");
    let bad = MINIMAL.replace("ratio = 0.5", "preset = \"schemes/atlantis.toml\"");
    let err = Scenario::from_toml_str(&bad, &NoFiles).unwrap_err();
    assert!(err.has_path("scheme.preset"), "{err}");
    assert!(err.to_string().contains("unknown scheme preset"), "{err}");
    // A preset with overrides.
    let over = MINIMAL.replace(
        "ratio = 0.5",
        "preset = \"weihai\"\nper_loan_cap = \"2000000\"",
    );
    let s = Scenario::from_toml_str(&over, &NoFiles).unwrap();
    assert_eq!(s.scheme.name, "weihai");
    assert_eq!(
        s.scheme.per_loan_cap,
        Some(crate::money::Money::from_yuan(2_000_000))
    );
}

#[test]
fn every_bad_field_is_reported_with_its_path() {
    let text = r#"
[scenario]
name = "bad"
horizon_years = 2
[[book.cohort]]
count = 10
amount = { fixed = "1" }
pd_1y = { fixed = 0.02 }
[[book.cohort]]
count = -5
amount = { median = "0", p90 = "8000000" }
pd_1y = { fixed = 1.5 }
industry = { biotech = 0.5, other = 0.3 }
tenor_months = { 12 = 0.6, 24 = 0.4 }
[risk]
lgd = 1.2
[scheme]
ratio = 1.5
per_loan_cap = "-1"
[fund]
initial_capital = "-1"
"#;
    let err = Scenario::from_toml_str(text, &NoFiles).unwrap_err();
    for path in [
        "book.cohort[1].count",
        "book.cohort[1].amount.median",
        "book.cohort[1].pd_1y.fixed",
        "book.cohort[1].industry.biotech",
        "book.cohort[1].industry",
        "risk.lgd",
        "scheme.ratio",
        "scheme.per_loan_cap",
        "fund.initial_capital",
    ] {
        assert!(err.has_path(path), "missing {path} in\n{err}");
    }
    assert!(!err.has_path("book.cohort[1].tenor_months"), "{err}");
}

#[test]
fn unknown_keys_name_their_path() {
    let text = MINIMAL.replace("count = 100", "count = 100\ncolour = \"red\"");
    let err = Scenario::from_toml_str(&text, &NoFiles).unwrap_err();
    assert!(err.has_path("book.cohort[0].colour"), "{err}");
    let text = MINIMAL.replace("ratio = 0.5", "ratio = 0.5\nratoi = 1");
    let err = Scenario::from_toml_str(&text, &NoFiles).unwrap_err();
    assert!(err.has_path("scheme.ratoi"), "{err}");
}

#[test]
fn loans_file_rows_are_validated() {
    let text = MINIMAL.replace("[scheme]", "[book]\nloans_file = \"loans.csv\"\n[scheme]");
    let files = Files(vec![(
        "loans.csv",
        "id,year,month,amount,tenor_months,pd_1y,industry,bank\n\
         L1,1,3,500000,24,0.03,next_gen_it,bank-a\n\
         L2,1,1,-5,12,0.02,other,bank-b\n\
         L3,9,1,100,12,0.02,mining,bank-b\n",
    )]);
    let err = Scenario::from_toml_str(&text, &files).unwrap_err();
    assert!(err.has_path("book.loans_file[1].amount"), "{err}");
    assert!(err.has_path("book.loans_file[2].year"), "{err}");
    assert!(err.has_path("book.loans_file[2].industry"), "{err}");
    let ok = Files(vec![(
        "loans.csv",
        "id,year,month,amount,tenor_months,pd_1y,industry,bank\nL1,1,3,500000,24,0.03,next_gen_it,bank-a\n",
    )]);
    let s = Scenario::from_toml_str(&text, &ok).unwrap();
    assert_eq!(s.book.loans.len(), 1);
    assert_eq!(s.book.loans[0].industry, Industry::NextGenIt);
    assert_eq!(s.book.loans[0].month, 3);
}

#[test]
fn basel_sme_correlation_matches_the_formula() {
    let r = Correlation::BaselSme.rho(0.01);
    let w = (1.0 - (-0.5f64).exp()) / (1.0 - (-50.0f64).exp());
    assert!((r - (0.12 * w + 0.24 * (1.0 - w) - 0.04)).abs() < 1e-15);
    assert!(Correlation::BaselSme.rho(0.5) < Correlation::BaselSme.rho(0.001));
}

#[test]
fn conflicting_settings_are_errors_with_their_paths() {
    // A leverage limit in [fund] and in the scheme.
    let text = MINIMAL
        .replace(
            "[scheme]\nratio = 0.5",
            "[scheme]\nratio = 0.5\nleverage_limit = 10",
        )
        .replace(
            "initial_capital = \"10000000\"",
            "initial_capital = \"10000000\"\nleverage_limit = 8",
        );
    let err = Scenario::from_toml_str(&text, &NoFiles).unwrap_err();
    let text_err = err.to_string();
    assert!(text_err.contains("fund.leverage_limit"), "{text_err}");
    // Subsidies in the scenario and in the scheme.
    let text = MINIMAL.replace(
        "[scheme]\nratio = 0.5",
        "[scheme]\nratio = 0.5\n[scheme.subsidies]\ninterest = { share = 0.4 }",
    ) + "[subsidies]\ninterest = { share = 0.2 }\n";
    let err = Scenario::from_toml_str(&text, &NoFiles).unwrap_err();
    assert!(err.to_string().contains("subsidies"), "{err}");
    // One place each is fine, and the subsidies say where they are paid from.
    let text =
        MINIMAL.to_string() + "[subsidies]\ninterest = { share = 0.2 }\npaid_from = \"fund\"\n";
    let s = Scenario::from_toml_str(&text, &NoFiles).unwrap();
    assert_eq!(s.subsidies.paid_from, crate::scheme::PaidFrom::Fund);
}

#[test]
fn loans_files_take_every_repayment_name_and_a_firm() {
    let files = Files(vec![(
        "loans.csv",
        "id,year,month,amount,tenor_months,pd_1y,repayment,firm\n\
         a,1,1,1000000,12,0.02,annuity,f1\n\
         b,1,2,1000000,12,0.02,amortising,f1\n\
         c,1,3,1000000,12,0.02,equal_principal,\n\
         d,1,4,1000000,12,0.02,balloon,f2\n",
    )]);
    let text = MINIMAL.replace(
        "[[book.cohort]]\ncount = 100\namount = { fixed = \"1000000\" }\npd_1y = { fixed = 0.02 }",
        "[book]\nloans_file = \"loans.csv\"",
    );
    let err = Scenario::from_toml_str(&text, &files)
        .unwrap_err()
        .to_string();
    assert!(err.contains("book.loans_file[3].repayment"), "{err}");
    let files = Files(vec![(
        "loans.csv",
        "id,year,month,amount,tenor_months,pd_1y,repayment,firm\n\
         a,1,1,1000000,12,0.02,annuity,f1\n\
         b,1,2,1000000,12,0.02,amortising,f1\n\
         c,1,3,1000000,12,0.02,equal_principal,\n",
    )]);
    let s = Scenario::from_toml_str(&text, &files).unwrap();
    let r: Vec<Repayment> = s.book.loans.iter().map(|l| l.repayment).collect();
    assert_eq!(
        r,
        vec![
            Repayment::Annuity,
            Repayment::Annuity,
            Repayment::EqualPrincipal
        ]
    );
    assert_eq!(s.book.loans[0].firm.as_deref(), Some("f1"));
    assert_eq!(s.book.loans[2].firm, None);
}
