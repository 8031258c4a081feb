//! `ipledge fund simulate` and `ipledge validate` on scenarios, through the real binary.

use std::path::Path;
use std::process::Command;

fn ipledge(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = r#"
[scenario]
name = "cli"
horizon_years = 2
paths = 1500
seed = 9
[[book.cohort]]
count = 50
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.03 }
[scheme]
ratio = 0.5
[fund]
initial_capital = "2000000"
"#;

#[test]
fn simulate_prints_one_json_document_with_the_spec_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), GOOD).unwrap();
    let (code, out, err) = ipledge(
        dir.path(),
        &["fund", "simulate", "s.toml", "--paths", "1200"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scenario"], "cli");
    assert_eq!(v["paths"], 1200);
    assert_eq!(v["seed"], 9);
    assert_eq!(v["model_sha256"].as_str().unwrap().len(), 64);
    for key in [
        "loans_enrolled",
        "defaults",
        "gross_loss",
        "fund_claims",
        "fund_paid",
        "subsidies",
        "fund_balance_end",
        "shortfall_probability",
        "pause_probability",
    ] {
        assert!(!v["years"][0][key].is_null(), "years[0].{key}");
    }
    for key in [
        "defaults",
        "gross_loss",
        "fund_claims",
        "fund_paid",
        "bank_loss",
        "subsidies",
        "shortfall_probability",
        "shortfall_probability_stderr",
        "credit_enabled",
        "peak_leverage",
        "credit_per_public_yuan",
        "public_cost_per_credit",
        "buyer_outlay",
        "recoveries_to_fund",
        "refused_leverage",
        "refused_paused",
        "ineligible",
    ] {
        assert!(!v["horizon"][key].is_null(), "horizon.{key}");
    }
    for block in ["run_off", "lifetime"] {
        for key in [
            "months",
            "fund_claims",
            "fund_paid",
            "bank_loss",
            "public_cost",
            "shortfall_probability",
            "shortfall_probability_stderr",
        ] {
            assert!(!v[block][key].is_null(), "{block}.{key}");
        }
    }
    for key in ["input_sha256", "assumptions", "reading"] {
        assert!(!v[key].is_null(), "{key}");
    }
    assert_eq!(v["input_sha256"].as_str().map(str::len), Some(64));
    for key in ["mean", "stderr", "sd", "p50", "p95", "p99", "p999", "es99"] {
        assert!(v["horizon"]["fund_claims"][key].is_number(), "{key}");
    }
    // Same seed, different thread count: same document.
    let (_, again, _) = ipledge(
        dir.path(),
        &[
            "fund",
            "simulate",
            "s.toml",
            "--paths",
            "1200",
            "--threads",
            "1",
        ],
    );
    assert_eq!(out, again);
    let (code, table, _) = ipledge(
        dir.path(),
        &["fund", "simulate", "s.toml", "--format", "table"],
    );
    assert_eq!(code, 0);
    assert!(table.contains("P(shortfall)"), "{table}");
    assert!(table.contains("run-off"), "{table}");
}

#[test]
fn shards_write_parts_and_need_an_out_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), GOOD).unwrap();
    let (code, _, err) = ipledge(
        dir.path(),
        &["fund", "simulate", "s.toml", "--shard", "1/2"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out"), "{err}");
    let (code, _, err) = ipledge(
        dir.path(),
        &[
            "fund", "simulate", "s.toml", "--shard", "3/2", "--out", "p.json",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "fund", "simulate", "s.toml", "--shard", "2/2", "--out", "p.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let part: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("p.json")).unwrap()).unwrap();
    assert_eq!(part["shard_index"], 1);
    assert_eq!(part["shard_count"], 2);
    assert_eq!(part["scenario"], "cli");
    assert_eq!(part["seed"], 9);
    assert_eq!(part["model_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn bad_scenarios_exit_2_naming_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"
scheme = "schemes/atlantis.toml"
[scenario]
name = "bad"
horizon_years = 2
[[book.cohort]]
count = -3
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.02 }
industry = { quantum_widgets = 0.5, other = 0.3 }
[fund]
initial_capital = "1000000"
"#;
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let (code, out, err) = ipledge(dir.path(), &["fund", "simulate", "bad.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    for needle in [
        "book.cohort[0].count",
        "book.cohort[0].industry.quantum_widgets: unknown industry",
        "book.cohort[0].industry: weights must sum to 1",
        "scheme: unknown scheme preset",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in\n{err}");
    }
    let bad_scheme = GOOD.replace(
        "ratio = 0.5",
        "ratio = 1.5\nper_loan_cap = \"-100\"\nloss_split = { fund = 0.5, bank = 0.4 }",
    );
    std::fs::write(dir.path().join("bad2.toml"), bad_scheme).unwrap();
    let (code, _, err) = ipledge(dir.path(), &["validate", "bad2.toml"]);
    assert_eq!(code, 2, "{err}");
    for needle in [
        "scheme.ratio: must be a share",
        "scheme.per_loan_cap: must be >= 0",
        "scheme.loss_split: shares must sum to 1",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in\n{err}");
    }
}

#[test]
fn validate_recognises_scenarios_and_schemes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = ipledge(root, &["validate", "scenarios/schemes/weihai.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid scheme weihai"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), GOOD).unwrap();
    let (code, out, _) = ipledge(dir.path(), &["validate", "s.toml"]);
    assert_eq!(code, 0);
    assert!(out.contains("valid scenario cli"), "{out}");
}

/// The exact `P(D > 23)` of `scenarios/bench-rare-1e4.toml` (Vasicek finite pool N = 100,
/// p = 2 %, ρ = 0.12; `finite_pool_pmf` of the fund's unit tests).
const BENCH_RARE_1E4_EXACT: f64 = 9.878_202_8e-5;

fn scenarios_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

#[test]
fn importance_sampling_reports_a_rare_tail_its_error_and_the_variance_reduction() {
    let dir = scenarios_dir();
    let args = [
        "fund",
        "simulate",
        "bench-rare-1e4.toml",
        "--importance-sampling",
        "--paths",
        "2000",
    ];
    let (code, out, err) = ipledge(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = v["lifetime"]["shortfall_probability"].as_f64().unwrap();
    let se = v["lifetime"]["shortfall_probability_stderr"]
        .as_f64()
        .unwrap();
    assert!(
        (p - BENCH_RARE_1E4_EXACT).abs() <= 4.0 * se && se < 0.2 * BENCH_RARE_1E4_EXACT,
        "{p} ± {se}"
    );
    let is = &v["importance_sampling"];
    assert!(is["shift"].as_f64().unwrap() < 0.0, "{is}");
    assert!(is["twist"].as_f64().is_some(), "{is}");
    assert!(is["pilot_paths"].as_u64().unwrap() > 0, "{is}");
    assert!(is["variance_reduction"].as_f64().unwrap() > 100.0, "{is}");
    // The same run as a table names the tilt and prints the probability readably.
    let mut table_args = args.to_vec();
    table_args.extend(["--format", "table"]);
    let (code, out, err) = ipledge(&dir, &table_args);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("importance sampling: common factor mean"),
        "{out}"
    );
    assert!(out.contains("e-5 ±"), "{out}");
    // Off by default: no weights, no report.
    let (code, out, err) = ipledge(
        &dir,
        &["fund", "simulate", "bench-rare-1e4.toml", "--paths", "500"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("importance_sampling").is_none());
}

#[test]
fn size_with_importance_sampling_finds_the_capital_of_a_rare_target() {
    // Each default owes 300 k; the smallest k with P(D > k) <= 1.2e-4 is 23 (k = 22: 1.39e-4).
    let (code, out, err) = ipledge(
        &scenarios_dir(),
        &[
            "fund",
            "size",
            "bench-rare-1e4.toml",
            "--max-shortfall-prob",
            "1.2e-4",
            "--resolution",
            "300000",
            "--importance-sampling",
            "--paths",
            "4000",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let capital: f64 = v["initial_capital"].as_str().unwrap().parse().unwrap();
    assert_eq!(capital, 6_900_000.0, "{v}");
    assert!(
        v["result"]["importance_sampling"]["variance_reduction"]
            .as_f64()
            .unwrap()
            > 100.0
    );
}
