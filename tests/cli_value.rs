//! `ipledge value` and `ipledge validate` on asset files, through the real binary.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

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

fn samples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/samples")
}

fn good() -> Value {
    json!({
        "id": "CN201710601862.3", "kind": "invention",
        "filing_date": "2017-07-26", "grant_date": "2020-03-10", "status": "valid",
        "owners": ["Shenzhen Example Tech Co., Ltd."], "ipc": "G06F 16/27",
        "economics": { "attributable_revenue": "8000000" }
    })
}

#[test]
fn value_prints_one_json_document_with_the_spec_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = samples().join("next-gen-it-10.json");
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "value",
            file.to_str().unwrap(),
            "--paths",
            "1500",
            "--seed",
            "3",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seed"], 3);
    assert_eq!(v["paths"], 1500);
    assert_eq!(v["model_id"], "ipledge-default-2026.11");
    assert_eq!(v["model_sha256"].as_str().unwrap().len(), 64);
    let assets = v["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 10);
    for a in assets {
        for key in [
            "id",
            "kind",
            "appraised_value",
            "value",
            "liquidation_value",
            "high_value",
            "value_score",
            "industry",
            "remaining_life_years",
        ] {
            assert!(!a[key].is_null(), "assets[].{key}");
        }
        assert!(a["appraised_value"].is_string());
        for key in [
            "mean", "stderr", "sd", "p50", "p95", "p99", "p999", "es99", "p5",
        ] {
            assert!(a["value"][key].is_number(), "value.{key}");
            assert!(
                a["liquidation_value"][key].is_number(),
                "liquidation_value.{key}"
            );
        }
        assert!(a["high_value"]["is_high_value"].is_boolean());
        for key in [
            "legal",
            "technical",
            "economic",
            "composite",
            "grade",
            "drivers",
        ] {
            assert!(!a["value_score"][key].is_null(), "value_score.{key}");
        }
    }
    for key in ["appraised_value", "value", "liquidation_value"] {
        assert!(!v["portfolio"][key].is_null(), "portfolio.{key}");
    }
}

#[test]
fn the_readme_command_prints_a_table_and_csv_files_work() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "value",
            samples().join("next-gen-it-10.json").to_str().unwrap(),
            "--format",
            "table",
            "--paths",
            "1000",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("PORTFOLIO") && out.contains("CN201310412873.9"),
        "{out}"
    );
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "value",
            samples().join("portfolio-60.csv").to_str().unwrap(),
            "--paths",
            "300",
            "--threads",
            "1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["assets"].as_array().unwrap().len(), 60);
}

#[test]
fn each_bad_input_exits_2_naming_its_field_path() {
    let dir = tempfile::tempdir().unwrap();
    let with = |pointer: &str, new: Value| {
        let mut v = good();
        *v.pointer_mut(pointer).unwrap() = new;
        Value::Array(vec![v]).to_string()
    };
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "bad date",
            "a.json",
            with("/filing_date", json!("2017-02-30")),
            "[0].filing_date",
        ),
        (
            "grant before filing",
            "a.json",
            with("/grant_date", json!("2015-01-01")),
            "[0].grant_date",
        ),
        (
            "unknown kind",
            "a.json",
            with("/kind", json!("petty_patent")),
            "[0].kind",
        ),
        (
            "negative revenue",
            "a.json",
            with("/economics/attributable_revenue", json!("-100")),
            "[0].economics.attributable_revenue",
        ),
        (
            "empty owners",
            "a.json",
            with("/owners", json!([])),
            "[0].owners",
        ),
        (
            "bad check character",
            "a.json",
            with("/id", json!("CN201710601862.5")),
            "[0].id",
        ),
        (
            "malformed csv row",
            "a.csv",
            "id,kind,filing_date,grant_date,status,owners,attributable_revenue\n\
             CN201710601862.3,invention,2017-07-26,2020-03-10,valid,A,8000000\n\
             CN201810601862.8,invention,2018-07-26\n"
                .to_string(),
            "row[1]",
        ),
        (
            "bad csv cell",
            "a.csv",
            "id,kind,filing_date,grant_date,status,owners,attributable_revenue\n\
             CN201710601862.3,invention,2017-07-26,2020-03-10,valid,A,lots\n"
                .to_string(),
            "row[0].economics.attributable_revenue",
        ),
    ];
    for (name, file, text, path) in cases {
        std::fs::write(dir.path().join(file), &text).unwrap();
        for command in ["value", "validate"] {
            let (code, out, err) = ipledge(dir.path(), &[command, file]);
            assert_eq!(code, 2, "{name} ({command}): {out}{err}");
            assert!(
                err.contains(&format!("{path}: ")),
                "{name} ({command}): expected {path} in\n{err}"
            );
            assert!(out.is_empty(), "{name}: nothing on stdout");
        }
    }
}

#[test]
fn every_problem_is_listed_and_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = good();
    a["filing_date"] = json!("2017-13-01");
    a["owners"] = json!([]);
    let mut b = good();
    b["id"] = json!("CN201810601862.8");
    b["kind"] = json!("patent");
    std::fs::write(
        dir.path().join("x.json"),
        json!({ "assets": [a, b] }).to_string(),
    )
    .unwrap();
    let (code, _, err) = ipledge(dir.path(), &["value", "x.json"]);
    assert_eq!(code, 2);
    for path in [
        "assets[0].filing_date",
        "assets[0].owners",
        "assets[1].kind",
    ] {
        assert!(err.contains(path), "{path} in {err}");
    }
    std::fs::write(
        dir.path().join("ok.json"),
        Value::Array(vec![good()]).to_string(),
    )
    .unwrap();
    let (code, _, err) = ipledge(dir.path(), &["value", "ok.json", "--as-of", "2026-02-30"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = ipledge(dir.path(), &["value", "ok.json", "--as-of", "2015-01-01"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("after the valuation date"), "{err}");
    let (code, _, _) = ipledge(dir.path(), &["value", "ok.json", "--paths", "0"]);
    assert_eq!(code, 2);
    let (code, _, _) = ipledge(dir.path(), &["value", "missing.json"]);
    assert_eq!(code, 2);
    let (code, out, err) = ipledge(dir.path(), &["validate", "ok.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid asset list (1 assets)"), "{out}");
}

#[test]
fn a_bank_model_file_changes_the_identity_and_bad_models_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.json"),
        Value::Array(vec![good()]).to_string(),
    )
    .unwrap();
    let text = ipledge::model::DEFAULT_MODEL_TOML
        .replace("id = \"ipledge-default-2026.11\"", "id = \"bank-a-2026\"");
    std::fs::write(dir.path().join("bank.toml"), &text).unwrap();
    let (code, out, err) = ipledge(
        dir.path(),
        &["value", "ok.json", "--model", "bank.toml", "--paths", "200"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["model_id"], "bank-a-2026");
    let bad = text.replace("discount_rate = 0.12", "discount_rate = 1.5");
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let (code, _, err) = ipledge(dir.path(), &["value", "ok.json", "--model", "bad.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("valuation.discount_rate"), "{err}");
}
