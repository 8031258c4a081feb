//! Every shipped scenario (`scenarios/*.toml`) validates, and each says what it is meant to
//! say (the facts from the policy documents that its comments cite are the numbers it carries).

use std::path::{Path, PathBuf};

use ipledge::money::Money;
use ipledge::scenario::Scenario;

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::from_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_shipped_scenario_validates() {
    let files = scenario_files();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "bench-10k.toml",
        "hebei-2021-2023.toml",
        "yichang-2025.toml",
        "zhongshan-fund.toml",
    ] {
        assert!(names.iter().any(|n| n == expected), "missing {expected}");
    }
    for file in &files {
        if let Err(e) = Scenario::from_file(file) {
            panic!("{}: {e}", file.display());
        }
    }
}

#[test]
fn yichang_book_grows_from_the_2020_registrations_to_the_2025_target() {
    let s = load("yichang-2025.toml");
    assert_eq!(s.horizon_years, 5);
    // (4 / 1.73)^(1/5) − 1 = 18.25 %: year-5 count / year-1 count = 1.1825^4 ≈ 1.955.
    let count = |year: u32| -> u32 {
        s.book
            .cohorts
            .iter()
            .filter(|c| c.year == year)
            .map(|c| c.count)
            .sum()
    };
    let implied = (4.0f64 / 1.73).powf(0.2);
    let ratio = f64::from(count(5)) / f64::from(count(1));
    assert!((ratio - implied.powi(4)).abs() < 0.01, "ratio {ratio}");
    assert_eq!(count(1), 222);
}

#[test]
fn hebei_grows_twenty_percent_a_year_over_three_years() {
    let s = load("hebei-2021-2023.toml");
    assert_eq!(s.horizon_years, 3);
    let count = |year: u32| -> u32 {
        s.book
            .cohorts
            .iter()
            .filter(|c| c.year == year)
            .map(|c| c.count)
            .sum()
    };
    assert_eq!((count(1), count(2), count(3)), (481, 577, 693));
}

#[test]
fn zhongshan_fund_is_seventy_million_at_ten_times_on_the_preset() {
    let s = load("zhongshan-fund.toml");
    assert_eq!(s.fund.initial_capital, Money::from_yuan(70_000_000));
    assert_eq!(s.leverage_limit(), Some(10.0));
    assert_eq!(s.scheme.name, "zhongshan");
    assert!(s.scheme.liability_limited_to_balance);
}

#[test]
fn bench_book_has_ten_thousand_loans_over_five_years_and_eight_industries() {
    let s = load("bench-10k.toml");
    assert_eq!(s.horizon_years, 5);
    let loans: u32 = s.book.cohorts.iter().map(|c| c.count).sum();
    assert_eq!(loans, 10_000);
    assert!(s.book.cohorts.iter().all(|c| c.industry.len() == 8));
}
