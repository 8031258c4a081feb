//! `ipledge score` and `ipledge validate` on applications, through the real binary.

use std::path::{Path, PathBuf};
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

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/applications")
        .join(name)
}

fn sample_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(sample(name)).unwrap()).unwrap()
}

#[test]
fn score_prints_one_json_document_with_the_decision() {
    let dir = tempfile::tempdir().unwrap();
    for (name, decision) in [
        ("approve.json", "approve"),
        ("refer.json", "refer"),
        ("decline.json", "decline"),
        ("mixed-pledge.json", "approve"),
    ] {
        let path = sample(name);
        let (code, out, err) = ipledge(
            dir.path(),
            &[
                "score",
                path.to_str().unwrap(),
                "--paths",
                "1000",
                "--seed",
                "3",
            ],
        );
        assert_eq!(code, 0, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
        assert_eq!(v["decision"], decision, "{name}");
        assert_eq!(v["paths"], 1000);
        assert_eq!(v["seed"], 3);
        assert_eq!(v["model_sha256"].as_str().unwrap().len(), 64);
        assert!(v["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    }
}

#[test]
fn table_format_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample("mixed-pledge.json");
    let (code, out, err) = ipledge(
        dir.path(),
        &[
            "score",
            path.to_str().unwrap(),
            "--paths",
            "500",
            "--format",
            "table",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for text in ["decision", "max loan", "18834521", "trademark", "seed 1"] {
        assert!(out.contains(text), "{text} missing from\n{out}");
    }
}

#[test]
fn a_flipped_credit_code_exits_2_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = sample_json("approve.json");
    let code = v["borrower"]["credit_code"].as_str().unwrap().to_string();
    let last = code.chars().last().unwrap();
    let flipped = if last == 'A' { 'B' } else { 'A' };
    v["borrower"]["credit_code"] = format!("{}{flipped}", &code[..17]).into();
    v["loan"]["tenor_months"] = 0.into();
    std::fs::write(dir.path().join("bad.json"), v.to_string()).unwrap();
    let (code, out, err) = ipledge(dir.path(), &["score", "bad.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("borrower.credit_code: check character (GB 32100-2015)"),
        "{err}"
    );
    assert!(err.contains("loan.tenor_months"), "{err}");
    let (code, _, err) = ipledge(dir.path(), &["validate", "bad.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("borrower.credit_code"), "{err}");
}

#[test]
fn validate_recognises_applications() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample("approve.json");
    let (code, out, err) = ipledge(dir.path(), &["validate", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid application"), "{out}");
}

#[test]
fn scheme_flag_takes_a_file_or_a_preset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("strict.toml"),
        "name = \"strict\"\nratio = 0.3\n[eligibility]\nmax_loan = \"1000000\"\n",
    )
    .unwrap();
    let path = sample("approve.json");
    let app = path.to_str().unwrap();
    let (code, out, err) = ipledge(
        dir.path(),
        &["score", app, "--paths", "300", "--scheme", "strict.toml"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["eligibility"]["scheme"], "strict");
    assert_eq!(v["eligibility"]["failed_rules"][0], "max_loan");
    let (code, out, err) = ipledge(
        dir.path(),
        &["score", app, "--paths", "300", "--scheme", "zhongshan"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["eligibility"]["scheme"], "zhongshan");
    let (code, _, _) = ipledge(dir.path(), &["score", app, "--scheme", "nowhere.toml"]);
    assert_eq!(code, 2);
    let (code, _, _) = ipledge(dir.path(), &["score", app, "--paths", "0"]);
    assert_eq!(code, 2);
}

#[test]
fn an_asset_filed_after_the_application_date_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = sample_json("approve.json");
    v["as_of"] = "2019-01-01".into();
    std::fs::write(dir.path().join("early.json"), v.to_string()).unwrap();
    let (code, out, err) = ipledge(dir.path(), &["score", "early.json", "--paths", "100"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("after the valuation date"), "{err}");
}
