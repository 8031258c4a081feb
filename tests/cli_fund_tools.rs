//! `ipledge fund size|sweep|merge` and `fund simulate --report`, through the real binary.

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

/// 60 loans of CNY 1 m, PD 4 %, LGD 0.6, ratio 0.5: each default costs the fund CNY 300,000.
const SCENARIO: &str = r#"
[scenario]
name = "tools"
horizon_years = 2
paths = 2000
seed = 11
[[book.cohort]]
count = 60
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.04 }
[risk]
lgd = 0.6
[scheme]
ratio = 0.5
liability_limited_to_balance = true
[fund]
initial_capital = "1000000"
"#;

fn dir_with_scenario() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SCENARIO).unwrap();
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not one JSON document ({e}): {text}"))
}

#[test]
fn three_shards_merged_by_the_cli_equal_the_whole_run_byte_for_byte() {
    let dir = dir_with_scenario();
    let (code, whole, err) = ipledge(dir.path(), &["fund", "simulate", "s.toml"]);
    assert_eq!(code, 0, "{err}");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let out = format!("part-{i}.json");
        let (code, _, err) = ipledge(
            dir.path(),
            &[
                "fund", "simulate", "s.toml", "--shard", &shard, "--out", &out,
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    // Parts in another order than written: the merge sorts them.
    let (code, merged, err) = ipledge(
        dir.path(),
        &["fund", "merge", "part-3.json", "part-1.json", "part-2.json"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(merged, whole);
}

#[test]
fn merge_rejects_missing_or_foreign_parts_with_exit_2() {
    let dir = dir_with_scenario();
    for i in [1, 2] {
        let shard = format!("{i}/3");
        let out = format!("part-{i}.json");
        let (code, _, err) = ipledge(
            dir.path(),
            &[
                "fund", "simulate", "s.toml", "--shard", &shard, "--out", &out,
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = ipledge(dir.path(), &["fund", "merge", "part-1.json", "part-2.json"]);
    assert_eq!(code, 2, "a missing shard must not merge: {err}");
    let (code, _, err) = ipledge(
        dir.path(),
        &[
            "fund",
            "simulate",
            "s.toml",
            "--seed",
            "12",
            "--shard",
            "3/3",
            "--out",
            "other.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ipledge(
        dir.path(),
        &["fund", "merge", "part-1.json", "part-2.json", "other.json"],
    );
    assert_eq!(code, 2, "a part of another seed must not merge: {err}");
    assert!(err.contains("seed"), "{err}");
    std::fs::write(dir.path().join("junk.json"), "{\"not\": \"a part\"}").unwrap();
    let (code, _, err) = ipledge(dir.path(), &["fund", "merge", "junk.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("junk.json"), "{err}");
}

#[test]
fn size_finds_the_smallest_capital_meeting_the_target_and_reports_its_error() {
    let dir = dir_with_scenario();
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "fund",
            "size",
            "s.toml",
            "--max-shortfall-prob",
            "0.05",
            "--resolution",
            "50000",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let capital: f64 = v["initial_capital"].as_str().unwrap().parse().unwrap();
    let p = v["shortfall_probability"].as_f64().unwrap();
    assert!(p <= 0.05, "{p}");
    assert!(v["shortfall_probability_stderr"].as_f64().unwrap() > 0.0);
    let below: f64 = v["bracket"]["below"].as_str().unwrap().parse().unwrap();
    assert!(
        (capital - below - 50_000.0).abs() < 1e-6,
        "{capital} {below}"
    );
    assert!(
        v["bracket"]["below_shortfall_probability"]
            .as_f64()
            .unwrap()
            > 0.05
    );
    // The answer reproduces: a plain simulation at that capital has the same shortfall.
    let edited = SCENARIO.replace(
        "initial_capital = \"1000000\"",
        &format!("initial_capital = \"{capital}\""),
    );
    std::fs::write(dir.path().join("at.toml"), edited).unwrap();
    let (code, out, err) = ipledge(dir.path(), &["fund", "simulate", "at.toml"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json(&out)["horizon"]["shortfall_probability"].as_f64(),
        Some(p)
    );
}

#[test]
fn size_rejects_a_target_outside_zero_one() {
    let dir = dir_with_scenario();
    let (code, _, err) = ipledge(
        dir.path(),
        &["fund", "size", "s.toml", "--max-shortfall-prob", "1.5"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("max_shortfall_prob"), "{err}");
}

#[test]
fn sweep_gives_one_row_per_grid_point_in_json_and_csv() {
    let dir = dir_with_scenario();
    let args = [
        "fund",
        "sweep",
        "s.toml",
        "--set",
        "scheme.ratio=0.2,0.5",
        "--set",
        "fund.initial_capital=500000,2000000,8000000",
        "--paths",
        "1000",
    ];
    let (code, out, err) = ipledge(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(
        v["keys"],
        serde_json::json!(["scheme.ratio", "fund.initial_capital"])
    );
    // Claims grow with the ratio at equal capital (common random numbers); shortfall falls
    // with capital at equal ratio.
    let claims = |i: usize| rows[i]["fund_claims_mean"].as_f64().unwrap();
    let shortfall = |i: usize| rows[i]["shortfall_probability"].as_f64().unwrap();
    for c in 0..3 {
        assert!(claims(3 + c) > claims(c), "row {c}");
    }
    for r in [0, 3] {
        assert!(shortfall(r) >= shortfall(r + 1) && shortfall(r + 1) >= shortfall(r + 2));
    }

    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let (code, out, err) = ipledge(dir.path(), &csv_args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 7, "{out}");
    assert!(
        lines[0].starts_with("scheme.ratio,fund.initial_capital,seed,paths,shortfall_probability")
    );
    assert!(lines[1].starts_with("0.2,500000,"), "{}", lines[1]);
}

#[test]
fn a_sweep_over_ledger_keys_draws_once_and_equals_each_points_own_simulation() {
    let dir = dir_with_scenario();
    // Two scheme ratios and two capitals: ledger keys only, one draw of default events.
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "fund",
            "sweep",
            "s.toml",
            "--set",
            "scheme.ratio=0.2,0.5",
            "--set",
            "fund.initial_capital=500000,2000000",
            "--paths",
            "1500",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["draws"], 1, "{v}");
    assert_eq!(v["ledger_passes"], 4, "{v}");
    // The last point, simulated on its own, gives the same figures exactly.
    // The ratio is already 0.5 in SCENARIO: only the capital changes.
    let point = SCENARIO.replace(
        "initial_capital = \"1000000\"",
        "initial_capital = \"2000000\"",
    );
    std::fs::write(dir.path().join("point.toml"), point).unwrap();
    let (code, out, err) = ipledge(
        dir.path(),
        &["fund", "simulate", "point.toml", "--paths", "1500"],
    );
    assert_eq!(code, 0, "{err}");
    let alone = json(&out);
    let row = &v["rows"][3];
    assert_eq!(
        row["set"]["fund.initial_capital"]
            .to_string()
            .trim_matches('"'),
        "2000000",
        "{row}"
    );
    for (figure, path) in [
        ("fund_claims_mean", ["horizon", "fund_claims", "mean"]),
        ("fund_paid_mean", ["horizon", "fund_paid", "mean"]),
        ("defaults_mean", ["horizon", "defaults", "mean"]),
    ] {
        assert_eq!(
            row[figure], alone[path[0]][path[1]][path[2]],
            "{figure}: sweep {} vs simulate {}",
            row[figure], alone[path[0]][path[1]][path[2]]
        );
    }
    assert_eq!(
        row["shortfall_probability"],
        alone["horizon"]["shortfall_probability"]
    );

    // A key the draws depend on draws again.
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "fund",
            "sweep",
            "s.toml",
            "--set",
            "risk.lgd=0.4,0.6",
            "--paths",
            "500",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["draws"], 2);
}

#[test]
fn a_sweep_whose_draw_could_outgrow_a_gibibyte_streams_each_point() {
    // 100,000 loans × 4,000 paths × 32 bytes = 12.8 GB if every loan defaulted: each point is
    // simulated on its own instead of keeping its events.
    let dir = tempfile::tempdir().unwrap();
    let big = SCENARIO
        .replace("count = 60", "count = 100000")
        .replace("pd_1y = { fixed = 0.04 }", "pd_1y = { fixed = 0.0001 }");
    std::fs::write(dir.path().join("big.toml"), big).unwrap();
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "fund",
            "sweep",
            "big.toml",
            "--set",
            "scheme.ratio=0.2,0.5",
            "--paths",
            "4000",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["draws"], 2, "{v}");
    assert_eq!(v["ledger_passes"], 2, "{v}");
}

#[test]
fn sweep_names_a_bad_point_with_exit_2() {
    let dir = dir_with_scenario();
    let (code, _, err) = ipledge(
        dir.path(),
        &["fund", "sweep", "s.toml", "--set", "scheme.ratio=0.5,1.5"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scheme.ratio"), "{err}");
    let (code, _, err) = ipledge(
        dir.path(),
        &["fund", "sweep", "s.toml", "--set", "scheme.ratio"],
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn simulate_writes_a_self_contained_report_in_both_languages() {
    let dir = dir_with_scenario();
    for (lang, marker) in [("en", "lang=\"en\""), ("zh", "lang=\"zh-CN\"")] {
        let file = format!("r-{lang}.html");
        let (code, out, err) = ipledge(
            dir.path(),
            &[
                "fund", "simulate", "s.toml", "--paths", "1000", "--report", &file, "--lang", lang,
            ],
        );
        assert_eq!(code, 0, "{err}");
        json(&out);
        let html = std::fs::read_to_string(dir.path().join(&file)).unwrap();
        assert!(html.contains(marker), "{lang}");
        assert!(
            html.matches("<svg").count() >= 3,
            "{lang}: three inline charts"
        );
        assert!(
            !html.contains("<script src") && !html.contains("<link"),
            "{lang}"
        );
    }
    let (code, _, err) = ipledge(
        dir.path(),
        &[
            "fund", "simulate", "s.toml", "--report", "x.html", "--lang", "fr",
        ],
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn merge_refuses_parts_of_different_scenarios_that_share_a_name() {
    let dir = dir_with_scenario();
    // Same name, seed, paths and capital; another compensation ratio.
    std::fs::write(
        dir.path().join("t.toml"),
        SCENARIO.replace("ratio = 0.5", "ratio = 0.4"),
    )
    .unwrap();
    for (file, shard, out) in [("s.toml", "1/2", "a.json"), ("t.toml", "2/2", "b.json")] {
        let (code, _, err) = ipledge(
            dir.path(),
            &["fund", "simulate", file, "--shard", shard, "--out", out],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = ipledge(dir.path(), &["fund", "merge", "a.json", "b.json"]);
    assert_eq!(
        code, 2,
        "parts of different scenarios must not merge: {err}"
    );
    assert!(err.contains("input_sha256"), "{err}");
}
